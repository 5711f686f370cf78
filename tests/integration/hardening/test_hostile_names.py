"""Hostile caller identities over real SIP (and, for what SIP cannot carry, a direct feed):
shown as plain text, never interpreted, the layout intact, logged with the same text.

The UI helper's ``tests/ui/test_cards_and_widgets.py::test_hostile_caller_name_is_plain_text``
checks one card built from a workflow event; this takes the whole path: a real phone (baresip)
with that display name calls the app process, whose window shows the card.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone.settings import AccountSettings, CrmSettings, Settings, SipSettings
from tests.harness.ports import free_port
from tests.harness.sip_flood import send_invite
from tests.harness.sip_peers import Baresip
from tests.integration.hardening.apps import AppProcess, wait_for
from tests.integration.hardening.conftest import need

RLO = "\u202e"
HOSTILE_OVER_SIP = {
    "html": '<img src="http://evil.example/x.png"><a href="http://evil.example">Pay now</a>',
    "rich text": "<b>Bold</b> <i>boss</i> <font color=red>&amp;</font> <h1>BIG</h1>",
    "right-to-left override": f"Ivan {RLO}gnp.exe{RLO} Petrov",
}
HOSTILE_FED = {
    "control characters": "Ann\x00\x07\x08\x1b[31m\r\nBeep\x7f\u200b\ufeff",
    "10,000 characters": "W" * 10_000,
    "10,000 characters of markup": "<b>x</b>" * 1250,
}

# Snippet run in the app: every visible caller card and what it shows.
CARDS = """
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
area = window.screen().availableGeometry()
result = []
for call_id, card in window.cards.items():
    labels = [l for l in card.findChildren(QLabel) if l.text()]
    result.append({
        "call_id": call_id,
        "name": card.name_label.text(),
        "plain": all(l.textFormat() == Qt.TextFormat.PlainText for l in labels),
        "links": any(l.openExternalLinks() for l in labels),
        "rich": [l.objectName() for l in labels if l.textFormat() != Qt.TextFormat.PlainText],
        "width": card.frameGeometry().width(),
        "height": card.frameGeometry().height(),
        "inside": area.contains(card.frameGeometry()),
        "screen_width": area.width(),
        "window": list(window.geometry().getRect()),
        "visible": card.isVisible(),
        "buttons": all(b.isVisible() and card.rect().contains(b.geometry())
                       for b in (card.answer_button, card.decline_button)),
    })
"""


class NamedBaresip(Baresip):
    """baresip whose From header carries ``display`` as the display name."""

    def __init__(self, display: str, **kw: Any) -> None:
        super().__init__(**kw)
        self.display = display

    def _account_line(self) -> str:
        quoted = self.display.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" {super()._account_line()}'


@pytest.fixture
def make_named_baresip(tmp_path: Path) -> Iterator[Callable[[str], NamedBaresip]]:
    need("baresip")
    made: list[NamedBaresip] = []

    def make(display: str) -> NamedBaresip:
        peer = NamedBaresip(display, user="caller", auto_answer=False,
                            workdir=tmp_path / f"baresip-{len(made)}")
        made.append(peer)
        return peer.start()

    yield make
    for peer in reversed(made):
        peer.stop()


def _rows(app: AppProcess) -> list[str]:
    return app.run(  # type: ignore[no-any-return]
        "import sqlite3\n"
        "con = sqlite3.connect(str(parts.profile / 'softphone.sqlite3'))\n"
        "result = [r[0] for r in con.execute('SELECT display_name FROM calls ORDER BY id')]\n"
        "con.close()")


def _check_card(app: AppProcess, raw: str, window_rect: list[int], label: str) -> None:
    cards = app.wait(f"{CARDS}\nresult = [c for c in result if c['visible']]", 15.0,
                     f"the caller card ({label})")
    card = cards[-1]
    print(f"{label}: card shows {len(card['name'])} chars, plain text: {card['plain']}, "
          f"{card['width']} x {card['height']} px (screen {card['screen_width']} wide), "
          f"inside the screen: {card['inside']}, main window {card['window']} (was {window_rect})")
    assert card["name"] == raw
    assert card["plain"], card["rich"]
    assert not card["links"]
    assert card["width"] <= card["screen_width"]
    assert card["inside"]
    assert card["buttons"], "answer/decline not visible inside the card"
    assert card["window"] == window_rect


def test_hostile_names_from_real_callers_and_a_direct_feed(
        make_app: Callable[..., AppProcess],
        make_named_baresip: Callable[[str], NamedBaresip]) -> None:
    port = free_port()
    app = make_app(Settings(
        sip=SipSettings(listen_host="127.0.0.1", listen_port=port, rtp_port=free_port()),
        accounts=(AccountSettings(name="LAN", address="sip:agent@127.0.0.1"),),
        crm=CrmSettings(default_region="RU", agent="tester")))
    app.wait("result = parts.db.store is not None", 20.0, "the store")
    window_rect = app.run("result = list(window.geometry().getRect())")
    expected: list[str] = []
    print()
    for label, raw in HOSTILE_OVER_SIP.items():
        peer = make_named_baresip(raw)
        peer.dial(f"sip:agent@127.0.0.1:{port}")
        _check_card(app, raw, window_rect, f"over SIP, {label}")
        app.run("window.phone.decline(next(iter(window.cards)))")
        app.wait("result = not window.cards", 10.0, "the card to close")
        expected.append(raw)
        peer.stop()
    # A caller (a raw INVITE on the wire) whose display name is not valid UTF-8: shown and
    # logged with U+FFFD where the bad bytes were.
    send_invite("127.0.0.1", port, "Bad \udcff\udcfe UTF-8 \udcc3( caller")
    _check_card(app, "Bad \ufffd\ufffd UTF-8 \ufffd( caller", window_rect,
                "over SIP, invalid UTF-8")
    app.run("window.phone.decline(next(iter(window.cards)))")
    app.wait("result = not window.cards", 10.0, "the card to close")
    expected.append("Bad \ufffd\ufffd UTF-8 \ufffd( caller")
    # What SIP cannot carry (NUL, bare CR/LF) or what no phone would send: emitted on the
    # engine's bridge signal, so the workflow and the window get it exactly as from a call.
    for n, (label, raw) in enumerate(HOSTILE_FED.items()):
        call_id = 90_000 + n
        app.run(
            "import time\n"
            "from softphone.sip import events as ev\n"
            f"parts.bridge.sip_event.emit(ev.IncomingCall(at=time.time(), call_id={call_id}, "
            f"account='LAN', remote_uri='sip:+74950001122@127.0.0.1', display_name={raw!r}, "
            "number='+74950001122'))")
        _check_card(app, raw, window_rect, f"fed, {label}")
        app.run(
            "import time\n"
            "from softphone.sip import events as ev\n"
            f"parts.bridge.sip_event.emit(ev.CallStateChanged(at=time.time(), call_id={call_id}, "
            "account='LAN', direction=ev.Direction.INCOMING, state=ev.CallState.DISCONNECTED, "
            f"remote_uri='sip:+74950001122@127.0.0.1', display_name={raw!r}, "
            "number='+74950001122', code=487))")
        app.wait("result = not window.cards", 10.0, "the card to close")
        expected.append(raw)
    wait_for(lambda: len(_rows(app)) >= len(expected), 10.0, "every call in the log")
    rows = _rows(app)
    print(f"call log: {len(rows)} rows; display names logged unchanged: "
          f"{[r == e for r, e in zip(rows, expected, strict=False)]}")
    assert rows == expected
