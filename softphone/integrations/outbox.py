"""A persistent outbox: events for other systems survive a crash and reach them in order.

Why a SQLite file of its own (``<profile>/outbox.sqlite3``) and not a table in the CRM: what is
delivered, where, and with which secret is this installation's business (its settings and
keyring), while the CRM may be a PostgreSQL database shared by the whole office, where every
agent's app would see (and could send) every other agent's events. A file beside the settings
also keeps delivering when the shared database is down, needs no migration in the CRM's chain,
and is read with plain ``sqlite3`` (no SQLAlchemy in an app that only sends webhooks).

Delivery is at least once, in order, per target: the worker only ever sends the oldest pending
event of a target; a failure keeps it at the head and retries it after a back-off that doubles
from ``retry_initial`` to ``retry_max`` seconds, for as long as it takes (a receiver that is down
for an hour gets every event when it is back). An event is marked delivered only after the
receiver said so, so a crash in between sends it again: each event carries an id (and a
sequence number) for the receiver to drop duplicates. Only a sender's explicit refusal (a
request the other side can never accept) sets an event aside, logged, so that it does not
block the ones behind it.

Every commit is ``synchronous = FULL``: an event that :meth:`Outbox.add` returned for is on
disk, whatever happens to the process (or the machine) next.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("softphone.integrations.outbox")

OUTBOX_FILE = "outbox.sqlite3"
PENDING, DELIVERED, REFUSED = "pending", "delivered", "refused"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        target TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        created_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'pending',
        done_at REAL)""",
    "CREATE INDEX IF NOT EXISTS ix_events_queue ON events (target, state, seq)",
    """CREATE TABLE IF NOT EXISTS target_state (
        target TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (target, key))""",
)


@dataclass(frozen=True)
class OutboxEvent:
    seq: int
    event_id: str
    target: str
    kind: str
    payload: dict[str, Any]
    created_at: float
    attempts: int
    next_at: float
    last_error: str = ""
    state: str = PENDING


class RetryLater(Exception):
    """The target could not take the event now (down, busy, timed out): try again later."""


class Refused(Exception):
    """The target will never take this event as it is: set it aside (logged) and go on."""


class Sender(Protocol):
    def send(self, event: OutboxEvent, outbox: Outbox) -> None:
        """Deliver one event or raise RetryLater / Refused."""


class Outbox:
    """The queue itself; safe to use from several threads (one connection, one lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), timeout=10.0, isolation_level=None,
                                     check_same_thread=False)
        for pragma in ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL",
                       "PRAGMA busy_timeout = 10000"):
            self._conn.execute(pragma)
        with self._lock:
            for statement in _SCHEMA:
                self._conn.execute(statement)

    @classmethod
    def in_profile(cls, profile: Path) -> Outbox:
        return cls(profile / OUTBOX_FILE)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- writing --------------------------------------------------------------------------
    def add(self, target: str, kind: str, payload: Mapping[str, Any], *,
            event_id: str | None = None, now: float | None = None) -> str:
        """Queue one event for ``target``; on disk when this returns. Returns its id."""
        event_id = event_id or uuid.uuid4().hex
        at = time.time() if now is None else now
        text = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        with self._lock:
            self._conn.execute(
                "INSERT INTO events (event_id, target, kind, payload, created_at, next_at) "
                "VALUES (?, ?, ?, ?, ?, ?)", (event_id, target, kind, text, at, at))
        return event_id

    def mark_delivered(self, seq: int, now: float | None = None) -> None:
        self._finish(seq, DELIVERED, "", now)

    def mark_refused(self, seq: int, reason: str, now: float | None = None) -> None:
        self._finish(seq, REFUSED, reason, now)

    def _finish(self, seq: int, state: str, error: str, now: float | None) -> None:
        at = time.time() if now is None else now
        with self._lock:
            self._conn.execute(
                "UPDATE events SET state = ?, done_at = ?, attempts = attempts + 1, "
                "last_error = ? WHERE seq = ?", (state, at, error[:500], seq))

    def mark_failed(self, seq: int, reason: str, next_at: float) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE events SET attempts = attempts + 1, next_at = ?, last_error = ? "
                "WHERE seq = ?", (next_at, reason[:500], seq))

    def prune(self, older_than_days: float, now: float | None = None) -> int:
        """Forget delivered and refused events finished more than ``older_than_days`` ago."""
        cutoff = (time.time() if now is None else now) - older_than_days * 86400
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM events WHERE state != 'pending' AND done_at < ?", (cutoff,))
            return cur.rowcount

    # --- reading --------------------------------------------------------------------------
    def head(self, target: str) -> OutboxEvent | None:
        """The oldest pending event of ``target`` (the only one that may be sent now)."""
        rows = self._select("WHERE target = ? AND state = 'pending' ORDER BY seq LIMIT 1",
                            (target,))
        return rows[0] if rows else None

    def pending_targets(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._conn.execute(
                "SELECT DISTINCT target FROM events WHERE state = 'pending'")]

    def pending_count(self, target: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM events WHERE state = 'pending'"
        params: tuple[Any, ...] = ()
        if target is not None:
            sql += " AND target = ?"
            params = (target,)
        with self._lock:
            return int(self._conn.execute(sql, params).fetchone()[0])

    def events(self, target: str | None = None, state: str | None = None,
               limit: int = 100) -> list[OutboxEvent]:
        clauses, params = [], []
        if target is not None:
            clauses.append("target = ?")
            params.append(target)
        if state is not None:
            clauses.append("state = ?")
            params.append(state)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return self._select(f"{where} ORDER BY seq DESC LIMIT ?", (*params, limit))

    def _select(self, tail: str, params: tuple[Any, ...]) -> list[OutboxEvent]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, event_id, target, kind, payload, created_at, attempts, next_at, "
                f"last_error, state FROM events {tail}", params).fetchall()
        return [OutboxEvent(seq=r[0], event_id=r[1], target=r[2], kind=r[3],
                            payload=json.loads(r[4]), created_at=r[5], attempts=r[6],
                            next_at=r[7], last_error=r[8], state=r[9]) for r in rows]

    # --- a target's own small memory (e.g. the Bitrix24 CALL_ID of our call) ---------------
    def remember(self, target: str, key: str, value: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO target_state (target, key, value) VALUES (?, ?, ?) "
                "ON CONFLICT (target, key) DO UPDATE SET value = excluded.value",
                (target, key, value))

    def recall(self, target: str, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT value FROM target_state WHERE target = ? AND key = ?",
                (target, key)).fetchone()
        return None if row is None else str(row[0])


def backoff(attempts: int, initial: float, maximum: float) -> float:
    """Seconds to wait after the ``attempts``-th failure (1, 2, ...): doubling, capped."""
    return float(min(maximum, initial * (2 ** min(max(attempts - 1, 0), 40))))


@dataclass(frozen=True)
class TargetStatus:
    target: str
    pending: int
    failing_since: float | None  # the head's first failure, while it keeps failing
    last_error: str


class OutboxWorker:
    """Sends pending events, one target at a time in order, on its own thread.

    ``wake()`` after :meth:`Outbox.add` sends at once; otherwise the thread sleeps until the
    next retry is due. ``on_status`` (called on this thread) hears about failures and
    recoveries, for a line in the window."""

    def __init__(self, outbox: Outbox, senders: Mapping[str, Sender], *,
                 retry_initial: float = 5.0, retry_max: float = 600.0, keep_days: float = 7,
                 on_status: Callable[[TargetStatus], None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.outbox = outbox
        self.senders = dict(senders)
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.keep_days = keep_days
        self.on_status = on_status
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing: dict[str, float] = {}

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the request in flight (if any); pending events stay for the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the outbox is still sending after %.0f s; left behind", timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        if self.keep_days:
            try:
                self.outbox.prune(self.keep_days)
            except sqlite3.Error as exc:
                log.warning("outbox: %s", exc)
        while not self._stop.is_set():
            self._wake.clear()
            try:
                wait = self.run_once()
            except Exception:
                log.exception("outbox delivery failed")
                wait = self.retry_initial
            if wait is None:
                self._wake.wait()
            elif wait > 0:
                self._wake.wait(wait)

    def run_once(self) -> float | None:
        """Send whatever is due; the seconds until the next retry (None: nothing pending)."""
        next_due: float | None = None
        for target in self.outbox.pending_targets():
            sender = self.senders.get(target)
            if sender is None:
                continue  # its feature was turned off: the events wait for it, never dropped
            while not self._stop.is_set():
                event = self.outbox.head(target)
                if event is None:
                    break
                now = self.clock()
                if event.next_at > now:
                    next_due = _earliest(next_due, event.next_at - now)
                    break
                if not self._deliver(sender, event):
                    head = self.outbox.head(target)
                    if head is not None:
                        next_due = _earliest(next_due, max(0.0, head.next_at - self.clock()))
                    break
        return next_due

    def _deliver(self, sender: Sender, event: OutboxEvent) -> bool:
        try:
            sender.send(event, self.outbox)
        except Refused as exc:
            log.error("%s refused event %s (%s #%d) for good: %s", event.target,
                      event.event_id, event.kind, event.seq, exc)
            self.outbox.mark_refused(event.seq, str(exc), self.clock())
            self._report(event.target, str(exc))
            return True
        except Exception as exc:
            attempts = event.attempts + 1
            delay = backoff(attempts, self.retry_initial, self.retry_max)
            reason = str(exc) if isinstance(exc, RetryLater) else f"{type(exc).__name__}: {exc}"
            log.warning("%s: event %s (%s) not delivered (attempt %d): %s; again in %.1f s",
                        event.target, event.event_id, event.kind, attempts, reason, delay)
            self.outbox.mark_failed(event.seq, reason, self.clock() + delay)
            self._failing.setdefault(event.target, self.clock())
            self._report(event.target, reason)
            return False
        self.outbox.mark_delivered(event.seq, self.clock())
        if self._failing.pop(event.target, None) is not None or event.attempts:
            self._report(event.target, "")
        return True

    def _report(self, target: str, error: str) -> None:
        if self.on_status is None:
            return
        try:
            self.on_status(TargetStatus(target, self.outbox.pending_count(target),
                                        self._failing.get(target), error))
        except Exception:
            log.exception("outbox status listener failed")


def _earliest(current: float | None, candidate: float) -> float:
    return candidate if current is None else min(current, candidate)
