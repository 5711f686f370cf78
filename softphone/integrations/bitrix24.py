"""Bitrix24 telephony through an inbound webhook (REST), on the same outbox as webhooks.

Each call becomes, in order: ``telephony.externalcall.register`` when it rings or is dialled
(Bitrix24 answers with its ``CALL_ID``, which the outbox remembers for the call),
``telephony.externalcall.finish`` when it ends (duration, a status code from Bitrix24's table),
and ``telephony.externalCall.attachRecord`` with the WAV recording (base64) when there is one.
Every request is one outbox entry, so a portal that is down gets them all later, in order, and
a retried upload never finishes the call twice.

The webhook URL (``https://PORTAL/rest/USER/CODE/``, created in Bitrix24 under Developer
resources -> Inbound webhook, with the ``telephony`` scope) holds an access code: it lives in
the keyring like a password.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from softphone.integrations.http import HttpClient, HttpError, json_body
from softphone.integrations.outbox import Outbox, OutboxEvent, Refused, RetryLater

TARGET = "bitrix24"
REGISTER = "telephony.externalcall.register"
FINISH = "telephony.externalcall.finish"
ATTACH_RECORD = "telephony.externalCall.attachRecord"
TYPE_OUTGOING, TYPE_INCOMING = 1, 2
#: our outcome -> Bitrix24's STATUS_CODE (200 success, 304 missed, 603 declined, 486 busy ...)
_STATUS = {"answered": "200", "missed": "304", "no_answer": "304", "rejected": "603",
           "busy": "486", "interrupted": "304"}
#: errors that a person can fix on the portal (token, rights, limits): keep the events
_RETRY_ERRORS = {"QUERY_LIMIT_EXCEEDED", "NO_AUTH_FOUND", "INVALID_TOKEN", "EXPIRED_TOKEN",
                 "INSUFFICIENT_SCOPE", "ACCESS_DENIED", "PORTAL_DELETED", "INTERNAL_SERVER_ERROR",
                 "ERROR_MANIFEST_IS_NOT_AVAILABLE", "OVERLOAD_LIMIT"}


def status_code(call: dict[str, Any]) -> str:
    outcome = call.get("outcome") or ""
    if outcome in _STATUS:
        return _STATUS[outcome]
    sip = call.get("sip_status")
    if sip in (403, 404, 480, 484, 486, 503, 402, 423):
        return str(sip)
    return "OTHER"


class Bitrix24Target:
    name = TARGET

    def __init__(self, webhook_url: str, *, user_id: int | None = None,
                 user_phone_inner: str | None = None, crm_create: bool = True,
                 show_card: bool = False, attach_recordings: bool = True,
                 timeout: float = 30.0, verify_tls: bool = True) -> None:
        self.base = webhook_url.rstrip("/") + "/"
        self.user: dict[str, Any] = ({"USER_ID": user_id} if user_id is not None
                                     else {"USER_PHONE_INNER": user_phone_inner})
        self.crm_create = crm_create
        self.show_card = show_card
        self.attach_recordings = attach_recordings
        self.client = HttpClient(timeout=timeout, verify_tls=verify_tls)

    # --- call events -> REST calls (on the DB worker, when the event happens) ---------------
    def operations(self, kind: str, call: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        key = str(call.get("id"))
        if kind == "ringing":
            params = {
                **self.user,
                "PHONE_NUMBER": call.get("number") or call.get("remote_uri") or "",
                "TYPE": TYPE_INCOMING if call.get("direction") == "in" else TYPE_OUTGOING,
                "CALL_START_DATE": call.get("started_at"),
                "CRM_CREATE": 1 if self.crm_create else 0,
                "SHOW": 1 if self.show_card else 0,
            }
            return [(REGISTER, {"call": key, "params": params})]
        if kind != "ended":
            return []
        params = {**self.user, "DURATION": int(call.get("talk_seconds") or 0),
                  "STATUS_CODE": status_code(call)}
        if call.get("outcome") not in ("answered", None) and call.get("sip_status"):
            params["FAILED_REASON"] = f"SIP {call['sip_status']} ({call.get('outcome')})"
        ops = [(FINISH, {"call": key, "params": params})]
        path = call.get("recording_path")
        if path and self.attach_recordings:
            ops.append((ATTACH_RECORD, {"call": key, "path": str(path)}))
        return ops

    # --- delivery (on the outbox thread) -----------------------------------------------------
    def send(self, event: OutboxEvent, outbox: Outbox) -> None:
        payload = event.payload
        key = f"call:{payload['call']}"
        if event.kind == REGISTER:
            result = self._call(REGISTER, dict(payload["params"]))
            call_id = result.get("CALL_ID") if isinstance(result, dict) else None
            if not call_id:
                raise Refused(f"{REGISTER} answered without a CALL_ID: {result!r}"[:300])
            outbox.remember(TARGET, key, str(call_id))
            return
        call_id = outbox.recall(TARGET, key)
        if call_id is None:
            raise Refused("this call was never registered in Bitrix24 (no CALL_ID)")
        if event.kind == FINISH:
            self._call(FINISH, {"CALL_ID": call_id, **payload["params"]})
        elif event.kind == ATTACH_RECORD:
            path = Path(payload["path"])
            try:
                content = path.read_bytes()
            except OSError as exc:
                raise Refused(f"the recording {path} cannot be read: "
                              f"{exc.strerror or exc}") from None
            self._call(ATTACH_RECORD, {"CALL_ID": call_id, "FILENAME": _file_name(path),
                                       "FILE_CONTENT": base64.b64encode(content).decode()})
        else:
            raise Refused(f"unknown Bitrix24 operation {event.kind!r}")

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        try:
            response = self.client.request(
                "POST", f"{self.base}{method}.json", json_body(params),
                {"Content-Type": "application/json; charset=utf-8",
                 "Accept": "application/json"}, follow=False)
        except HttpError as exc:
            raise RetryLater(str(exc)) from None
        try:
            answer = json.loads(response.body or b"null")
        except ValueError:
            answer = None
        error = answer.get("error") if isinstance(answer, dict) else None
        if response.ok and error is None and isinstance(answer, dict) and "result" in answer:
            return answer["result"]
        description = answer.get("error_description", "") if isinstance(answer, dict) else ""
        text = f"{method}: HTTP {response.status}" + (f" {error}" if error else "") + (
            f": {description}" if description else "")
        if response.status >= 500 or response.status in (401, 403, 408, 429) or \
                str(error).upper() in _RETRY_ERRORS or not isinstance(answer, dict):
            raise RetryLater(text)
        raise Refused(text)


def _file_name(path: Path) -> str:
    name = re.sub(r"[^\w.-]", "_", path.name)
    return name if name.lower().endswith((".wav", ".mp3")) else f"{name}.wav"
