"""``[office] presence = false``: the app neither announces itself nor lists colleagues (a
laptop on a public network), while the rest of the office features still start."""

from __future__ import annotations

from typing import Any

import pytest

from softphone.settings import CrmSettings, OfficeSettings, Settings

pytestmark = [pytest.mark.ui]


@pytest.fixture
def settings() -> Settings:
    return Settings(crm=CrmSettings(default_region="RU", agent="tester"),
                    office=OfficeSettings(presence=False))


def test_presence_off_announces_nothing(qtbot: Any, app: Any) -> None:
    qtbot.waitUntil(lambda: app.office.office is not None, timeout=10_000)
    assert app.office.office.presence is None
    assert not app.office.office.problems
    view = app.window.colleagues
    app.window.tabs.setCurrentWidget(view)
    assert view.empty_label.isVisible() and not view.table.isVisible()
    assert not view.call_button.isEnabled() and not view.transfer_button.isEnabled()
    assert "presence is turned off" in view.empty_label.text()


def test_turning_presence_on_in_the_settings_restarts_the_office(qtbot: Any, app: Any,
                                                                 profile_dir: Any) -> None:
    import dataclasses

    from softphone.app import apply_settings

    qtbot.waitUntil(lambda: app.office.office is not None, timeout=10_000)
    old = app.office.office
    on = dataclasses.replace(app.settings, office=OfficeSettings(presence=True))
    apply_settings(app, on, {})
    qtbot.waitUntil(lambda: app.office.office is not None and app.office.office is not old,
                    timeout=5000)
    assert app.office.office.presence is not None
    assert app.office.office.presence.registered.wait(10)
    assert "No colleagues found" in app.window.colleagues.empty_label.text()
