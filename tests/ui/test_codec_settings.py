"""Settings → Audio → Codecs: the order chosen in the dialog is saved to softphone.toml and is
what the running engine offers next (the SDP of its next INVITE)."""

from __future__ import annotations

import re
import socket
import tomllib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from softphone.app import apply_settings
from softphone.settings import DEFAULT_CODECS, load_settings

pytestmark = [pytest.mark.ui]


def _offered(sdp: str) -> list[str]:
    """Encoding names in the order of the audio m= line's payload types."""
    m = re.search(r"m=audio \d+ \S+ ([\d ]+)", sdp)
    assert m, sdp
    names = dict(re.findall(r"a=rtpmap:(\d+) ([^/\s]+)", sdp))
    static = {"0": "PCMU", "8": "PCMA", "9": "G722", "3": "GSM"}
    return [names.get(pt, static.get(pt, pt)) for pt in m.group(1).split()]


def _our_offer(app: Any) -> list[str]:
    """The INVITE's SDP, caught by a bare UDP socket in the callee's place (it never
    answers: the call is cancelled)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(10.0)
        call_id = app.engine.dial(f"sip:bob@127.0.0.1:{sock.getsockname()[1]}")
        try:
            data = sock.recv(65536).decode(errors="replace")
        finally:
            app.engine.hangup(call_id)
    assert data.startswith("INVITE "), data[:200]
    return _offered(data)


def test_codec_order_from_the_dialog_reaches_the_file_and_the_offer(
        qtbot: Any, app: Any, profile_dir: Path) -> None:
    offer = _our_offer(app)
    assert offer[:4] == ["opus", "G722", "PCMA", "PCMU"], offer  # the default order

    window = app.window
    window.open_settings()
    dialog = window.settings_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    editor = dialog.codec_order
    names = [editor.list.item(i).data(Qt.ItemDataRole.UserRole)
             for i in range(editor.list.count())]
    assert names[:4] == list(DEFAULT_CODECS)
    editor.list.setCurrentRow(names.index("PCMA"))
    qtbot.mouseClick(editor.up_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.up_button, Qt.MouseButton.LeftButton)  # PCMA first
    editor.list.item(1).setCheckState(Qt.CheckState.Unchecked)    # Opus no longer preferred
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    try:
        data = tomllib.loads((profile_dir / "softphone.toml").read_text())
        assert data["audio"]["codecs"] == ["PCMA", "G722", "PCMU"]
        assert load_settings(profile_dir).audio.codecs == ("PCMA", "G722", "PCMU")
        offer = _our_offer(app)
        assert offer[:3] == ["PCMA", "G722", "PCMU"], offer
        assert "opus" in offer  # still offered, after the preferred ones
    finally:  # the engine is shared by the session's tests
        apply_settings(app, load_settings(profile_dir).__class__(), {})
