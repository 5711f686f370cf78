"""Database errors sorted into "known" (tell the user) and "bug" (let it crash loudly).

Known errors are subclasses of :class:`StoreError` with a message fit to show a user as-is.
:func:`classify` turns a driver exception (SQLite or PostgreSQL, wrapped by SQLAlchemy or not)
into one of them, or returns ``None`` when the error is a bug that must not be hidden
(qutebrowser's ``misc/sql.py`` does the same split).
"""

from __future__ import annotations

import errno
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager


class StoreError(Exception):
    """Base of every error the contact store reports to the user."""

    user_message = "The contact database reported an error."

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        super().__init__(message or self.user_message)
        self.detail = detail

    @property
    def message(self) -> str:
        return str(self.args[0])


class NewerSchemaError(StoreError):
    user_message = (
        "The contact database was created by a newer version of Softphone. "
        "It was left untouched; please update Softphone to open it."
    )


class DatabaseLockedError(StoreError):
    user_message = (
        "The contact database is busy (locked by another program or another Softphone). "
        "Your changes are kept and will be saved when it is free."
    )


class DatabaseCorruptError(StoreError):
    user_message = (
        "The contact database file is damaged or is not a Softphone database. "
        "Restore it from a backup or move it aside to start a new one."
    )


class DiskFullError(StoreError):
    user_message = (
        "The disk holding the contact database is full. "
        "Free some space; your changes are kept and will be saved then."
    )


class DatabaseUnavailableError(StoreError):
    user_message = (
        "The contact database cannot be reached (file cannot be opened or the server does "
        "not answer). Your call log is kept and will be saved when it is back."
    )


class ConflictError(StoreError):
    user_message = (
        "This contact was changed by someone else meanwhile. Reload it and apply your change again."
    )


class NotFoundError(StoreError):
    user_message = "The record no longer exists."


# SQLite primary result codes (https://sqlite.org/rescode.html)
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26

# PostgreSQL SQLSTATE codes
_PG_LOCKED = {"55P03", "40P01", "55006"}  # lock_not_available, deadlock_detected, object_in_use
_PG_FULL = {"53100", "53200"}  # disk_full, out_of_memory
_PG_CORRUPT = {"XX001", "XX002"}  # data_corrupted, index_corrupted
_PG_UNAVAILABLE_PREFIX = ("08", "57P")  # connection exceptions, admin/crash shutdown


def _classify_sqlite(err: sqlite3.Error) -> type[StoreError] | None:
    code = getattr(err, "sqlite_errorcode", None)
    text = str(err).lower()
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in text:
        return DatabaseLockedError
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in text or (
        "not a database" in text
    ):
        return DatabaseCorruptError
    if primary == _SQLITE_FULL or "disk is full" in text:
        return DiskFullError
    if primary in (_SQLITE_CANTOPEN, _SQLITE_IOERR) or "unable to open" in text:
        return DatabaseUnavailableError
    return None


def _classify_psycopg(err: BaseException) -> type[StoreError] | None:
    sqlstate = getattr(err, "sqlstate", None)
    if sqlstate in _PG_LOCKED:
        return DatabaseLockedError
    if sqlstate in _PG_FULL:
        return DiskFullError
    if sqlstate in _PG_CORRUPT:
        return DatabaseCorruptError
    if sqlstate and sqlstate.startswith(_PG_UNAVAILABLE_PREFIX):
        return DatabaseUnavailableError
    if sqlstate is None and type(err).__name__ == "OperationalError":
        return DatabaseUnavailableError  # connection refused / server gone: no SQLSTATE
    return None


def classify(err: BaseException) -> StoreError | None:
    """The known error behind ``err``, or ``None`` if ``err`` is a bug."""
    if isinstance(err, StoreError):
        return err
    orig: BaseException = err
    # not imported when SQLAlchemy is not (the light SQLite reader): no such error then
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(err, sa_exc.DBAPIError) and err.orig is not None:
        orig = err.orig
    kind: type[StoreError] | None = None
    if isinstance(orig, sqlite3.Error):
        kind = _classify_sqlite(orig)
    elif type(orig).__module__.startswith("psycopg"):
        kind = _classify_psycopg(orig)
    elif isinstance(orig, OSError):
        if orig.errno in (errno.ENOSPC, errno.EDQUOT):
            kind = DiskFullError
        elif orig.errno in (errno.EACCES, errno.EROFS, errno.ENOENT):
            kind = DatabaseUnavailableError
    if kind is None:
        return None
    known = kind(detail=str(orig))
    known.__cause__ = err
    return known


@contextmanager
def known_errors() -> Iterator[None]:
    """Turn known driver errors into StoreError subclasses; let bugs through."""
    try:
        yield
    except StoreError:
        raise
    except Exception as err:
        known = classify(err)
        if known is None:
            raise
        raise known from err
