"""The Colleagues tab with real presence (mDNS on 127.0.0.1): another desk's Presence appears,
its state changes show, it disappears when it stops; ours follows our calls and DND; Call
dials the colleague's announced address and Transfer hands the current call to it (real
baresip and a second engine process as the peers).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from softphone.office.presence import Colleague, Presence

pytestmark = [pytest.mark.ui]


@pytest.fixture
def make_presence() -> Iterator[Callable[..., Presence]]:
    made: list[Presence] = []

    def make(name: str, uri: str, port: int,
             on_change: Callable[[list[Colleague]], None] | None = None) -> Presence:
        p = Presence(name, uri, port, ["127.0.0.1"], on_change or (lambda _c: None))
        p.start()
        made.append(p)
        return p

    yield make
    for p in made:
        p.stop()


def row_of(view: Any, name: str) -> int:
    for i, c in enumerate(view.colleagues):
        if c.name == name:
            return i
    return -1


def state_text(view: Any, name: str) -> str:
    row = row_of(view, name)
    return view.table.item(row, 3).text() if row >= 0 else ""


def wait_office(qtbot: Any, app: Any) -> None:
    qtbot.waitUntil(lambda: app.office.office is not None
                    and app.office.office.presence is not None, timeout=10_000)
    assert app.office.office.presence.registered.wait(10)


def test_colleague_appears_changes_state_and_leaves(qtbot: Any, app: Any,
                                                   make_presence: Any,
                                                   record_property: Any) -> None:
    window = app.window
    view = window.colleagues
    wait_office(qtbot, app)
    window.tabs.setCurrentWidget(view)
    name = f"Борис {uuid.uuid4().hex[:6]}"
    t0 = time.monotonic()
    boris = make_presence(name, "sip:102@127.0.0.1", 5999)
    qtbot.waitUntil(lambda: row_of(view, name) >= 0, timeout=10_000)
    appeared = (time.monotonic() - t0) * 1000
    record_property("colleague_appears_ms", round(appeared))
    print(f"\n[office ui] colleague appears: {appeared:.0f} ms")
    row = row_of(view, name)
    assert view.table.isVisible() and not view.empty_label.isVisible()
    assert [view.table.item(row, col).text() for col in range(4)] == [
        name, "102", "127.0.0.1", "available"]
    assert not view.table.item(row, 0).icon().isNull()
    assert view.colleagues[row].uri == "sip:102@127.0.0.1:5999"
    assert view.call_button.isEnabled() and not view.transfer_button.isEnabled()
    tab = window.tabs.tabText(window.tabs.indexOf(view))
    assert tab == f"Colleagues ({len(view.colleagues)})"

    for state, shown in (("in_call", "in a call"), ("dnd", "do not disturb"),
                         ("available", "available")):
        t0 = time.monotonic()
        boris.set_state(state)
        qtbot.waitUntil(lambda shown=shown: state_text(view, name) == shown, timeout=5000)
        print(f"[office ui] state {state}: {(time.monotonic() - t0) * 1000:.0f} ms")

    t0 = time.monotonic()
    boris.stop()
    qtbot.waitUntil(lambda: row_of(view, name) < 0, timeout=5000)
    gone = (time.monotonic() - t0) * 1000
    record_property("colleague_leaves_ms", round(gone))
    print(f"[office ui] colleague leaves: {gone:.0f} ms")
    # the IPC command of a running app lists the same colleagues
    from softphone.app import handle_command

    assert name not in handle_command(app, "colleagues", [])


def test_our_state_follows_calls_and_dnd(qtbot: Any, app: Any, make_presence: Any,
                                         make_baresip: Any) -> None:
    """What a colleague sees of us: in a call while we talk, DND when it is on."""
    wait_office(qtbot, app)
    seen: dict[str, Colleague] = {}
    port = int(app.engine.listen_address.rsplit(":", 1)[1])

    def on_change(colleagues: list[Colleague]) -> None:
        seen.clear()
        seen.update({c.id: c for c in colleagues if c.port == port})

    make_presence(f"observer {uuid.uuid4().hex[:6]}", "sip:199@127.0.0.1", 5998, on_change)

    def our_state() -> str:
        found = [c.state for c in list(seen.values())]
        return found[0] if found else ""

    qtbot.waitUntil(lambda: our_state() == "available", timeout=10_000)
    assert next(iter(seen.values())).name == "tester"
    peer = make_baresip(user="carol", auto_answer=True)
    app.window.dial(peer.uri)
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: our_state() == "in_call", timeout=5000)
    app.window.phone.hangup_current()
    qtbot.waitUntil(lambda: our_state() == "available", timeout=5000)
    app.window.dnd_action.setChecked(True)
    qtbot.waitUntil(lambda: our_state() == "dnd", timeout=5000)
    app.window.dnd_action.setChecked(False)
    qtbot.waitUntil(lambda: our_state() == "available", timeout=5000)


@pytest.mark.integration
def test_call_and_transfer_to_a_colleague(qtbot: Any, app: Any, make_presence: Any,
                                          make_baresip: Any, tmp_path: Path) -> None:
    """Call: double click dials the colleague's announced address. Transfer: during a call
    with dave (a second engine that honours REFER) the call goes to the colleague."""
    from tests.integration.sip.engine_proc import EngineProcess, lan_account

    window = app.window
    view = window.colleagues
    wait_office(qtbot, app)
    carol = make_baresip(user="carol", auto_answer=True)
    name = f"Carol {uuid.uuid4().hex[:6]}"
    make_presence(name, "sip:carol@127.0.0.1", carol.port)
    window.tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: row_of(view, name) >= 0, timeout=10_000)
    view.table.selectRow(row_of(view, name))
    rect = view.table.visualItemRect(view.table.item(row_of(view, name), 0))
    # a real double click: press, release, then the double-click event
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    carol.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: window.call_panel.state_label.text() == "Talking", timeout=10_000)
    assert len(window.workflow.calls()) == 1
    window.phone.hangup_current()
    qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
    window.wrapup.flush()

    with EngineProcess(tmp_path, accounts=[lan_account("dave")], calls={"auto_answer": True},
                       name="dave") as dave:
        window.dial(f"sip:dave@{dave.listen}")
        qtbot.waitUntil(lambda: window.call_panel.state_label.text() == "Talking",
                        timeout=10_000)
        window.tabs.setCurrentWidget(view)
        view.table.selectRow(row_of(view, name))
        qtbot.waitUntil(view.transfer_button.isEnabled, timeout=5000)
        since = len(carol.events)
        qtbot.mouseClick(view.transfer_button, Qt.MouseButton.LeftButton)
        assert "Transferring" in window.statusBar().currentMessage()
        qtbot.waitUntil(lambda: not window.workflow.calls(), timeout=10_000)
        carol.wait_event("CALL_ESTABLISHED", timeout=10, since=since)
        qtbot.waitUntil(lambda: "Transfer done" in window.statusBar().currentMessage(),
                        timeout=5000)
        assert not view.transfer_button.isEnabled()
