"""The SQLite change feed on a large database: CPU per external change, idle CPU, write cost.

    .venv/bin/python bench/bench_change_feed.py                 # 1,000,000 contacts, 500,000 calls
    .venv/bin/python bench/bench_change_feed.py --small         # 100,000 contacts, 50,000 calls
    flock /tmp/bench.lock .venv/bin/python bench/bench_change_feed.py --rounds 21 --idle 60

The database is generated once by ``bench_store.generate`` (the migrated schema, bulk loaded)
and cached under ``bench/results/changes-*``. Then:

* **CPU per external change**: another connection commits one change (alternately a contact's
  note, a new call); each contender sees ``PRAGMA data_version`` move and finds out what
  changed, on its own connection. *table scan* is the feed before migration 0008 (per table a
  signature query: count, max id, latest timestamps ..., over whole tables, a 256 KiB page
  cache), kept here as the peer; *change log* is :class:`ChangeLogReader` (reads the log past
  its last entry). Thread CPU time (``time.thread_time``) and wall time, median and max over
  the rounds; the two alternate which goes first.
* **Idle CPU**: a real :class:`ChangeFeed` (1 s poll) on the database, nothing written, process
  CPU time over ``--idle`` seconds (the main thread waits). Both versions of the feed run the
  same idle loop (one ``PRAGMA data_version`` per second).
* **Write cost of the triggers**: on a fresh small database, with the change-log triggers
  dropped versus present, and present with ``PRAGMA temp_store = MEMORY`` (which the import
  sets: each row's statement journal stays in memory): 200 single-row commits (a contact note
  each) and one 20,000-contact executemany (with a phone each), median CPU of 3 runs.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_store import RESULTS, generate

from softphone.crm.changes import TABLES, Change, ChangeFeed, ChangeLogReader
from softphone.crm.store import Store
from softphone.profile import database_file


def table_scan_queries(conn: sqlite3.Connection) -> dict[str, str]:
    """The signature queries of the feed before migration 0008 (the peer)."""
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


class TableScan:
    """What the old feed did when ``data_version`` moved: every signature query."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA cache_size = -256")
        self.conn = conn
        self.queries = table_scan_queries(conn)
        self.signatures: dict[str, Any] = {}

    def read(self) -> list[str]:
        changed = []
        for table, query in self.queries.items():
            signature = self.conn.execute(query).fetchone()
            if signature != self.signatures.get(table):
                self.signatures[table] = signature
                changed.append(table)
        return changed


def one_change(writer: sqlite3.Connection, rnd: random.Random, contacts: int, i: int) -> None:
    if i % 2 == 0:
        writer.execute("UPDATE contacts SET notes = ?, version = version + 1 WHERE id = ?",
                       (f"bench {i}", rnd.randrange(1, contacts + 1)))
    else:
        writer.execute(
            "INSERT INTO calls (direction, account, number, number_key, remote_uri, "
            "display_name, started_at, start_hour, talk_seconds, ring_seconds, outcome, agent, "
            "sip_call_id) VALUES ('in', 'office', '+74950000000', '4950000000', "
            "'sip:x@192.0.2.1', '', '2026-11-01 10:00:00', 10, 0, 3, 'missed', 'bench', '')")
    writer.commit()


def per_change(path: Path, contacts: int, rounds: int) -> None:
    rnd = random.Random(5)
    writer = sqlite3.connect(path)
    contenders: dict[str, tuple[sqlite3.Connection, Callable[[], Any]]] = {}
    scan_conn = sqlite3.connect(path)
    scan = TableScan(scan_conn)
    contenders["table scan (before)"] = (scan_conn, scan.read)
    log_conn = sqlite3.connect(path)
    reader = ChangeLogReader(log_conn)
    reader.start()
    contenders["change log (after)"] = (log_conn, reader.read)
    versions = {name: c.execute("PRAGMA data_version").fetchone()[0]
                for name, (c, _read) in contenders.items()}
    scan.read()  # the old feed's first change read every signature; not counted
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    seen_tables: set[str] = set()
    for i in range(rounds):
        one_change(writer, rnd, contacts, i)
        order = list(contenders.items())
        if i % 2:
            order.reverse()
        for name, (conn, read) in order:
            now = conn.execute("PRAGMA data_version").fetchone()[0]
            assert now != versions[name], "the commit was not seen"
            versions[name] = now
            c0, w0 = time.thread_time(), time.perf_counter()
            result = read()
            cpu[name].append(time.thread_time() - c0)
            wall[name].append(time.perf_counter() - w0)
            if name.startswith("change log"):
                seen_tables |= {c.table for c in result if isinstance(c, Change)}
    assert seen_tables == {"contacts", "calls"}, seen_tables
    print(f"\nCPU per external change ({rounds} commits, one contact note or one call each):")
    print(f"  {'':22} {'CPU median':>11} {'CPU max':>9} {'wall median':>12}")
    for name in contenders:
        print(f"  {name:22} {statistics.median(cpu[name]) * 1000:9.2f} ms "
              f"{max(cpu[name]) * 1000:7.1f} ms {statistics.median(wall[name]) * 1000:10.2f} ms")
    ratio = statistics.median(cpu["table scan (before)"]) / max(
        statistics.median(cpu["change log (after)"]), 1e-9)
    print(f"  ratio before/after (CPU median): {ratio:,.0f}x")
    for conn, _read in contenders.values():
        conn.close()
    writer.close()


def idle(path: Path, seconds: float) -> None:
    got: list[Change] = []
    feed = ChangeFeed(f"sqlite:///{path}", got.append)
    feed.start()
    assert feed.wait_ready(30), feed.last_error
    c0, w0 = time.process_time(), time.perf_counter()
    threading.Event().wait(seconds)
    used, spent = time.process_time() - c0, time.perf_counter() - w0
    feed.stop()
    assert not got, got
    print(f"\nIdle feed (1 s poll, {spent:.0f} s, nothing written): {used * 1000:.1f} ms of CPU "
          f"= {used / spent * 60_000:.1f} ms per minute ({used / spent * 100:.3f} % of a core)")


KINDS = ("without triggers", "with change log", "+ temp_store=MEMORY")


def write_cost(runs: int = 3) -> None:
    figures: dict[str, dict[str, list[float]]] = {
        kind: {"200 single-row commits": [], "20,000-contact batch": []}
        for kind in KINDS}
    with tempfile.TemporaryDirectory(prefix="perf2-feed-") as tmp:
        for run in range(runs):
            kinds = list(KINDS) if run % 2 == 0 else list(reversed(KINDS))
            for kind in kinds:
                profile = Path(tmp) / f"{kind.replace(' ', '-')}-{run}"
                Store.open(None, profile, "RU").close()
                conn = sqlite3.connect(database_file(profile))
                if kind.endswith("temp_store=MEMORY"):  # what the import sets
                    conn.execute("PRAGMA temp_store = MEMORY")
                if kind == "without triggers":
                    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                                "'trigger' AND name LIKE 'change_log%'").fetchall():
                        conn.execute(f"DROP TRIGGER {name}")
                conn.execute("INSERT INTO contacts (id, name, name_fold, emails, tags, notes, "
                             "do_not_call, search_fold, created_at, updated_at, version) VALUES "
                             "(1, 'A', 'a', '[]', '[]', '', 0, 'a', '2026-01-01', '2026-01-01', 1)")
                conn.commit()
                c0 = time.process_time()
                for i in range(200):
                    conn.execute("UPDATE contacts SET notes = ? WHERE id = 1", (str(i),))
                    conn.commit()
                figures[kind]["200 single-row commits"].append(time.process_time() - c0)
                rows = [(i, f"P {i}", f"p {i}", "[]", "[]", "", 0, f"p {i}", "2026-01-01",
                         "2026-01-01", 1) for i in range(2, 20_002)]
                phones = [(i, f"+7495{i:07d}", f"+7495{i:07d}", "mobile") for i in range(2, 20_002)]
                c0 = time.process_time()
                conn.executemany("INSERT INTO contacts (id, name, name_fold, emails, tags, notes, "
                                 "do_not_call, search_fold, created_at, updated_at, version) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
                conn.executemany("INSERT INTO phones (contact_id, raw, e164, kind, label, "
                                 "is_primary, position) VALUES (?, ?, ?, ?, 'work', 1, 0)",
                                 phones)
                conn.commit()
                figures[kind]["20,000-contact batch"].append(time.process_time() - c0)
                conn.close()
    print(f"\nWrite cost of the triggers (CPU, median of {runs}):")
    for kind, rows_ in figures.items():
        print("  " + kind.ljust(20) + "  ".join(
            f"{what}: {statistics.median(v) * 1000:7.1f} ms" for what, v in rows_.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=500_000)
    parser.add_argument("--small", action="store_true", help="100,000 contacts, 50,000 calls")
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle feed")
    parser.add_argument("--dir", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.small:
        args.contacts, args.calls = 100_000, 50_000
    profile = args.dir / f"changes-{args.contacts}-{args.calls}"
    if not (profile / "bench-ok").exists():
        print(f"generating {args.contacts:,} contacts and {args.calls:,} calls in {profile}",
              flush=True)
        generate(profile, args.contacts, args.calls)
    Store.open(None, profile, "RU").close()  # at the current head (0008: the change log)
    path = database_file(profile)
    print(f"database: {path} ({path.stat().st_size / 1e9:.2f} GB), "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    per_change(path, args.contacts, args.rounds)
    idle(path, args.idle)
    write_cost()
    return 0


if __name__ == "__main__":
    sys.exit(main())
