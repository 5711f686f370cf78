"""softphone.toml as a file: where it is, writing it atomically, and reading one of its tables
(typed values, choices, ranges, SIP URIs; every error names the file, ``section.key`` and its
line). A leaf module: :mod:`softphone.settings`, :mod:`softphone.settings_network`,
:mod:`softphone.integrations.config` and :mod:`softphone.secrets` use it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

SETTINGS_FILE = "softphone.toml"


class SettingsError(Exception):
    """A settings file that cannot be used; the message names the file, key and line."""


class TableReader:
    """Validates one table of the file, naming ``section.key`` and its line in every error."""

    def __init__(self, path: Path, text: str, table: dict[str, Any], where: str) -> None:
        self.path = path
        self.text = text
        self.table = table
        self.where = where
        self.used: set[str] = set()

    def fail(self, key: str, problem: str) -> SettingsError:
        line = line_of(self.text, self.where, key)
        at = f" (line {line})" if line else ""
        name = f"{self.where}.{key}" if self.where else key
        return SettingsError(f"{self.path}: {name}{at}: {problem}")

    def get(self, key: str, kind: type, default: Any) -> Any:
        self.used.add(key)
        if key not in self.table:
            return default
        value = self.table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is int and isinstance(value, bool):
            raise self.fail(key, f"expected an integer, got {value!r}")
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {_kind_name(kind)}, got {value!r}")
        return value

    def text_or_none(self, key: str) -> str | None:
        value = self.get(key, str, None)
        if value is not None and not value.strip():
            return None
        return value.strip() if value is not None else None

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = str(self.get(key, str, default)).lower()
        if value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def int_range(self, key: str, default: int, low: int, high: int) -> int:
        value = int(self.get(key, int, default))
        if not low <= value <= high:
            raise self.fail(key, f"must be between {low} and {high}, got {value}")
        return value

    def sip_uri(self, key: str, required: bool = False) -> str | None:
        value = self.text_or_none(key)
        if value is None:
            if required:
                raise self.fail(key, "is required")
            return None
        if not re.match(r"^sips?:[^\s<>\"]+$", value):
            raise self.fail(key, f"is not a SIP URI (sip:user@host[:port]), got {value!r}")
        return value

    def check_unknown(self) -> None:
        for key in self.table:
            if key not in self.used:
                raise self.fail(key, "unknown setting (misspelt?)")


def _kind_name(kind: type) -> str:
    return {str: "a string", int: "an integer", bool: "true or false", float: "a number",
            list: "a list", dict: "a table"}.get(kind, kind.__name__)


def line_of(text: str, section: str, key: str) -> int | None:
    """The 1-based line where ``key`` is set inside ``section`` (``accounts[2]`` for arrays)."""
    m = re.match(r"^(\w+)(?:\[(\d+)\])?$", section) if section else None
    want_name = m.group(1) if m else ""
    want_index = int(m.group(2)) if m and m.group(2) else None
    current = ""
    index = -1
    key_re = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        header = re.match(r"^\[\[\s*([\w.]+)\s*\]\]", stripped)
        if header:
            if header.group(1) != current:
                index = -1
            current = header.group(1)
            index += 1
            continue
        header = re.match(r"^\[\s*([\w.]+)\s*\]", stripped)
        if header:
            current, index = header.group(1), -1
            continue
        if current == want_name and (want_index is None or want_index == index) and key_re.match(
            line
        ):
            return number
        if not section and not current and key_re.match(line):
            return number
    if want_index is not None:
        # The key is missing; point at the table header instead.
        index = -1
        for number, line in enumerate(text.splitlines(), start=1):
            if re.match(rf"^\s*\[\[\s*{re.escape(want_name)}\s*\]\]", line):
                index += 1
                if index == want_index:
                    return number
    return None


def settings_path(profile: Path) -> Path:
    return profile / SETTINGS_FILE


def write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
