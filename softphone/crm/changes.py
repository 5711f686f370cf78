"""A change feed: what other desktops changed in a shared contact database, as it happens.

On PostgreSQL every row change in the CRM tables fires a trigger that calls ``pg_notify``
(delivered when the writer commits); :class:`ChangeFeed` LISTENs on its own connection and
thread and hands each change to ``on_change``. On SQLite (one file shared by several
processes of one user) triggers (migration 0008) append every insert, update and delete to a
small ``change_log`` table; the feed polls ``PRAGMA data_version`` every ``poll_interval``
seconds and, when it moved, reads the log past the last entry it saw
(:class:`ChangeLogReader`): work in proportion to the change, not to the database.

The PostgreSQL triggers are installed by :func:`install_triggers` (idempotent, under an
advisory lock, only what is missing) when the feed starts; a schema migration may install the
same SQL (:func:`trigger_statements`) instead, after which the feed finds nothing to do.

Threads: ``on_change`` runs on the feed's thread and must be cheap: the UI queues the change
into the Qt main thread and refreshes the open views from the store on its DB worker. After a
lost connection the feed reconnects by itself and reports ``Change("*", None, "RESYNC")``:
views should reload everything, as notifications sent meanwhile are lost. SQLite reports the
same when it cannot tell what changed (see :class:`ChangeLogReader`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("softphone.crm")

CHANNEL = "softphone_changes"
FUNCTION = "softphone_notify_change"
TRIGGER = "softphone_change_notify"
FEED_VERSION = "1"
#: The CRM tables whose changes are reported (phones are reported as their contact).
TABLES = ("companies", "contacts", "phones", "calls", "wrapups", "tasks", "ignored_numbers",
          "missed_inbox", "deals", "messages", "contact_history")
OPS = ("INSERT", "UPDATE", "DELETE", "CHANGED", "RESYNC")
_LOCK_KEY = 0x50F7_C4A6  # pg_advisory_xact_lock key for trigger installation


@dataclass(frozen=True)
class Change:
    """One change another desktop (or this one) committed.

    ``op`` is INSERT/UPDATE/DELETE; ``CHANGED`` (``row_id`` None: something in ``table``
    changed; SQLite, for a change of many rows); ``RESYNC`` (``table`` ``"*"``) after the feed
    lost its connection or could not tell what changed: reload everything. ``agent`` is the
    agent recorded on the row (calls' and messages' ``agent``, wrap-ups' ``author``), ``None``
    for tables without one. A phone row is reported as an UPDATE of its contact.
    """

    table: str
    row_id: int | None
    op: str
    agent: str | None = None


# ---------------------------------------------------------------------------------------------
# PostgreSQL triggers

_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
    tbl text := TG_TABLE_NAME;
    op text := TG_OP;
    rid text;
BEGIN
    IF TG_OP = 'DELETE' THEN r := to_jsonb(OLD); ELSE r := to_jsonb(NEW); END IF;
    IF tbl = 'phones' THEN
        tbl := 'contacts';
        op := 'UPDATE';
        rid := r->>'contact_id';
    ELSE
        rid := COALESCE(r->>'id', r->>'call_id');
    END IF;
    PERFORM pg_notify('{CHANNEL}', json_build_object(
        'table', tbl, 'id', rid::bigint, 'op', op,
        'agent', COALESCE(r->>'agent', r->>'author'))::text);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION {FUNCTION}() IS 'softphone change feed v{FEED_VERSION}';
"""


def trigger_statements(tables: Iterable[str] = TABLES) -> list[str]:
    """The SQL that makes every change in ``tables`` send a notification (for a migration)."""
    statements = [_FUNCTION_SQL]
    for table in tables:
        statements.append(f'DROP TRIGGER IF EXISTS {TRIGGER} ON "{table}"')
        statements.append(
            f'CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
    return statements


def install_triggers(conn: Any, tables: Iterable[str] = TABLES) -> list[str]:
    """Install what is missing on a psycopg connection; returns the tables newly covered.

    Idempotent and safe when several desktops start at once (advisory lock). Tables that do
    not exist (an older schema) are skipped.
    """
    wanted = list(tables)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        existing = {row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() AND table_name = ANY(%s)", (wanted,))}
        covered = {row[0] for row in conn.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = %s AND c.relnamespace = current_schema()::regnamespace",
            (TRIGGER,))}
        comment = conn.execute(
            "SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p "
            "WHERE p.proname = %s AND p.pronamespace = current_schema()::regnamespace",
            (FUNCTION,)).fetchone()
        function_ok = comment is not None and comment[0] == f"softphone change feed v{FEED_VERSION}"
        missing = [t for t in wanted if t in existing and t not in covered]
        if function_ok and not missing:
            return []
        statements = trigger_statements(missing)
        if function_ok:
            statements = statements[1:]
        for statement in statements:
            conn.execute(statement)
    log.info("change feed: notification triggers installed on %s", ", ".join(missing) or "-")
    return missing


def psycopg_conninfo(url: str) -> dict[str, Any]:
    """psycopg.connect() keyword arguments for a SQLAlchemy URL (``postgresql+psycopg://...``)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    for key, value in (("user", parsed.username), ("password", parsed.password),
                       ("host", parsed.host), ("port", parsed.port),
                       ("dbname", parsed.database)):
        if value is not None:
            kwargs[key] = value
    for key, option in parsed.query.items():
        kwargs[key] = option if isinstance(option, str) else option[-1]
    return kwargs


def parse_payload(payload: str) -> Change | None:
    """A :class:`Change` from a notification payload (``None`` if it is not ours)."""
    try:
        data = json.loads(payload)
        row_id = data.get("id")
        return Change(str(data["table"]), int(row_id) if row_id is not None else None,
                      str(data["op"]), data.get("agent"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


# ---------------------------------------------------------------------------------------------
# The feed


class ChangeFeed:
    """Reports committed changes of a shared contact database to ``on_change``.

    Args:
        url: the database URL (as in ``[crm] database_url``; ``sqlite:///...`` polls).
        on_change: called on the feed's thread for each change; keep it cheap.
        install: on PostgreSQL, create missing notification triggers at start.
        poll_interval: SQLite polling period, and how often the PostgreSQL thread checks
            whether it should stop.
        retry_interval: wait before reconnecting after the connection was lost.
    """

    def __init__(
        self,
        url: str,
        on_change: Callable[[Change], None],
        *,
        install: bool = True,
        poll_interval: float = 1.0,
        retry_interval: float = 2.0,
    ) -> None:
        self.url = url
        # SQLAlchemy is not loaded for the embedded database's feed (an idle app does without)
        self.backend = "sqlite" if url.startswith("sqlite") else _backend_name(url)
        self._on_change = on_change
        self._install = install
        self._poll_interval = poll_interval
        self._retry_interval = retry_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: Any = None
        self.ready = threading.Event()
        self.last_error: str | None = None

    def start(self) -> None:
        """Start the feed thread (returns at once; :attr:`ready` is set once listening)."""
        if self._thread is not None:
            return
        target = self._run_postgres if self.backend == "postgresql" else self._run_sqlite
        self._stop.clear()
        self._thread = threading.Thread(target=target, name="softphone-change-feed",
                                        daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float) -> bool:
        return self.ready.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning("change feed did not stop within %.1f s", timeout)

    def __enter__(self) -> ChangeFeed:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _emit(self, change: Change) -> None:
        try:
            self._on_change(change)
        except Exception:
            log.exception("change feed: on_change failed for %s", change)

    # -- PostgreSQL: LISTEN/NOTIFY ----------------------------------------------------------

    def _run_postgres(self) -> None:
        import psycopg

        kwargs = psycopg_conninfo(self.url)
        kwargs.setdefault("application_name", "softphone change feed")
        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(autocommit=True, connect_timeout=10, **kwargs) as conn:
                    if self._install:
                        try:
                            install_triggers(conn)
                        except psycopg.errors.InsufficientPrivilege as exc:
                            # Not the tables' owner: an admin (or a migration) installs them.
                            log.warning("change feed: cannot install triggers (%s); listening "
                                        "anyway", str(exc).strip())
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.last_error = None
                    if not first:
                        self._emit(Change("*", None, "RESYNC"))
                    first = False
                    self.ready.set()
                    log.info("change feed: listening on %s", CHANNEL)
                    while not self._stop.is_set():
                        for notify in conn.notifies(timeout=self._poll_interval):
                            change = parse_payload(notify.payload)
                            if change is not None:
                                self._emit(change)
                            if self._stop.is_set():
                                break
            except psycopg.Error as exc:
                self.ready.clear()
                self.last_error = str(exc).strip()
                log.warning("change feed: %s; retrying in %.0f s", self.last_error,
                            self._retry_interval)
                self._stop.wait(self._retry_interval)
        self.ready.clear()

    # -- SQLite: polling --------------------------------------------------------------------

    def _run_sqlite(self) -> None:
        path = sqlite_path(self.url)
        first = True
        while not self._stop.is_set():
            try:
                conn = sqlite3.connect(path, timeout=5, check_same_thread=False)
            except sqlite3.Error as exc:
                self.last_error = str(exc)
                self._stop.wait(self._retry_interval)
                continue
            try:
                self._poll_sqlite(conn, resync=not first)
            except sqlite3.Error as exc:
                self.ready.clear()
                self.last_error = str(exc)
                log.warning("change feed: %s", exc)
                self._stop.wait(self._retry_interval)
            finally:
                first = False
                conn.close()
        self.ready.clear()

    def _poll_sqlite(self, conn: sqlite3.Connection, *, resync: bool) -> None:
        # Idle, one PRAGMA per poll: data_version moves when another connection (this app's
        # store, another process) committed; only then is the change log read.
        reader = ChangeLogReader(conn)
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        reader.start()
        self.last_error = None
        if resync:  # what changed while the connection was broken is not known
            self._emit(Change("*", None, "RESYNC"))
        self.ready.set()
        while not self._stop.wait(self._poll_interval):
            now = conn.execute("PRAGMA data_version").fetchone()[0]
            if now == version:
                continue
            version = now
            for change in reader.read():
                self._emit(change)


def _backend_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return str(make_url(url).get_backend_name())


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///path`` URL (``sqlite:////abs`` or ``sqlite:///rel``), without
    SQLAlchemy; query parameters are dropped."""
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    return rest.split("?", 1)[0]


# ---------------------------------------------------------------------------------------------
# SQLite: the change log

#: an entry spanning more rows than this is reported as one CHANGED of its table
RANGE_ROWS = 100
#: more row changes than this in one read: one CHANGED per table instead
READ_ROWS = 1000
#: the triggers of migration 0008 that write the log, per table (a missing one, e.g. dropped
#: with its table by a later migration that rebuilt it, means the log is incomplete)
LOG_TRIGGERS = {table: tuple(f"change_log_{table}_{op}" for op in ("ins", "upd", "del"))
                for table in TABLES}

_READ = ("SELECT id, tbl, op, first_id, last_id, agent, n FROM change_log "
         "WHERE id >= ? ORDER BY id")
_NEWEST = "SELECT id, last_id, n FROM change_log ORDER BY id DESC LIMIT 1"
_SCHEMA = ("SELECT type, name, tbl_name FROM sqlite_master "
           "WHERE type = 'table' OR (type = 'trigger' AND name LIKE 'change_log%')")

_Seen = tuple[int, int | None, int]  # the newest entry read: id, last_id, n


@dataclass(frozen=True)
class _Span:
    table: str
    op: str
    first: int | None
    last: int | None
    agent: str | None

    @property
    def rows(self) -> int:
        if self.first is None or self.last is None:
            return 1
        return self.last - self.first + 1


class ChangeLogReader:
    """Turns new ``change_log`` entries into :class:`Change` values.

    The triggers of migration 0008 append ``(tbl, op, first_id, last_id, agent, n)`` for every
    insert, update and delete in the CRM tables, whoever writes (the Store, the light reader,
    the command line, another program). A run of changes of one table with the same op and
    agent to the same or the next row id extends the newest entry (``last_id`` moves, ``n``
    counts its row changes): an import's batch is one entry, not one per row. The triggers
    keep the newest 1,000 entries.

    The reader remembers the newest entry it has seen (id, ``last_id``, ``n``: only the newest
    entry can grow) and reads the entries from there: a few index lookups, whatever the size
    of the database. It reports ``RESYNC`` when it cannot tell what changed: the entry it saw
    is gone (more than 1,000 entries came meanwhile, or the log was emptied), the database
    has no change log (written by an older Softphone and not migrated yet), or a trigger of
    the log is missing (checked again whenever the schema changes).

    ``conn`` is a plain ``sqlite3`` connection used by one thread; call :meth:`start` once,
    then :meth:`read` whenever ``PRAGMA data_version`` moved.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._seen: _Seen | None = None
        self._schema: int | None = None  # PRAGMA schema_version when the log was checked
        self._warned = False

    def start(self) -> None:
        """Remember the newest entry: what came before is not reported."""
        self._schema = self._schema_version()
        self._seen = self._newest()

    @property
    def complete(self) -> bool:
        """Whether the last look found a complete change log (else every read is RESYNC)."""
        return self._seen is not None

    def _schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA schema_version").fetchone()[0])

    def _log_complete(self) -> bool:
        tables: set[str] = set()
        triggers: set[str] = set()
        for kind, name, _tbl in self._conn.execute(_SCHEMA):
            (tables if kind == "table" else triggers).add(name)
        if "change_log" not in tables:
            missing = ["change_log"]
        else:
            missing = [trigger for table, names in LOG_TRIGGERS.items() if table in tables
                       for trigger in names if trigger not in triggers]
        if missing and not self._warned:
            self._warned = True
            log.warning("change feed: the change log is incomplete (missing %s): every "
                        "change reloads everything", ", ".join(missing[:4]))
        return not missing

    def _newest(self) -> _Seen | None:
        if not self._log_complete():
            return None
        row = self._conn.execute(_NEWEST).fetchone()
        return (int(row[0]), row[1], int(row[2])) if row is not None else None

    def read(self) -> list[Change]:
        """What changed since the last read (or :meth:`start`)."""
        seen = self._seen
        schema = self._schema_version()
        if seen is None or schema != self._schema:
            # no complete log when we last looked, or tables/triggers changed since
            self._schema = schema
            self._seen = self._newest()
            if seen is None or self._seen is None:
                return [Change("*", None, "RESYNC")]
        seen_id, seen_last, seen_n = seen
        rows = self._conn.execute(_READ, (seen_id,)).fetchall()
        if not rows or rows[0][0] != seen_id:
            # the entry we saw was dropped: newer ones may have been too
            self._seen = self._newest()
            return [Change("*", None, "RESYNC")]
        spans: list[_Span] = []
        _id, tbl, op, first, last, agent, n = rows[0]
        if n != seen_n and last is not None and seen_last is not None:
            # the entry grew: rows after the one we saw, and that one again if it was
            # changed again (more row changes than new rows)
            start = seen_last if n - seen_n > last - seen_last else seen_last + 1
            spans.append(_Span(tbl, op, start, last, agent))
        elif n != seen_n:
            spans.append(_Span(tbl, op, first, last, agent))
        spans.extend(_Span(tbl, op, first, last, agent)
                     for _id, tbl, op, first, last, agent, _n in rows[1:])
        newest = rows[-1]
        self._seen = (int(newest[0]), newest[4], int(newest[6]))
        return list(_changes(spans))


def _changes(spans: list[_Span]) -> Iterator[Change]:
    spans = [s for s in spans if s.table != "*"]
    if sum(s.rows for s in spans) > READ_ROWS:
        for table in dict.fromkeys(s.table for s in spans):
            yield Change(table, None, "CHANGED")
        return
    for span in spans:
        if span.first is None or span.last is None or span.rows > RANGE_ROWS:
            yield Change(span.table, None, "CHANGED", span.agent)
        else:
            for row_id in range(span.first, span.last + 1):
                yield Change(span.table, row_id, span.op, span.agent)
