"""Extract translatable strings into .ts files and compile them into .qm files.

    .venv/bin/python resources/translations/update_translations.py            # both steps
    .venv/bin/python resources/translations/update_translations.py --extract  # lupdate only
    .venv/bin/python resources/translations/update_translations.py --compile  # lrelease only

* ``--extract`` runs ``pyside6-lupdate`` (shipped with PySide6-Essentials) over every Python file
  of the UI (``softphone/ui``, ``softphone/app.py``, ``softphone/i18n.py``) and merges new
  strings into ``softphone_<lang>.ts``; existing translations are kept, strings that disappeared
  are marked obsolete. Translators edit the .ts with Qt Linguist (``pyside6-linguist``) or any
  editor that knows the TS format.
* ``--compile`` runs ``pyside6-lrelease`` to build ``softphone_<lang>.qm``, which
  :mod:`softphone.i18n` loads at start. The installer build runs this step.

English is the source language: it needs no .ts.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
LANGUAGES = ("ru",)


def _tool(name: str) -> str:
    """``pyside6-<name>`` next to the running Python, on PATH, or the binary inside PySide6."""
    beside = Path(sys.executable).parent / f"pyside6-{name}"
    if beside.exists():
        return str(beside)
    found = shutil.which(f"pyside6-{name}")
    if found:
        return found
    import PySide6

    inside = Path(PySide6.__file__).parent / name
    if inside.exists():
        return str(inside)
    raise SystemExit(f"{name} not found: install PySide6-Essentials (it ships pyside6-{name})")


def sources() -> list[str]:
    files = sorted((ROOT / "softphone" / "ui").rglob("*.py"))
    files += [ROOT / "softphone" / name for name in ("app.py", "i18n.py", "live_settings.py")]
    return [str(f.relative_to(ROOT)) for f in files if f.exists()]


def ts_file(language: str) -> Path:
    return HERE / f"softphone_{language}.ts"


def extract() -> None:
    for language in LANGUAGES:
        ts = ts_file(language)
        cmd = [_tool("lupdate"), "-locations", "none", "-target-language", language,
               *sources(), "-ts", str(ts.relative_to(ROOT))]
        subprocess.run(cmd, cwd=ROOT, check=True)
        _warn_about_missing_contexts(ts)


def _warn_about_missing_contexts(ts: Path) -> None:
    """``tr("Context", "Text")`` through a helper named ``tr`` is read by lupdate as
    tr(source, comment): the context ends up empty. Name such a helper ``translate``."""
    import xml.etree.ElementTree as ET

    for context in ET.parse(ts).getroot().iter("context"):
        if not (context.findtext("name") or "").strip():
            count = len(context.findall("message"))
            print(f"warning: {ts.name}: {count} message(s) without a context; call "
                  "QCoreApplication.translate(context, text) or a helper named translate(), "
                  "not tr(context, text)", file=sys.stderr)


def compile_all() -> list[Path]:
    built = []
    for ts in sorted(HERE.glob("softphone_*.ts")):
        qm = ts.with_suffix(".qm")
        subprocess.run([_tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True)
        built.append(qm)
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract", action="store_true", help="only run lupdate")
    parser.add_argument("--compile", action="store_true", help="only run lrelease")
    args = parser.parse_args(argv)
    both = not (args.extract or args.compile)
    if args.extract or both:
        extract()
    if args.compile or both:
        for qm in compile_all():
            print(f"compiled {qm.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
