#!/usr/bin/env python3
"""Screenshots of the app's screens, made from real calls, into docs/screenshots/.

    .venv/bin/python scripts/screenshots.py                          # light and dark, 100 %
    QT_SCALE_FACTOR=2 .venv/bin/python scripts/screenshots.py --suffix @2x --themes light

What is on the pictures is what the product produced: the app runs with its real engine,
registered with a real kamailio; real baresip phones call it and are called (ringing, answered,
busy), so the codec, the call quality figures and the level meters are the ones the call had;
the sound devices are those of a JACK dummy server (the microphone hears a JACK tone, the
speaker the far end's tone). Contacts and tasks are sample CRM data; every call in the history
and the statistics is one the script made. Needs what ``scripts/bootstrap.sh test`` installs
(kamailio, baresip, jackd). The dark pictures use the dark scheme as the app does when the
desktop is dark (softphone/ui/theme.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SOFTPHONE_KEYRING", "file")
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

#: name, company, position, number: the callers are baresip phones with these numbers
CONTACTS = [
    ("Ann Lee", "Acme Corp", "Purchasing manager", "+12125550101"),
    ("Boris Ivanov", "Acme Corp", "CTO", "+12125550102"),
    ("Carol Diaz", "Globex", "Owner", "+14155550199"),
    ("Dmitry Sokolov", "Initech", "Office manager", "+74951234567"),
    ("Eve Martin", None, None, "+442079460958"),
    ("Frank Moreau", "Umbrella", "Head of IT", "+33123456789"),
]
UNKNOWN = "+16465550142"
BUSY = "+12125550177"


def seed(store: Any) -> list[int]:
    """Sample contacts, a deal and tasks (no calls: every call is made for real)."""
    ids = []
    for name, company, position, phone in CONTACTS:
        c = store.create_contact(name, company=company, position=position,
                                 phones=[(phone, "work")], tags=["customer"])
        ids.append(c.id)
    store.add_deal(title="20 seats, annual", stage="proposal", amount=None, contact_id=ids[0],
                   company_id=None)
    now = datetime.now(UTC)
    local = now.astimezone()
    for kind, title, due, who in (
            ("call_back", "Send the quote and call back", now - timedelta(days=1, hours=2), 0),
            ("meeting", "Demo at Globex", now + timedelta(hours=3), 2),
            ("call_back", "Ask about the board's decision",
             (local + timedelta(days=1)).replace(hour=11, minute=0), 1),
            ("todo", "Prepare the contract draft",
             (local + timedelta(days=3)).replace(hour=15, minute=30), 0)):
        store.add_task(kind=kind, title=title, due_at=due, contact_id=ids[who], call_id=None,
                       number=CONTACTS[who][3])
    return ids


class Shots:
    def __init__(self, app: Any, out: Path, suffix: str) -> None:
        self.app, self.out, self.suffix = app, out, suffix
        self.theme = ""
        self.made: list[str] = []

    def pump(self, seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.01)

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.app.processEvents()
            value = condition()
            if value:
                return value
            time.sleep(0.02)
        raise TimeoutError(f"timed out waiting for {what}")

    def __call__(self, widget: Any, name: str) -> None:
        self.pump(0.4)
        dark = "-dark" if self.theme == "dark" else ""
        path = self.out / f"{name}{dark}{self.suffix}.png"
        widget.grab().save(str(path))
        self.made.append(path.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--suffix", default="", help="added to every file name, e.g. @2x")
    parser.add_argument("--themes", default="light,dark", help="light, dark or both")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from tests.harness.jack import JackHarness, JackServer
    from tests.harness.ports import free_port
    from tests.harness.sip_peers import PASSWORD, Baresip, Kamailio

    work = Path(tempfile.mkdtemp(prefix="softphone-shots-"))
    peers: list[Baresip] = []
    with Kamailio(workdir=work / "kamailio") as kamailio, \
            JackServer(workdir=work / "jack") as jack:
        os.environ.update(jack.env())  # the app's PortAudio sees the JACK server
        with JackHarness(jack, inputs=1, tone_hz=440.0, level=0.25) as mic:

            def phone(number: str, **kw: Any) -> Baresip:
                peer = Baresip(user=number, workdir=work / f"baresip-{len(peers)}",
                               register_with=kamailio, tone_hz=523,
                               codecs="opus/48000/2,G722,PCMU", modules=("opus.so",), **kw)
                peers.append(peer)
                return peer.start()

            try:
                return run(args, out, work, kamailio, jack, mic, phone, PASSWORD, free_port)
            finally:
                for peer in peers:
                    peer.stop()


def run(args: Any, out: Path, work: Path, kamailio: Any, jack: Any, mic: Any,
        phone: Callable[..., Any], password: str, free_port: Callable[..., int]) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setApplicationDisplayName("Softphone")
    from softphone.app import create_parts, shutdown
    from softphone.crm.store import Store
    from softphone.settings import (
        AccountSettings,
        CrmSettings,
        Settings,
        SipSettings,
        UiSettings,
    )
    from softphone.ui.first_start import attach_first_start
    from softphone.ui.theme import ColorSchemeFollower

    profile = work / "profile"
    profile.mkdir()
    store = Store.open(None, profile, "US", "agent")
    seed(store)
    store.close()
    settings = Settings(
        sip=SipSettings(listen_host="127.0.0.1", listen_port=free_port()),
        accounts=(AccountSettings(name="Office", address=kamailio.aor("1001"),
                                  registrar=kamailio.uri, username="1001", password=password),
                  AccountSettings(name="LAN", address="sip:1001@127.0.0.1")),
        crm=CrmSettings(default_region="US", agent="agent"),
        ui=UiSettings(first_start_page=False))
    parts = create_parts(profile, settings, use_secrets=False)
    window = parts.window
    window.resize(1000, 680)
    window.show()
    shots = Shots(app, out, args.suffix)
    shots.wait(lambda: parts.db.store is not None, "the store")
    shots.wait(lambda: "Office: registered" in window.account_label.text(),
               "the Office account to register", 30)
    follower = ColorSchemeFollower(app)
    ann, boris, carol = phone(CONTACTS[0][3]), phone(CONTACTS[1][3], auto_answer=False), \
        phone(CONTACTS[2][3])
    dmitry, stranger = phone(CONTACTS[3][3], auto_answer=False), phone(UNKNOWN)
    busy = phone(BUSY, auto_answer=False)
    me = kamailio.aor("1001")

    def no_calls() -> None:
        shots.wait(lambda: not window.workflow.calls() and not window.cards, "the calls to end")
        if window.phone_page.currentWidget() is window.wrapup:
            window.wrapup.skip_button.click()
        shots.pump(0.3)

    def connect_microphone() -> None:
        for port in jack.wait_ports("softphone:in_", timeout=10):
            jack.connect(mic.out_port, port)

    def take(theme: str) -> None:
        shots.theme = theme
        follower.apply(Qt.ColorScheme.Dark if theme == "dark" else Qt.ColorScheme.Light)
        window.statusBar().clearMessage()

        # an incoming call from a contact: the card, the call, the wrap-up
        since = len(ann.events)
        ann.dial(me)
        shots.wait(lambda: window.cards, "Ann's card")
        card = next(iter(window.cards.values()))
        shots.wait(lambda: card.call.caller is not None, "the card's lookup")
        shots(card, "caller-card")
        card.answer_button.click()
        ann.wait_event("CALL_ESTABLISHED", since=since)
        connect_microphone()
        panel = window.call_panel
        shots.wait(lambda: panel.quality_label.text(),
                   "the call's quality figures", 20)
        shots.wait(lambda: panel.output_combo.count() > 1, "the sound devices")
        shots.wait(lambda: panel.speaker_meter.level() > 0.01 and panel.mic_meter.level() > 0.01,
                   "sound both ways")
        shots.wait(lambda: panel.talk_seconds() >= 4, "a few seconds of talk")
        window.call_panel.keypad_button.setChecked(True)
        shots(window, "in-call")
        window.call_panel.keypad_button.setChecked(False)
        panel.hangup_button.click()
        shots.wait(lambda: window.phone_page.currentWidget() is window.wrapup, "the wrap-up")
        window.wrapup.outcome_buttons["Interested"].click()
        window.wrapup.note_edit.setPlainText("Wants a quote for 20 seats; decides on Friday.")
        window.wrapup.callback_3d.click()
        shots(window, "wrap-up")
        window.wrapup.skip_button.click()
        no_calls()

        # an unknown caller who gives up: the card, then a missed call
        stranger.dial(me)
        shots.wait(lambda: window.cards, "the stranger's card")
        card = next(iter(window.cards.values()))
        shots.wait(lambda: card.call.caller is not None, "the card's lookup")
        shots(card, "caller-card-unknown")
        stranger.hangup()
        no_calls()

        # calling out: progress, then busy with Redial and Call from another account.
        # A peer's events are those of every pass: each wait looks only at the events after
        # its own dial (the dark pass used to find the light pass's CALL_INCOMING, hang up
        # before its own call arrived, and leave it ringing instead of busy).
        since = len(boris.events)
        window.dial_field.setText(CONTACTS[1][3])
        window.dial_field.submitted.emit(window.dial_field.text())
        shots.wait(lambda: window.outgoing.bar.text_label.text() == "Ringing…",
                   "Boris's phone to ring")
        boris.wait_event("CALL_INCOMING", since=since)
        shots(window, "calling")
        boris.accept()
        shots.wait(lambda: any(c.answered_at for c in window.workflow.calls()), "Boris")
        shots.pump(3.0)
        window.phone.hangup_current()
        no_calls()
        since = len(busy.events)
        window.dial_field.setText(BUSY)
        window.dial_field.submitted.emit(window.dial_field.text())
        busy.wait_event("CALL_INCOMING", since=since)
        busy.hangup()
        shots.wait(lambda: window.outgoing.bar.failed, "the busy answer")
        said = window.outgoing.bar.text_label.text()
        if said != "Busy (486)":  # no picture of some other failure under this name
            raise RuntimeError(f"the busy peer's call ended with {said!r}, not Busy (486)")
        no_calls()
        shots(window, "call-failed")
        window.outgoing.bar.dismiss()

        # a few more calls for the history: answered out, missed in
        since = len(carol.events)
        window.phone.dial(CONTACTS[2][3])
        carol.wait_event("CALL_ESTABLISHED", since=since)
        shots.pump(5.0)
        window.phone.hangup_current()
        no_calls()
        dmitry.dial(me)
        shots.wait(lambda: window.cards, "Dmitry's card")
        dmitry.hangup()
        no_calls()

        # the idle phone with its dial pad, and the tabs
        window.tabs.setCurrentWidget(window.phone_page)
        window.dial_field.setText("+1 212 555 01")
        shots(window, "phone-idle")
        window.dial_field.clear()
        for tab, name in ((window.contacts, "contacts"), (window.history, "history"),
                          (window.missed, "missed"), (window.tasks, "tasks"),
                          (window.stats, "statistics")):
            window.tabs.setCurrentWidget(tab)
            tab.refresh()
            shots.pump(0.8)
            shots(window, name)
        window.tabs.setCurrentWidget(window.phone_page)

        # import: the preview (detected encoding, delimiter, columns), the summary
        sample = work / f"customers-{theme}.csv"
        sample.write_bytes(("ФИО;Телефон;Компания;Город\r\n"  # an Excel export (Windows-1251)
                            "Иван Петров;8 (495) 111-22-33;Ромашка;Москва\r\n"
                            "Анна Смирнова;+7 916 555-12-34;;Тверь\r\n"
                            "Без телефона;;Ромашка;Москва\r\n"
                            "Олег Сидоров;8-812-555-66-77;Нева;Санкт-Петербург\r\n"
                            ).encode("cp1251"))
        from softphone.ui.import_dialog import open_import_dialog

        dialog = open_import_dialog(window, sample)
        shots.wait(lambda: dialog.preview is not None, "the preview")
        shots(dialog, "import-preview")
        dialog.start_import()
        shots.wait(lambda: dialog.pages.currentWidget() is dialog.summary_page, "the import")
        shots(dialog, "import-summary")
        dialog.accept()

        # settings
        window.open_settings()
        shots.pump(0.5)
        shots(window.settings_dialog, "settings")
        window.settings_dialog.tabs.setCurrentIndex(3)
        shots(window.settings_dialog, "settings-calls")
        window.settings_dialog.close()

        # the first start of a new profile, with the Test button's real answer
        page = attach_first_start(window)
        window.tabs.setCurrentWidget(window.phone_page)
        page.server.setText(f"127.0.0.1:{kamailio.port}")
        page.user.setText("1002")
        page.password.setText(password)
        page.test_button.click()
        shots.wait(lambda: page.test_button.isEnabled(), "the account test", 30)
        shots(window, "first-start")
        window.phone_page.setCurrentWidget(window.idle_page)
        window.phone_page.removeWidget(page)
        page.deleteLater()
        window.first_start = None


    for theme in [t.strip() for t in args.themes.split(",") if t.strip()]:
        take(theme)

    follower.apply(Qt.ColorScheme.Light)
    window.quitting = True
    shutdown(parts)
    import sounddevice  # PortAudio lets go of JACK before the JACK server stops

    sounddevice._terminate()
    print("\n".join(str(out / s) for s in shots.made))
    return 0


if __name__ == "__main__":
    sys.exit(main())
