"""Attended transfer (consult first, then complete) and merging calls, from the call panel,
against two engine processes (they honour REFER/Replaces) on the real engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from softphone.sip.events import CallState

pytestmark = [pytest.mark.ui, pytest.mark.integration]


@pytest.fixture
def peers(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    from tests.integration.sip.engine_proc import EngineProcess, lan_account

    with EngineProcess(tmp_path, accounts=[lan_account("alice")],
                       calls={"auto_answer": True}, name="alice") as alice, \
            EngineProcess(tmp_path, accounts=[lan_account("carol")],
                          calls={"auto_answer": True}, name="carol") as carol:
        yield alice, carol


def _confirmed(window: Any) -> list[Any]:
    return [c for c in window.workflow.calls() if c.state == CallState.CONFIRMED]


def test_consult_then_complete_the_transfer(qtbot: Any, app: Any,
                                            peers: tuple[Any, Any]) -> None:
    alice, carol = peers
    window = app.window
    panel = window.call_panel
    first = window.dial(f"sip:alice@{alice.listen}")
    qtbot.waitUntil(lambda: panel.state_label.text() == "Talking", timeout=10_000)
    qtbot.keyClicks(panel.transfer_field, f"sip:carol@{carol.listen}")
    ma, mc = alice.mark(), carol.mark()
    qtbot.mouseClick(panel.consult_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(_confirmed(window)) == 2 and panel.current is not None
                    and panel.current.call_id != first
                    and panel.current.state == CallState.CONFIRMED, timeout=10_000)
    assert window.workflow.call(first).held
    assert panel.complete_button.isVisible()
    qtbot.mouseClick(panel.complete_button, Qt.MouseButton.LeftButton)
    new_a = alice.wait_for(lambda e: e.get("event") == "CallStateChanged"
                           and e.get("state") == "confirmed" and "carol" in e["remote_uri"],
                           10.0, "alice talking to carol", since=ma)
    carol.wait_for(lambda e: e.get("event") == "CallStateChanged"
                   and e.get("state") == "confirmed" and "alice" in e["remote_uri"],
                   10.0, "carol talking to alice", since=mc)
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
    alice.command("hangup", call_id=new_a["call_id"])


def test_merge_two_calls_into_a_conference(qtbot: Any, app: Any,
                                           peers: tuple[Any, Any]) -> None:
    alice, carol = peers
    window = app.window
    panel = window.call_panel
    first = window.dial(f"sip:alice@{alice.listen}")
    qtbot.waitUntil(lambda: len(_confirmed(window)) == 1, timeout=10_000)
    second = window.dial(f"sip:carol@{carol.listen}")
    qtbot.waitUntil(lambda: len(_confirmed(window)) == 2, timeout=10_000)
    qtbot.waitUntil(lambda: window.workflow.call(first).held, timeout=5000)
    assert panel.conference_button.isEnabled()
    qtbot.mouseClick(panel.conference_button, Qt.MouseButton.LeftButton)
    # both calls are up and off hold: one conversation
    qtbot.waitUntil(lambda: not window.workflow.call(first).held
                    and not window.workflow.call(second).held, timeout=10_000)
    assert len(_confirmed(window)) == 2
    window.phone.hangup(first)
    window.phone.hangup(second)
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
