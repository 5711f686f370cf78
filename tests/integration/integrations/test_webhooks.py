"""Webhooks from the persistent outbox against a real HTTP server: call events of a real store
arrive signed, with the fields of `calls list --json`; a receiver that goes down and comes back
gets every event, in order, once per event id; a refusal sets only that event aside."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from softphone.crm.store import Store
from softphone.integrations.call_events import CallEventPublisher
from softphone.integrations.outbox import Outbox, OutboxWorker, backoff
from softphone.integrations.webhooks import SIGNATURE_HEADER, WebhookTarget, signature_matches
from softphone.sip.events import CallState, CallStateChanged, Direction, IncomingCall
from softphone.workflow import CallWorkflow
from softphone.workflow_ports import SyncDbRunner
from tests.harness.http_receiver import Receiver
from tests.harness.sip_peers import wait_until

pytestmark = pytest.mark.integration
SECRET = "hook-secret-42"
T0 = 1_700_000_000.0


def make_worker(tmp_path: Path, url: str, **kw: Any) -> tuple[Outbox, OutboxWorker,
                                                               CallEventPublisher]:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    target = WebhookTarget(url + "/hook", SECRET, events=("ringing", "answered", "ended",
                                                          "wrapup"), timeout=5)
    worker = OutboxWorker(outbox, {target.name: target}, retry_initial=kw.get("initial", 0.05),
                          retry_max=kw.get("maximum", 0.3))
    return outbox, worker, CallEventPublisher(outbox, [target], worker.wake)


def unique(received: list[Any]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for r in received:
        body = r.json()
        seen.setdefault(body["event_id"], body)
    return sorted(seen.values(), key=lambda b: b["sequence"])


def test_a_calls_events_arrive_signed_with_the_fields_of_calls_list_json(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    store = Store.open(None, profile, "RU")
    store.create_contact("Anna Petrova", phones=[("+7 495 123 45 67", "work")])
    with Receiver() as receiver:
        outbox, worker, publisher = make_worker(tmp_path, receiver.url)
        worker.start()
        try:
            wf = CallWorkflow(SyncDbRunner(store), lambda _u: None, agent="agent7",
                              call_events=publisher.publish)
            wf.on_sip_event(IncomingCall(at=T0, call_id=1, account="office",
                                         remote_uri="sip:+74951234567@pbx", display_name="",
                                         number="+74951234567"))
            for st, at in ((CallState.CONFIRMED, T0 + 4), (CallState.DISCONNECTED, T0 + 64)):
                wf.on_sip_event(CallStateChanged(
                    at=at, call_id=1, account="office", direction=Direction.INCOMING, state=st,
                    remote_uri="sip:+74951234567@pbx", display_name="", number="+74951234567",
                    code=200))
            wf.save_wrapup(call_id=1, outcome="Interested", note="wants a quote")
            got = receiver.wait_for(4)
        finally:
            worker.stop()
            outbox.close()
    bodies = [r.json() for r in got]
    assert [b["event"] for b in bodies] == ["ringing", "answered", "ended", "wrapup"]
    assert [r.headers["x-softphone-event"] for r in got] == [b["event"] for b in bodies]
    assert all(signature_matches(SECRET, r.body, r.headers[SIGNATURE_HEADER.lower()])
               for r in got)
    assert not signature_matches("another secret", got[0].body,
                                 got[0].headers[SIGNATURE_HEADER.lower()])
    assert len({b["event_id"] for b in bodies}) == 4
    assert [b["sequence"] for b in bodies] == sorted(b["sequence"] for b in bodies)
    ringing, answered, ended, wrapup = (b["call"] for b in bodies)
    assert ringing["contact_name"] == "Anna Petrova" and ringing["direction"] == "in"
    assert ringing["outcome"] is None and answered["answered_at"] is not None
    assert ended["outcome"] == "answered" and ended["talk_seconds"] == 60
    assert wrapup["wrapup"]["note"] == "wants a quote"
    # exactly what `softphone calls list --json` prints for that call (its own process: the
    # command sets up logging into the profile)
    store.close()
    done = subprocess.run([sys.executable, "-m", "softphone", "--profile", str(profile),
                           "calls", "list", "--json"], capture_output=True, text=True,
                          timeout=120, check=True)
    (listed,) = json.loads(done.stdout)
    assert set(listed) == set(wrapup) and listed == wrapup


def test_a_receiver_that_goes_down_gets_every_event_in_order_once(tmp_path: Path) -> None:
    receiver = Receiver().start()
    outbox, worker, publisher = make_worker(tmp_path, receiver.url)
    worker.start()
    try:
        for i in range(1, 6):
            publisher.publish("ended", {"id": i, "outcome": "answered"})
        receiver.wait_for(5)
        receiver.stop()  # down: connection refused
        for i in range(6, 16):
            publisher.publish("ended", {"id": i, "outcome": "answered"})
        head = wait_until(lambda: (h := outbox.head("webhooks")) and h.attempts >= 3 and h,
                          20, "several failed attempts while the receiver is down")
        assert "refused" in head.last_error
        assert outbox.pending_count("webhooks") == 10
        receiver.start()  # back on the same address
        receiver.wait_for(15)
        wait_until(lambda: outbox.pending_count() == 0, 20, "the outbox to empty")
    finally:
        worker.stop()
        receiver.stop()
        outbox.close()
    bodies = unique(receiver.received)
    assert [b["call"]["id"] for b in bodies] == list(range(1, 16))
    assert len(receiver.received) == 15  # nothing sent twice while all went well
    retried = [r for r in receiver.received if r.json()["call"]["id"] == 6]
    assert int(retried[0].headers["x-softphone-delivery"]) >= 4


def test_server_errors_are_retried_and_nothing_is_reordered(tmp_path: Path) -> None:
    failures = {"left": 3}

    def answer(request: Any) -> tuple[int, Any]:
        if request.json()["call"]["id"] == 2 and failures["left"]:
            failures["left"] -= 1
            return 503, {"error": "busy"}
        return 200, {}

    with Receiver(answer) as receiver:
        outbox, worker, publisher = make_worker(tmp_path, receiver.url)
        worker.start()
        try:
            for i in (1, 2, 3):
                publisher.publish("ringing", {"id": i})
            receiver.wait_for(6)
            wait_until(lambda: outbox.pending_count() == 0, 20, "the outbox to empty")
        finally:
            worker.stop()
            outbox.close()
    order = [r.json()["call"]["id"] for r in receiver.received]
    assert order == [1, 2, 2, 2, 2, 3]


def test_pending_events_survive_a_restart_of_the_outbox(tmp_path: Path) -> None:
    receiver = Receiver()  # not started: down
    outbox, worker, publisher = make_worker(tmp_path, receiver.url, initial=10, maximum=10)
    for i in range(1, 4):
        publisher.publish("ended", {"id": i})
    outbox.close()  # no worker ever ran: as if the app died at once
    with receiver:
        outbox, worker, _publisher = make_worker(tmp_path, receiver.url)
        worker.start()
        try:
            receiver.wait_for(3)
        finally:
            worker.stop()
            outbox.close()
    assert [b["call"]["id"] for b in unique(receiver.received)] == [1, 2, 3]


def test_backoff_doubles_up_to_the_maximum() -> None:
    assert [backoff(n, 5, 600) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(30, 5, 600) == 600
    assert backoff(10_000, 5, 600) == 600
