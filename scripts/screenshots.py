#!/usr/bin/env python3
"""Render screenshots of the main screens into docs/screenshots/ (for the README).

    .venv/bin/python scripts/screenshots.py                 # offscreen, 100 %
    QT_SCALE_FACTOR=2 .venv/bin/python scripts/screenshots.py --suffix @2x
    xvfb-run -a .venv/bin/python scripts/screenshots.py     # under a real X server

A temporary profile is filled with sample contacts and calls; the calls on screen are fed to
the call workflow as SIP events (no engine, no network), so the pictures are reproducible.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SOFTPHONE_KEYRING", "file")
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CONTACTS = [
    ("Ann Lee", "Acme Corp", "Purchasing manager", "+1 212 555 0101"),
    ("Boris Ivanov", "Acme Corp", "CTO", "+1 212 555 0102"),
    ("Carol Diaz", "Globex", "Owner", "+1 415 555 0199"),
    ("Dmitry Sokolov", "Initech", "Office manager", "+7 495 123-45-67"),
    ("Eve Martin", None, None, "+44 20 7946 0958"),
    ("Frank Moreau", "Umbrella", "Head of IT", "+33 1 23 45 67 89"),
]


def seed(profile: Path) -> None:
    """Sample contacts, deals, tasks and two weeks of calls."""
    import random

    from softphone.crm.store import Store

    rnd = random.Random(7)
    store = Store.open(None, profile, "US", "agent")
    ids = []
    for name, company, position, phone in CONTACTS:
        c = store.create_contact(name, company=company, position=position,
                                 phones=[(phone, "work")], tags=["customer"])
        ids.append(c.id)
    store.add_deal(title="20 seats, annual", stage="proposal", amount=None, contact_id=ids[0],
                   company_id=None)
    now = datetime.now(UTC)
    store.add_task(kind="call_back", title="Send the quote and call back", due_at=now
                   - timedelta(hours=1), contact_id=ids[0], call_id=None,
                   number=CONTACTS[0][3])
    store.add_task(kind="meeting", title="Demo at Globex", due_at=now + timedelta(hours=3),
                   contact_id=ids[2], call_id=None, number=CONTACTS[2][3])
    for day in range(13, -1, -1):
        for _ in range(rnd.randint(3, 9)):
            i = rnd.randrange(len(CONTACTS))
            start = (now - timedelta(days=day)).replace(hour=rnd.randint(9, 18),
                                                        minute=rnd.randint(0, 59))
            if start > now:
                start = now - timedelta(minutes=rnd.randint(5, 300))
            direction = rnd.choice(("in", "out"))
            row = store.call_started(direction=direction, account="Office",
                                     number=CONTACTS[i][3], started_at=start,
                                     remote_uri="", display_name="")
            answered = rnd.random() < 0.75
            if answered:
                store.call_answered(row, start + timedelta(seconds=rnd.randint(3, 20)))
                end = start + timedelta(seconds=rnd.randint(40, 900))
                outcome = "answered"
            else:
                end = start + timedelta(seconds=25)
                outcome = "missed" if direction == "in" else "no_answer"
            store.call_ended(row, ended_at=end, outcome=outcome, sip_status=200 if answered
                             else 487, quality={"codec": "opus/48000", "jitter_ms": 3.0})
            if answered and rnd.random() < 0.5:
                store.save_wrapup(row, outcome=rnd.choice(("Interested", "Resolved")),
                                  reason="", note=rnd.choice((
                                      "Asked for a quote for 20 seats.",
                                      "Router replaced, works now.",
                                      "Will decide after the board meeting.")),
                                  author="agent")
    unknown = store.call_started(direction="in", account="Office", number="+1 646 555 0142",
                                 started_at=now - timedelta(minutes=20), remote_uri="",
                                 display_name="")
    store.call_ended(unknown, ended_at=now - timedelta(minutes=19), outcome="missed",
                     sip_status=487)
    store.close()


def pump(app: Any, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--suffix", default="", help="added to every file name, e.g. @2x")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setApplicationDisplayName("Softphone")
    from softphone.app import create_parts
    from softphone.settings import AccountSettings, CrmSettings, Settings
    from softphone.sip import events as ev

    profile = Path(tempfile.mkdtemp(prefix="softphone-shots-"))
    seed(profile)
    settings = Settings(crm=CrmSettings(default_region="US", agent="agent"),
                        accounts=(AccountSettings(name="Office",
                                                  address="sip:1001@pbx.example.com",
                                                  registrar="sip:pbx.example.com"),))
    parts = create_parts(profile, settings, use_secrets=False, start_engine=False,
                         bridge=_bridge())
    window = parts.window
    window.resize(1000, 660)
    window.show()
    while parts.db.store is None:
        pump(app, 0.05)
    window.on_sip_event(ev.RegistrationChanged(at=time.time(), account="Office",
                                               state=ev.RegistrationState.REGISTERED,
                                               code=200, reason="OK"))
    window.statusBar().clearMessage()
    pump(app)
    shots: list[str] = []

    def shot(widget: Any, name: str) -> None:
        pump(app)
        path = out / f"{name}{args.suffix}.png"
        widget.grab().save(str(path))
        shots.append(path.name)

    for tab, name in ((window.contacts, "contacts"), (window.history, "history"),
                      (window.missed, "missed"), (window.tasks, "tasks"),
                      (window.stats, "statistics")):
        window.tabs.setCurrentWidget(tab)
        pump(app, 0.6)
        shot(window, name)

    wf = parts.workflow
    t0 = time.time()
    wf.on_sip_event(ev.IncomingCall(at=t0, call_id=1, account="Office",
                                    remote_uri="sip:+12125550101@pbx.example.com",
                                    display_name="ANN LEE", number="+12125550101"))
    pump(app, 0.6)
    card = next(iter(window.cards.values()))
    shot(card, "caller-card")
    wf.on_sip_event(ev.IncomingCall(at=t0, call_id=2, account="Office",
                                    remote_uri="sip:+16465550142@pbx.example.com",
                                    display_name="", number="+16465550142", waiting=True))
    pump(app, 0.6)
    shot(window.cards[2], "caller-card-unknown")
    for call_id in (2,):
        wf.on_sip_event(_state(call_id, ev.CallState.DISCONNECTED, t0, code=487))
    wf.on_sip_event(_state(1, ev.CallState.CONFIRMED, t0 - 154))
    wf.on_sip_event(ev.CallQuality(at=t0, call_id=1, codec="opus/48000", rx_loss_percent=0.4,
                                   jitter_ms=6.0))
    window.on_sip_event(ev.AudioLevels(at=t0, mic=0.55, speaker=0.35))
    window.call_panel.set_output_devices(["Jabra Evolve2 65", "Built-in Audio"],
                                         "Jabra Evolve2 65")
    window.call_panel.keypad_button.setChecked(True)
    pump(app, 0.6)
    shot(window, "in-call")
    window.call_panel.keypad_button.setChecked(False)
    wf.on_sip_event(_state(1, ev.CallState.DISCONNECTED, time.time(), code=200))
    pump(app, 0.6)
    window.wrapup.outcome_buttons["Interested"].setChecked(True)
    window.wrapup.note_edit.setPlainText("Wants a quote for 20 seats; decides on Friday.")
    window.wrapup._on_callback_clicked(3)
    shot(window, "wrap-up")
    window.wrapup._on_skip_clicked()
    pump(app)
    shot(window, "phone-idle")
    window.open_settings()
    pump(app, 0.4)
    shot(window.settings_dialog, "settings")
    window.settings_dialog.tabs.setCurrentIndex(3)
    shot(window.settings_dialog, "settings-calls")
    window.settings_dialog.close()

    window.quitting = True
    from softphone.app import shutdown

    shutdown(parts)
    print("\n".join(str(out / s) for s in shots))
    return 0


def _bridge() -> Any:
    from softphone.ui.bridge import SipBridge

    return SipBridge()


def _state(call_id: int, state: Any, at: float, code: int = 200) -> Any:
    from softphone.sip import events as ev

    number = "+12125550101" if call_id == 1 else "+16465550142"
    return ev.CallStateChanged(at=at, call_id=call_id, account="Office",
                               direction=ev.Direction.INCOMING, state=state,
                               remote_uri=f"sip:{number}@pbx.example.com", display_name="",
                               number=number, code=code)


if __name__ == "__main__":
    sys.exit(main())
