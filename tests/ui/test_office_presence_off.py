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
