"""CSV contact import rate: generated rows into a fresh SQLite store, rows per second.

    .venv/bin/python bench/bench_import.py [--rows 100000] [--runs 3] [--url URL]

Each run imports the same file into a new profile (a fresh database) and times the whole
user-visible path: reading and decoding the file, sniffing, parsing every row, normalizing
numbers and writing the contacts (with duplicates merged). Prints each run, the parse-only
rate and the median; the target is >= 20,000 rows/s on SQLite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from softphone.crm.io import read_contacts
from softphone.crm.store import Store

TARGET = 20_000
FIRST = ["Иван", "Анна", "Пётр", "Мария", "John", "Emily", "Олег", "Ольга", "Carlos", "Dmitry"]
LAST = ["Иванов", "Петрова", "Сидоров", "Smith", "O'Brien", "Кузнецова", "Díaz", "Орлов"]
COMPANIES = ['ООО "Ромашка"', "Acme, Inc.", "ИП Петрова", "Globex", "", "", ""]
FORMATS = ["8 ({a}) {b}-{c}-{d}", "+7 {a} {b} {c} {d}", "8{a}{b}{c}{d}", "+7 ({a}) {b}-{c}{d}"]


def make_csv(path: Path, rows: int, seed: int = 7) -> None:
    """Excel-style semicolon CSV; about 2% of the rows repeat an earlier person (same name,
    the number in another format), which the import merges."""
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("ФИО;Компания;Должность;Телефон;Мобильный;E-mail;Категории;Примечание\r\n")
        for i in range(rows):
            n = i if rnd.random() > 0.02 or i == 0 else rnd.randrange(i)
            area = 900 + n % 100
            number = f"{n:07d}"
            fmt = rnd.choice(FORMATS).format(a=area, b=number[:3], c=number[3:5], d=number[5:])
            mobile = f"+7 916 {n:07d}" if n % 3 == 0 else ""
            name = f"{LAST[n % len(LAST)]} {FIRST[n // 7 % len(FIRST)]} {n}"  # a repeat: same
            email = f"user{i}@example.com" if n % 2 else ""
            note = '"звонить после 14:00; спросить про ""договор"""' if n % 5 == 0 else ""
            out.write(f"{name};{rnd.choice(COMPANIES)};;{fmt};{mobile};{email};клиенты;"
                      f"{note}\r\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--url", help="database URL (default: SQLite in a fresh profile)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        csv = Path(tmp) / "contacts.csv"
        make_csv(csv, args.rows)
        size_mb = csv.stat().st_size / 1e6
        print(f"{args.rows} rows, {size_mb:.1f} MB")

        totals, parses, stores = [], [], []
        for run in range(args.runs):
            profile = Path(tmp) / f"profile-{run}"
            store = Store.open(args.url, profile, "RU")
            try:
                start = time.perf_counter()
                parsed = read_contacts(csv)  # what import_file does, timed in two parts
                parsed_at = time.perf_counter()
                result = store.import_contacts(parsed.records)
                done = time.perf_counter()
            finally:
                store.close()
            totals.append(args.rows / (done - start))
            parses.append(args.rows / (parsed_at - start))
            stores.append(args.rows / (done - parsed_at))
            print(f"run {run + 1}: {totals[-1]:,.0f} rows/s end to end ({done - start:.2f} s: "
                  f"parse {parsed_at - start:.2f} s, store {done - parsed_at:.2f} s; "
                  f"created {result.created}, merged {result.merged}, "
                  f"skipped {len(parsed.skipped) + len(result.skipped)})")
            if args.url:
                break  # a server database is not fresh on the next run
        median = statistics.median(totals)
        verdict = "OK" if median >= TARGET else "BELOW TARGET"
        print(f"parse (read + decode + sniff + rows -> records), median: "
              f"{statistics.median(parses):,.0f} rows/s")
        print(f"store.import_contacts (normalize + merge + write), median: "
              f"{statistics.median(stores):,.0f} rows/s")
        print(f"import rate end to end (median of {len(totals)}): {median:,.0f} rows/s "
              f"(target {TARGET:,}: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
