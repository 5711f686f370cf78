"""Packaging files that cannot be built here (Windows, macOS) and the drawn icons: fast checks
of what a user would meet: link registration, icon files, the desktop entry."""

from __future__ import annotations

import importlib.util
import re
import shutil
import struct
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "resources" / "icons"
TRAY_STATES = ("registered", "dnd", "in-call", "missed", "offline")


def load_make_icons() -> Any:
    spec = importlib.util.spec_from_file_location("make_icons", ICONS / "make_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.ui
def test_committed_icons_are_what_make_icons_draws(qapp: Any, tmp_path: Path) -> None:
    load_make_icons().main(["--out", str(tmp_path)])
    drawn = sorted(p.name for p in tmp_path.iterdir())
    assert drawn, "nothing drawn"
    for name in drawn:
        assert (ICONS / name).read_bytes() == (tmp_path / name).read_bytes(), (
            f"{name} is out of date: run resources/icons/make_icons.py")


def test_every_status_icon_exists_in_every_tray_size() -> None:
    from PySide6.QtGui import QImage

    for state in TRAY_STATES:
        assert (ICONS / f"tray-{state}.svg").exists()
        for size in (16, 22, 24, 32, 48, 64):
            image = QImage(str(ICONS / f"tray-{state}-{size}.png"))
            assert (image.width(), image.height()) == (size, size), (state, size)
            assert image.hasAlphaChannel()
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert QImage(str(ICONS / f"softphone-{size}.png")).width() == size


def test_windows_and_mac_icon_containers() -> None:
    ico = (ICONS / "softphone.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1)
    sizes = {ico[6 + 16 * i] or 256 for i in range(count)}
    assert {16, 32, 48, 256} <= sizes
    icns = (ICONS / "softphone.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack(">I", icns[4:8])[0] == len(icns)
    assert b"ic08" in icns and b"\x89PNG" in icns


def test_desktop_entry_handles_phone_links() -> None:
    path = ROOT / "resources" / "desktop" / "softphone.desktop"
    text = path.read_text("utf-8")
    entry = dict(re.findall(r"^([A-Za-z]+)=(.*)$", text.split("[Desktop Action")[0], re.M))
    assert entry["Exec"] == "softphone %u"
    assert entry["Icon"] == "softphone"
    assert set(entry["MimeType"].rstrip(";").split(";")) == {
        "x-scheme-handler/tel", "x-scheme-handler/sip", "x-scheme-handler/callto"}
    assert "Exec=softphone dnd on" in text
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(path)], capture_output=True,
                                text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_windows_installer_registers_tel_sip_and_callto() -> None:
    iss = (ROOT / "installer" / "windows" / "softphone.iss").read_text("utf-8")
    registry = iss.split("[Registry]", 1)[1].split("\n[", 1)[0]
    for scheme in ("tel", "sip", "callto"):
        assert re.search(
            rf'Subkey: "Software\\Softphone\\Capabilities\\URLAssociations"; ValueType: string; '
            rf'ValueName: "{scheme}"; ValueData: "\{{#ProgId\}}"', registry), scheme
    assert 'ValueName: "URL Protocol"' in registry
    assert r'Subkey: "Software\Classes\{#ProgId}\shell\open\command"' in registry
    assert '""{app}\\{#AppExe}"" ""%1"""' in registry  # the link is passed quoted
    assert 'Subkey: "Software\\RegisteredApplications"' in registry
    assert "Source: \"{#SourceDir}\\*\"" in iss and "recursesubdirs" in iss


def test_macos_bundle_declares_the_url_schemes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the macOS spec with PyInstaller's build steps recorded instead of performed."""
    recorded: dict[str, Any] = {}

    def step(name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> Any:
            recorded[name] = kwargs
            return types.SimpleNamespace(datas=[], binaries=[], pure=[], scripts=[])
        return record

    common = types.SimpleNamespace(
        ENTRY="entry.py", ROOT=ROOT, EXCLUDES=[], version=lambda: "9.8.7",
        binaries=list, datas=list, hiddenimports=list, slim_datas=lambda d: d,
    )
    monkeypatch.setitem(sys.modules, "spec_common", common)
    spec = ROOT / "installer" / "macos" / "softphone-macos.spec"
    namespace = {name: step(name) for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE")}
    namespace["SPECPATH"] = str(spec.parent)
    exec(compile(spec.read_text("utf-8"), str(spec), "exec"), namespace)

    bundle = recorded["BUNDLE"]
    assert bundle["name"] == "Softphone.app"
    assert bundle["icon"].endswith("softphone.icns")
    plist = bundle["info_plist"]
    schemes = {s for t in plist["CFBundleURLTypes"] for s in t["CFBundleURLSchemes"]}
    assert schemes == {"tel", "sip", "sips", "callto"}
    assert plist["CFBundleShortVersionString"] == "9.8.7"
    assert "microphone" in plist["NSMicrophoneUsageDescription"]
    assert recorded["EXE"]["argv_emulation"] is False  # links arrive as QFileOpenEvent
