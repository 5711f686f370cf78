"""An integration that cannot start says so in the status bar; the phone and the other
integrations go on (here: click-to-call's port is taken by another program)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from softphone.integrations.config import ClickToCallSettings, IntegrationSettings
from softphone.settings import CrmSettings, Settings

pytestmark = [pytest.mark.ui, pytest.mark.integration]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.fixture
def settings(busy_port: int) -> Settings:
    return Settings(crm=CrmSettings(default_region="RU", agent="tester"),
                    integrations=IntegrationSettings(
                        click_to_call=ClickToCallSettings(enabled=True, port=busy_port)))


def test_a_taken_click_to_call_port_is_told_and_nothing_else_breaks(qtbot: Any, app: Any,
                                                                    busy_port: int) -> None:
    messages: list[str] = []
    app.window.statusBar().messageChanged.connect(messages.append)
    qtbot.waitUntil(lambda: app.integrations is not None
                    and bool(app.integrations.service.problems), timeout=10_000)
    (problem,) = app.integrations.service.problems
    assert problem.startswith("click-to-call:")
    qtbot.waitUntil(lambda: any(m.startswith("Not started: click-to-call") for m in messages)
                    or app.window.statusBar().currentMessage().startswith("Not started"),
                    timeout=5000)
    assert app.integrations.service.click_to_call is None


def test_new_settings_restart_the_integrations_without_losing_an_event(
        qtbot: Any, app: Any, tmp_path: Any) -> None:
    import dataclasses

    from softphone.app import apply_settings
    from softphone.integrations.config import WebhookSettings
    from softphone.integrations.outbox import Outbox

    qtbot.waitUntil(lambda: app.integrations is not None
                    and bool(app.integrations.service.problems), timeout=10_000)
    old = app.integrations
    hooks = WebhookSettings(url="http://127.0.0.1:9/hook", secret="s3cret")  # nobody there
    new_settings = dataclasses.replace(app.settings, integrations=dataclasses.replace(
        app.settings.integrations, webhooks=hooks))
    apply_settings(app, new_settings, {})
    # while the old ones stop, an event is still written down
    if app.workflow.call_events is not None:
        app.workflow.call_events("ringing", {"id": 1})
    qtbot.waitUntil(lambda: app.integrations is not None and app.integrations is not old,
                    timeout=15_000)
    service = app.integrations.service
    qtbot.waitUntil(lambda: service.worker is not None and service.worker.running,
                    timeout=10_000)
    qtbot.waitUntil(lambda: old.service.outbox is None, timeout=10_000)
    app.workflow.call_events("ended", {"id": 1})
    outbox = Outbox.in_profile(app.profile)
    try:
        kinds = [e.kind for e in reversed(outbox.events(target="webhooks"))]
    finally:
        outbox.close()
    assert kinds[-1] == "ended" and kinds.count("ended") == 1
