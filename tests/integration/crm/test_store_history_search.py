"""The history search finds calls by their wrap-up's note, reason and outcome, whatever the
letter case, Cyrillic included (issue 14 item 8), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from softphone.crm.store import Store

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def test_history_search_finds_notes(store: Store) -> None:
    def call(number: str, minutes: int, note: str, reason: str = "") -> int:
        row = store.call_started(direction="in", account="LAN", number=number,
                                 started_at=T0 + timedelta(minutes=minutes))
        store.call_ended(row, ended_at=T0 + timedelta(minutes=minutes, seconds=30),
                         outcome="answered")
        store.save_wrapup(row, outcome="Interested", reason=reason, note=note)
        return row

    quote = call("+74951110001", 1, "Wants a Quote for 20 seats")
    send = call("+74951110002", 2, "Прислать КП до пятницы\nвторая строка", reason="Ёлки")
    other = call("+74951110003", 3, "nothing to see")
    found = {q: [c.id for c in store.list_calls(query=q)] for q in (
        "quote", "QUOTE", "Прислать", "прислать", "ПРИСЛАТЬ", "пятниц", "вторая", "елки",
        "Interested", "absent")}
    assert found["quote"] == found["QUOTE"] == [quote]
    assert found["Прислать"] == found["прислать"] == found["ПРИСЛАТЬ"] == [send]
    assert found["пятниц"] == found["вторая"] == found["елки"] == [send]
    assert found["Interested"] == [other, send, quote]
    assert found["absent"] == []
    store.save_wrapup(send, outcome=None, note="переписано")  # the search follows edits
    assert [c.id for c in store.list_calls(query="прислать")] == []
    assert [c.id for c in store.list_calls(query="ПЕРЕПИСАНО")] == [send]
