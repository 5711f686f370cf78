"""Engine, SQLite pragmas and schema migrations (Alembic, run programmatically)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from softphone.crm.errors import DatabaseCorruptError, NewerSchemaError
from softphone.crm.queries import MIGRATIONS_DIR, STORED_REVISION, head_from_files, sqlite_pragmas
from softphone.profile import database_file

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger("softphone.crm")

DEFAULT_BUSY_TIMEOUT_MS = 5000


def database_url(url: str | None, profile: Path) -> str:
    """``url`` if given, else the SQLite file in the profile."""
    if url:
        return url
    return f"sqlite:///{database_file(profile)}"


def make_engine(url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    parsed = make_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {
            "check_same_thread": False,
            "timeout": busy_timeout_ms / 1000,
        }
    else:
        kwargs["pool_pre_ping"] = True
        if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg":
            # a row or table locked by someone else: a clear error after the same wait as
            # SQLite's busy timeout instead of a worker blocked for ever
            kwargs["connect_args"] = {
                "options": f"-c lock_timeout={int(busy_timeout_ms)}",
                "connect_timeout": 10,
            }
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _install_sqlite_pragmas(engine, busy_timeout_ms, parsed.database or "")
    return engine


def _install_sqlite_pragmas(engine: Engine, busy_timeout_ms: int, database: str) -> None:
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy/pysqlite manage transactions but emit our own BEGIN (see below),
        # so that write transactions take the lock up front (no deadlock on upgrade).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in sqlite_pragmas(busy_timeout_ms, in_memory=in_memory):
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _stored_revision(engine: Engine) -> str | None:
    """The revision in ``alembic_version`` by plain SQL (None: none, several, or no table)."""
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(STORED_REVISION).fetchall()
    except Exception:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def migrate(engine: Engine, revision: str = "head") -> str | None:
    """Bring the schema to ``revision``; refuse a database from a newer version.

    Returns the revision the database was at before (``None`` for a new database).
    A database already at the head is recognised without importing Alembic (start-up time
    and ~15 MiB of memory: bench/bench_startup.py).
    """
    if revision == "head":
        head = head_from_files()
        if head is not None and _stored_revision(engine) == head:
            return head
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    scripts = script_directory()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current is None:
            tables = set(inspect(conn).get_table_names())
            if tables - {"alembic_version"}:
                raise DatabaseCorruptError(
                    "The database holds tables but no Softphone schema version; "
                    "it is not a Softphone contact database.",
                    detail=f"tables: {sorted(tables)[:10]}",
                )
    if current is not None:
        try:
            scripts.get_revision(current)
        except Exception as err:  # alembic raises ResolutionError / CommandError
            raise NewerSchemaError(
                f"The contact database has schema version {current!r}, which this version of "
                "Softphone does not know (it was created by a newer Softphone). It was left "
                "untouched; please update Softphone to open it.",
                detail=str(err),
            ) from err
    target = scripts.get_current_head() if revision == "head" else revision
    if current == target:
        return current
    log.info("migrating contact database from %s to %s", current, target)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
    return current
