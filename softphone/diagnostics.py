"""What support needs to see, with no secrets: versions, devices, accounts, recent log lines.

:func:`collect_diagnostics` is behind the window's "Copy diagnostics" button and
``softphone diagnostics``; :func:`run_selftest` is behind ``softphone selftest`` (also run from
the frozen bundle by the installer test). Both import the heavy parts lazily and report a part
that cannot load instead of failing.
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import platform
import queue
import re
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from softphone import __version__
from softphone.logs import LOG_FILE, redact
from softphone.profile import database_file, logs_dir
from softphone.settings import (
    AccountSettings,
    CallSettings,
    Settings,
    default_lan_account,
    settings_path,
)

log = logging.getLogger("softphone.diagnostics")

LOG_LINES = 200
ENGINE_START_TIMEOUT = 15.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    #: works, but not as a user expects (no sound device: calls connect without sound)
    warning: bool = False


# ---------------------------------------------------------------------------------------------
# Versions and devices


def versions() -> dict[str, str]:
    """Version of every component that matters for a bug report."""
    out: dict[str, str] = {"softphone": __version__}
    if getattr(sys, "frozen", False):
        out["softphone"] += " (frozen bundle)"
    out["Python"] = f"{platform.python_version()} ({platform.python_implementation()})"
    try:
        import PySide6
        from PySide6 import QtCore

        out["Qt"] = f"{QtCore.qVersion()} (PySide6 {PySide6.__version__})"
        app = QtCore.QCoreApplication.instance()
        platform_name = getattr(app, "platformName", None)
        if callable(platform_name):  # a QGuiApplication: which windowing system it uses
            out["Qt"] += f", platform {platform_name()}"
    except ImportError as exc:
        out["Qt"] = f"unavailable: {exc}"
    out["PJSIP"] = _pjsip_version()
    out["PortAudio"] = _portaudio_version()
    out["Call audio"] = _call_audio_path()
    out["Opus"] = _opus()
    out["Loss concealment"] = _concealment()
    try:
        import sqlalchemy

        out["SQLAlchemy"] = sqlalchemy.__version__
    except ImportError as exc:
        out["SQLAlchemy"] = f"unavailable: {exc}"
    try:
        import alembic

        out["Alembic"] = alembic.__version__
    except ImportError:
        pass
    out["OS"] = _os_name()
    return out


def _pjsip_version() -> str:
    """From the binding's package version: creating an Endpoint here could clash with the
    engine's (there is one per process)."""
    try:
        import pjsua2 as pj

        package = str(pj.__version__)
    except Exception as exc:  # ImportError, or a missing shared library (OSError)
        return f"unavailable: {exc}"
    return f"{package.split('.post', 1)[0]} (pjsua2-python {package})"


def _portaudio_version() -> str:
    try:
        import sounddevice

        return str(sounddevice.get_portaudio_version()[1])
    except Exception as exc:  # OSError when libportaudio is not installed
        return f"unavailable: {exc}"


def _call_audio_path() -> str:
    """The per-frame call audio in C (softphone/sip/audio: own media port, PortAudio callback,
    echo canceller) or, without the compiled module or PJSIP's C API, Python, and why."""
    try:
        from softphone.sip.audio import native

        return native.describe()
    except Exception as exc:
        return f"unavailable: {exc}"


def _opus() -> str:
    try:
        from softphone.sip import codecs

        return codecs.describe()
    except Exception as exc:
        return f"unavailable: {exc}"


def _concealment() -> str:
    try:
        from softphone.sip import codecs

        return codecs.describe_concealment()
    except Exception as exc:
        return f"unavailable: {exc}"


def _os_name() -> str:
    name = platform.platform()
    if sys.platform.startswith("linux"):
        try:
            info = platform.freedesktop_os_release()
            name = f"{info.get('PRETTY_NAME', 'Linux')} ({platform.release()}, "\
                   f"{platform.machine()})"
        except OSError:
            pass
    return name


def audio_devices() -> tuple[list[str], str]:
    """(one line per sound device, a note when there are none or PortAudio is missing)."""
    try:
        import sounddevice
    except Exception as exc:  # OSError: PortAudio library not found
        return [], f"PortAudio is not available: {exc}"
    try:
        devices = sounddevice.query_devices()
        apis = sounddevice.query_hostapis()
        default_in, default_out = sounddevice.default.device
    except Exception as exc:  # sounddevice.PortAudioError
        return [], f"cannot list sound devices: {exc}"
    lines = []
    for index, dev in enumerate(devices):
        marks = []
        if index == default_in:
            marks.append("default input")
        if index == default_out:
            marks.append("default output")
        api = apis[dev["hostapi"]]["name"] if dev["hostapi"] < len(apis) else "?"
        lines.append(
            f"{dev['name']} [{api}] in={dev['max_input_channels']} "
            f"out={dev['max_output_channels']} {dev['default_samplerate']:g} Hz"
            + (f" ({', '.join(marks)})" if marks else "")
        )
    return lines, "" if lines else "no sound devices found (calls will connect without sound)"


def password_store(profile: Path) -> str:
    """Where account passwords go: the OS keyring (which backend) or the fallback file."""
    from softphone.secrets import FALLBACK_FILE

    fallback = f"file {profile / FALLBACK_FILE} (mode 0600)"
    if os.environ.get("SOFTPHONE_KEYRING", "auto") == "file":
        return f"{fallback}, chosen by SOFTPHONE_KEYRING=file"
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as exc:
        return f"{fallback}: the keyring library failed: {exc}"
    if isinstance(backend, fail.Keyring) or backend.priority <= 0:
        return f"{fallback}: no OS keyring (install gnome-keyring or KWallet)"
    return f"OS keyring ({type(backend).__module__}.{type(backend).__name__})"


# ---------------------------------------------------------------------------------------------
# Diagnostics text


def _account_line(account: AccountSettings) -> str:
    where = f"registrar {account.registrar}" if account.registrar else "LAN (no registrar)"
    state = "" if account.enabled else ", disabled"
    return f"{account.name}: {account.address}, {where}, {account.transport}{state}"


def _engine_states(engine: Any, settings: Settings) -> list[str]:
    """Registration state of each account as the running engine knows it."""
    registration = getattr(engine, "registration", None)
    if not callable(registration):
        return []
    lines = []
    for account in settings.accounts or (default_lan_account(),):
        try:
            state = registration(account.name)
        except Exception as exc:
            lines.append(f"{account.name}: cannot read the state: {exc}")
            continue
        lines.append(f"{account.name}: {_describe_state(state) if state else 'no state yet'}")
    return lines


def _describe_state(state: Any) -> str:
    if dataclasses.is_dataclass(state) and not isinstance(state, type):
        fields = dataclasses.asdict(state)
        fields.pop("at", None)
        fields.pop("account", None)
        return ", ".join(f"{k}={v}" for k, v in fields.items() if v not in (None, "", 0))
    return str(state)


def last_log_lines(profile: Path, count: int = LOG_LINES) -> list[str]:
    path = logs_dir(profile) / LOG_FILE
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            return [line.rstrip("\n") for line in deque(fh, maxlen=count)]
    except FileNotFoundError:
        return []


def _scrub(text: str, settings: Settings) -> str:
    # Exact passwords first (a password with spaces would defeat the patterns), then patterns.
    for account in settings.accounts:
        if account.password and len(account.password) >= 3:
            text = text.replace(account.password, "***")
    return redact(text)


def settings_file_lines(profile: Path) -> list[str]:
    """The profile's softphone.toml without password values (comments kept)."""
    try:
        text = settings_path(profile).read_text("utf-8", errors="replace")
    except FileNotFoundError:
        return ["(no softphone.toml: defaults)"]
    except OSError as exc:
        return [f"(cannot read softphone.toml: {exc.strerror})"]
    # integration secrets too (a webhook key, the Bitrix24 URL with its access code)
    return [re.sub(r"^(\s*\"?(?:password|secret|webhook_url)\"?\s*=).*$", r'\1 "***"', line,
                   flags=re.I)
            for line in text.splitlines()]


def collect_diagnostics(profile: Path, settings: Settings, engine: Any | None = None) -> str:
    """A plain-text report for a bug report or a support e-mail; secrets are masked."""
    out: list[str] = [f"softphone diagnostics, {time.strftime('%Y-%m-%d %H:%M:%S %z')}", ""]
    out.append("== Versions")
    out += [f"{name}: {value}" for name, value in versions().items()]
    out += ["", "== Profile", f"directory: {profile}"]
    db = settings.crm.database_url or f"sqlite:///{database_file(profile)}"
    out.append(f"database: {db}")
    out.append(f"passwords: {password_store(profile)}")
    out.append(f"SIP listen: {settings.sip.listen}, RTP from port {settings.sip.rtp_port}")
    if engine is not None:
        running = getattr(engine, "running", None)
        out.append(f"SIP engine: {'running' if running else 'stopped'}, bound to "
                   f"{getattr(engine, 'listen_address', '') or '-'}")
    calls = settings.calls
    out.append(f"do not disturb: {'on' if calls.dnd else 'off'}, auto answer: "
               f"{'on' if calls.auto_answer else 'off'}, record all: "
               f"{'on' if calls.record_all else 'off'}")
    out += ["", "== Audio devices"]
    devices, note = audio_devices()
    out += devices or [note]
    a = settings.audio
    out.append(f"chosen: input={a.input or 'default'}, output={a.output or 'default'}, "
               f"ringer={a.ringer or 'default'}")
    out += ["", f"== {settings_path(profile).name}", *settings_file_lines(profile)]
    out += ["", "== Accounts"]
    out += [_account_line(acc) for acc in settings.accounts] or ["none configured (LAN calls)"]
    if engine is not None:
        states = _engine_states(engine, settings)
        if states:
            out += ["", "== Account states", *states]
    from softphone.integrations.config import diagnostics_lines

    out += ["", "== Integrations", *diagnostics_lines(profile, settings.integrations)]
    lines = last_log_lines(profile)
    out += ["", f"== Last {len(lines)} log lines", *lines]
    return _scrub("\n".join(out), settings) + "\n"


# ---------------------------------------------------------------------------------------------
# Selftest


def run_selftest(profile: Path, settings: Settings) -> list[Check]:
    """Check each part the app needs, the way the app uses it; never raises."""
    return [
        _guard("SIP engine", lambda: _check_engine(profile, settings)),
        _guard("database", lambda: _check_store(profile, settings)),
        _guard("sound devices", _check_audio),
        _guard("passwords", lambda: (True, password_store(profile))),
        _guard("Qt", _check_qt),
    ]


def _guard(name: str, check: Any) -> Check:
    warning = False
    try:
        ok, detail, *rest = check()
        warning = bool(rest and rest[0])
    except Exception as exc:
        log.exception("selftest: %s failed", name)
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    return Check(name, ok, redact(str(detail)), warning=warning and ok)


def _check_engine(profile: Path, settings: Settings) -> tuple[bool, str]:
    try:
        engine_module = importlib.import_module("softphone.sip.engine")
    except ImportError as exc:
        return False, f"cannot load the SIP engine: {exc}"
    sip = dataclasses.replace(settings.sip, listen_host="127.0.0.1", listen_port=0)
    account = AccountSettings(name="selftest", address="sip:selftest@127.0.0.1")
    events: queue.Queue[Any] = queue.Queue()
    with tempfile.TemporaryDirectory(prefix="softphone-selftest-") as recordings:
        engine = engine_module.Engine(
            sip, (account,), CallSettings(), events.put, audio=None,
            recordings_dir=Path(recordings),
        )
        try:
            engine.start(timeout=ENGINE_START_TIMEOUT)
            started = _wait_for_event(events, "EngineStarted", 5.0)
            bound = engine.listen_address
        except Exception as exc:  # EngineError: the reason is the message
            return False, f"the SIP engine did not start: {exc}"
        finally:
            engine.stop()
    version = getattr(started, "version", "") if started is not None else ""
    if not bound:
        return False, "the SIP engine started but bound no address"
    return True, f"listening on {bound}" + (f" (PJSIP {version})" if version else "")


def _wait_for_event(events: queue.Queue[Any], kind: str, timeout: float) -> Any | None:
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            event = events.get(timeout=remaining)
        except queue.Empty:
            return None
        if type(event).__name__ == kind:
            return event
    return None


def _check_store(profile: Path, settings: Settings) -> tuple[bool, str]:
    try:
        store_module = importlib.import_module("softphone.crm.store")
    except ImportError as exc:
        return False, f"cannot load the contact store: {exc}"
    crm = settings.crm
    store = store_module.Store.open(crm.database_url, profile, crm.default_region, crm.agent)
    try:
        where = crm.database_url or f"sqlite:///{database_file(profile)}"
        return True, f"opened {where}"
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()


def _check_audio() -> tuple[bool, str, bool]:
    """(works, detail, warning): no device at all is a warning (calls connect silently)."""
    devices, note = audio_devices()
    if note.startswith(("PortAudio is not available", "cannot list")):
        return False, note, False
    if not devices:
        return True, note, True
    return True, f"{len(devices)} device(s): " + "; ".join(
        d.split(" [", 1)[0] for d in devices), False


def _check_qt() -> tuple[bool, str]:
    """Qt's libraries load and its platform plugins (xcb, wayland, offscreen...) are there."""
    from PySide6 import QtCore, QtGui  # noqa: F401 - loading QtGui proves the libraries resolve

    plugins = Path(QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.PluginsPath))
    names = sorted(
        p.name.removeprefix("libq").split(".", 1)[0] for p in (plugins / "platforms").glob("*")
        if p.is_file()
    )
    if not names:
        return False, f"Qt {QtCore.qVersion()}: no platform plugins in {plugins / 'platforms'}"
    return True, f"Qt {QtCore.qVersion()}, platform plugins: {', '.join(names)}"
