"""A chat message's life without Qt: SIP MESSAGE events written to a real SQLite CRM, a sent
message's answer reaching the same row, unread counts, errors surfaced, colleagues found."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.chat_flow import ChatFlow, ChatUpdate, colleague_targets
from softphone.crm.store import Store
from softphone.sip import events as ev


class InlineDb:
    """The DB worker's contract (``submit(job, done, error)``), run at once on a real store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.fail_next: Exception | None = None

    def submit(self, job: Callable[[Any], Any], done: Callable[[Any], Any] | None,
               error: Callable[[Exception], Any] | None) -> None:
        try:
            if self.fail_next is not None:
                exc, self.fail_next = self.fail_next, None
                raise exc
            result = job(self.store)
        except Exception as exc:
            if error is not None:
                error(exc)
            return
        if done is not None:
            done(result)


class Engine:
    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.sent: list[tuple[str, str, str]] = []

    def resolve_target(self, target: str, account: str | None) -> tuple[str, str]:
        if not target.strip():
            raise ValueError("no one to write to")
        return account or "office", target if target.startswith("sip:") else \
            f"sip:{target}@pbx.example"

    def send_message(self, uri: str, text: str, account: str) -> int:
        self.sent.append((uri, text, account))
        return next(self.ids)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(None, tmp_path / "profile", "RU", "tester")
    yield s
    s.close()


@pytest.fixture
def flow(store: Store) -> tuple[ChatFlow, list[ChatUpdate], InlineDb, Engine]:
    updates: list[ChatUpdate] = []
    db, engine = InlineDb(store), Engine()
    return ChatFlow(db, engine, updates.append), updates, db, engine


def _received(body: str, content_type: str = "text/plain") -> ev.MessageReceived:
    return ev.MessageReceived(at=0.0, account="office", remote_uri="sip:201@pbx.example",
                              display_name="Anna", number="201", body=body,
                              content_type=content_type)


def test_an_arrived_message_is_stored_linked_and_counted_unread(
        flow: tuple[ChatFlow, list[ChatUpdate], InlineDb, Engine], store: Store) -> None:
    chat, updates, _, _ = flow
    anna = store.create_contact("Anna", phones=[("201", "work")])
    event = _received("Привет")
    chat.on_sip_event(event)
    arrived, unread = updates
    assert arrived.kind == "arrived" and arrived.event is event
    assert arrived.message.body == "Привет" and arrived.message.contact_id == anna.id
    assert arrived.message.status == "received"
    assert unread.kind == "unread" and [c.unread for c in unread.unread] == [1]
    updates.clear()
    chat.mark_read(peer="sip:201@pbx.example")
    assert [u.kind for u in updates] == ["unread"] and updates[0].unread == ()
    updates.clear()
    chat.mark_read(peer="sip:201@pbx.example")  # nothing changed: nothing to tell
    assert updates == []


def test_a_message_that_is_not_text_is_stored_without_its_body(
        flow: tuple[ChatFlow, list[ChatUpdate], InlineDb, Engine]) -> None:
    chat, updates, _, _ = flow
    chat.on_sip_event(_received("<xml/>", "application/im-iscomposing+xml"))
    assert updates[0].message.body == ""
    assert updates[0].message.content_type == "application/im-iscomposing+xml"


def test_a_sent_message_is_logged_sending_then_marked_by_the_answer(
        flow: tuple[ChatFlow, list[ChatUpdate], InlineDb, Engine]) -> None:
    chat, updates, _, engine = flow
    key = chat.send("202", "hello")
    first = chat.send("sip:203@pbx.example", "second")
    assert engine.sent == [("sip:202@pbx.example", "hello", "office"),
                           ("sip:203@pbx.example", "second", "office")]
    assert [u.message.status for u in updates] == ["sending", "sending"]
    assert updates[0].message.client_key == key and key != first
    updates.clear()
    chat.on_sip_event(ev.MessageStatus(at=0.0, message_id=2, account="office",
                                       remote_uri="sip:203@pbx.example", delivered=False,
                                       code=408))
    chat.on_sip_event(ev.MessageStatus(at=0.0, message_id=1, account="office",
                                       remote_uri="sip:202@pbx.example", delivered=True,
                                       code=202))
    failed, delivered = (u.message for u in updates)
    assert (failed.body, failed.status, failed.sip_status, failed.reason) == (
        "second", "failed", 408, "no answer")
    assert (delivered.body, delivered.status, delivered.reason) == ("hello", "delivered", "")
    updates.clear()
    chat.on_sip_event(ev.MessageStatus(at=0.0, message_id=1, account="office",
                                       remote_uri="sip:202@pbx.example", delivered=True,
                                       code=200))  # answered twice: the second is ignored
    assert updates == []


def test_bad_input_raises_and_nothing_is_stored(
        flow: tuple[ChatFlow, list[ChatUpdate], InlineDb, Engine], store: Store) -> None:
    chat, updates, _, engine = flow
    with pytest.raises(ValueError, match="no one"):
        chat.send(" ", "hello")
    assert updates == [] and engine.sent == []
    chat.engine = None
    with pytest.raises(RuntimeError, match="not running"):
        chat.send("202", "hello")


def test_a_write_that_fails_is_told_as_an_error(
        flow: tuple[ChatFlow, list[ChatUpdate], InlineDb, Engine]) -> None:
    chat, updates, db, _ = flow
    db.fail_next = RuntimeError("database is locked")
    chat.on_sip_event(_received("hi"))
    assert updates == [ChatUpdate("error", error="database is locked")]


def test_a_listener_that_fails_does_not_stop_the_flow(
        flow: tuple[ChatFlow, list[ChatUpdate], InlineDb, Engine], store: Store) -> None:
    _, _, db, engine = flow
    calls: list[str] = []

    def listener(update: ChatUpdate) -> None:
        calls.append(update.kind)
        raise RuntimeError("widget gone")

    chat = ChatFlow(db, engine, listener)
    chat.on_sip_event(_received("hi"))
    assert calls == ["arrived", "unread"]


def test_store_opened_refreshes_the_unread(
        flow: tuple[ChatFlow, list[ChatUpdate], InlineDb, Engine]) -> None:
    chat, updates, _, _ = flow
    chat.on_sip_event(_received("hi"))
    updates.clear()
    chat.store_opened()
    assert [u.kind for u in updates] == ["unread"] and len(updates[0].unread) == 1


def test_colleagues_are_contacts_tagged_so_in_any_case(store: Store) -> None:
    store.create_contact("Boss", phones=[("101", "work"), ("+7 916 000-00-00", "mobile")],
                         tags=["Colleague"])
    store.create_contact("Вера", phones=[("102", "work")], tags=["КОЛЛЕГА"])
    store.create_contact("Customer", phones=[("+7 495 111-11-11", "work")], tags=["client"])
    store.create_contact("No phone", emails=["x@example.com"], tags=["colleague"])
    assert sorted(colleague_targets(store.iter_contacts())) == [("101", "Boss"),
                                                                ("102", "Вера")]
