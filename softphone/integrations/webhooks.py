"""Outgoing webhooks: each call event POSTed as JSON to the company's URL, signed, from the outbox.

The body (UTF-8 JSON)::

    {"event_id": "9f0c...", "sequence": 17, "event": "ended",
     "occurred_at": "2026-11-02T10:15:04.120000+00:00",
     "call": { ...the fields of `softphone calls list --json`... }}

``event`` is ``ringing`` (an incoming call rings here, or a call is dialled: ``call.direction``
tells), ``answered``, ``ended`` (``call.outcome`` says how) or ``wrapup`` (the agent saved the
call's wrap-up: ``call.wrapup``). Events of one phone arrive in order (``sequence`` grows);
the same event may arrive twice after a crash or a lost answer: ``event_id`` is the same then.

Headers: ``X-Softphone-Event``, ``X-Softphone-Event-Id``, ``X-Softphone-Delivery`` (attempt
number, from 1) and, with a secret set, ``X-Softphone-Signature-256: sha256=<hex>``: the
HMAC-SHA256 of the exact body bytes with the secret as key (as GitHub signs its webhooks).
Any 2xx answer means delivered; anything else (or no answer in ``timeout`` seconds) is retried.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

from softphone.integrations.http import HttpClient, HttpError, json_body
from softphone.integrations.outbox import Outbox, OutboxEvent, RetryLater

TARGET = "webhooks"
SIGNATURE_HEADER = "X-Softphone-Signature-256"


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    digest = hmac.new(secret.encode("utf-8"), body, "sha256").hexdigest()
    return f"sha256={digest}"


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """For receivers (and tests): whether ``header`` is the body's signature with ``secret``."""
    return bool(header) and hmac.compare_digest(sign(secret, body), str(header))


def event_body(event: OutboxEvent) -> bytes:
    payload = dict(event.payload)
    return json_body({"event_id": event.event_id, "sequence": event.seq,
                      "event": payload.get("event", event.kind),
                      "occurred_at": payload.get("occurred_at"), "call": payload.get("call")})


class WebhookTarget:
    """Turns call events into outbox entries and delivers them to one URL."""

    name = TARGET

    def __init__(self, url: str, secret: str | None, *, events: tuple[str, ...],
                 timeout: float = 10.0, verify_tls: bool = True) -> None:
        self.url = url
        self.secret = secret
        self.events = events
        self.client = HttpClient(timeout=timeout, verify_tls=verify_tls)

    def operations(self, kind: str, call: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        if kind not in self.events:
            return []
        occurred = datetime.now(UTC).isoformat()
        return [(kind, {"event": kind, "occurred_at": occurred, "call": call})]

    def send(self, event: OutboxEvent, outbox: Outbox) -> None:
        body = event_body(event)
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "X-Softphone-Event": event.kind, "X-Softphone-Event-Id": event.event_id,
                   "X-Softphone-Delivery": str(event.attempts + 1)}
        if self.secret:
            headers[SIGNATURE_HEADER] = sign(self.secret, body)
        try:
            response = self.client.request("POST", self.url, body, headers, follow=False)
        except HttpError as exc:
            raise RetryLater(str(exc)) from None
        if not response.ok:
            raise RetryLater(f"HTTP {response.status} {response.reason}".strip())
