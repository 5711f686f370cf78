"""A durable journal of call-log writes that the database refused with a known error.

One JSON object per line, appended and fsynced before the caller is told "kept". Entries are
replayed in order by :meth:`Store.flush_pending`; an entry that fails as a *bug* (not locked /
full / unavailable) is moved to ``<name>.rejected`` so it cannot block the rest, never dropped.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("softphone.crm")

JOURNAL_NAME = "crm-pending.jsonl"

_pending_counter = itertools.count(1)


def new_pending_id() -> int:
    """The id of a call-log row not written yet (negative; its ``client_key`` in the row)."""
    return -(int(time.time() * 1000) * 1000 + next(_pending_counter) % 1000)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$dt"}:
            return datetime.fromisoformat(value["$dt"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class PendingJournal:
    """Append-only JSON-lines file in the profile."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rejected_path = path.with_name(path.name + ".rejected")
        self._lock = threading.Lock()
        # Lines the file could not take (disk full): kept here, in order after the file's,
        # until a later append or replace can write them out.
        self._memory: list[str] = []

    def append(self, op: str, args: dict[str, Any]) -> None:
        line = json.dumps({"op": op, "args": _encode(args)}, ensure_ascii=False) + "\n"
        with self._lock:
            try:
                self._write_lines([*self._memory, line])
                self._memory = []
            except OSError as exc:
                self._memory.append(line)
                log.warning("call log write kept in memory (cannot write %s: %s): %s",
                            self.path.name, exc, op)
                return
        log.warning("call log write kept in %s for retry: %s", self.path.name, op)

    def _write_lines(self, lines: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        with open(self.path, "a", encoding="utf-8") as f:
            f.write("".join(lines))
            f.flush()
            os.fsync(f.fileno())
        if new:
            _fsync_dir(self.path.parent)

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
            out = []
            for number, line in enumerate([*text.splitlines(), *self._memory]):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    out.append((str(item["op"]), _decode(item["args"])))
                except (ValueError, KeyError, TypeError):
                    # a torn last line after a power cut: keep it for a human, skip it here
                    self._reject_text(line, f"unreadable journal line {number + 1}")
            return out

    def __len__(self) -> int:
        return len(self.entries())

    def __bool__(self) -> bool:
        if self._memory:
            return True
        try:
            return self.path.stat().st_size > 0
        except FileNotFoundError:
            return False

    def replace(self, remaining: list[tuple[str, dict[str, Any]]]) -> None:
        """Atomically keep only ``remaining`` (the entries not yet written)."""
        with self._lock:
            self._memory = []
            if not remaining:
                self.path.unlink(missing_ok=True)
                _fsync_dir(self.path.parent)
                return
            lines = [json.dumps({"op": op, "args": _encode(args)}, ensure_ascii=False) + "\n"
                     for op, args in remaining]
            tmp = self.path.with_name(self.path.name + ".tmp")
            try:
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write("".join(lines))
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except OSError as exc:  # disk full: keep them in memory, never twice
                log.warning("cannot rewrite %s (%s): pending entries kept in memory",
                            self.path.name, exc)
                tmp.unlink(missing_ok=True)
                self.path.unlink(missing_ok=True)
                self._memory = lines
            _fsync_dir(self.path.parent)

    def reject(self, op: str, args: dict[str, Any], reason: str) -> None:
        line = json.dumps({"op": op, "args": _encode(args), "error": reason}, ensure_ascii=False)
        self._reject_text(line, reason)

    def _reject_text(self, line: str, reason: str) -> None:
        log.error("pending call-log entry cannot be written (%s); kept in %s", reason,
                  self.rejected_path.name)
        try:
            with open(self.rejected_path, "a", encoding="utf-8") as f:
                f.write(line.rstrip("\n") + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:  # disk full: the log is the last place left for it
            log.error("cannot write %s (%s); the entry was: %s", self.rejected_path.name, exc,
                      line.rstrip("\n"))
