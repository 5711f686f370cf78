"""Writes that are never lost: call-log and chat writes go through :class:`JournaledWrites`.

When the database refuses one with a known error (locked, disk full, unavailable, corrupt) it
is appended to the pending journal in the profile (``softphone.crm.journal``) and replayed, in
order, by :meth:`JournaledWrites.flush_pending` - which also runs before the next such write
(at most every ``retry_interval`` seconds after a failed replay) and when the store opens or
closes. Each part registers the operations it writes (``handle("call_started", fn)``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from softphone.crm.errors import ConflictError, NotFoundError, StoreError, classify
from softphone.crm.journal import PendingJournal

log = logging.getLogger("softphone.crm")

# One for the process: every store of a profile (the DB worker's, an import's, a sync's)
# appends to and replays the same journal file.
_WRITE_LOCK = threading.RLock()


class JournaledWrites:
    #: after a failed replay, writes skip the retry for this many seconds
    retry_interval = 10.0

    def __init__(self, journal: PendingJournal,
                 before_write: Callable[[], None] = lambda: None) -> None:
        self.journal = journal
        self._before_write = before_write
        self._handlers: dict[str, Callable[..., Any]] = {}
        #: called (on the writing thread) when a write was journaled instead of saved
        self.on_pending: Callable[[StoreError], None] | None = None
        self.last_error: StoreError | None = None
        self._retry_at = 0.0

    def handle(self, op: str, apply: Callable[..., Any]) -> None:
        """``apply(**args)`` writes operation ``op`` (now, or replayed from the journal)."""
        self._handlers[op] = apply

    def write(self, op: str, args: dict[str, Any]) -> Any:
        """Apply ``op`` now; None when the database refused it and it was journaled."""
        with _WRITE_LOCK:
            if self.journal and time.monotonic() >= self._retry_at:
                self.flush_pending()
            self._before_write()
            if not self.journal:
                try:
                    return self._apply(op, args)
                except (ConflictError, NotFoundError):
                    raise
                except StoreError as err:
                    self._kept(err)
            self.journal.append(op, args)
            return None

    def _failed(self, err: StoreError) -> None:
        """A replay failed: later writes go straight to the journal for a while instead of
        each waiting for the lock again (an explicit ``flush_pending()`` always tries)."""
        self.last_error = err
        self._retry_at = time.monotonic() + self.retry_interval

    def _kept(self, err: StoreError) -> None:
        self._failed(err)
        log.warning("call log write deferred: %s", err.detail or err)
        if self.on_pending is not None:
            try:
                self.on_pending(err)
            except Exception:
                log.exception("on_pending callback failed")

    def pending_count(self) -> int:
        return len(self.journal)

    def flush_pending(self) -> int:
        """Write the journaled entries, in order. Returns how many were written.

        Stops (keeping the rest) at the first entry refused by a known error; an entry that
        fails as a bug is set aside in ``crm-pending.jsonl.rejected`` so it cannot block.
        """
        with _WRITE_LOCK:
            entries = self.journal.entries()
            written = 0
            for index, (op, args) in enumerate(entries):
                try:
                    self._apply(op, args)
                except (ConflictError, NotFoundError) as err:
                    self.journal.reject(op, args, str(err))
                except StoreError as err:
                    self.journal.replace(entries[index:])
                    self._failed(err)
                    return written
                except Exception as err:  # a bug: keep the entry aside, go on
                    known = classify(err)
                    if known is not None:
                        self.journal.replace(entries[index:])
                        self._failed(known)
                        return written
                    log.exception("pending call-log entry failed")
                    self.journal.reject(op, args, repr(err))
                else:
                    written += 1
            if entries:
                self.journal.replace([])
                log.info("wrote %d pending call-log entries", written)
            return written

    def _apply(self, op: str, args: dict[str, Any]) -> Any:
        handler = self._handlers.get(op)
        if handler is None:
            raise ValueError(f"unknown journal operation {op!r}")
        return handler(**args)
