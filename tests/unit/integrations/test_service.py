"""The running app's integrations, Qt-free: what starts for which settings, a part that cannot
start listed while the others run, secrets from the store, call events reaching a real local
receiver through the outbox, click-to-call answering, CardDAV failures reported."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from local_http import LocalServer

from softphone.integrations.config import (
    Bitrix24Settings,
    CardDavSettings,
    ClickToCallSettings,
    DirectorySettings,
    IntegrationSettings,
    OutboxSettings,
    WebhookSettings,
)
from softphone.integrations.service import Integrations
from softphone.integrations.webhooks import signature_matches
from softphone.settings import Settings
from tests.harness.fakes import MemorySecretStore


def _settings(**parts: Any) -> Settings:
    return Settings(integrations=replace(IntegrationSettings(), **parts))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_integrations_are_wanted_only_when_one_is_on() -> None:
    assert not Integrations.wanted(Settings())
    assert not Integrations.wanted(_settings(bitrix24=Bitrix24Settings(enabled=False)))
    for part in (dict(webhooks=WebhookSettings(url="http://h/")),
                 dict(directory=DirectorySettings(url="ldap://h", base_dn="dc=x")),
                 dict(carddav=CardDavSettings(url="http://h/")),
                 dict(click_to_call=ClickToCallSettings(enabled=True)),
                 dict(bitrix24=Bitrix24Settings(enabled=True, user_id=1))):
        assert Integrations.wanted(_settings(**part)), part


def test_a_call_event_reaches_the_receiver_signed_with_the_secret_from_the_store(
        tmp_path: Path, local_server: LocalServer) -> None:
    arrived = threading.Event()
    local_server.route = lambda seen: (arrived.set(), local_server.default)[1]
    settings = _settings(webhooks=WebhookSettings(url=f"{local_server.url}/hook",
                                                  events=("ended",)))
    secrets = MemorySecretStore({"integration:webhooks": "k3y"})
    integrations = Integrations(tmp_path, settings, secrets)
    integrations.start()
    try:
        integrations.publish_call_event("answered", {"id": 1})  # not wanted: not sent
        integrations.publish_call_event("ended", {"id": 1, "outcome": "answered"})
        assert arrived.wait(10)
    finally:
        integrations.stop()
    (seen,) = local_server.requests
    assert json.loads(seen.body)["call"] == {"id": 1, "outcome": "answered"}
    assert signature_matches("k3y", seen.body, seen.headers["x-softphone-signature-256"])
    assert integrations.problems == [] and integrations.outbox is None  # closed at stop
    assert (tmp_path / "outbox.sqlite3").exists()


def test_events_wait_on_disk_for_a_receiver_that_is_down(tmp_path: Path) -> None:
    statuses: list[Any] = []
    failed = threading.Event()

    def on_status(status: Any) -> None:
        statuses.append(status)
        failed.set()

    settings = _settings(webhooks=WebhookSettings(url=f"http://127.0.0.1:{_closed_port()}/",
                                                  timeout=5),
                         outbox=OutboxSettings(retry_initial=60, retry_max=60))
    integrations = Integrations(tmp_path, settings, None, on_outbox_status=on_status)
    integrations.start()
    try:
        integrations.publish_call_event("ringing", {"id": 2})
        assert failed.wait(10)
        assert "connection refused" in statuses[0].last_error
        assert integrations.outbox.pending_count("webhooks") == 1
    finally:
        integrations.stop()


def test_a_part_that_cannot_start_is_listed_and_the_others_run(tmp_path: Path) -> None:
    problems: list[str] = []
    settings = _settings(bitrix24=Bitrix24Settings(enabled=True, user_id=1),
                         directory=DirectorySettings(url="ldap://127.0.0.1:1",
                                                     base_dn="dc=example"))
    integrations = Integrations(tmp_path, settings, MemorySecretStore(), on_problem=problems.append)
    integrations.start()
    try:
        assert problems == ["outbox: Bitrix24 is on but its webhook URL is not set "
                            "(softphone integrations secret bitrix24)"]
        assert integrations.problems == problems
        assert integrations.directory is not None
        assert integrations.directory.base_dn == "dc=example"
    finally:
        integrations.stop()


def test_click_to_call_dials_with_the_profiles_token(tmp_path: Path) -> None:
    dialled: list[str] = []
    store = MemorySecretStore()
    settings = _settings(click_to_call=ClickToCallSettings(enabled=True, port=0))
    integrations = Integrations(tmp_path, settings, store,
                                dial=lambda n: (dialled.append(n), (True, "ok"))[1])
    integrations.start()
    try:
        server = integrations.click_to_call
        assert server is not None
        token = integrations.click_to_call_token
        assert token and store.values["integration:click_to_call"] == token
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            conn.request("GET", f"/dial?number=101&token={token}")
            assert conn.getresponse().status == 200
        finally:
            conn.close()
    finally:
        integrations.stop()
    assert dialled == ["101"] and integrations.click_to_call is None


def test_click_to_call_without_a_store_gets_a_token_for_this_run(tmp_path: Path) -> None:
    settings = _settings(click_to_call=ClickToCallSettings(enabled=True, port=0))
    integrations = Integrations(tmp_path, settings, None, dial=lambda n: (True, ""))
    integrations.start()
    try:
        assert integrations.click_to_call_token
    finally:
        integrations.stop()
    nothing_to_dial = Integrations(tmp_path, settings, None)  # no dial: no server
    nothing_to_dial.start()
    assert nothing_to_dial.click_to_call is None
    nothing_to_dial.stop()


def test_a_carddav_server_that_is_down_is_reported_and_synced_on_demand(
        tmp_path: Path) -> None:
    failures: list[str] = []
    failed = threading.Event()

    def on_failed(text: str) -> None:
        failures.append(text)
        failed.set()

    settings = _settings(carddav=CardDavSettings(
        url=f"http://127.0.0.1:{_closed_port()}/dav/", interval=0, timeout=5))
    integrations = Integrations(tmp_path / "profile", settings, MemorySecretStore(),
                                on_sync_failed=on_failed)
    integrations.start()
    try:
        assert integrations.carddav is not None
        integrations.store_opened()
        assert failed.wait(20)
        failed.clear()
        integrations.carddav.sync_now()  # interval 0: only on demand
        assert failed.wait(20)
    finally:
        integrations.stop()
    assert len(failures) == 2 and "connection refused" in failures[0]
    assert integrations.carddav.last_error == failures[-1]


def test_nothing_configured_starts_nothing(tmp_path: Path) -> None:
    integrations = Integrations(tmp_path, Settings(), MemorySecretStore())
    integrations.start()
    integrations.publish_call_event("ended", {"id": 1})  # no publisher: ignored
    integrations.stop()
    assert (integrations.outbox, integrations.directory, integrations.carddav,
            integrations.click_to_call) == (None, None, None, None)
    assert not (tmp_path / "outbox.sqlite3").exists()


@pytest.fixture(autouse=True)
def _no_thread_left() -> Any:
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()
            and t.name in ("outbox", "click-to-call", "carddav-sync")]
    assert not left, left
