"""Bitrix24: which REST calls a call becomes, their parameters, the CALL_ID carried from
register to finish and attachRecord, and which answers are retried or set aside — against a
real local HTTP server standing in for the portal."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_http import LocalServer

from softphone.integrations.bitrix24 import (
    ATTACH_RECORD,
    FINISH,
    REGISTER,
    TARGET,
    TYPE_INCOMING,
    TYPE_OUTGOING,
    Bitrix24Target,
    status_code,
)
from softphone.integrations.outbox import Outbox, OutboxEvent, Refused, RetryLater


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Outbox]:
    outbox = Outbox(tmp_path / "o.sqlite3")
    yield outbox
    outbox.close()


def _event(kind: str, payload: dict[str, object]) -> OutboxEvent:
    return OutboxEvent(seq=1, event_id="e", target=TARGET, kind=kind, payload=payload,
                       created_at=0.0, attempts=0, next_at=0.0)


def _ok(result: object) -> bytes:
    return json.dumps({"result": result}).encode()


@pytest.mark.parametrize(("call", "code"), [
    ({"outcome": "answered"}, "200"), ({"outcome": "missed"}, "304"),
    ({"outcome": "rejected"}, "603"), ({"outcome": "busy"}, "486"),
    ({"outcome": "failed", "sip_status": 404}, "404"),
    ({"outcome": "failed", "sip_status": 500}, "OTHER"), ({}, "OTHER")])
def test_status_code_maps_outcomes_and_known_sip_answers(call: dict[str, object],
                                                         code: str) -> None:
    assert status_code(call) == code


def test_a_ringing_incoming_call_is_registered_for_the_user() -> None:
    target = Bitrix24Target("https://portal/rest/1/code", user_id=5, show_card=True)
    ((method, payload),) = target.operations(
        "ringing", {"id": 3, "number": "+7999", "direction": "in",
                    "started_at": "2026-01-01T10:00:00"})
    assert method == REGISTER and payload["call"] == "3"
    assert payload["params"] == {"USER_ID": 5, "PHONE_NUMBER": "+7999", "TYPE": TYPE_INCOMING,
                                 "CALL_START_DATE": "2026-01-01T10:00:00", "CRM_CREATE": 1,
                                 "SHOW": 1}


def test_a_dialled_call_without_a_number_uses_its_uri_and_the_inner_number() -> None:
    target = Bitrix24Target("https://p/rest/1/c/", user_phone_inner="101", crm_create=False)
    ((_, payload),) = target.operations("ringing", {"id": 3, "remote_uri": "sip:bob@x",
                                                    "direction": "out"})
    params = payload["params"]
    assert params["USER_PHONE_INNER"] == "101" and "USER_ID" not in params
    assert params["PHONE_NUMBER"] == "sip:bob@x" and params["TYPE"] == TYPE_OUTGOING
    assert params["CRM_CREATE"] == 0 and params["SHOW"] == 0


def test_an_ended_call_finishes_then_attaches_its_recording() -> None:
    target = Bitrix24Target("https://p/rest/1/c/", user_id=1)
    ops = target.operations("ended", {"id": 3, "outcome": "busy", "sip_status": 486,
                                      "talk_seconds": None, "recording_path": "/r/a.wav"})
    assert [m for m, _ in ops] == [FINISH, ATTACH_RECORD]
    assert ops[0][1]["params"] == {"USER_ID": 1, "DURATION": 0, "STATUS_CODE": "486",
                                   "FAILED_REASON": "SIP 486 (busy)"}
    assert ops[1][1] == {"call": "3", "path": "/r/a.wav"}
    no_rec = Bitrix24Target("https://p/", user_id=1, attach_recordings=False)
    assert [m for m, _ in no_rec.operations("ended", {"id": 3, "recording_path": "/r"})] == [
        FINISH]
    assert target.operations("answered", {"id": 3}) == []


def test_register_remembers_the_call_id_and_finish_uses_it(local_server: LocalServer,
                                                          box: Outbox) -> None:
    target = Bitrix24Target(f"{local_server.url}/rest/1/code", user_id=1)
    local_server.answer(200, _ok({"CALL_ID": "externalCall.abc"}))
    local_server.answer(200, _ok(True))
    target.send(_event(REGISTER, {"call": "3", "params": {"USER_ID": 1, "PHONE_NUMBER": "1"}}),
                box)
    target.send(_event(FINISH, {"call": "3", "params": {"DURATION": 9}}), box)
    register, finish = local_server.requests
    assert register.path == "/rest/1/code/telephony.externalcall.register.json"
    assert json.loads(register.body) == {"USER_ID": 1, "PHONE_NUMBER": "1"}
    assert finish.path == "/rest/1/code/telephony.externalcall.finish.json"
    assert json.loads(finish.body) == {"CALL_ID": "externalCall.abc", "DURATION": 9}
    assert box.recall(TARGET, "call:3") == "externalCall.abc"


def test_a_recording_is_uploaded_base64_with_a_safe_file_name(
        local_server: LocalServer, box: Outbox, tmp_path: Path) -> None:
    recording = tmp_path / "call 3 (Иван)"
    recording.write_bytes(b"RIFF....WAVE")
    box.remember(TARGET, "call:3", "C1")
    local_server.answer(200, _ok(True))
    Bitrix24Target(local_server.url, user_id=1).send(
        _event(ATTACH_RECORD, {"call": "3", "path": str(recording)}), box)
    sent = json.loads(local_server.requests[0].body)
    assert local_server.requests[0].path == "/telephony.externalCall.attachRecord.json"
    assert sent["CALL_ID"] == "C1"
    assert base64.b64decode(sent["FILE_CONTENT"]) == b"RIFF....WAVE"
    assert sent["FILENAME"] == "call_3__Иван_.wav"


def test_a_recording_that_is_gone_is_set_aside(local_server: LocalServer, box: Outbox,
                                               tmp_path: Path) -> None:
    box.remember(TARGET, "call:3", "C1")
    with pytest.raises(Refused, match="cannot be read"):
        Bitrix24Target(local_server.url, user_id=1).send(
            _event(ATTACH_RECORD, {"call": "3", "path": str(tmp_path / "gone.wav")}), box)
    assert local_server.requests == []


def test_finish_without_a_registered_call_is_set_aside(local_server: LocalServer,
                                                       box: Outbox) -> None:
    with pytest.raises(Refused, match="never registered"):
        Bitrix24Target(local_server.url, user_id=1).send(
            _event(FINISH, {"call": "9", "params": {}}), box)
    assert local_server.requests == []


def test_register_without_a_call_id_is_set_aside(local_server: LocalServer,
                                                 box: Outbox) -> None:
    local_server.answer(200, _ok({"SOMETHING": 1}))
    with pytest.raises(Refused, match="without a CALL_ID"):
        Bitrix24Target(local_server.url, user_id=1).send(
            _event(REGISTER, {"call": "3", "params": {}}), box)


@pytest.mark.parametrize(("status", "body", "outcome"), [
    (503, b"", RetryLater),
    (429, b"{}", RetryLater),
    (401, json.dumps({"error": "expired_token", "error_description": "x"}).encode(), RetryLater),
    (400, json.dumps({"error": "QUERY_LIMIT_EXCEEDED"}).encode(), RetryLater),
    (200, b"<html>not json</html>", RetryLater),
    (400, json.dumps({"error": "ERROR_ARGUMENT", "error_description": "bad USER_ID"}).encode(),
     Refused),
    (200, json.dumps({"error": "WRONG_CALL_ID"}).encode(), Refused),
])
def test_which_answers_are_retried_and_which_set_aside(
        local_server: LocalServer, box: Outbox, status: int, body: bytes,
        outcome: type[Exception]) -> None:
    local_server.answer(status, body)
    box.remember(TARGET, "call:3", "C1")
    with pytest.raises(outcome, match=f"{FINISH}: HTTP {status}"):
        Bitrix24Target(local_server.url, user_id=1).send(
            _event(FINISH, {"call": "3", "params": {}}), box)


def test_an_unknown_operation_is_set_aside(box: Outbox) -> None:
    box.remember(TARGET, "call:3", "C1")
    with pytest.raises(Refused, match="unknown"):
        Bitrix24Target("http://127.0.0.1:9/", user_id=1).send(
            _event("crm.lead.add", {"call": "3"}), box)
