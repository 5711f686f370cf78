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
    """What matters, not bytes (issue 14): the SVG sources are text and must match; every
    rendered image has the same size and alpha, and the same colours within what two
    rasterisers (another Qt, FreeType or CPU) differ by on anti-aliased edges."""
    load_make_icons().main(["--out", str(tmp_path)])
    drawn = sorted(p.name for p in tmp_path.iterdir())
    assert drawn, "nothing drawn"
    assert sorted(p.name for p in ICONS.iterdir() if p.name != "make_icons.py"
                  and not p.name.startswith(".")) == drawn, "icons added or missing"
    for name in drawn:
        committed, fresh = (ICONS / name).read_bytes(), (tmp_path / name).read_bytes()
        stale = f"{name} is out of date: run resources/icons/make_icons.py"
        if name.endswith(".svg"):
            assert committed == fresh, stale
        elif name.endswith(".png"):
            assert_same_picture(committed, fresh, stale)
        elif name.endswith(".ico"):
            assert_same_containers(ico_images(committed), ico_images(fresh), stale)
        elif name.endswith(".icns"):
            assert_same_containers(icns_images(committed), icns_images(fresh), stale)
        else:
            raise AssertionError(f"{name}: no rule to compare it")


def picture(data: bytes) -> Any:
    from PySide6.QtGui import QImage

    image = QImage.fromData(data)
    assert not image.isNull(), "not a readable image"
    return image


def assert_same_picture(committed: bytes, fresh: bytes, why: str) -> None:
    """Same size and alpha; colours (alpha included) within a tolerance: no channel of any
    pixel off by more than 64 of 255, 99 % of pixels within 8, the mean within 2."""
    import numpy as np
    from PySide6.QtGui import QImage

    a, b = picture(committed), picture(fresh)
    assert a.size() == b.size(), f"{why}: {a.width()}x{a.height()} vs {b.width()}x{b.height()}"
    assert a.hasAlphaChannel() == b.hasAlphaChannel(), f"{why}: alpha channel"

    def pixels(image: Any) -> Any:
        image = image.convertToFormat(QImage.Format.Format_RGBA8888)
        raw = np.frombuffer(bytes(image.constBits()), dtype=np.uint8)
        return raw.reshape(image.height(), image.bytesPerLine())[:, :image.width() * 4] \
            .reshape(image.height(), image.width(), 4).astype(np.int16)

    diff = np.abs(pixels(a) - pixels(b))
    assert diff.max() <= 64, f"{why}: a pixel differs by {diff.max()}"
    assert (diff.max(axis=2) <= 8).mean() >= 0.99, f"{why}: too many pixels differ"
    assert diff.mean() <= 2.0, f"{why}: colours differ by {diff.mean():.2f} on average"


def assert_same_containers(committed: dict[Any, bytes], fresh: dict[Any, bytes],
                           why: str) -> None:
    assert sorted(committed) == sorted(fresh), f"{why}: sizes {sorted(committed)}"
    for key in committed:
        assert_same_picture(committed[key], fresh[key], f"{why} ({key})")


def ico_images(data: bytes) -> dict[int, bytes]:
    _reserved, _kind, count = struct.unpack("<HHH", data[:6])
    out = {}
    for i in range(count):
        width, _h, _c, _r, _p, _b, size, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i:22 + 16 * i])
        out[width or 256] = data[offset:offset + size]
    return out


def icns_images(data: bytes) -> dict[bytes, bytes]:
    out, at = {}, 8
    while at < len(data):
        kind, length = data[at:at + 4], struct.unpack(">I", data[at + 4:at + 8])[0]
        out[kind] = data[at + 8:at + length]
        at += length
    return out


@pytest.mark.ui
def test_icon_comparison_tolerates_a_shade_and_catches_a_change(qapp: Any) -> None:
    """The comparison passes what another machine's renderer changes (a shade, the PNG
    encoder's bytes) and fails what a real change of the drawing does."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    source = QImage(str(ICONS / "tray-missed-32.png"))

    def encoded(image: Any, level: int = -1) -> bytes:
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG", level)
        buffer.close()
        return bytes(data.data())

    shaded = source.convertToFormat(QImage.Format.Format_ARGB32)
    for y in range(shaded.height()):  # one shade off everywhere (the b'\xf8' vs b'\xf7')
        for x in range(shaded.width()):
            c = shaded.pixelColor(x, y)
            c.setRed(max(0, c.red() - 1))
            shaded.setPixelColor(x, y, c)
    original = (ICONS / "tray-missed-32.png").read_bytes()
    assert encoded(shaded, 9) != original
    assert_same_picture(original, encoded(shaded, 9), "a shade")
    recoloured = source.convertToFormat(QImage.Format.Format_ARGB32)
    for y in range(recoloured.height()):
        for x in range(recoloured.width()):
            c = recoloured.pixelColor(x, y)
            if c.alpha() > 0:
                recoloured.setPixelColor(x, y, QColor(0, 0, 255, c.alpha()))
    with pytest.raises(AssertionError):
        assert_same_picture(original, encoded(recoloured), "recoloured")
    with pytest.raises(AssertionError):
        assert_same_picture(original, encoded(source.scaled(31, 31)), "resized")


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
