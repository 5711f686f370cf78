"""Copy a whole contact database to another one (SQLite -> PostgreSQL, or back).

Generic over the SQLAlchemy metadata: every table of :mod:`softphone.crm.models`, parents
before children (foreign-key order), ids preserved, in one transaction on the target (a
failed copy leaves the target as it was). The target is brought to the current schema first;
a target that already holds data is refused unless ``force`` (which replaces its content).
PostgreSQL sequences are moved past the copied ids, and the row counts are checked table by
table.

Recording files stay where they are: the call rows keep their paths.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, Integer, MetaData, Table, delete, func, select, text

from softphone.crm.errors import StoreError, known_errors

log = logging.getLogger("softphone.crm")

BATCH_ROWS = 1000


class TransferError(StoreError):
    user_message = "The contact database could not be copied."


class TargetNotEmptyError(TransferError):
    user_message = (
        "The target database already holds contacts or calls. Nothing was copied; "
        "use --force to replace its content."
    )


@dataclass(frozen=True)
class TableCount:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


@dataclass(frozen=True)
class TransferReport:
    counts: tuple[TableCount, ...]
    replaced: bool  # the target held data that was replaced (force)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.counts)

    @property
    def rows(self) -> int:
        return sum(c.target for c in self.counts)


def crm_metadata() -> MetaData:
    from softphone.crm.models import Base

    return Base.metadata


def count_rows(engine: Engine, metadata: MetaData | None = None) -> dict[str, int]:
    """Rows per table (tables of ``metadata``, in dependency order)."""
    metadata = metadata or crm_metadata()
    with engine.connect() as conn:
        return {t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0)
                for t in metadata.sorted_tables}


def copy_database(
    source: Engine,
    target: Engine,
    *,
    force: bool = False,
    metadata: MetaData | None = None,
    progress: Callable[[str, int], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> TransferReport:
    """Copy every row of ``source`` into ``target``; see the module docstring.

    Both databases are migrated to the current schema first (a database from a newer
    Softphone is refused). ``progress(table, rows_so_far)`` is called after each batch.
    Raises :class:`TargetNotEmptyError`, :class:`TransferError` (counts differ) or another
    :class:`StoreError` (unreachable, locked, ...).
    """
    from softphone.crm.db import migrate

    metadata = metadata or crm_metadata()
    tables = list(metadata.sorted_tables)
    with known_errors():
        migrate(source)
        migrate(target)
        before = count_rows(target, metadata)
        replaced = any(before.values())
        if replaced and not force:
            busy = ", ".join(f"{t} ({n})" for t, n in before.items() if n)
            raise TargetNotEmptyError(detail=busy)
        with source.connect() as src, target.begin() as dst:
            src_tx = src.begin()  # one snapshot of the source
            if replaced:
                for table in reversed(tables):
                    dst.execute(delete(table))
            for table in tables:
                copied = _copy_table(src, dst, table, batch_rows, progress)
                log.info("copied %d rows of %s", copied, table.name)
            if dst.dialect.name == "postgresql":
                _reset_sequences(dst, tables)
            elif dst.dialect.name == "sqlite":
                _rebuild_fts(dst)
            src_tx.rollback()
        source_counts = count_rows(source, metadata)
        target_counts = count_rows(target, metadata)
    report = TransferReport(
        tuple(TableCount(t.name, source_counts[t.name], target_counts[t.name]) for t in tables),
        replaced,
    )
    if not report.ok:
        bad = ", ".join(f"{c.table} {c.source}->{c.target}" for c in report.counts if not c.ok)
        raise TransferError(f"Row counts differ after the copy: {bad}.")
    return report


def _copy_table(src: object, dst: object, table: Table, batch_rows: int,
                progress: Callable[[str, int], None] | None) -> int:
    from sqlalchemy.engine import Connection

    assert isinstance(src, Connection) and isinstance(dst, Connection)
    pk = list(table.primary_key.columns)
    query = select(table).order_by(*pk)
    result = src.execution_options(yield_per=batch_rows).execute(query)
    copied = 0
    for rows in result.mappings().partitions(batch_rows):
        dst.execute(table.insert(), [dict(r) for r in rows])
        copied += len(rows)
        if progress is not None:
            progress(table.name, copied)
    return copied


def _reset_sequences(dst: object, tables: list[Table]) -> None:
    """Move each serial/identity sequence past the highest copied id (PostgreSQL)."""
    from sqlalchemy.engine import Connection

    assert isinstance(dst, Connection)
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer) or pk[0].foreign_keys:
            continue
        column = pk[0].name
        sequence = dst.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"),
                              {"t": table.name, "c": column})
        if sequence is None:
            continue
        dst.execute(
            text(f'SELECT setval(:s, COALESCE((SELECT MAX("{column}") FROM "{table.name}"), 0) '
                 f'+ 1, false)'),
            {"s": sequence},
        )


def _rebuild_fts(dst: object) -> None:
    """Rebuild SQLite full-text indexes over copied tables (external-content FTS5 tables are
    not necessarily filled by triggers: the store indexes new rows itself)."""
    from sqlalchemy.engine import Connection

    assert isinstance(dst, Connection)
    rows = dst.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%' "
        "AND sql LIKE '%content=%'")).all()
    for (name,) in rows:
        dst.execute(text(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')'))
