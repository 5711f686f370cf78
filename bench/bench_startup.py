"""Cold start: exec to the main window mapped, and idle memory, beside the peers.

    .venv/bin/python bench/bench_startup.py                 # 10 starts each, 1,000,000 contacts
    .venv/bin/python bench/bench_startup.py --quick         # 3 starts, 10,000 contacts
    .venv/bin/python bench/bench_startup.py --only softphone --importtime

Every contender runs on its own Xvfb display with a fresh temporary HOME (and, for softphone,
a fresh profile directory holding the contact database). An external X observer (Xlib through
ctypes, ``SubstructureNotifyMask`` on the root window) timestamps the ``MapNotify`` of the
first top-level window of useful size; the figure is the time from just before ``exec`` to
that event. Five seconds later the resident memory of the process tree is read from /proc.

Contenders (same run, same machine):

* ``softphone``: ``python -m softphone --profile DIR`` with N contacts (default 1,000,000,
  generated once by bench_store's generator and cached under ``bench/results/``);
* ``bare PySide6+pjsua2``: the floor, a QMainWindow plus a started pjsua2 Endpoint;
* ``linphone``: Linphone desktop (Debian ``linphone-desktop``), first-run window;
* ``twinkle``: Twinkle (Debian ``twinkle``), first-run window.

Targets for softphone: median <= 250 ms to the window, <= 100 MiB idle. Figures are printed,
never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import json
import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable

TARGET_MS = 250.0
TARGET_MIB = 100.0

BARE_SCRIPT = r"""
import sys
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
import pjsua2 as pj
app = QApplication(sys.argv[:1])
ep = pj.Endpoint()
ep.libCreate()
cfg = pj.EpConfig()
cfg.uaConfig.threadCnt = 0
cfg.uaConfig.mainThreadOnly = True
cfg.logConfig.level = 0
cfg.logConfig.consoleLevel = 0
ep.libInit(cfg)
tc = pj.TransportConfig()
tc.port = 0
tc.boundAddress = "127.0.0.1"
ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tc)
ep.audDevManager().setNullDev()
ep.libStart()
w = QMainWindow()
w.setWindowTitle("bare")
w.setCentralWidget(QLabel("bare PySide6 + pjsua2"))
w.resize(960, 640)
w.show()
rc = app.exec()
ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)
sys.exit(rc)
"""


# --- an external X observer ---------------------------------------------------------------

class _XMapEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong),
                ("send_event", ctypes.c_int), ("display", ctypes.c_void_p),
                ("event", ctypes.c_ulong), ("window", ctypes.c_ulong),
                ("override_redirect", ctypes.c_int)]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xmap", _XMapEvent), ("pad", ctypes.c_long * 24)]


class _XWindowAttributes(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int),
                ("height", ctypes.c_int), ("border_width", ctypes.c_int),
                ("depth", ctypes.c_int), ("visual", ctypes.c_void_p),
                ("root", ctypes.c_ulong), ("class_", ctypes.c_int),
                ("bit_gravity", ctypes.c_int), ("win_gravity", ctypes.c_int),
                ("backing_store", ctypes.c_int), ("backing_planes", ctypes.c_ulong),
                ("backing_pixel", ctypes.c_ulong), ("save_under", ctypes.c_int),
                ("colormap", ctypes.c_ulong), ("map_installed", ctypes.c_int),
                ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
                ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
                ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p)]


MAP_NOTIFY = 19
SUBSTRUCTURE_NOTIFY_MASK = 1 << 19
_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_ignore_errors = _ERROR_HANDLER(lambda _d, _e: 0)  # a window gone before we asked: ignore


@dataclass
class Mapped:
    at: float  # time.monotonic() when the MapNotify was read
    window: int
    width: int
    height: int
    name: str


class MapWatcher:
    """Timestamps every top-level window mapped on ``display`` (a thread blocked in XNextEvent).

    Without a window manager (plain Xvfb) top-level windows are children of the root window,
    so ``SubstructureNotifyMask`` on the root reports each of their MapNotify events.
    """

    def __init__(self, display: str) -> None:
        lib = ctypes.util.find_library("X11") or "libX11.so.6"
        self.x = ctypes.CDLL(lib)
        x = self.x
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
        x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
        x.XFlush.argtypes = [ctypes.c_void_p]
        x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                           ctypes.POINTER(_XWindowAttributes)]
        x.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong,
                                 ctypes.POINTER(ctypes.c_char_p)]
        x.XFree.argtypes = [ctypes.c_void_p]
        x.XPending.argtypes = [ctypes.c_void_p]
        x.XConnectionNumber.argtypes = [ctypes.c_void_p]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x.XSetErrorHandler(_ignore_errors)
        self.dpy = x.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open X display {display}")
        x.XSelectInput(self.dpy, x.XDefaultRootWindow(self.dpy), SUBSTRUCTURE_NOTIFY_MASK)
        x.XSync(self.dpy, 0)
        self.events: list[Mapped] = []
        self._cond = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._loop, name="x-map-watcher", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop the thread and close the connection (before the X server goes away)."""
        self._stop = True
        self._thread.join(2.0)
        self.x.XCloseDisplay(self.dpy)

    def _loop(self) -> None:
        x = self.x
        ev = _XEvent()
        fd = x.XConnectionNumber(self.dpy)
        while not self._stop:
            if not x.XPending(self.dpy):
                select.select([fd], [], [], 0.1)  # wakes as soon as the server writes
                continue
            x.XNextEvent(self.dpy, ctypes.byref(ev))
            at = time.monotonic()
            if ev.type != MAP_NOTIFY or ev.xmap.override_redirect:
                continue
            win = ev.xmap.window
            attrs = _XWindowAttributes()
            width = height = 0
            if x.XGetWindowAttributes(self.dpy, win, ctypes.byref(attrs)):
                width, height = attrs.width, attrs.height
            name_p = ctypes.c_char_p()
            name = ""
            if x.XFetchName(self.dpy, win, ctypes.byref(name_p)) and name_p.value is not None:
                name = name_p.value.decode(errors="replace")
            with self._cond:
                self.events.append(Mapped(at, win, width, height, name))
                self._cond.notify_all()

    def wait_window(self, since: float, timeout: float, min_size: int = 100) -> Mapped | None:
        """The first top-level window of at least ``min_size`` px mapped after ``since``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.events:
                    if m.at >= since and m.width >= min_size and m.height >= min_size:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def wait_named(self, name: str, since: float, timeout: float) -> Mapped | None:
        """The first top-level window whose WM_NAME contains ``name`` mapped after ``since``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.events:
                    if m.at >= since and name in m.name:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)


class Xvfb:
    """A private Xvfb display (no window manager) with a map watcher on it."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.display = ""
        self.watcher: MapWatcher | None = None
        self.dbus: subprocess.Popen[bytes] | None = None
        self.dbus_address = ""

    def __enter__(self) -> Xvfb:
        for n in range(140, 240):
            if Path(f"/tmp/.X11-unix/X{n}").exists() or Path(f"/tmp/.X{n}-lock").exists():
                continue
            proc = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", "1280x1024x24",
                                     "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and proc.poll() is None:
                if Path(f"/tmp/.X11-unix/X{n}").exists():
                    break
                time.sleep(0.02)
            if proc.poll() is None:
                self.proc, self.display = proc, f":{n}"
                break
        if self.proc is None:
            raise RuntimeError("no Xvfb display could start")
        # one D-Bus session bus for every contender (Linphone quits without one)
        self.dbus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self.dbus.stdout is not None
        self.dbus_address = self.dbus.stdout.readline().decode().strip()
        deadline = time.monotonic() + 10
        while True:
            try:
                self.watcher = MapWatcher(self.display)
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.watcher is not None:
            self.watcher.close()
        if self.dbus is not None:
            self.dbus.terminate()
            self.dbus.wait()
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- processes and memory --------------------------------------------------------------

def tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_mib(pid: int) -> float:
    """Resident memory of the process tree (VmRSS summed), MiB."""
    total = 0
    for p in tree_pids(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024.0


def stop(proc: subprocess.Popen[Any], timeout: float = 5.0) -> None:
    """SIGTERM the process group, then SIGKILL it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def fresh_env(home: Path, display: str, dbus: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("SOFTPHONE_PROFILE", "QT_QPA_PLATFORM", "WAYLAND_DISPLAY",
                        "DBUS_SESSION_BUS_ADDRESS", "XAUTHORITY")}
    for sub in (".config", ".local/share", ".cache", "run"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "run").chmod(0o700)
    env.update(HOME=str(home), DISPLAY=display, XDG_CONFIG_HOME=str(home / ".config"),
               XDG_DATA_HOME=str(home / ".local/share"), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_RUNTIME_DIR=str(home / "run"), QT_QPA_PLATFORM="xcb",
               LC_ALL="C.UTF-8", DBUS_SESSION_BUS_ADDRESS=dbus)
    env.pop("SOFTPHONE_KEYRING", None)  # the default a user gets (keyring probe included)
    return env


# --- the softphone profile -------------------------------------------------------------

def cached_profile(contacts: int, calls: int) -> Path:
    """A profile database with ``contacts`` contacts (generated once, cached)."""
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    cache = RESULTS / f"profile-{contacts}-{calls}"
    if not (cache / "bench-ok").exists():
        import bench_store

        if cache.exists():
            shutil.rmtree(cache)
        print(f"generating a profile with {contacts:,} contacts and {calls:,} calls in {cache}",
              flush=True)
        bench_store.generate(cache, contacts, calls)
    return cache


def database_name() -> str:
    sys.path.insert(0, str(ROOT))
    from softphone.profile import database_file

    return database_file(Path("/p")).name


class ProfileCopies:
    """One private copy of the cached database per benchmark run; each start gets a fresh
    profile directory with a hard link to it (a start writes nothing that matters)."""

    def __init__(self, cache: Path, workdir: Path) -> None:
        self.name = database_name()
        self.master = workdir / "db" / self.name
        self.master.parent.mkdir(parents=True)
        shutil.copyfile(cache / self.name, self.master)
        self.count = 0
        self.workdir = workdir

    def fresh(self) -> Path:
        self.count += 1
        profile = self.workdir / f"profile-{self.count}"
        profile.mkdir()
        os.link(self.master, profile / self.name)
        (profile / "softphone.toml").write_text(
            '[sip]\nlisten = "127.0.0.1:0"\n\n[crm]\ndefault_region = "RU"\n')
        return profile


# --- one contender -----------------------------------------------------------------------

@dataclass
class Contender:
    name: str
    argv: list[str]
    window_name: str = ""  # WM_NAME to wait for (else the first big window)
    make_profile: Any = None
    available: bool = True
    why_not: str = ""
    map_ms: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    failures: int = 0


def start_once(c: Contender, x: Xvfb, workdir: Path, idle: float, timeout: float,
               importtime: bool = False) -> None:
    home = Path(tempfile.mkdtemp(prefix=f"home-{c.name.split()[0]}-", dir=workdir))
    env = fresh_env(home, x.display, x.dbus_address)
    argv = list(c.argv)
    if c.make_profile is not None:
        argv += ["--profile", str(c.make_profile())]
    if importtime:
        argv.insert(1, "-X")
        argv.insert(2, "importtime")
    assert x.watcher is not None
    err = open(home / "stderr.txt", "wb")  # noqa: SIM115
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=err,
                            start_new_session=True)
    try:
        if c.window_name:
            m = x.watcher.wait_named(c.window_name, t0, timeout)
        else:
            m = x.watcher.wait_window(t0, timeout)
        if m is None:
            c.failures += 1
            tail = (home / "stderr.txt").read_text(errors="replace")[-800:]
            print(f"  {c.name}: no window within {timeout:.0f} s; maps seen: "
                  f"{[m for m in x.watcher.events if m.at >= t0]}; stderr tail:\n{tail}",
                  flush=True)
            return
        c.map_ms.append((m.at - t0) * 1000.0)
        time.sleep(idle)
        if proc.poll() is None:
            c.rss.append(rss_mib(proc.pid))
    finally:
        stop(proc)
        err.close()
        if importtime:
            lines = (home / "stderr.txt").read_text(errors="replace").splitlines()
            rows = [ln.split("|") for ln in lines if ln.startswith("import time:")]
            rows = [r for r in rows if r[1].strip().isdigit()]
            rows.sort(key=lambda r: -int(r[1]))
            print("  -X importtime, top cumulative (us):")
            for r in rows[:25]:
                print(f"   {int(r[1]):8d} {r[2].rstrip()}")
        shutil.rmtree(home, ignore_errors=True)


def compile_bytecode() -> None:
    """Write the ``.pyc`` files of the softphone package, as an installed package has them
    (pip compiles them). Without this, a shell with ``PYTHONDONTWRITEBYTECODE=1`` makes every
    start compile the app's modules from source: ~50 ms more to the window."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "softphone")], check=True,
                   stdout=subprocess.DEVNULL)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def contenders(profiles: ProfileCopies | None, only: set[str] | None) -> list[Contender]:
    out = [
        Contender("softphone", [PYTHON, "-m", "softphone"], window_name="Softphone",
                  make_profile=profiles.fresh if profiles else None),
        Contender("bare PySide6+pjsua2", [PYTHON, "-c", BARE_SCRIPT], window_name="bare"),
        Contender("linphone", ["linphone"]),
        Contender("twinkle", ["twinkle"], window_name="Twinkle"),
    ]
    for c in out:
        exe = c.argv[0]
        if shutil.which(exe) is None and not Path(exe).exists():
            c.available, c.why_not = False, f"{exe} not installed (scripts/bootstrap.sh bench)"
    if only:
        out = [c for c in out if c.name.split()[0] in only]
    return out


def run(runs: int, contacts: int, calls: int, idle: float, only: set[str] | None = None,
        importtime: bool = False) -> list[Contender]:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        workdir = Path(tmp)
        profiles = None
        if only is None or "softphone" in only:
            profiles = ProfileCopies(cached_profile(contacts, calls), workdir)
            compile_bytecode()
        cs = contenders(profiles, only)
        with Xvfb() as x:
            for c in cs:  # one warm-up start each (disk cache), not counted
                if c.available:
                    start_once(c, x, workdir, 0.2, 30.0)
                    c.map_ms.clear()
                    c.rss.clear()
                    c.failures = 0
            for i in range(runs):  # interleaved so background load hits all alike
                for c in cs:
                    if c.available:
                        start_once(c, x, workdir, idle, 30.0, importtime and i == 0)
    return cs


def table(cs: list[Contender], contacts: int) -> str:
    lines = ["| app | starts | window mapped median ms | p90 ms | idle RSS median MiB | note |",
             "|---|---|---|---|---|---|"]
    for c in cs:
        if not c.available or not c.map_ms:
            lines.append(f"| {c.name} | 0 | - | - | - | {c.why_not or 'no window'} |")
            continue
        note = f"{contacts:,} contacts; target <= {TARGET_MS:.0f} ms, <= {TARGET_MIB:.0f} MiB" \
            if c.name == "softphone" else ""
        if c.failures:
            note += f" ({c.failures} starts without a window)"
        lines.append(f"| {c.name} | {len(c.map_ms)} | {statistics.median(c.map_ms):.0f} | "
                     f"{percentile(c.map_ms, 90):.0f} | "
                     f"{statistics.median(c.rss) if c.rss else float('nan'):.0f} | {note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=500_000, help="call rows in the profile")
    ap.add_argument("--idle", type=float, default=5.0, help="seconds after map for RSS")
    ap.add_argument("--quick", action="store_true", help="3 starts, 10,000 contacts, 2 s idle")
    ap.add_argument("--only", action="append", help="softphone, bare, linphone, twinkle")
    ap.add_argument("--importtime", action="store_true",
                    help="print -X importtime of the first counted softphone start")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    if args.quick:
        args.runs, args.contacts, args.calls, args.idle = 3, 10_000, 20_000, 2.0
    cs = run(args.runs, args.contacts, args.calls, args.idle,
             set(args.only) if args.only else None, args.importtime)
    print(table(cs, args.contacts))
    if args.json:
        args.json.write_text(json.dumps({c.name: {"map_ms": c.map_ms, "rss_mib": c.rss,
                                                  "failures": c.failures,
                                                  "available": c.available}
                                         for c in cs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
