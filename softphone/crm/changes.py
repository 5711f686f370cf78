"""A change feed: what other desktops changed in a shared contact database, as it happens.

On PostgreSQL every row change in the CRM tables fires a trigger that calls ``pg_notify``
(delivered when the writer commits); :class:`ChangeFeed` LISTENs on its own connection and
thread and hands each change to ``on_change``. On SQLite (one file shared by several
processes of one user) it polls ``PRAGMA data_version`` every ``poll_interval`` seconds and
reports which tables changed (the first change since the feed started: every table, as the
per-table signatures are read then, not at start).

The triggers are installed by :func:`install_triggers` (idempotent, under an advisory lock, only
what is missing) when the feed starts; a schema migration may install the same SQL
(:func:`trigger_statements`) instead, after which the feed finds nothing to do.

Threads: ``on_change`` runs on the feed's thread and must be cheap: the UI queues the change
into the Qt main thread and refreshes the open views from the store on its DB worker. After a
lost connection the feed reconnects by itself and reports ``Change("*", None, "RESYNC")``:
views should reload everything, as notifications sent meanwhile are lost.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("softphone.crm")

CHANNEL = "softphone_changes"
FUNCTION = "softphone_notify_change"
TRIGGER = "softphone_change_notify"
FEED_VERSION = "1"
#: The CRM tables whose changes are reported (phones are reported as their contact).
TABLES = ("companies", "contacts", "phones", "calls", "wrapups", "tasks", "ignored_numbers",
          "missed_inbox", "deals", "messages")
OPS = ("INSERT", "UPDATE", "DELETE", "CHANGED", "RESYNC")
_LOCK_KEY = 0x50F7_C4A6  # pg_advisory_xact_lock key for trigger installation


@dataclass(frozen=True)
class Change:
    """One change another desktop (or this one) committed.

    ``op`` is INSERT/UPDATE/DELETE on PostgreSQL; ``CHANGED`` (``row_id`` None: something
    in ``table`` changed) on SQLite; ``RESYNC`` (``table`` ``"*"``) after the feed lost its
    connection: reload everything. ``agent`` is the agent recorded on the row (calls'
    ``agent``, wrap-ups' ``author``), ``None`` for tables without one. A phone row is
    reported as an UPDATE of its contact.
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
        import sqlite3

        path = sqlite_path(self.url)
        while not self._stop.is_set():
            try:
                conn = sqlite3.connect(path, timeout=5, check_same_thread=False)
            except sqlite3.Error as exc:
                self.last_error = str(exc)
                self._stop.wait(self._retry_interval)
                continue
            try:
                self._poll_sqlite(conn)
            except sqlite3.Error as exc:
                self.ready.clear()
                self.last_error = str(exc)
                log.warning("change feed: %s", exc)
                self._stop.wait(self._retry_interval)
            finally:
                conn.close()
        self.ready.clear()

    def _poll_sqlite(self, conn: Any) -> None:
        # The signatures read whole tables (a million contacts: ~0.3 s each): not at start,
        # where an idle phone paid them for nothing, but at the first change, which is then
        # reported for every table (nothing to compare with). A small page cache: a scan
        # through the default 2 MiB one only left it full.
        conn.execute("PRAGMA cache_size = -256")
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        queries: dict[str, str] = {}
        signatures: dict[str, Any] | None = None
        self.ready.set()
        while not self._stop.wait(self._poll_interval):
            now = conn.execute("PRAGMA data_version").fetchone()[0]
            if now == version:
                continue
            version = now
            if not queries:
                queries = _sqlite_signature_queries(conn)
            if signatures is None:
                signatures = {t: conn.execute(q).fetchone() for t, q in queries.items()}
                for table in dict.fromkeys("contacts" if t == "phones" else t for t in queries):
                    self._emit(Change(table, None, "CHANGED"))
                continue
            for table, query in queries.items():
                signature = conn.execute(query).fetchone()
                if signature != signatures.get(table):
                    signatures[table] = signature
                    self._emit(Change("contacts" if table == "phones" else table, None,
                                      "CHANGED"))


def _backend_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return str(make_url(url).get_backend_name())


def sqlite_path(url: str) -> str:
    """The file of a ``sqlite:///path`` URL (``sqlite:////abs`` or ``sqlite:///rel``), without
    SQLAlchemy; query parameters are dropped."""
    rest = url.split(":///", 1)[1] if ":///" in url else ""
    return rest.split("?", 1)[0]


def _sqlite_signature_queries(conn: Any) -> dict[str, str]:
    """Per table, a query whose result changes whenever a row is added, changed or removed
    (row count, highest id, latest timestamps, versions, flags)."""
    queries: dict[str, str] = {}
    for table in TABLES:
        columns = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        if not columns:
            continue
        parts = ["count(*)"]
        for _cid, name, kind, _notnull, _default, pk in columns:
            kind = (kind or "").upper()
            if kind == "DATETIME":
                parts.append(f'max("{name}")')
            elif pk or kind == "BOOLEAN" or name in ("version", "count", "contact_id"):
                parts.append(f'total("{name}")')
        queries[table] = f'SELECT {", ".join(parts)} FROM "{table}"'
    return queries

