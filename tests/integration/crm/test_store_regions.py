"""Numbers that came while no region was set (issue 14 item 2), on SQLite and PostgreSQL: kept
as they came (never a guessed country), matched by their digits, then normalised and linked
to their contacts when a region is set - on the running store, and by a store opened with a
region. The light SQLite reader hands such a database to the full store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from softphone.crm.light import LightStore, open_store
from softphone.crm.phones import normalize
from softphone.crm.store import Store

T0 = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)


def missed_call(store: Store, number: str, at: datetime) -> int:
    row = store.call_started(direction="in", account="LAN", number=number, started_at=at)
    store.call_ended(row, ended_at=at + timedelta(seconds=15), outcome="missed", sip_status=487)
    return row


def test_no_region_never_invents_a_country() -> None:
    for raw in ("84951234567", "8 (495) 123-45-67", "sip:84951234567@pbx.example",
                "4951234567", "74951234567"):
        nn = normalize(raw, "")
        assert nn.e164 is None and nn.kind == "noregion", (raw, nn)
    assert normalize("+7 495 123-45-67", "").e164 == "+74951234567"  # a "+" says it all
    assert normalize("0049 30 1234567", "").e164 == "+49301234567"  # international prefix
    assert normalize("1234", "").kind == "extension"
    assert normalize("84951234567", "RU").e164 == "+74951234567"


def test_rows_wait_for_a_region_then_link(backend: str | None, profile_dir: Path) -> None:
    store = Store.open(backend, profile_dir, default_region="", agent="alice")
    try:
        first = missed_call(store, "84951234567", T0)
        second = missed_call(store, "8 495 123 45 67", T0 + timedelta(hours=1))
        full_form = missed_call(store, "+74951234568", T0 + timedelta(hours=2))
        rows = {c.id: c for c in store.list_calls()}
        assert rows[first].number == "84951234567" and rows[first].contact_id is None
        assert [(m.number, m.count) for m in store.missed_inbox()][-1] == ("84951234567", 2)
        olga = store.create_contact("Olga Petrova", phones=[("8 (495) 123-45-67", "work")])
        oleg = store.create_contact("Oleg Petrov", phones=[("8 (495) 123-45-68", "work")])
        assert olga.phones[0].e164 is None
        # matched by the digits meanwhile (the same digits are the same number)
        assert store.lookup("84951234567").contact.id == olga.id
        store.ignore_number("84951234599", "spam")

        report = store.set_region("RU")
        assert report.phones == 2 and report.calls == 2
        rows = {c.id: c for c in store.list_calls()}
        assert {rows[first].number, rows[second].number} == {"+74951234567"}
        assert rows[first].contact_id == olga.id and rows[second].contact_id == olga.id
        # a call that came in full, before its contact's phone could be read, is linked too
        assert rows[full_form].contact_id == oleg.id
        assert store.get_contact(olga.id).phones[0].e164 == "+74951234567"
        inbox = {m.number: m for m in store.missed_inbox()}
        assert inbox["+74951234567"].count == 2
        assert inbox["+74951234567"].contact_name == "Olga Petrova"
        assert inbox["+74951234568"].contact_name == "Oleg Petrov"
        stats = store.statistics(since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
        assert dict((name, n) for _cid, name, n in stats.top_contacts) == {
            "Olga Petrova": 2, "Oleg Petrov": 1}
        assert store.search("74951234567")[0].id == olga.id  # found by the full form
        assert store.set_region("RU").changed is False  # nothing left to do
    finally:
        store.close()


def test_a_store_opened_with_a_region_normalises_what_waits(backend: str | None,
                                                            profile_dir: Path) -> None:
    with Store.open(backend, profile_dir, default_region="", agent="cli") as store:
        row = missed_call(store, "84951234567", T0)
        olga = store.create_contact("Olga Petrova", phones=[("84951234567", "mobile")])
    with Store.open(backend, profile_dir, default_region="RU", agent="app") as store:
        call = store.get_call(row)
        assert call.number == "+74951234567" and call.contact_id == olga.id
        assert store.get_contact(olga.id).phones[0].e164 == "+74951234567"


def test_light_reader_gives_waiting_rows_to_the_full_store(profile_dir: Path) -> None:
    with Store.open(None, profile_dir, default_region="", agent="a") as store:
        row = missed_call(store, "84951234567", T0)
    light = LightStore.try_open(profile_dir, "", "a")  # nothing to do without a region
    assert light is not None
    assert light.set_region("").changed is False and not light.full_loaded
    report = light.set_region("RU")  # the running app: Settings > Region = RU
    assert report.calls == 1 and light.full_loaded
    assert light.get_call(row).number == "+74951234567"
    light.close()
    assert isinstance(open_store(None, profile_dir, "RU", "a"), LightStore)  # done: light
