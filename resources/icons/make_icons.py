"""Draw softphone's icons: SVG sources, PNG sizes, a Windows .ico and a macOS .icns.

Run from the repository root (the results are committed; run again after changing a shape):

    .venv/bin/python resources/icons/make_icons.py

Every icon is an SVG written here (a handset drawn from plain shapes, no borrowed artwork) and
rendered to PNG with Qt's SVG renderer, so the PNGs always match the SVGs.

* ``softphone.svg`` + ``softphone-<size>.png``: the application icon (launcher, window, installers).
* ``tray-<state>.svg`` + ``tray-<state>-<size>.png`` for the tray: ``registered``, ``dnd``,
  ``in-call``, ``missed``, ``offline``.
* ``call-<control>.svg`` for the call controls (answer, hangup, hold, mute, keypad, transfer,
  record), used where the desktop's icon theme has no icon of that name. They are drawn in
  ``CONTROL_INK``, which the app replaces with the button's text colour (light or dark).
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
APP_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
TRAY_SIZES = (16, 22, 24, 32, 48, 64)
ICO_SIZES = (16, 24, 32, 48, 64, 256)
ICNS_TYPES = ((b"ic07", 128), (b"ic08", 256), (b"ic09", 512))

# A handset in a 64x64 box, tilted like the usual "call" sign: a curved handle with an
# earpiece and a mouthpiece, drawn from a stroke and two rounded rectangles.
HANDSET = """
  <g transform="rotate(-40 32 32)" fill="{color}">
    <path d="M15 31 Q32 17 49 31" fill="none" stroke="{color}" stroke-width="7.5"
          stroke-linecap="round"/>
    <rect x="8" y="28.5" width="15" height="11" rx="4.5"/>
    <rect x="41" y="28.5" width="15" height="11" rx="4.5"/>
  </g>"""

APP = """<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <defs>
    <linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#3a8ee6"/>
      <stop offset="1" stop-color="#1d5fb8"/>
    </linearGradient>
  </defs>
  <rect x="2" y="2" width="60" height="60" rx="13" fill="url(#bg)"/>
  <!-- the contact card behind the handset: the CRM half of the app -->
  <rect x="33" y="8" width="23" height="17" rx="3" fill="#ffffff" fill-opacity="0.92"/>
  <circle cx="39.5" cy="15" r="3.4" fill="#1d5fb8"/>
  <rect x="45" y="12.5" width="8" height="2.2" rx="1.1" fill="#1d5fb8"/>
  <rect x="45" y="17" width="6" height="2.2" rx="1.1" fill="#1d5fb8"/>
  <g transform="translate(1 14) scale(0.78)">{handset}
  </g>
</svg>
"""

TRAY = """<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <circle cx="32" cy="32" r="30" fill="{fill}"/>{inner}
</svg>
"""

SLASH = """
  <line x1="14" y1="14" x2="50" y2="50" stroke="#ffffff" stroke-width="6"
        stroke-linecap="round"/>
  <line x1="14" y1="14" x2="50" y2="50" stroke="{fill}" stroke-width="2.5"
        stroke-linecap="round" transform="translate(-3.5 3.5)"/>"""

BADGE = """
  <circle cx="50" cy="14" r="13" fill="#f08c00" stroke="#ffffff" stroke-width="3"/>
  <rect x="48.2" y="6" width="3.6" height="10" rx="1.8" fill="#ffffff"/>
  <circle cx="50" cy="20.5" r="2.1" fill="#ffffff"/>"""

WAVES = """
  <path d="M40 16 A 10 10 0 0 1 47 23" fill="none" stroke="#ffffff" stroke-width="3.2"
        stroke-linecap="round"/>
  <path d="M41 8 A 17 17 0 0 1 55 22" fill="none" stroke="#ffffff" stroke-width="3.2"
        stroke-linecap="round"/>"""


CONTROL_INK = "#5c6670"  # replaced at run time by the palette's button text colour

CONTROL = """<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">{inner}
</svg>
"""


def control_svgs() -> dict[str, str]:
    ink = CONTROL_INK
    handset = HANDSET.format(color=ink)
    return {
        "answer": CONTROL.format(inner=handset),
        "hangup": CONTROL.format(
            # level, the ends down: the handset put back on its hook
            inner=f'\n  <g transform="translate(0 4) rotate(40 32 32)">{handset}\n  </g>'),
        "hold": CONTROL.format(inner=f"""
  <rect x="17" y="12" width="11" height="40" rx="3" fill="{ink}"/>
  <rect x="36" y="12" width="11" height="40" rx="3" fill="{ink}"/>"""),
        "mute": CONTROL.format(inner=f"""
  <rect x="24" y="6" width="16" height="30" rx="8" fill="{ink}"/>
  <path d="M16 30 A16 16 0 0 0 48 30" fill="none" stroke="{ink}" stroke-width="4.5"
        stroke-linecap="round"/>
  <rect x="29.75" y="45" width="4.5" height="9" fill="{ink}"/>
  <rect x="21" y="53" width="22" height="4.5" rx="2.25" fill="{ink}"/>
  <line x1="10" y1="8" x2="54" y2="58" stroke="{ink}" stroke-width="5" stroke-linecap="round"/>"""),
        "keypad": CONTROL.format(inner="".join(
            f'\n  <circle cx="{x}" cy="{y}" r="5.5" fill="{ink}"/>'
            for y in (9, 23, 37) for x in (16, 32, 48)) +
            f'\n  <circle cx="32" cy="51" r="5.5" fill="{ink}"/>'),
        "transfer": CONTROL.format(inner=f"""
  <g transform="translate(-4 10) scale(0.7)">{handset}
  </g>
  <path d="M34 16 H52" stroke="{ink}" stroke-width="5" stroke-linecap="round"/>
  <path d="M45 8 L54 16 L45 24" fill="none" stroke="{ink}" stroke-width="5"
        stroke-linecap="round" stroke-linejoin="round"/>"""),
        "record": CONTROL.format(inner="""
  <circle cx="32" cy="32" r="20" fill="#d9363e"/>"""),
    }


def tray_svgs() -> dict[str, str]:
    white = HANDSET.format(color="#ffffff")
    return {
        "registered": TRAY.format(fill="#2f9e44", inner=white),
        "dnd": TRAY.format(
            fill="#d9363e",
            inner='\n  <rect x="13" y="27" width="38" height="10" rx="4" fill="#ffffff"/>',
        ),
        "in-call": TRAY.format(
            fill="#1c7ed6",
            inner=f'\n  <g transform="translate(0 8) scale(0.82)">{white}\n  </g>' + WAVES,
        ),
        "missed": TRAY.format(fill="#2f9e44", inner=white + BADGE),
        "offline": TRAY.format(fill="#868e96", inner=white + SLASH.format(fill="#868e96")),
    }


def app_svg() -> str:
    return APP.format(handset=HANDSET.format(color="#ffffff"))


def render(svg: str, size: int) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    if not renderer.isValid():
        raise ValueError("invalid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding PNG images (supported since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def icns(pngs: dict[bytes, bytes]) -> bytes:
    """A macOS .icns holding PNG images (ic07 128, ic08 256, ic09 512)."""
    body = b"".join(kind + struct.pack(">I", 8 + len(png)) + png for kind, png in pngs.items())
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Draw softphone's icons.")
    parser.add_argument("--out", default=str(HERE), help="where to write (default: here)")
    out = Path(parser.parse_args(argv).out)
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    svg = app_svg()
    (out / "softphone.svg").write_text(svg, encoding="utf-8")
    rendered: dict[int, bytes] = {}
    for size in sorted(set(APP_SIZES) | set(ICO_SIZES)):
        rendered[size] = render(svg, size)
        if size in APP_SIZES:
            (out / f"softphone-{size}.png").write_bytes(rendered[size])
    (out / "softphone.ico").write_bytes(ico({s: rendered[s] for s in ICO_SIZES}))
    (out / "softphone.icns").write_bytes(
        icns({kind: rendered.get(size) or render(svg, size) for kind, size in ICNS_TYPES})
    )
    for state, tray in tray_svgs().items():
        (out / f"tray-{state}.svg").write_text(tray, encoding="utf-8")
        for size in TRAY_SIZES:
            (out / f"tray-{state}-{size}.png").write_bytes(render(tray, size))
    for control, svg_text in control_svgs().items():
        (out / f"call-{control}.svg").write_text(svg_text, encoding="utf-8")
    print(f"icons written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
