"""A call refused for lack of a common codec leaves a trace (issue 14 item 4): a real baresip
offering only G.726-32 (a codec the phone lacks) calls the real engine; pjsua answers 488
before any account sees the INVITE; the call is logged as a failed incoming call with the
reason, and History, the missed-call inbox and the status bar show it."""

from __future__ import annotations

from typing import Any

import pytest

from softphone.sip.events import IncomingCallRefused
from tests.ui.conftest import db_call, engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_codec_mismatch_is_logged_and_shown(qtbot: Any, app: Any, engine: Any,
                                            make_baresip: Any) -> None:
    window = app.window
    db_call(qtbot, app, lambda s: s.create_contact(
        "Gleb Kodekov", phones=[("+7 495 777-00-11", "work")]))
    peer = make_baresip(user="+74957770011", auto_answer=False, codecs="G726-32/8000/1",
                        modules=("g726.so",))
    refused: list[Any] = []
    app.bridge.sip_event.connect(
        lambda e: refused.append(e) if isinstance(e, IncomingCallRefused) else None)
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: bool(refused), timeout=10_000)
    assert refused[0].code == 488 and refused[0].offered == ("G726-32/8000",)
    assert not window.cards  # it never rang

    def logged() -> Any:
        rows = db_call(qtbot, app, lambda s: s.list_calls(limit=5))
        return rows[0] if rows else None

    qtbot.waitUntil(lambda: logged() is not None, timeout=5000)
    row = logged()
    assert (row.direction, row.outcome, row.sip_status) == ("in", "failed", 488)
    assert row.contact_name == "Gleb Kodekov" and row.number == "+74957770011"
    assert row.end_reason == "offered: G726-32/8000"
    assert "refused" in window.statusBar().currentMessage()
    assert "G726-32/8000" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.missed.table.rowCount() == 1, timeout=5000)
    assert window.missed.table.item(0, 0).text() == "Gleb Kodekov"
    window.tabs.setCurrentWidget(window.history)
    qtbot.waitUntil(lambda: window.history.table.rowCount() == 1, timeout=5000)
    outcome = window.history.table.item(0, 4).text()
    assert "failed" in outcome and "no common codec" in outcome and "G726-32/8000" in outcome
