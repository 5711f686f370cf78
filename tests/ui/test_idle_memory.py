"""What an idle app keeps out of memory (issue 8) while still doing its job: a profile that
already holds data is read without SQLAlchemy (softphone.crm.light), sound is loaded at the
first need (softphone.sip.audio.deferred), the Contacts/History/Statistics tabs are built when
opened; the missed calls and tasks still show, a real call still pops the right card and is
logged (the full store loads then). Unconfigured integrations, OpenSSL, libopus (until the first
call) and the SQL that reads whole tables stay out of an idle start too."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from softphone.crm.light import LightStore
from softphone.crm.records import ContactRecord
from softphone.crm.store import Store
from tests.ui.conftest import db_call, engine_uri

pytestmark = [pytest.mark.ui, pytest.mark.integration]

T0 = datetime.now(UTC) - timedelta(days=3)
BULK_CONTACTS = 20_000
#: Statements' SQLite VM instructions (counted in thousands, per statement) an idle start may
#: run on all its connections: the start-up reads go through indexes (under a thousand each);
#: one read of the 20,000 phones was ~60 thousand, the change feed's table signatures ~440
SQL_STEPS_LIMIT = 20


def _seed(profile: Path) -> None:
    with Store.open(None, profile, default_region="RU", agent="tester") as s:
        ann = s.create_contact("Ann Lee", company="Acme", phones=[("8 (495) 123-45-67", "work")])
        s.add_task(kind="call_back", title="Send the quote", contact_id=ann.id,
                   due_at=T0 + timedelta(days=1))
        missed = s.call_started(direction="in", account="LAN", number="+74957654321",
                                started_at=T0)
        s.call_ended(missed, ended_at=T0 + timedelta(seconds=20), outcome="missed")
        # enough rows that a statement reading a whole table shows in the SQL work at start
        s.import_contacts(ContactRecord(name=f"Client {i}", phones=[(f"+7916{i:07d}", "mobile")])
                          for i in range(BULK_CONTACTS))


@pytest.fixture
def seeded_profile(profile_dir: Path) -> Path:
    _seed(profile_dir)
    return profile_dir


CHILD = r"""
import json, os, sqlite3, sys
from pathlib import Path

sql_steps = [0]  # thousands of SQLite VM instructions, every connection of the app
_connect = sqlite3.connect


def counting_connect(*args, **kwargs):
    conn = _connect(*args, **kwargs)

    def tick():
        sql_steps[0] += 1
        return 0

    conn.set_progress_handler(tick, 1000)
    return conn


sqlite3.connect = counting_connect
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from softphone.app import create_parts, shutdown
from softphone.settings import CrmSettings, OfficeSettings, Settings, SipSettings

app = QApplication(sys.argv[:1])
settings = Settings(sip=SipSettings(listen_host="127.0.0.1", listen_port=0),
                    crm=CrmSettings(default_region="RU", agent="tester"),
                    office=OfficeSettings(presence=False))
later = []
parts = create_parts(Path(sys.argv[1]), settings, use_secrets=False, later=later)
window = parts.window
window.show()
app.processEvents()
for job in later:
    job()
ticks = 0
drained = []


def check():
    global ticks
    ticks += 1
    engine = parts.engine
    office = parts.office.office if parts.office is not None else None
    feed = office.feed if office is not None else None
    ready = (len(window.missed.items) == 1 and len(window.tasks.tasks) == 1
             and engine is not None and engine.running and office is not None
             and (feed is None or feed.ready.is_set()))
    if not ready and ticks < 300:
        return
    if not drained:  # once more through the DB worker: what the start queued there has run
        drained.append(False)
        parts.db.submit(lambda _store: None, lambda _r: drained.append(True),
                        lambda _e: drained.append(True))
    if not drained[-1] and ticks < 300:
        return
    out = {
        "store": type(parts.db.store).__name__,
        "missed": [m.number for m in window.missed.items],
        "tasks": [t.title for t in window.tasks.tasks],
        "engine": bool(engine is not None and engine.running),
        "office_pbx": parts.office_pbx is not None,  # made after the window showed
        "loaded": sorted(m for m in ("sqlalchemy", "alembic", "sounddevice",
                                     "PySide6.QtNetwork", "softphone.ui.contacts",
                                     "softphone.ui.stats",
                                     # the call audio's echo canceller and numpy (the
                                     # C module itself is loaded: the invite guard is in it)
                                     "numpy", "softphone.sip.audio.voice",
                                     # integrations, none configured: nothing of them runs
                                     "ldap3", "softphone.integrations.ldap_directory",
                                     "softphone.integrations.carddav",
                                     "softphone.integrations.carddav_client",
                                     "softphone.integrations.webhooks",
                                     "softphone.integrations.bitrix24",
                                     "softphone.integrations.outbox",
                                     "softphone.integrations.click_to_call",
                                     "softphone.integrations.http", "http.server",
                                     "http.client", "urllib.request",
                                     # OpenSSL (hashlib maps libcrypto; TLS only when used)
                                     "ssl", "_ssl", "_hashlib",
                                     # the call controls' pictures: drawn when first painted
                                     "PySide6.QtSvg") if m in sys.modules),
        # shared libraries: libopus at the first call, OpenSSL's own (pjsua2 has its copy)
        "libraries": sorted({line.split()[-1].rsplit("/", 1)[-1].split(".so")[0]
                             for line in open("/proc/self/maps")
                             if any(name in line.rsplit("/", 1)[-1] for name in
                                    ("libopus.so", "libcrypto.so", "libssl.so"))}),
        "sql_steps": sql_steps[0],
    }
    window.tabs.setCurrentIndex(1)  # Contacts: built when opened
    out["contacts_built"] = window.built("contacts") is not None
    print(json.dumps(out), flush=True)
    timer.stop()
    window.quitting = True
    shutdown(parts)
    app.quit()


timer = QTimer()
timer.timeout.connect(check)
timer.start(100)
app.exec()
"""


def test_an_idle_app_with_data_leaves_the_heavy_parts_unloaded(seeded_profile: Path) -> None:
    """A real start (window, engine, store on its worker) in its own process."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(seeded_profile)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.splitlines()[-1])
    assert out["store"] == "LightStore" and out["engine"] and out["office_pbx"]
    assert out["missed"] == ["+74957654321"] and out["tasks"] == ["Send the quote"]
    assert out["loaded"] == []
    assert out["libraries"] == []
    assert out["sql_steps"] < SQL_STEPS_LIMIT, out["sql_steps"]
    assert out["contacts_built"]


def _card(app: Any) -> Any:
    cards = list(app.window.cards.values())
    return cards[0] if cards else None


def test_a_call_on_the_light_store_pops_the_card_and_is_logged(
        seeded_profile: Path, qtbot: Any, app: Any, engine: Any, make_baresip: Any) -> None:
    window = app.window
    qtbot.waitUntil(lambda: len(window.missed.items) == 1 and len(window.tasks.tasks) == 1,
                    timeout=10_000)
    store = app.db.store._store  # inside the tests' thread guard
    assert isinstance(store, LightStore) and not store.full_loaded
    assert [m.number for m in window.missed.items] == ["+74957654321"]

    peer = make_baresip(user="+74951234567", auto_answer=False)
    peer.dial(engine_uri(engine))
    qtbot.waitUntil(lambda: _card(app) is not None
                    and _card(app).name_label.text() == "Ann Lee", timeout=10_000)
    assert "Acme" in _card(app).company_label.text()
    # the call will be answered, ended, wrapped up: the full store loads behind the card
    qtbot.waitUntil(lambda: store.full_loaded, timeout=10_000)
    peer.hangup()
    qtbot.waitUntil(lambda: not engine.active_calls(), timeout=10_000)

    def logged() -> Any:
        calls = db_call(qtbot, app, lambda s: s.list_calls(limit=5))
        return calls[0] if calls and calls[0].outcome else None

    qtbot.waitUntil(lambda: logged() is not None, timeout=10_000)
    call = logged()
    assert (call.direction, call.contact_name, call.number, call.outcome) == (
        "in", "Ann Lee", "+74951234567", "missed")
    qtbot.waitUntil(lambda: "+74951234567" in [m.number for m in window.missed.items],
                    timeout=10_000)
