"""Voicemail and chat in a real system tray (private Xvfb + trayer, the app on xcb in its own
process): the tooltip says how many voicemails and unread messages wait, the icon asks for
attention, and the menu's Voicemail item calls the mailbox the PBX named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.harness import x11
from tests.harness.raw_sip import RawSip, message_summary
from tests.harness.sip_peers import wait_until
from tests.ui.test_tray import (  # noqa: F401  (fixtures)
    TRAY_STATE,
    app_on_xcb,
    choose,
    display,
    docked_icon,
    tray,
)

pytestmark = [pytest.mark.ui, pytest.mark.integration]


def test_voicemail_and_unread_messages_in_the_tray(tmp_path: Path, display: str,  # noqa: F811
                                                   tray: x11.Tray) -> None:  # noqa: F811
    app = app_on_xcb(tmp_path, display)
    try:
        app.start()
        icon = docked_icon(tray)
        listen = app.wait("result = engine is not None and engine.running and "
                          "engine.listen_address", 30.0, "the engine to listen")
        host, port = listen.rsplit(":", 1)
        with RawSip("pbx", answers={"INVITE": 486}) as pbx:
            # a PBX's unasked NOTIFY names the mailbox; a colleague writes
            mailbox = f"sip:*97@127.0.0.1:{pbx.port}"
            answer = pbx.request(
                "NOTIFY", f"sip:agent@{listen}", (host, int(port)), to=f"sip:agent@{listen}",
                headers={"Event": "message-summary", "Subscription-State": "active"},
                body=message_summary(3, 0, mailbox),
                content_type="application/simple-message-summary")
            assert answer.code == 200
            answer = pbx.request("MESSAGE", f"sip:agent@{listen}", (host, int(port)),
                                 to=f"sip:agent@{listen}", body="Call me back, please",
                                 content_type="text/plain")
            assert answer.code == 200

            def tray_says() -> list[Any] | None:
                tip, statuses = app.run(TRAY_STATE)
                return [tip, statuses] if ("Voicemail: 3 new" in tip
                                           and "Unread messages: 1" in tip) else None

            _tip, statuses = wait_until(tray_says, 15.0, "the tray's tooltip")
            assert statuses == ["missed"], statuses  # the attention icon
            assert app.run("result = window.office_pbx.voicemail.action.text()") == \
                "Voicemail (3)"
            # the menu's Voicemail item calls the mailbox the NOTIFY named
            choose(app, display, icon, "window.office_pbx.voicemail.action")
            invite = pbx.wait_for("INVITE", 10.0)
            assert invite.first_line.startswith(f"INVITE {mailbox}"), invite.first_line
            app.wait("result = not engine.active_calls()", 10.0, "the busy mailbox's call end")
    finally:
        app.close()
