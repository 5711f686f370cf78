"""Widgets without the network: the caller card with a real store (switchboard number,
hostile names), the wrap-up autosave debounce, charts, the port fallback and IPC commands."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from softphone.app import choose_sip_settings
from softphone.settings import SipSettings
from softphone.sip import events as ev
from softphone.ui.caller_card import CallerCard
from softphone.ui.stats import BarChart
from softphone.ui.wrapup import WrapupPanel
from softphone.workflow import CallWorkflow
from softphone.workflow_ports import SyncDbRunner
from softphone.workflow_updates import WorkflowUpdate

pytestmark = [pytest.mark.ui]


@pytest.fixture
def store(profile_dir: Path) -> Any:
    from softphone.crm.store import Store

    s = Store.open(None, profile_dir, "RU", "tester")
    yield s
    s.close()


def _incoming(number: str, name: str = "") -> ev.IncomingCall:
    return ev.IncomingCall(at=time.time(), call_id=1, account="LAN",
                           remote_uri=f"sip:{number}@pbx", display_name=name, number=number)


def test_switchboard_number_shows_the_company_and_its_people(qtbot: Any, store: Any) -> None:
    store.create_contact("Ivan Petrov", company="Stroymash", phones=[("+7 495 100-00-00",
                                                                      "switchboard")])
    store.create_contact("Olga Smirnova", company="Stroymash",
                         phones=[("8 495 100 00 00", "switchboard")])
    updates: list[WorkflowUpdate] = []
    wf = CallWorkflow(SyncDbRunner(store), updates.append)
    wf.on_sip_event(_incoming("+74951000000"))
    call = updates[-1].call
    assert call is not None and call.caller is not None
    card = CallerCard(call)
    qtbot.addWidget(card)
    assert call.caller.contact is None and call.caller.known
    assert card.name_label.text() == "Stroymash"
    assert "Ivan Petrov" in card.people_label.text()
    assert "Olga Smirnova" in card.people_label.text()
    assert not card.people_label.isHidden()
    assert card.why_label.text() == "a company number"
    assert card.unknown_box.isHidden()


def test_hostile_caller_name_is_plain_text(qtbot: Any, store: Any) -> None:
    hostile = '<img src="http://evil/x.png"><a href="x">Pay now</a>'
    updates: list[WorkflowUpdate] = []
    wf = CallWorkflow(SyncDbRunner(store), updates.append)
    wf.on_sip_event(_incoming("+74950000001", hostile))
    card = CallerCard(updates[-1].call)
    qtbot.addWidget(card)
    assert card.name_label.text() == hostile
    for label in card.findChildren(QLabel):
        if label.text():
            assert label.textFormat() == Qt.TextFormat.PlainText, label.objectName()


def test_card_is_a_frameless_tool_window_on_top(qtbot: Any, store: Any) -> None:
    updates: list[WorkflowUpdate] = []
    CallWorkflow(SyncDbRunner(store), updates.append).on_sip_event(_incoming("+74950000002"))
    card = CallerCard(updates[-1].call)
    qtbot.addWidget(card)
    flags = card.windowFlags()
    for flag in (Qt.WindowType.WindowStaysOnTopHint, Qt.WindowType.FramelessWindowHint,
                 Qt.WindowType.Tool):
        assert flags & flag
    assert card.testAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
    assert not card.unknown_box.isHidden()


def test_wrapup_autosave_is_debounced(qtbot: Any) -> None:
    panel = WrapupPanel(("Sold", "Lost"), save_delay_ms=300)
    qtbot.addWidget(panel)
    panel.start(title="X", summary="", call_id=1)
    saves: list[tuple[str, str, str]] = []
    panel.changed.connect(lambda *a: saves.append(a))
    qtbot.keyClicks(panel.note_edit, "hello")
    assert saves == []  # still typing
    qtbot.waitUntil(lambda: len(saves) == 1, timeout=2000)
    assert saves[0] == ("", "", "hello")
    qtbot.mouseClick(panel.outcome_buttons["Sold"], Qt.MouseButton.LeftButton)
    assert saves[-1] == ("Sold", "", "hello")  # a chip saves at once
    qtbot.keyClicks(panel.reason_edit, "price")
    panel.flush()  # closing or switching saves what is pending
    assert saves[-1] == ("Sold", "price", "hello")


def test_bar_chart_paints(qtbot: Any) -> None:
    chart = BarChart("Calls per day")
    qtbot.addWidget(chart)
    chart.resize(400, 240)
    chart.set_bars([("11-20", 3, "3"), ("11-21", 0, "0"), ("11-22", 7, "7")])
    assert not chart.grab().isNull()
    chart.horizontal = True
    assert not chart.grab().isNull()


def test_busy_listen_port_falls_back_with_a_notice() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        sip, notice = choose_sip_settings(SipSettings(listen_host="127.0.0.1",
                                                      listen_port=port))
    assert sip.listen_port == 0
    assert str(port) in notice and "another softphone" in notice
    sip, notice = choose_sip_settings(SipSettings(listen_host="127.0.0.1", listen_port=0))
    assert notice == ""


def test_account_status_in_the_status_bar(qtbot: Any, app: Any) -> None:
    window = app.window
    window.on_sip_event(ev.RegistrationChanged(at=time.time(), account="Office",
                                               state=ev.RegistrationState.FAILED, code=403,
                                               reason="Forbidden"))
    assert "Office: failed (403 Forbidden)" in window.account_label.text()
    window.on_sip_event(ev.RegistrationChanged(at=time.time(), account="Office",
                                               state=ev.RegistrationState.REGISTERED,
                                               code=200))
    assert "Office: registered" in window.account_label.text()


@pytest.mark.integration
def test_instance_commands_dial_answer_and_errors(qtbot: Any, app: Any, make_baresip: Any,
                                                  peer_port: int) -> None:
    from softphone.app import handle_command
    from softphone.ipc import CommandError

    with pytest.raises(CommandError):
        handle_command(app, "answer", [])
    with pytest.raises(CommandError):
        handle_command(app, "dial", ["not a <number>"])
    peer = make_baresip(user="+74955550088", auto_answer=True, port=peer_port)
    assert "calling" in handle_command(app, "dial", ["+74955550088"])
    peer.wait_event("CALL_ESTABLISHED", timeout=10)
    qtbot.waitUntil(lambda: app.window.call_panel.state_label.text() == "Talking",
                    timeout=5000)
    assert handle_command(app, "hangup", []) == "hung up"
    qtbot.waitUntil(lambda: not app.window.workflow.calls(), timeout=5000)
    assert handle_command(app, "dnd", ["on"]) == "do not disturb is on"
    assert app.window.dnd_action.isChecked()
    handle_command(app, "dnd", ["off"])
