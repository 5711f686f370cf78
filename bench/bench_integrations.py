"""The office integrations' figures: how long the caller card waits for the LDAP directory
(a real slapd with N people), how fast the outbox delivers webhooks to a real HTTP receiver
(event queued on disk -> receiver has it), and how long a first and an unchanged CardDAV sync
take against a real Radicale with N contacts on each side. Prints medians; asserts nothing.

    .venv/bin/python bench/bench_integrations.py            # 1000 people, 300 events, 200 contacts
    .venv/bin/python bench/bench_integrations.py --quick
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ms(values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return f"median {statistics.median(values) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms"


def bench_ldap(work: Path, people: int, lookups: int) -> None:
    from softphone.integrations.ldap_directory import LdapDirectory
    from tests.harness.slapd import Slapd, available

    if not available():
        print("ldap: slapd not installed, skipped")
        return
    with Slapd(work / "slapd") as server:
        ldif = "\n".join(server.person(f"p{i}", f"Person {i:05d}", sn=f"P{i}",
                                       phones=[f"+7 (495) {100 + i // 10000:03d}-"
                                               f"{(i // 100) % 100:02d}-{i % 100:02d}"])
                         for i in range(people))
        server.add(ldif)
        directory = LdapDirectory(server.url, f"ou=people,{server.suffix}", timeout=2,
                                  region="RU")
        hits, misses = [], []
        for i in range(lookups):
            n = (i * 7919) % people
            number = f"+7495{100 + n // 10000:03d}{(n // 100) % 100:02d}{n % 100:02d}"
            t = time.perf_counter()
            assert directory.find_number(number) is not None
            hits.append(time.perf_counter() - t)
            t = time.perf_counter()
            assert directory.find_number(f"+7916{i:07d}") is None
            misses.append(time.perf_counter() - t)
        print(f"ldap find_number, {people} people: found {ms(hits)}; not found {ms(misses)}")


def bench_outbox(work: Path, events: int) -> None:
    from softphone.integrations.call_events import CallEventPublisher
    from softphone.integrations.outbox import Outbox, OutboxWorker
    from softphone.integrations.webhooks import WebhookTarget
    from tests.harness.http_receiver import Receiver

    with Receiver() as receiver:
        outbox = Outbox(work / "outbox.sqlite3")
        target = WebhookTarget(receiver.url + "/hook", "secret", events=("ended",))
        worker = OutboxWorker(outbox, {target.name: target})
        publisher = CallEventPublisher(outbox, [target], worker.wake)
        worker.start()
        queued, delivered = [], []
        try:
            for i in range(events):
                t = time.perf_counter()
                publisher.publish("ended", {"id": i, "outcome": "answered"})
                queued.append(time.perf_counter() - t)
                receiver.wait_for(i + 1)
                delivered.append(time.perf_counter() - t)
        finally:
            worker.stop()
            outbox.close()
    print(f"outbox, {events} events one by one: queued on disk {ms(queued)}; "
          f"at the receiver {ms(delivered)}")


def bench_carddav(work: Path, contacts: int) -> None:
    from softphone.crm.store import Store
    from softphone.integrations.carddav import CardDavSync
    from softphone.integrations.carddav_client import CardDavClient
    from tests.harness.radicale import Radicale

    with Radicale(work / "dav") as server:
        for i in range(contacts):
            server.put(f"s{i}.vcf", f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:s{i}\r\nFN:Server {i}\r\n"
                       f"TEL:+7 495 5{i:06d}\r\nEND:VCARD\r\n")
        store = Store.open(None, work / "profile", "RU")
        for i in range(contacts):
            store.create_contact(f"Local {i}", phones=[(f"+7 495 6{i:06d}", "work")])
        client = CardDavClient(server.book_url, server.user, server.password)
        t = time.perf_counter()
        CardDavSync(store, client).run()
        first = time.perf_counter() - t
        t = time.perf_counter()
        CardDavSync(store, client).run()
        unchanged = time.perf_counter() - t
        store.close()
    print(f"carddav, {contacts} cards there + {contacts} contacts here: first sync "
          f"{first:.1f} s; next sync with nothing changed {unchanged * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    people, lookups, events, contacts = (200, 20, 50, 30) if args.quick else (1000, 100, 300,
                                                                              200)
    with tempfile.TemporaryDirectory(prefix="softphone-bench-integrations-") as tmp:
        work = Path(tmp)
        bench_ldap(work, people, lookups)
        bench_outbox(work, events)
        bench_carddav(work, contacts)


if __name__ == "__main__":
    main()
