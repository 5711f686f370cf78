"""Logging: named loggers per area, a rotating file in the profile, and secret redaction.

Every handler installed here carries :class:`RedactingFilter`, so a password, a digest
``response=`` or an ``Authorization`` header value never reaches a log line, whoever logs it.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from softphone.profile import logs_dir

LOG_FILE = "softphone.log"
_SECRET_PATTERNS = [
    # SIP Authorization / Proxy-Authorization header values (keep the header name).
    re.compile(r"(?im)^((?:Proxy-)?Authorization\s*:\s*)(.+)$"),
    # digest parameters that are derived from the password.
    re.compile(r"(?i)(\b(?:response|cnonce)\s*=\s*\"?)([^\",\s]+)"),
    # key = value style settings and URLs with a password.
    re.compile(r"(?i)(\bpass(?:word)?\s*[=:]\s*\"?)([^\"\s,;]+)"),
    re.compile(r"(?i)(://[^:/@\s]+:)([^@/\s]+)(@)"),
]
_extra_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Make sure this exact string is masked in every log line from now on."""
    if secret and len(secret) >= 3:
        _extra_secrets.add(secret)


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        if pattern.groups == 3:
            text = pattern.sub(lambda m: f"{m.group(1)}***{m.group(3)}", text)
        else:
            text = pattern.sub(lambda m: f"{m.group(1)}***", text)
    for secret in _extra_secrets:
        text = text.replace(secret, "***")
    return text


class RotatingLog(logging.FileHandler):
    """``logging.handlers.RotatingFileHandler``'s rotation: before a line would take the file
    to ``max_bytes``, it becomes ``<file>.1`` (``.1`` -> ``.2`` ... up to ``backups``). Here
    because ``logging.handlers`` would import ``pickle`` and ``queue`` at every start (~3 ms
    before the window shows)."""

    def __init__(self, path: Path, max_bytes: int, backups: int) -> None:
        super().__init__(path, mode="a", encoding="utf-8")
        self.max_bytes = max_bytes
        self.backups = backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self.stream is None:
                self.stream = self._open()
            line = self.format(record) + self.terminator
            size = self.stream.seek(0, 2)
            if size and size + len(line.encode("utf-8", "replace")) > self.max_bytes:
                self.rotate()
            super().emit(record)
        except Exception:
            self.handleError(record)

    def rotate(self) -> None:
        if self.stream is not None:
            self.stream.close()
        base = self.baseFilename
        for i in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{i}"):
                os.replace(f"{base}.{i}", f"{base}.{i + 1}")
        if self.backups > 0 and os.path.exists(base):
            os.replace(base, f"{base}.1")
        elif os.path.exists(base):
            os.remove(base)
        self.stream = self._open()


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


def setup_logging(profile: Path | None, verbose: bool = False, console: bool = True) -> Path | None:
    """Configure root logging; returns the log file path (None without a profile)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_softphone", False):
            root.removeHandler(handler)
            handler.close()  # a replaced log file is closed, not left to the collector
    fmt = logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    path = None
    if profile is not None:
        path = logs_dir(profile) / LOG_FILE
        file_handler = RotatingLog(path, max_bytes=5 * 1024 * 1024, backups=5)
        file_handler.setFormatter(fmt)
        file_handler.addFilter(RedactingFilter())
        file_handler._softphone = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setLevel(logging.DEBUG if verbose else logging.WARNING)
        stream.setFormatter(fmt)
        stream.addFilter(RedactingFilter())
        stream._softphone = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    return path
