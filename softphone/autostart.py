"""Start at login (``[ui] start_at_login``).

* Linux and other XDG desktops: an autostart entry ``$XDG_CONFIG_HOME/autostart/softphone.desktop``
  (``~/.config`` when the variable is unset), which every XDG-compliant session (GNOME, KDE,
  Xfce, LXQt, Cinnamon, MATE) runs at login. Its ``Exec`` starts this same program with
  ``--minimized`` (into the tray) and with ``--profile`` when the profile is not the default one
  (at login ``$SOFTPHONE_PROFILE`` is usually not set, so the path must be spelt out).
* Windows: the installer's "Start Softphone when I sign in" task (a Startup-folder shortcut,
  installer/windows/softphone.iss). macOS: a LaunchAgent or Login Items; neither is written by
  the app, so the setting reports that it is not available there.

No Qt: the composition root calls :func:`apply_start_at_login` and shows its errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from softphone.profile import default_profile

ENTRY_NAME = "softphone.desktop"

#: characters that make the Desktop Entry spec require a quoted argument
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
#: characters escaped with a backslash inside a quoted argument
_ESCAPED_IN_QUOTES = set('"`$\\')


class AutostartError(Exception):
    """The autostart entry could not be written or removed; the message says where and why."""


def supported() -> bool:
    """Whether the app itself can turn start at login on and off on this platform."""
    return sys.platform not in ("win32", "darwin")


def autostart_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME", "")
    # The XDG spec: a relative value is invalid and must be ignored.
    base = Path(config) if config and os.path.isabs(config) else Path.home() / ".config"
    return base / "autostart"


def entry_path() -> Path:
    return autostart_dir() / ENTRY_NAME


def launch_command(profile: Path) -> list[str]:
    """The command line that starts this app, minimized, on ``profile``."""
    if getattr(sys, "frozen", False):  # the PyInstaller bundle: its own executable
        argv = [sys.executable]
    else:  # a checkout or a pip install: the interpreter that runs us now
        argv = [sys.executable, "-m", "softphone"]
    if Path(profile).resolve() != default_profile():
        argv += ["--profile", str(Path(profile).resolve())]
    argv.append("--minimized")
    return argv


def quote_exec_argument(arg: str) -> str:
    """One argument of an ``Exec`` key, quoted as the Desktop Entry spec asks."""
    if "\n" in arg or "\r" in arg:
        raise AutostartError(f"cannot start a program from a path with a line break: {arg!r}")
    arg = arg.replace("%", "%%")  # field codes
    if arg and not set(arg) & _RESERVED:
        return arg
    return '"' + "".join("\\" + c if c in _ESCAPED_IN_QUOTES else c for c in arg) + '"'


def exec_value(argv: list[str]) -> str:
    """The ``Exec=`` value: quoted arguments, then the string escape of every desktop-file
    value (a backslash is written twice)."""
    return " ".join(quote_exec_argument(a) for a in argv).replace("\\", "\\\\")


def desktop_entry(profile: Path) -> str:
    return "\n".join([
        "[Desktop Entry]",
        "Type=Application",
        "Name=Softphone",
        "Comment=Starts Softphone in the tray when you log in",
        f"Exec={exec_value(launch_command(profile))}",
        "Icon=softphone",
        "Terminal=false",
        "X-GNOME-Autostart-enabled=true",
        "",
    ])


def apply_start_at_login(enabled: bool, profile: Path) -> Path | None:
    """Write (``enabled``) or remove the autostart entry. Returns its path when written.

    Raises :class:`AutostartError` for a directory that cannot be written (read-only home,
    a file where the directory should be) and on platforms where the app cannot do it.
    """
    if not supported():
        raise AutostartError(
            "start at login is set by the installer on Windows and in System Settings > "
            "Login Items on macOS")
    path = entry_path()
    if not enabled:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise AutostartError(f"cannot remove {path}: {exc.strerror or exc}") from None
        return None
    text = desktop_entry(profile)
    try:
        if path.is_file() and path.read_text("utf-8") == text:
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, "utf-8")
        os.replace(tmp, path)  # a session starting now never reads half a file
    except OSError as exc:
        raise AutostartError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
