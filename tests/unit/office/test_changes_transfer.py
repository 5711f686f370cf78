"""The change feed's payloads and URLs, and database copies between two SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.crm.changes import Change, parse_payload, psycopg_conninfo, trigger_statements
from softphone.crm.db import make_engine
from softphone.crm.store import Store
from softphone.crm.transfer import TargetNotEmptyError, copy_database, count_rows


def test_parse_payload() -> None:
    assert parse_payload('{"table": "calls", "id": 5, "op": "INSERT", "agent": "anna"}') == \
        Change("calls", 5, "INSERT", "anna")
    assert parse_payload('{"table": "contacts", "id": null, "op": "DELETE", "agent": null}') \
        == Change("contacts", None, "DELETE", None)
    assert parse_payload("not json") is None
    assert parse_payload('{"id": 1}') is None


def test_psycopg_conninfo_from_sqlalchemy_url() -> None:
    assert psycopg_conninfo("postgresql+psycopg://u:p%40ss@db.example:5433/crm") == {
        "user": "u", "password": "p@ss", "host": "db.example", "port": 5433, "dbname": "crm"}
    assert psycopg_conninfo("postgresql+psycopg://postgres@/t1?host=/tmp/s&port=6000") == {
        "user": "postgres", "dbname": "t1", "host": "/tmp/s", "port": "6000"}


def test_trigger_statements_cover_each_table() -> None:
    sql = trigger_statements(["contacts", "calls"])
    assert "pg_notify" in sql[0]
    assert sum("CREATE TRIGGER" in s for s in sql) == 2


def _store(path: Path, name: str) -> Store:
    return Store.open(f"sqlite:///{path / name}", path / f"{name}-profile", default_region="RU")


def test_copy_between_sqlite_files_keeps_ids_and_refuses_a_used_target(tmp_path: Path) -> None:
    with _store(tmp_path, "a.sqlite3") as a:
        first = a.create_contact("One", phones=["+74951234567"])
        second = a.create_contact("Two", company="Acme", phones=["+74951234568"])
        a.delete_contact(first.id)
        call = a.call_started(direction="out", account="LAN", number="+74951234568",
                              started_at=first.created_at)
        a.save_wrapup(call, outcome="Resolved", note="ok", author="anna")
    src = make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    dst = make_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    seen: list[tuple[str, int]] = []
    try:
        report = copy_database(src, dst, progress=lambda t, n: seen.append((t, n)))
        assert report.ok and not report.replaced
        assert {c.table: c.target for c in report.counts}["contacts"] == 1
        assert ("contacts", 1) in seen
        assert count_rows(src) == count_rows(dst)
        with pytest.raises(TargetNotEmptyError):
            copy_database(src, dst)
        again = copy_database(src, dst, force=True)
        assert again.ok and again.replaced
    finally:
        src.dispose()
        dst.dispose()
    with _store(tmp_path, "b.sqlite3") as b:
        found = b.lookup("84951234568")
        assert found.contact is not None and found.contact.id == second.id
        assert b.search("Two")[0].id == second.id  # full-text index filled on the copy
        assert b.get_wrapup(call).author == "anna"  # type: ignore[union-attr]
