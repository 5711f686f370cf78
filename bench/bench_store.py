"""Contact store at scale (SQLite): caller lookup, search-as-you-type, month statistics.

    .venv/bin/python bench/bench_store.py            # 1,000,000 contacts, 5,000,000 calls
    .venv/bin/python bench/bench_store.py --small    # 100,000 contacts, 500,000 calls
    .venv/bin/python bench/bench_store.py --contacts 300000 --calls 1500000

The database is generated once (bulk inserts straight into the migrated schema, indexes and
the full-text index built afterwards) and cached under ``bench/results/`` (``--rebuild`` makes
it again, ``--dir`` puts it elsewhere). Then, through the public ``Store`` API:

* lookup p50/p99 per number format (E.164, ``8 (xxx) ...``, ``sip:8...@pbx``, ``tel:``, bare
  digits with country code, a 7-digit local number (suffix tier), an unknown number, a
  withheld caller) - target p99 <= 5 ms;
* search p99 over 200 random prefixes (name, company, e-mail word prefixes and digit runs) -
  target p99 <= 50 ms;
* statistics for the most recent full month (day buckets, week buckets, one account) - target
  <= 500 ms.

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from softphone.crm.convert import fold, search_text
from softphone.crm.phones import normalize
from softphone.crm.store import Store
from softphone.profile import database_file

RESULTS = Path(__file__).resolve().parent / "results"
END = datetime(2026, 11, 1, tzinfo=UTC)  # calls span the year before this
FIRST = ["Иван", "Анна", "Пётр", "Мария", "Олег", "Ольга", "Сергей", "Елена", "Дмитрий",
         "Наталья", "Алексей", "Татьяна", "John", "Emily", "Carlos", "Sophie", "Ahmed", "Yuki",
         "Михаил", "Юлия", "Андрей", "Ксения", "Павел", "Виктория"]
LAST = ["Иванов", "Петрова", "Сидоров", "Кузнецова", "Смирнов", "Попова", "Волков", "Орлова",
        "Лебедев", "Новикова", "Морозов", "Соколова", "Smith", "Johnson", "García", "Müller",
        "Tanaka", "O'Brien", "Фёдоров", "Зайцева", "Белов", "Ершова"]
COMPANY_WORDS = ["Ромашка", "Вектор", "Альфа", "Север", "Техно", "Строй", "Глобус", "Acme",
                 "Globex", "Initech", "Umbrella", "Восток", "Лидер", "Профи", "Сфера", "Orbit"]
COMPANY_FORMS = ["ООО", "АО", "ИП", "LLC", "Inc.", "ГК"]
POSITIONS = ["Директор", "Менеджер", "Бухгалтер", "CEO", "Engineer", None, None, None]
AREAS = ["495", "499", "812", "343", "383", "916", "926", "903", "985", "999", "977", "963"]
ACCOUNTS = ["office", "sales", "support"]
AGENTS = ["alice", "bob", "carol", "dave", "erin"]
OUTCOMES = (["answered"] * 70 + ["missed"] * 10 + ["no_answer"] * 8 + ["busy"] * 5
            + ["rejected"] * 3 + ["failed"] * 4)


def ts(moment: datetime) -> str:
    """How the store's UTCDateTime lands in SQLite (naive UTC, SQLAlchemy's format)."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def raw_spelling(rnd: random.Random, area: str, rest: str) -> str:
    a, b, c = rest[:3], rest[3:5], rest[5:]
    return rnd.choice([
        f"8 ({area}) {a}-{b}-{c}", f"+7 {area} {a} {b} {c}", f"8{area}{rest}",
        f"+7 ({area}) {a}-{b}{c}", f"7{area}{rest}",
    ])


def generate(profile: Path, contacts: int, calls: int, seed: int = 42) -> None:
    """Bulk-load a migrated database: contacts with 1-3 numbers, a year of calls."""
    profile.mkdir(parents=True, exist_ok=True)
    Store.open(None, profile, "RU").close()  # the real schema, by the migrations
    path = database_file(profile)
    rnd = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    conn.execute("PRAGMA temp_store = MEMORY")
    saved = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
        "((type = 'index' AND tbl_name IN ('contacts', 'phones', 'calls', 'companies')) "
        "OR (type = 'trigger' AND name LIKE 'contact_fts_%'))"
    ).fetchall()
    for kind, name, _sql in saved:
        conn.execute(f"DROP {kind.upper()} {name}")
    now = ts(END)
    t0 = time.perf_counter()

    conn.execute("BEGIN")
    n_companies = max(10, contacts // 20)
    company_names = []
    for cid in range(1, n_companies + 1):
        name = (f"{rnd.choice(COMPANY_FORMS)} «{rnd.choice(COMPANY_WORDS)}-"
                f"{rnd.choice(COMPANY_WORDS)} {cid}»")
        company_names.append(name)
    conn.executemany(
        "INSERT INTO companies (id, name, name_fold, created_at) VALUES (?, ?, ?, ?)",
        [(i + 1, n, fold(n), now) for i, n in enumerate(company_names)],
    )
    used: set[str] = set()
    phone_of_contact: list[str] = [""]  # index = contact id: one E.164 per contact
    batch_c: list[tuple] = []
    batch_p: list[tuple] = []
    for cid in range(1, contacts + 1):
        name = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        company_id = rnd.randrange(1, n_companies + 1) if rnd.random() < 0.6 else None
        company = company_names[company_id - 1] if company_id else None
        position = rnd.choice(POSITIONS)
        email = f"user{cid}@{rnd.choice(['mail.ru', 'yandex.ru', 'gmail.com', 'corp.example'])}"
        phones = []
        for pos in range(rnd.choice((1, 1, 2, 2, 3))):
            while True:
                area = rnd.choice(AREAS)
                rest = f"{rnd.randrange(10**7):07d}"
                nsn = area + rest
                if nsn not in used:
                    used.add(nsn)
                    break
            raw = raw_spelling(rnd, area, rest)
            e164 = "+7" + nsn
            phones.append((raw, e164, nsn))
            batch_p.append((cid, raw, e164, nsn, nsn[::-1], "number",
                            "mobile" if area[0] == "9" else "work", int(pos == 0), pos))
        phone_of_contact.append(phones[0][1])
        emails = [email]
        batch_c.append((cid, name, fold(name), company_id, position, json.dumps(emails), "[]",
                        "", 0, search_text(name, company, position, emails, phones), now, now, 1))
        if len(batch_c) >= 50_000:
            _flush_contacts(conn, batch_c, batch_p)
    _flush_contacts(conn, batch_c, batch_p)
    conn.execute("COMMIT")
    print(f"  contacts: {contacts:,} in {time.perf_counter() - t0:.1f} s", flush=True)

    t1 = time.perf_counter()
    conn.execute("BEGIN")
    span = int(timedelta(days=365).total_seconds())
    start_epoch = int(END.timestamp()) - span
    batch: list[tuple] = []
    for call_id in range(1, calls + 1):
        # office hours are busier: pick a day, then an hour weighted towards 9-18 local
        day = rnd.randrange(365)
        hour = rnd.choice((6, 7, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16))
        started = start_epoch + day * 86400 + hour * 3600 + rnd.randrange(3600)
        direction = "in" if rnd.random() < 0.6 else "out"
        outcome = rnd.choice(OUTCOMES)
        if direction == "out" and outcome == "missed":
            outcome = "no_answer"
        ring = rnd.randrange(2, 30)
        if rnd.random() < 0.75:
            contact_id: int | None = rnd.randrange(1, contacts + 1)
            number = phone_of_contact[contact_id]  # type: ignore[index]
        else:
            contact_id = None
            number = f"+79{rnd.randrange(10**9):09d}"
        start_dt = datetime.fromtimestamp(started, UTC)
        if outcome == "answered":
            talk = int(rnd.expovariate(1 / 150)) + 5
            answered = ts(start_dt + timedelta(seconds=ring))
            ended = ts(start_dt + timedelta(seconds=ring + talk))
        else:
            talk, answered = 0, None
            ended = ts(start_dt + timedelta(seconds=ring))
        batch.append((call_id, direction, rnd.choice(ACCOUNTS), number, number,
                      f"sip:{number}@pbx", "", contact_id, ts(start_dt), started // 3600,
                      answered, ended, talk, ring, outcome,
                      200 if outcome == "answered" else 486, None, None,
                      rnd.choice(AGENTS), f"{call_id}@bench"))
        if len(batch) >= 100_000:
            _flush_calls(conn, batch)
    _flush_calls(conn, batch)
    conn.execute("COMMIT")
    print(f"  calls: {calls:,} in {time.perf_counter() - t1:.1f} s", flush=True)

    t2 = time.perf_counter()
    for kind, _name, sql in saved:
        if kind == "index":
            conn.execute(sql)
    print(f"  indexes: {time.perf_counter() - t2:.1f} s", flush=True)
    t3 = time.perf_counter()
    for kind, _name, sql in saved:
        if kind == "trigger":
            conn.execute(sql)
    conn.execute("INSERT INTO contact_fts(contact_fts) VALUES ('rebuild')")
    conn.execute("INSERT INTO contact_fts(contact_fts) VALUES ('optimize')")
    print(f"  full-text index: {time.perf_counter() - t3:.1f} s", flush=True)
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    (profile / "bench-ok").write_text(f"{contacts} {calls}\n")
    print(f"generated in {time.perf_counter() - t0:.1f} s; "
          f"{path.stat().st_size / 1e9:.2f} GB", flush=True)


def _flush_contacts(conn: sqlite3.Connection, contacts: list[tuple], phones: list[tuple]) -> None:
    conn.executemany(
        "INSERT INTO contacts (id, name, name_fold, company_id, position, emails, tags, notes,"
        " do_not_call, search_fold, created_at, updated_at, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", contacts)
    conn.executemany(
        "INSERT INTO phones (contact_id, raw, e164, national, rev, kind, label, is_primary,"
        " position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", phones)
    contacts.clear()
    phones.clear()


def _flush_calls(conn: sqlite3.Connection, calls: list[tuple]) -> None:
    conn.executemany(
        "INSERT INTO calls (id, direction, account, number, number_key, remote_uri,"
        " display_name, contact_id, started_at, start_hour, answered_at, ended_at,"
        " talk_seconds, ring_seconds, outcome, sip_status, recording_path, quality, agent,"
        " sip_call_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        calls)
    calls.clear()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn, *args, **kwargs) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - start) * 1000, result


class CpuClock:
    """CPU time of this process (all threads): a figure that a busy machine does not inflate
    as much as wall-clock percentiles (other processes only steal wall time)."""

    def __enter__(self) -> CpuClock:
        self.start = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ms = (time.process_time() - self.start) * 1000


def bench_lookup(store: Store, rnd: random.Random, samples: int) -> None:
    conn = store.engine.raw_connection()
    try:
        cursor = conn.cursor()
        max_id = cursor.execute("SELECT max(id) FROM phones").fetchone()[0]
        picks = [cursor.execute("SELECT raw, e164, national FROM phones WHERE id = ?",
                                (rnd.randrange(1, max_id + 1),)).fetchone()
                 for _ in range(samples)]
    finally:
        conn.close()
    sample = picks[:500]
    checked = sum(normalize(raw, "RU").e164 == e164 for raw, e164, _ in sample)
    print(f"generated numbers normalize back to their stored E.164: {checked}/{len(sample)}")
    formats = {
        "e164": lambda e, n: e,
        "8 (xxx) xxx-xx-xx": lambda e, n: f"8 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}",
        "sip:8...@pbx": lambda e, n: f"sip:8{n}@pbx.local",
        "tel:+7-...": lambda e, n: f"tel:+7-{n[:3]}-{n[3:6]}-{n[6:]}",
        "bare 7...": lambda e, n: f"7{n}",
        "local 7 digits (suffix)": lambda e, n: f"{n[3:6]}-{n[6:8]}-{n[8:]}",
        "unknown number": lambda e, n: f"+7 800 {n[3:]}",
        "withheld": lambda e, n: "anonymous",
    }
    print(f"\nlookup ({samples} numbers per format)      p50 ms   p99 ms   max ms   "
          "cpu ms/op  found")
    for label, make in formats.items():
        times, found = [], 0
        with CpuClock() as cpu:
            for _raw, e164, national in picks:
                ms, match = timed(store.lookup, make(e164, national))
                times.append(ms)
                found += match.contact is not None or match.company is not None  # type: ignore[attr-defined]
        print(f"  {label:<36} {percentile(times, 50):7.3f}  {percentile(times, 99):7.3f}  "
              f"{max(times):7.2f}  {cpu.ms / len(picks):9.3f}  {found:6d}")


def bench_search(store: Store, rnd: random.Random, count: int) -> None:
    conn = store.engine.raw_connection()
    try:
        cursor = conn.cursor()
        max_id = cursor.execute("SELECT max(id) FROM contacts").fetchone()[0]
        rows = [cursor.execute(
            "SELECT c.name, co.name, c.emails, p.national FROM contacts c "
            "LEFT JOIN companies co ON co.id = c.company_id "
            "JOIN phones p ON p.contact_id = c.id WHERE c.id = ? LIMIT 1",
            (rnd.randrange(1, max_id + 1),)).fetchone() for _ in range(count)]
    finally:
        conn.close()
    queries: list[tuple[str, str]] = []
    for i, (name, company, emails, national) in enumerate(rows):
        kind = ("name", "company", "email", "digits")[i % 4]
        if kind == "name":
            word = rnd.choice(name.split())
            q = word[: rnd.randint(2, min(6, len(word)))]
            if rnd.random() < 0.3:
                q = q.upper()
        elif kind == "company" and company:
            word = rnd.choice([w for w in company.replace("«", " ").split() if len(w) > 2])
            q = word[: rnd.randint(3, min(7, len(word)))]
        elif kind == "email":
            q = json.loads(emails)[0][: rnd.randint(3, 8)]
        else:
            start = rnd.randrange(0, 5)
            q = national[start : start + rnd.randint(3, 7)]
        queries.append((kind, q))
    store.search("warm up")
    times: dict[str, list[float]] = {}
    hits = 0
    with CpuClock() as cpu:
        for kind, q in queries:
            ms, result = timed(store.search, q, 20)
            times.setdefault(kind, []).append(ms)
            hits += bool(result)
    every = [t for ts_ in times.values() for t in ts_]
    print(f"\nsearch-as-you-type ({len(queries)} random prefixes, limit 20): "
          f"p50 {percentile(every, 50):.2f} ms, p99 {percentile(every, 99):.2f} ms, "
          f"max {max(every):.1f} ms, cpu {cpu.ms / len(queries):.2f} ms/op; "
          f"{hits} with results")
    for kind, values in times.items():
        print(f"  {kind:<8} n={len(values):3d}  p50 {percentile(values, 50):6.2f} ms  "
              f"p99 {percentile(values, 99):6.2f} ms")


def bench_stats(store: Store) -> None:
    since = datetime(END.year, END.month - 1, 1, tzinfo=UTC) if END.month > 1 else \
        datetime(END.year - 1, 12, 1, tzinfo=UTC)
    until = END
    print(f"\nmonth statistics {since:%Y-%m-%d} .. {until:%Y-%m-%d}")
    for label, kwargs in (
        ("per day (first run)", {}),
        ("per day", {}),
        ("per week", {"bucket": "week"}),
        ("one account", {"account": "sales"}),
        ("one agent", {"agent": "alice"}),
    ):
        with CpuClock() as cpu:
            ms, stats = timed(store.statistics, since=since, until=until, **kwargs)
        print(f"  {label:<22} {ms:8.1f} ms (cpu {cpu.ms:6.1f})   calls {stats.calls:,}, answered "  # type: ignore[attr-defined]
              f"{stats.answered:,}, missed rate {stats.missed_rate:.1%}, "  # type: ignore[attr-defined]
              f"avg talk {stats.avg_talk_seconds:.0f} s")  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=5_000_000)
    parser.add_argument("--small", action="store_true", help="100,000 contacts, 500,000 calls")
    parser.add_argument("--dir", type=Path, default=RESULTS, help="where the database is cached")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--samples", type=int, default=1000, help="lookups per format")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.small:
        args.contacts, args.calls = 100_000, 500_000

    profile = args.dir / f"store-{args.contacts}-{args.calls}"
    if args.rebuild or not (profile / "bench-ok").exists():
        if profile.exists():
            for item in profile.iterdir():
                item.unlink()
        print(f"generating {args.contacts:,} contacts and {args.calls:,} calls in {profile}",
              flush=True)
        generate(profile, args.contacts, args.calls)
    else:
        print(f"using cached {profile}")
    rnd = random.Random(args.seed)
    ms, store = timed(Store.open, None, profile, "RU")
    print(f"Store.open: {ms:.0f} ms")
    try:
        bench_lookup(store, rnd, args.samples)  # type: ignore[arg-type]
        bench_search(store, rnd, 200)  # type: ignore[arg-type]
        bench_stats(store)  # type: ignore[arg-type]
    finally:
        store.close()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
