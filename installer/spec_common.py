"""What every PyInstaller spec of softphone shares (imported by the .spec files).

What needs help beyond PyInstaller's own analysis:

* pjsua2 loads its SWIG module lazily (``pjsua2.__getattr__``) and looks for its bundled
  libcrypto in ``<site-packages>/pjsua2_python.libs`` to enable digest algorithms: the SWIG
  module is a hidden import and the auditwheel libraries keep that folder name.
* softphone/cli.py imports command modules by name and the UI is imported lazily.
* Alembic reads migrations as source files: softphone/crm/migrations goes in as data.
* sounddevice finds PortAudio with ``ctypes.util.find_library``: on Linux the system
  libportaudio2 is used (a package dependency), never a bundled copy that would drag its own
  ALSA/JACK libraries along; the same goes for every other system library (see
  :func:`linux_binaries`).
* keyring finds its backends through entry points: its metadata is needed.
* Opus: the codec (softphone/sip/audio/opus_codec.c) dlopen()s libopus at the first call, so
  PyInstaller cannot see it: the system's libopus.so.0 is bundled at the bundle's top level,
  where softphone/sip/codecs.py looks first (the one system library the bundle carries).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from PyInstaller.utils.hooks import collect_data_files, collect_submodules, copy_metadata

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ENTRY = str(ROOT / "installer" / "softphone-entry.py")

# Resource files that ship (scripts and translation sources stay behind).
_RESOURCE_SUFFIXES = {".png", ".svg", ".ico", ".icns", ".qm", ".wav", ".ogg", ".desktop",
                      ".xml", ".toml"}

EXCLUDES = [
    "tkinter", "unittest", "pydoc_data", "IPython", "pytest", "hypothesis", "mypy",
    "PyInstaller",
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuickControls2",
    "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtPdf", "PySide6.QtWebEngineCore",
    "PySide6.Qt3DCore", "PySide6.QtCharts", "PySide6.QtMultimedia", "PySide6.QtSql",
    "PySide6.QtTest", "PySide6.QtUiTools", "PySide6.QtOpenGLWidgets",
]


def version() -> str:
    from softphone import __version__

    return __version__


def site_packages() -> Path:
    import pjsua2

    return Path(pjsua2.__file__).resolve().parent.parent


def hiddenimports() -> list[str]:
    return [
        *collect_submodules("softphone", filter=lambda name: ".migrations" not in name),
        "pjsua2.pjsua2",
        "pjsua2._pjsua2",
        *collect_submodules("sqlalchemy.dialects.sqlite"),
        *collect_submodules("sqlalchemy.dialects.postgresql"),
        "psycopg",
        "psycopg_binary",
        "psycopg_binary.pq",
        "psycopg_binary._psycopg",
        *collect_submodules("keyring.backends"),
        *collect_submodules("zeroconf"),
        *collect_submodules("ldap3"),  # the LDAP directory (imported when configured)
        "alembic.runtime.migration",
        "alembic.script",
        "alembic.ddl.sqlite",
        "alembic.ddl.postgresql",
        "mako",
        "mako.template",
        "PySide6.QtNetwork",
        "PySide6.QtSvg",
        "PySide6.QtWidgets",
    ]


def datas() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    resources = ROOT / "resources"
    for path in sorted(resources.rglob("*")):
        if path.is_file() and path.suffix.lower() in _RESOURCE_SUFFIXES:
            out.append((str(path), str(path.parent.relative_to(ROOT))))
    # Alembic's env.py, script.py.mako and versions/*.py, read from disk at run time.
    out += collect_data_files("softphone", include_py_files=True, subdir="crm/migrations")
    out += collect_data_files("softphone", includes=["**/*.ini", "**/*.toml", "**/*.mako"])
    out += collect_data_files("alembic", includes=["templates/**"])
    for dist in ("keyring", "softphone", "pjsua2-python", "SQLAlchemy", "alembic",
                 "PySide6-Essentials", "psycopg", "psycopg-binary", "zeroconf"):
        try:
            out += copy_metadata(dist)
        except Exception:  # not installed as a distribution (a checkout)
            continue
    return [d for d in out if "__pycache__" not in d[0]]


def binaries() -> list[tuple[str, str]]:
    libs = site_packages() / "pjsua2_python.libs"
    out = [(str(p), "pjsua2_python.libs") for p in sorted(libs.glob("*"))]
    libopus = _libopus()
    if libopus is not None:
        out.append((libopus, "."))
    return out


def _libopus() -> str | None:
    from softphone.sip.codecs import find_libopus

    return find_libopus()  # the soname's path: the bundle's copy keeps that name


BUNDLED_SYSTEM_LIBS = ("libopus.so",)


# Qt plugins a desktop phone never uses; the GTK theme plugin would also drag GTK's whole
# stack in (and it is loaded from the system's Qt theme integration when present anyway).
_UNUSED_QT = (
    "plugins/platformthemes/libqgtk3", "plugins/egldeviceintegrations/",
    "plugins/platforms/libqeglfs", "plugins/platforms/libqlinuxfb", "plugins/platforms/libqvnc",
    "plugins/platforms/libqvkkhrdisplay", "plugins/platforms/libqminimalegl",
    "libQt6EglFSDeviceIntegration", "libQt6EglFsKmsSupport",
)
_SYSTEM_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")


def linux_binaries(found: list) -> list:  # type: ignore[type-arg]
    """Binaries to ship on Linux: no unused Qt plugins and no system libraries.

    System libraries (X11/xcb, fontconfig, GLib, OpenSSL 3, libstdc++...) come from the
    distribution instead: installer/linux/deb_depends.py finds what the bundle links against
    and turns it into the package's Depends. PortAudio is loaded by name at run time (system
    libportaudio2). pjsua2's own auditwheel libraries (old OpenSSL, krb5) stay bundled.
    """
    kept = []
    for entry in found:
        dest, src = entry[0], str(entry[1])
        if any(part in dest for part in _UNUSED_QT):
            continue
        if (src.startswith(_SYSTEM_DIRS) and "site-packages" not in src
                and not Path(dest).name.startswith(BUNDLED_SYSTEM_LIBS)):
            continue
        kept.append(entry)
    return kept


def slim_datas(found: list) -> list:  # type: ignore[type-arg]
    """Qt's translations only for the languages softphone ships (en, ru)."""
    keep = re.compile(r"(qt|qtbase)_(en|ru)\.qm$")
    return [entry for entry in found
            if "PySide6/Qt/translations/" not in entry[0].replace("\\", "/")
            or keep.search(entry[0])]
