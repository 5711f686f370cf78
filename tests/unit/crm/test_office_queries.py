"""crm/office_queries.py: the unread-message badge per agent (count and latest message per
conversation, the most recent conversation first), colleagues by tag (any case, exact tags
only, short and long tags alike), and sent messages a stopped run left "sending"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.office_queries import (
    UNANSWERED_REASON,
    close_unanswered_messages,
    contacts_tagged,
    unread_conversations,
)
from softphone.crm.store import Store

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        yield s


def receive(store: Store, uri: str, body: str, minutes: int) -> None:
    store.message_received(account="o", remote_uri=uri, body=body,
                           received_at=T0 + timedelta(minutes=minutes))


def test_unread_conversations_count_and_latest_message_most_recent_first(store: Store) -> None:
    ann = store.create_contact("Ann", phones=["+74951234567"])
    receive(store, "sip:+74951234567@pbx", "first", 0)
    receive(store, "sip:bob@lan", "bob's", 1)
    receive(store, "sip:+74951234567@pbx", "second", 2)
    store.message_sent(account="o", remote_uri="sip:eve@lan", body="mine", client_key="k")
    with store.db.session() as s:
        convs = unread_conversations(store.db.runner(s), "alice")
        assert unread_conversations(store.db.runner(s), "bob") == []
        assert unread_conversations(store.db.runner(s), None) == []
    assert [(c.peer_key, c.unread, c.last_body, c.contact_name) for c in convs] == [
        ("+74951234567@pbx", 2, "second", "Ann"), ("bob@lan", 1, "bob's", None)]
    assert convs[0].contact_id == ann.id and convs[0].last_at == T0 + timedelta(minutes=2)
    store.mark_read(peer="sip:bob@lan")
    assert [c.peer_key for c in store.unread_conversations()] == ["+74951234567@pbx"]


def test_contacts_tagged_any_case_exact_tags_by_name(store: Store) -> None:
    zoe = store.create_contact("Zoe", tags=["Colleague"])
    store.create_contact("Max", tags=["colleagues-old"])  # the sieve finds it, the check not
    ann = store.create_contact("Ann", tags=["team", "COLLEAGUE"])
    it = store.create_contact("Ivan", tags=["IT"])  # a two-letter tag: no trigram sieve
    store.create_contact("Bob", tags=["customer"])
    with store.db.session() as s:
        db = store.db.runner(s)
        assert [c.id for c in contacts_tagged(db, ["colleague"])] == [ann.id, zoe.id]
        assert [c.id for c in contacts_tagged(db, ("it", "Team"))] == [ann.id, it.id]
        assert [c.id for c in contacts_tagged(db, ["colleague"], limit=1)] == [ann.id]
        assert contacts_tagged(db, ["  ", ""]) == []
    assert [c.name for c in store.contacts_tagged(["Colleague"])] == ["Ann", "Zoe"]


def test_a_cyrillic_tag_in_another_case(store: Store) -> None:
    petr = store.create_contact("Пётр", tags=["Коллега"])
    assert [c.id for c in store.contacts_tagged(["КОЛЛЕГА"])] == [petr.id]


def test_sent_messages_left_sending_fail_after_a_minute_ours_only(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with Store.open(None, tmp_path, "RU", agent="bob") as bob:
        bob.message_sent(account="o", remote_uri="sip:x@lan", body="bob's", client_key="b",
                         sent_at=now - timedelta(minutes=5))
    with Store.open(None, tmp_path, "RU", agent="alice") as s:
        s.message_sent(account="o", remote_uri="sip:x@lan", body="old", client_key="old",
                       sent_at=now - timedelta(minutes=5))
        s.message_sent(account="o", remote_uri="sip:x@lan", body="new", client_key="new",
                       sent_at=now - timedelta(seconds=5))  # may still be answered
        s.message_sent(account="o", remote_uri="sip:x@lan", body="done", client_key="done",
                       sent_at=now - timedelta(minutes=5))
        s.message_answered("done", delivered=True, sip_status=200)
        with s.db.session() as session:
            assert close_unanswered_messages(s.db.runner(session), "alice") == 1
        by_body = {m.body: m for m in s.conversation(peer="sip:x@lan")}
        assert (by_body["old"].status, by_body["old"].reason) == ("failed", UNANSWERED_REASON)
        assert by_body["new"].status == "sending"
        assert by_body["done"].status == "delivered"
        assert by_body["bob's"].status == "sending"  # a colleague's run is not ours to judge
