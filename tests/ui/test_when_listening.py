"""The instance server's gate (ui/when_listening.py): it opens once the phone listens, or once
its start failed, and only once; events come from the SIP thread as in the app."""

from __future__ import annotations

import gc
import threading
import time
from typing import Any

from PySide6.QtCore import QObject

from softphone.sip.events import EngineError, EngineStarted
from softphone.ui.bridge import SipBridge
from softphone.ui.when_listening import WhenPhoneListens


class _Engine:
    running = False


def _from_sip_thread(bridge: SipBridge, event: Any) -> None:
    thread = threading.Thread(target=bridge, args=(event,))
    thread.start()
    thread.join()


def test_opens_when_the_engine_listens(qtbot: Any) -> None:
    bridge = SipBridge()
    ran: list[int] = []
    owner = QObject()  # as the app does: the window owns it, no Python reference is kept
    WhenPhoneListens(bridge, _Engine(), lambda: ran.append(threading.get_ident()), owner)
    gc.collect()
    _from_sip_thread(bridge, EngineError(at=time.time(), message="busy", command="dial"))
    qtbot.wait(50)
    assert ran == []  # not an event about the start
    _from_sip_thread(bridge, EngineStarted(at=time.time(), listen="127.0.0.1:5060"))
    qtbot.waitUntil(lambda: bool(ran), timeout=5000)
    _from_sip_thread(bridge, EngineStarted(at=time.time(), listen="127.0.0.1:5060"))
    qtbot.wait(50)
    assert ran == [threading.get_ident()]  # once, on the UI thread


def test_opens_when_the_start_failed(qtbot: Any) -> None:
    bridge = SipBridge()
    ran: list[bool] = []
    gate = WhenPhoneListens(bridge, _Engine(), lambda: ran.append(True))
    _from_sip_thread(bridge, EngineError(at=time.time(), message="port taken", command="start"))
    qtbot.waitUntil(lambda: ran == [True], timeout=5000)
    del gate


def test_opens_at_once_without_an_engine_or_with_a_running_one(qtbot: Any) -> None:
    ran: list[str] = []
    WhenPhoneListens(SipBridge(), None, lambda: ran.append("none"))
    running = _Engine()
    running.running = True
    WhenPhoneListens(SipBridge(), running, lambda: ran.append("running"))
    assert ran == ["none", "running"]
