"""``tel:``, ``sip:`` and ``callto:`` links open this app (``[ui] register_handlers``).

The .deb installs ``/usr/share/applications/softphone.desktop`` system-wide. A source install
(a checkout, ``pip install``) has no desktop entry, so at start it writes one for the user:
``$XDG_DATA_HOME/applications/softphone.desktop`` (``~/.local/share/applications``), whose
``Exec`` runs this same interpreter with ``-m softphone`` (and ``--profile`` when the profile is
not the default one) and whose ``MimeType`` lists the three URL schemes. For a scheme that has
no default application yet, ``$XDG_CONFIG_HOME/mimeapps.list`` names the entry as its default
(a default the user chose for another application is left alone). Turning the setting off
removes the entry (only one this module wrote) and the defaults that point to it.

No Qt: the composition root calls :func:`apply_url_handlers` and logs what it returns.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from softphone.autostart import exec_value
from softphone.profile import default_profile

ENTRY_NAME = "softphone.desktop"
SCHEMES = ("tel", "sip", "callto")
MARKER = "X-Softphone-Source-Install"
SYSTEM_ENTRY = Path("/usr/share/applications") / ENTRY_NAME


class HandlerError(Exception):
    """The entry or the defaults could not be written; the message says where and why."""


def _xdg_dir(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / fallback


def applications_dir() -> Path:
    return _xdg_dir("XDG_DATA_HOME", ".local/share") / "applications"


def mimeapps_path() -> Path:
    return _xdg_dir("XDG_CONFIG_HOME", ".config") / "mimeapps.list"


def entry_path() -> Path:
    return applications_dir() / ENTRY_NAME


def is_source_install() -> bool:
    """Not the frozen bundle (its package registers itself) and not run from the .deb."""
    return not getattr(sys, "frozen", False)


def launch_command(profile: Path) -> list[str]:
    argv = [sys.executable, "-m", "softphone"]
    if Path(profile).resolve() != default_profile():
        argv += ["--profile", str(Path(profile).resolve())]
    return argv


def desktop_entry(profile: Path) -> str:
    mime = "".join(f"x-scheme-handler/{s};" for s in SCHEMES)
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=Softphone",
        "GenericName=SIP Softphone",
        "GenericName[ru]=SIP-телефон",
        "Comment=Make and take phone calls with a built-in contact book",
        "Comment[ru]=Звонки по SIP со встроенной книгой контактов",
        f"Exec={exec_value(launch_command(profile))} %u",
        "Icon=" + str(icon_path()),
        "Terminal=false",
        "StartupNotify=true",
        "StartupWMClass=softphone",
        "Categories=Network;Telephony;ContactManagement;Qt;",
        f"MimeType={mime}",
        f"{MARKER}=true",
        "",
    ])


def icon_path() -> Path:
    return Path(__file__).resolve().parent.parent / "resources" / "icons" / "softphone-128.png"


def _read_mimeapps(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",), strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys keep their case
    try:
        parser.read_string(path.read_text("utf-8"))
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        raise HandlerError(f"cannot read {path}: {exc}") from None
    return parser


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, "utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise HandlerError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_mimeapps(path: Path, parser: configparser.ConfigParser) -> None:
    out = io.StringIO()
    parser.write(out, space_around_delimiters=False)
    _write(path, out.getvalue())


def _defaults(parser: configparser.ConfigParser) -> dict[str, str]:
    if not parser.has_section("Default Applications"):
        return {}
    return dict(parser.items("Default Applications"))


def _refresh_cache() -> None:
    """mimeinfo.cache for desktops that read it (GLib reads the entries themselves too)."""
    tool = shutil.which("update-desktop-database")
    if tool is None:
        return
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run([tool, str(applications_dir())], capture_output=True, timeout=10,
                       check=False)


def ours(path: Path) -> bool:
    try:
        return f"{MARKER}=true" in path.read_text("utf-8")
    except OSError:
        return False


def register(profile: Path) -> list[str]:
    """Write the entry and claim the schemes nobody else handles; returns the schemes that
    now open this app by default (a scheme another application owns is not taken)."""
    path = entry_path()
    if path.exists() and not ours(path):
        raise HandlerError(f"{path} exists and was not written by Softphone: left alone")
    text = desktop_entry(profile)
    try:
        same = path.is_file() and path.read_text("utf-8") == text
    except OSError:
        same = False
    if not same:
        _write(path, text)
    mimeapps = mimeapps_path()
    parser = _read_mimeapps(mimeapps)
    defaults = _defaults(parser)
    claimed: list[str] = []
    changed = False
    for scheme in SCHEMES:
        key = f"x-scheme-handler/{scheme}"
        current = [d for d in defaults.get(key, "").split(";") if d]
        if current and current[0] != ENTRY_NAME:
            continue  # the user picked another application for these links
        claimed.append(scheme)
        if not current:
            if not parser.has_section("Default Applications"):
                parser.add_section("Default Applications")
            parser.set("Default Applications", key, ENTRY_NAME + ";")
            changed = True
    if changed:
        _write_mimeapps(mimeapps, parser)
    if not same:
        _refresh_cache()
    return claimed


def unregister() -> None:
    """Remove our entry and the defaults that point to it."""
    path = entry_path()
    if path.exists() and ours(path):
        try:
            path.unlink()
        except OSError as exc:
            raise HandlerError(f"cannot remove {path}: {exc.strerror or exc}") from None
        _refresh_cache()
    mimeapps = mimeapps_path()
    if not mimeapps.exists():
        return
    parser = _read_mimeapps(mimeapps)
    changed = False
    for key, value in _defaults(parser).items():
        if key.startswith("x-scheme-handler/") and ENTRY_NAME in value.split(";"):
            rest = [d for d in value.split(";") if d and d != ENTRY_NAME]
            if rest:
                parser.set("Default Applications", key, ";".join(rest) + ";")
            else:
                parser.remove_option("Default Applications", key)
            changed = True
    if changed:
        _write_mimeapps(mimeapps, parser)


def apply_url_handlers(enabled: bool, profile: Path) -> str:
    """Register (``enabled``, source installs on XDG desktops) or unregister. Returns a line
    for the log; raises :class:`HandlerError` when a file cannot be written."""
    if sys.platform in ("win32", "darwin"):
        return "links: registered by the installer on this platform"
    if not enabled:
        unregister()
        return "links: not registered (setting off)"
    if not is_source_install():
        return "links: the package registers the app"
    claimed = register(profile)
    return f"links: {entry_path()} handles " + ", ".join(f"{s}:" for s in claimed or ["none"])
