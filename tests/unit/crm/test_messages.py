"""crm/messages.py: chat messages matched to the sender's contact, written once however often
they are replayed, answered (delivered / failed, with the reason), read per agent, shown as a
conversation with any URI of the peer, and never lost while the database refuses writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.messages import MessageLog
from softphone.crm.store import Store
from softphone.profile import database_file

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANN_URI = "sip:+74951234567@pbx.example.com"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(None, tmp_path, default_region="RU", agent="alice") as s:
        yield s


def receive(store: Store, body: str, at: datetime = T0, uri: str = ANN_URI,
            key: str | None = None) -> int:
    view = store.message_received(account="office", remote_uri=uri, body=body,
                                  received_at=at, client_key=key)
    assert view is not None
    return view.id


def test_an_arrived_message_is_linked_to_the_senders_contact(store: Store) -> None:
    ann = store.create_contact("Ann", phones=["8 495 123-45-67"])
    view = store.message_received(account="office", remote_uri=f'"Ann" <{ANN_URI};user=phone>',
                                  body="hi", display_name="Ann", received_at=T0)
    assert view is not None
    assert (view.contact_id, view.peer_key, view.status, view.agent) == (
        ann.id, "+74951234567@pbx.example.com", "received", "alice")
    stranger = store.message_received(account="office", remote_uri="sip:bob@lan", body="yo")
    assert stranger is not None and stranger.contact_id is None


def test_a_replayed_write_is_stored_once(store: Store) -> None:
    first = receive(store, "hello", key="k-1")
    again = receive(store, "hello", key="k-1")
    assert first == again
    assert [m.body for m in store.conversation(peer=ANN_URI)] == ["hello"]


def test_sent_messages_are_answered_delivered_or_failed(store: Store) -> None:
    ann = store.create_contact("Ann")  # written from her card: no number needed
    sent = store.message_sent(account="office", remote_uri="sip:ann@lan", body="offer",
                              client_key="s-1", contact_id=ann.id)
    assert sent is not None and (sent.status, sent.contact_id) == ("sending", ann.id)
    ok = store.message_answered("s-1", delivered=True, sip_status=202)
    assert ok is not None and (ok.status, ok.sip_status, ok.failed) == ("delivered", 202, False)
    store.message_sent(account="office", remote_uri="sip:ann@lan", body="x", client_key="s-2")
    bad = store.message_answered("s-2", delivered=False, sip_status=480, reason="r" * 500)
    assert bad is not None and bad.failed and bad.reason == "r" * 300
    assert store.message_answered("nobody", delivered=True, sip_status=200) is None


def test_a_message_to_a_contact_deleted_meanwhile_is_kept_unlinked(store: Store) -> None:
    ann = store.create_contact("Ann")
    store.delete_contact(ann.id)
    sent = store.message_sent(account="o", remote_uri="sip:ann@lan", body="x", client_key="k",
                              contact_id=ann.id)
    assert sent is not None and sent.contact_id is None


def test_conversation_oldest_first_latest_kept_any_uri_of_the_peer(store: Store) -> None:
    for n in range(4):
        receive(store, f"m{n}", at=T0 + timedelta(minutes=n),
                uri="sip:bob@LAN.example:5060" if n % 2 else "sip:bob@lan.example;transport=tcp")
    receive(store, "other", uri="sip:eve@lan.example")
    assert [m.body for m in store.conversation(peer="sip:bob@lan.example")] == [
        "m0", "m1", "m2", "m3"]
    assert [m.body for m in store.conversation(peer="<sip:bob@lan.example>", limit=2)] == [
        "m2", "m3"]
    with pytest.raises(ValueError, match="peer or a contact"):
        store.conversation()


def test_mark_read_counts_only_our_unread_messages(tmp_path: Path) -> None:
    with Store.open(None, tmp_path, "RU", agent="bob") as bob:
        receive(bob, "for bob")
    with Store.open(None, tmp_path, "RU", agent="alice") as s:
        receive(s, "one")
        receive(s, "two")
        with pytest.raises(ValueError, match="conversation or a contact"):
            s.mark_read()
        assert s.mark_read(peer=ANN_URI) == 2
        assert s.mark_read(peer=ANN_URI) == 0
    with Store.open(None, tmp_path, "RU", agent="bob") as bob:
        assert [c.unread for c in bob.unread_conversations()] == [1]


def test_messages_are_kept_while_the_database_is_locked(tmp_path: Path) -> None:
    with Store.open(None, tmp_path, "RU", agent="alice", busy_timeout_ms=50) as s:
        assert isinstance(s.message_log, MessageLog)
        holder = sqlite3.connect(database_file(tmp_path), isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            assert s.message_sent(account="o", remote_uri=ANN_URI, body="queued",
                                  client_key="q-1") is None
            assert s.message_answered("q-1", delivered=True, sip_status=200) is None
            holder.execute("ROLLBACK")
        finally:
            holder.close()
        assert s.flush_pending() == 2
        [message] = s.conversation(peer=ANN_URI)
        assert (message.body, message.status) == ("queued", "delivered")
