"""Webhooks: the signature a receiver checks, the body and headers it gets (over a real local
server), which events are queued, and what is retried."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from pathlib import Path

import pytest
from local_http import LocalServer

from softphone.integrations.outbox import Outbox, OutboxEvent, RetryLater
from softphone.integrations.webhooks import (
    SIGNATURE_HEADER,
    WebhookTarget,
    event_body,
    sign,
    signature_matches,
)


def _event(attempts: int = 0) -> OutboxEvent:
    return OutboxEvent(seq=17, event_id="9f0c", target="webhooks", kind="ended",
                       payload={"event": "ended", "occurred_at": "2026-11-02T10:15:04+00:00",
                                "call": {"id": 5, "outcome": "answered"}},
                       created_at=0.0, attempts=attempts, next_at=0.0)


def test_the_signature_is_hmac_sha256_of_the_exact_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign("s3cret", body) == f"sha256={expected}"
    assert signature_matches("s3cret", body, f"sha256={expected}")
    assert not signature_matches("s3cret", body + b" ", f"sha256={expected}")
    assert not signature_matches("other", body, f"sha256={expected}")
    assert not signature_matches("s3cret", body, None)
    assert not signature_matches("s3cret", body, "")


def test_the_body_carries_id_sequence_event_time_and_call() -> None:
    assert json.loads(event_body(_event())) == {
        "event_id": "9f0c", "sequence": 17, "event": "ended",
        "occurred_at": "2026-11-02T10:15:04+00:00", "call": {"id": 5, "outcome": "answered"}}


def test_only_the_chosen_events_are_queued() -> None:
    target = WebhookTarget("http://x.invalid/", None, events=("ended",))
    assert target.operations("ringing", {"id": 1}) == []
    ((kind, payload),) = target.operations("ended", {"id": 1})
    assert kind == "ended" and payload["event"] == "ended" and payload["call"] == {"id": 1}
    assert payload["occurred_at"].endswith("+00:00")  # UTC, with its offset


def test_a_delivery_is_posted_signed_with_its_headers(local_server: LocalServer,
                                                      tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        WebhookTarget(f"{local_server.url}/hook", "s3cret",
                      events=("ended",)).send(_event(attempts=2), box)
    finally:
        box.close()
    (seen,) = local_server.requests
    assert (seen.method, seen.path) == ("POST", "/hook")
    assert seen.body == event_body(_event())
    assert signature_matches("s3cret", seen.body, seen.headers[SIGNATURE_HEADER.lower()])
    assert seen.headers["x-softphone-event"] == "ended"
    assert seen.headers["x-softphone-event-id"] == "9f0c"
    assert seen.headers["x-softphone-delivery"] == "3"  # the third attempt
    assert seen.headers["content-type"].startswith("application/json")


def test_without_a_secret_nothing_is_signed(local_server: LocalServer, tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        WebhookTarget(local_server.url, None, events=("ended",)).send(_event(), box)
    finally:
        box.close()
    assert SIGNATURE_HEADER.lower() not in local_server.requests[0].headers


@pytest.mark.parametrize("status", [302, 404, 500])
def test_anything_but_2xx_is_retried(local_server: LocalServer, tmp_path: Path,
                                     status: int) -> None:
    local_server.answer(status, Location="/elsewhere")
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        with pytest.raises(RetryLater, match=f"HTTP {status}"):
            WebhookTarget(local_server.url, None, events=("ended",)).send(_event(), box)
    finally:
        box.close()
    assert len(local_server.requests) == 1  # a redirect is not followed with the body


def test_an_unreachable_receiver_is_retried(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    box = Outbox(tmp_path / "o.sqlite3")
    try:
        with pytest.raises(RetryLater, match="connection refused"):
            WebhookTarget(f"http://127.0.0.1:{port}/", None, events=("ended",)).send(
                _event(), box)
    finally:
        box.close()
