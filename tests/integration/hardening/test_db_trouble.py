"""Database trouble in mid-call: locked by another program for 10 s, and the disk full.

The app (its own process, LAN account, auto-answer) takes real calls from an engine process.
What must hold: the user is told (status bar message), the call goes on, and once the trouble
clears every call is in the log (the pending journal is written out).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from softphone.settings import AccountSettings, CallSettings, CrmSettings, Settings, SipSettings
from tests.harness.pipes import close_pipes
from tests.harness.ports import free_port
from tests.integration.hardening.apps import AppProcess, wait_for
from tests.integration.sip.engine_proc import EngineProcess

LOCK_S = 10.0

MESSAGES = """
parts.messages = []
window.statusBar().messageChanged.connect(lambda text: text and parts.messages.append(text))
"""
ROWS = """
import sqlite3
con = sqlite3.connect(str(parts.profile / 'softphone.sqlite3'), timeout=0.05)
try:
    result = con.execute('SELECT id, outcome FROM calls ORDER BY id').fetchall()
except sqlite3.OperationalError as exc:
    result = str(exc)
con.close()
"""
PENDING = "result = parts.db.store.pending_count()"


def _settings(port: int) -> Settings:
    return Settings(
        sip=SipSettings(listen_host="127.0.0.1", listen_port=port, rtp_port=free_port()),
        accounts=(AccountSettings(name="LAN", address="sip:agent@127.0.0.1"),),
        calls=CallSettings(auto_answer=True),
        crm=CrmSettings(default_region="RU", agent="tester"))


def _call(peer: EngineProcess, port: int) -> tuple[int, int]:
    mark = peer.mark()
    call_id = peer.command("dial", target=f"sip:agent@127.0.0.1:{port}")
    peer.wait_state(call_id, "confirmed", 15.0, since=mark)
    return call_id, mark


def _hang_up(peer: EngineProcess, call: tuple[int, int]) -> None:
    peer.command("hangup", call_id=call[0])
    peer.wait_state(call[0], "disconnected", 10.0, since=call[1])


def _messages(app: AppProcess, timeout: float) -> list[str]:
    """What the status bar told the user so far (waits up to ``timeout`` for a first one)."""
    try:
        return app.wait("result = parts.messages", max(0.1, timeout), "a message to the user")
    except AssertionError:
        return []


def _app_call_confirmed(app: AppProcess) -> bool:
    """The app's one live call is up (it confirms on the peer's ACK, just after the peer)."""
    try:
        app.wait("result = [str(c.state) for c in engine.active_calls() "
                 "if str(c.state) != 'disconnected'] == ['confirmed']", 5.0, "the call up")
    except AssertionError as exc:
        print(exc)
        return False
    return True


def test_database_locked_for_10_s_in_mid_call(make_app: Callable[..., AppProcess],
                                              make_engine: Callable[..., EngineProcess],
                                              tmp_path: Path) -> None:
    port = free_port()
    app = make_app(_settings(port))
    app.wait("result = parts.db.store is not None", 20.0, "the store")
    app.run(MESSAGES)
    peer = make_engine("peer")
    first = _call(peer, port)
    wait_for(lambda: len(app.run(ROWS)) == 1, 10.0, "the first call's row")
    db = app.profile / "softphone.sqlite3"
    locker = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, threading\n"
         f"con = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
         "con.execute('BEGIN EXCLUSIVE')\n"
         "print('locked', flush=True)\n"
         f"threading.Event().wait({LOCK_S})\n"
         "con.execute('COMMIT')\n"
         "print('released', flush=True)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout is not None
        assert locker.stdout.readline().strip() == "locked"
        locked_at = time.monotonic()
        print(f"\ndatabase locked (BEGIN EXCLUSIVE in another process) for {LOCK_S:.0f} s")
        # The call goes on; it ends, and a second call comes and goes, all while locked.
        _hang_up(peer, first)
        second = _call(peer, port)
        during_call = _app_call_confirmed(app)
        _hang_up(peer, second)
        pending = app.run(PENDING)
        messages = _messages(app, LOCK_S - (time.monotonic() - locked_at) - 0.5)
        still_locked = time.monotonic() - locked_at < LOCK_S
        print(f"while locked ({still_locked}): second call confirmed in the app: {during_call}; "
              f"writes kept pending: {pending}; the user was told: {messages}")
        assert locker.stdout.readline().strip() == "released"
        released_at = time.monotonic()
    finally:
        locker.kill()
        locker.wait(5)
        close_pipes(locker)
    rows = wait_for(lambda: (lambda r: r if isinstance(r, list) and len(r) == 2
                             and all(o for _i, o in r) else None)(app.run(ROWS)),
                    30.0, "both calls logged after the lock cleared")
    print(f"lock released: both calls logged {time.monotonic() - released_at:.2f} s later "
          f"{rows}; pending now {app.run(PENDING)}")
    assert during_call
    assert pending >= 1
    assert any("busy" in m.lower() or "locked" in m.lower() for m in messages), messages
    assert app.run(PENDING) == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(path: Path) -> int:
    written = 0
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * 65536
        while True:
            try:
                written += f.write(chunk)
            except OSError:
                break
        # the last bytes too: the disk is really full now
        with contextlib.suppress(OSError):
            while f.write(b"\0" * 512):
                written += 512
    return written


def test_disk_full_in_mid_call(make_app: Callable[..., AppProcess],
                               make_engine: Callable[..., EngineProcess],
                               small_disk: Path) -> None:
    port = free_port()
    profile = small_disk / "profile"
    app = make_app(_settings(port), profile=profile)
    app.wait("result = parts.db.store is not None", 20.0, "the store")
    app.run(MESSAGES)
    peer = make_engine("peer")
    first = _call(peer, port)
    wait_for(lambda: len(app.run(ROWS)) == 1, 10.0, "the first call's row")
    filler = small_disk / "filler.bin"
    size = _fill(filler)
    print(f"\nprofile on a 6 MB tmpfs; filled with {size / 1e6:.1f} MB: "
          f"{os.statvfs(small_disk).f_bavail} blocks free")
    _hang_up(peer, first)
    second = _call(peer, port)
    during_call = _app_call_confirmed(app)
    _hang_up(peer, second)
    pending = app.run(PENDING)
    in_memory = app.run("result = len(getattr(parts.db.store.journal, '_memory', []))")
    messages = _messages(app, 5.0)
    print(f"disk full: second call confirmed in the app: {during_call}; writes kept pending: "
          f"{pending} ({in_memory} only in memory: the journal file cannot grow either); "
          f"the user was told: {messages}")
    filler.unlink()
    freed_at = time.monotonic()
    # One more call after the space is back (the next write also writes out the journal).
    third = _call(peer, port)
    _hang_up(peer, third)
    rows = wait_for(lambda: (lambda r: r if isinstance(r, list) and len(r) == 3
                             and all(o for _i, o in r) else None)(app.run(ROWS)),
                    30.0, "every call logged after space was freed")
    print(f"space freed: all 3 calls logged {time.monotonic() - freed_at:.2f} s later {rows}; "
          f"pending now {app.run(PENDING)}")
    assert during_call
    assert any("full" in m.lower() for m in messages), messages
    assert app.run(PENDING) == 0
