"""The call panel's figures: a jitter the engine could not measure right is left out, not
shown as a number (sip/rtcp_clock.py)."""

from __future__ import annotations

from typing import Any

import pytest

from softphone.sip.events import CallQuality, CallState, CallStateChanged, Direction


@pytest.mark.parametrize("jitter, shown", [(0.6, "opus/48000, loss 0.0%, jitter 1 ms"),
                                           (None, "opus/48000, loss 0.0%")])
def test_the_panel_shows_the_jitter_only_when_measured(qtbot: Any, jitter: float | None,
                                                       shown: str) -> None:
    from softphone.ui.call_panel import CallPanel
    from softphone.workflow import CallWorkflow
    from softphone.workflow_ports import SyncDbRunner
    from tests.unit.test_workflow import FakeStore

    updates: list[Any] = []
    workflow = CallWorkflow(SyncDbRunner(FakeStore()), updates.append)
    for state in (CallState.INCOMING, CallState.CONFIRMED):
        workflow.on_sip_event(CallStateChanged(
            at=0.0, call_id=7, account="office", direction=Direction.INCOMING, state=state,
            remote_uri="sip:100@pbx", display_name="", number="100"))
    panel = CallPanel()
    qtbot.addWidget(panel)
    live = CallQuality(at=0.0, call_id=7, codec="opus/48000", jitter_ms=jitter)
    panel.quality_source = lambda call_id: live if call_id == 7 else None
    panel.set_calls([updates[-1].call], 7)
    assert panel.quality_label.text() == shown
