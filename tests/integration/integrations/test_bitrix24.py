"""The Bitrix24 adapter against a local HTTP server that checks each REST request's shape the way
the portal documents it (telephony.externalcall.register / finish, externalCall.attachRecord):
a call is registered, finished with its duration and status, and its recording attached; a
portal that is down gets them later, in order; a finish is never sent twice."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest

from softphone.integrations.bitrix24 import Bitrix24Target
from softphone.integrations.call_events import CallEventPublisher
from softphone.integrations.outbox import Outbox, OutboxWorker
from tests.harness.http_receiver import Received, Receiver
from tests.harness.sip_peers import wait_until

pytestmark = pytest.mark.integration
HOOK = "/rest/7/abc123secretcode/"


class Portal:
    """What the portal checks; CALL_IDs it handed out; finished calls."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}
        self.finished: list[str] = []
        self.records: dict[str, bytes] = {}
        self.problems: list[str] = []

    def __call__(self, request: Received) -> tuple[int, Any]:
        m = re.fullmatch(re.escape(HOOK) + r"([\w.]+)\.json", request.path)
        if request.method != "POST" or not m:
            return 404, {"error": "ERROR_METHOD_NOT_FOUND"}
        if not request.headers.get("content-type", "").startswith("application/json"):
            self.problems.append("not JSON")
        method, params = m.group(1).lower(), request.json()
        if method != "telephony.externalcall.attachrecord" and params.get("USER_ID") != 7:
            self.problems.append(f"{method}: USER_ID {params.get('USER_ID')!r}")
        if method == "telephony.externalcall.register":
            for key, kind in (("PHONE_NUMBER", str), ("TYPE", int), ("CALL_START_DATE", str),
                              ("CRM_CREATE", int), ("SHOW", int)):
                if not isinstance(params.get(key), kind):
                    self.problems.append(f"register: {key}={params.get(key)!r}")
            if params.get("TYPE") not in (1, 2):
                self.problems.append("register: TYPE")
            if not re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", params.get("CALL_START_DATE", "")):
                self.problems.append("register: CALL_START_DATE is not ISO 8601")
            call_id = f"externalCall.{len(self.calls) + 1:032x}.1700000000"
            self.calls[call_id] = params
            return 200, {"result": {"CALL_ID": call_id, "CRM_CREATED_LEAD": None,
                                    "CRM_ENTITY_TYPE": "CONTACT", "CRM_ENTITY_ID": 12}}
        call_id = params.get("CALL_ID")
        if call_id not in self.calls:
            return 400, {"error": "ERROR_NOT_FOUND", "error_description": "Call is not found"}
        if method == "telephony.externalcall.finish":
            if not isinstance(params.get("DURATION"), int) or \
                    not isinstance(params.get("STATUS_CODE"), str):
                self.problems.append(f"finish: {params}")
            if call_id in self.finished:
                self.problems.append("finished twice")
            self.finished.append(call_id)
            return 200, {"result": {"CALL_ID": call_id, "CALL_DURATION": params["DURATION"]}}
        if method == "telephony.externalcall.attachrecord":
            if call_id not in self.finished:
                self.problems.append("a record before the finish")
            if not str(params.get("FILENAME", "")).endswith((".wav", ".mp3")):
                self.problems.append(f"FILENAME {params.get('FILENAME')!r}")
            self.records[call_id] = base64.b64decode(params["FILE_CONTENT"])
            return 200, {"result": {"FILE_ID": 55}}
        return 404, {"error": "ERROR_METHOD_NOT_FOUND"}


def make(tmp_path: Path, url: str) -> tuple[Outbox, OutboxWorker, CallEventPublisher]:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    target = Bitrix24Target(url + HOOK, user_id=7, crm_create=True, show_card=False)
    worker = OutboxWorker(outbox, {target.name: target}, retry_initial=0.05, retry_max=0.3)
    return outbox, worker, CallEventPublisher(outbox, [target], worker.wake)


def call(i: int, **kw: Any) -> dict[str, Any]:
    return {"id": i, "direction": "in", "number": "+74951234567", "remote_uri": "",
            "started_at": "2026-11-02T10:15:04+00:00", "outcome": None, "talk_seconds": None,
            "sip_status": None, "recording_path": None, **kw}


def test_a_recorded_call_is_registered_finished_and_its_recording_attached(
        tmp_path: Path) -> None:
    wav = tmp_path / "call 1.wav"
    wav.write_bytes(b"RIFF....WAVEfmt " + bytes(range(256)) * 8)
    portal = Portal()
    with Receiver(portal) as receiver:
        outbox, worker, publisher = make(tmp_path, receiver.url)
        worker.start()
        try:
            publisher.publish("ringing", call(1))
            publisher.publish("answered", call(1))  # nothing for Bitrix24
            publisher.publish("ended", call(1, outcome="answered", talk_seconds=93,
                                            sip_status=200, recording_path=str(wav)))
            publisher.publish("ringing", call(2, direction="out", number="+79161112233"))
            publisher.publish("ended", call(2, direction="out", outcome="busy",
                                            talk_seconds=0, sip_status=486))
            receiver.wait_for(5)
            wait_until(lambda: outbox.pending_count() == 0, 20, "the outbox to empty")
        finally:
            worker.stop()
            outbox.close()
    assert portal.problems == []
    paths = [r.path.removeprefix(HOOK) for r in receiver.received]
    assert paths == ["telephony.externalcall.register.json",
                     "telephony.externalcall.finish.json",
                     "telephony.externalCall.attachRecord.json",
                     "telephony.externalcall.register.json",
                     "telephony.externalcall.finish.json"]
    first, second = portal.calls
    assert portal.calls[first]["TYPE"] == 2 and portal.calls[second]["TYPE"] == 1
    finishes = [r.json() for r in receiver.received if "finish" in r.path]
    assert finishes[0]["CALL_ID"] == first and finishes[0]["DURATION"] == 93
    assert finishes[0]["STATUS_CODE"] == "200"
    assert finishes[1]["CALL_ID"] == second and finishes[1]["STATUS_CODE"] == "486"
    assert portal.records[first] == wav.read_bytes()


def test_a_portal_that_is_down_gets_the_calls_later_in_order(tmp_path: Path) -> None:
    portal = Portal()
    receiver = Receiver(portal)  # down
    outbox, worker, publisher = make(tmp_path, receiver.url)
    worker.start()
    try:
        publisher.publish("ringing", call(1))
        publisher.publish("ended", call(1, outcome="missed", talk_seconds=0))
        wait_until(lambda: (h := outbox.head("bitrix24")) and h.attempts >= 2, 20,
                   "failed attempts while the portal is down")
        receiver.start()
        receiver.wait_for(2)
        wait_until(lambda: outbox.pending_count() == 0, 20, "the outbox to empty")
    finally:
        worker.stop()
        receiver.stop()
        outbox.close()
    assert portal.problems == []
    assert [r.json().get("STATUS_CODE") for r in receiver.received] == [None, "304"]


def test_a_finish_the_portal_refuses_is_set_aside_and_the_rest_goes_on(tmp_path: Path) -> None:
    portal = Portal()
    with Receiver(portal) as receiver:
        outbox, worker, publisher = make(tmp_path, receiver.url)
        # a call registered before Bitrix24 was turned on: no CALL_ID to finish
        publisher.publish("ended", call(9, outcome="answered", talk_seconds=5))
        publisher.publish("ringing", call(10))
        worker.start()
        try:
            receiver.wait_for(1)
            wait_until(lambda: outbox.pending_count() == 0, 20, "the outbox to empty")
        finally:
            worker.stop()
        (refused,) = outbox.events(state="refused")
        outbox.close()
    assert "never registered" in refused.last_error
    assert [r.path.removeprefix(HOOK) for r in receiver.received] == [
        "telephony.externalcall.register.json"]
