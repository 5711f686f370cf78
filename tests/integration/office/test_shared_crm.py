"""Two desktops (agents anna and boris) sharing one contact database on a real PostgreSQL:
what one saves shows up on the other's open views within 2 s (change feed), every call and
note records its agent, and two agents editing one contact never lose an edit silently.
The SQLite fallback (polling) is checked on a shared file.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.crm.changes import Change, ChangeFeed
from softphone.crm.errors import ConflictError
from softphone.crm.store import Store

pytestmark = pytest.mark.integration

LATENCY_LIMIT = 2.0


class Feed:
    """A started ChangeFeed whose changes land in a queue, with the time each arrived."""

    def __init__(self, url: str) -> None:
        self.changes: queue.Queue[tuple[float, Change]] = queue.Queue()
        self.feed = ChangeFeed(url, lambda c: self.changes.put((time.monotonic(), c)),
                               poll_interval=0.2)

    def start(self) -> Feed:
        self.feed.start()
        assert self.feed.wait_ready(15), f"change feed not ready: {self.feed.last_error}"
        return self

    def expect(self, pred: Callable[[Change], bool], since: float,
               timeout: float = LATENCY_LIMIT + 3) -> tuple[float, Change]:
        """The first change matching ``pred``; returns (seconds after ``since``, change)."""
        deadline = time.monotonic() + timeout
        seen: list[Change] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching change in {timeout} s; saw {seen}")
            try:
                at, change = self.changes.get(timeout=left)
            except queue.Empty:
                continue
            if at < since:
                continue  # arrived before the write we are timing
            seen.append(change)
            if pred(change):
                return at - since, change


def report(record_property: Callable[[str, object], None], key: str, seconds: float) -> None:
    record_property(key, round(seconds, 4))
    print(f"\n[changes] {key}: {seconds * 1000:.1f} ms")


@pytest.fixture
def pg_desks(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Store, Store, str]]:
    anna = Store.open(postgres_url, tmp_path / "anna", default_region="RU", agent="anna")
    boris = Store.open(postgres_url, tmp_path / "boris", default_region="RU", agent="boris")
    try:
        yield anna, boris, postgres_url
    finally:
        anna.close()
        boris.close()


@pytest.fixture
def feeds() -> Iterator[Callable[[str], Feed]]:
    made: list[Feed] = []

    def make(url: str) -> Feed:
        feed = Feed(url)
        made.append(feed)
        return feed.start()

    yield make
    for feed in made:
        feed.feed.stop()


@pytest.mark.postgres
def test_changes_reach_the_other_desk_within_two_seconds(
    pg_desks: tuple[Store, Store, str], feeds: Callable[[str], Feed],
    record_property: Callable[[str, object], None],
) -> None:
    anna, boris, url = pg_desks
    boris_feed = feeds(url)

    # a contact
    t0 = time.monotonic()
    contact = anna.create_contact("Ivan Petrov", company="Romashka",
                                  phones=["8 (495) 123-45-67"])
    latency, change = boris_feed.expect(
        lambda c: c.table == "contacts" and c.row_id == contact.id and c.op == "INSERT", t0)
    report(record_property, "contact_insert_latency", latency)
    assert latency < LATENCY_LIMIT
    seen = boris.get_contact(contact.id)
    assert seen is not None and seen.name == "Ivan Petrov" and seen.company == "Romashka"
    assert boris.lookup("+74951234567").contact is not None

    # a call logged by anna (with its agent)
    t0 = time.monotonic()
    started = datetime.now(UTC) - timedelta(minutes=3)
    call_id = anna.call_started(direction="in", account="LAN", number="+74951234567",
                                started_at=started)
    latency, change = boris_feed.expect(
        lambda c: c.table == "calls" and c.row_id == call_id and c.op == "INSERT", t0)
    report(record_property, "call_insert_latency", latency)
    assert latency < LATENCY_LIMIT and change.agent == "anna"
    anna.call_answered(call_id, started + timedelta(seconds=5))
    t0 = time.monotonic()
    anna.call_ended(call_id, ended_at=started + timedelta(seconds=65), outcome="answered",
                    sip_status=200)
    latency, _ = boris_feed.expect(
        lambda c: c.table == "calls" and c.row_id == call_id and c.op == "UPDATE", t0)
    report(record_property, "call_update_latency", latency)
    call = boris.get_call(call_id)
    assert call is not None and call.agent == "anna" and call.contact_id == contact.id
    assert call.talk_seconds == 60

    # the note on that call (wrap-up) records its author
    t0 = time.monotonic()
    anna.save_wrapup(call_id, outcome="Interested", note="wants a quote")
    latency, change = boris_feed.expect(
        lambda c: c.table == "wrapups" and c.row_id == call_id, t0)
    report(record_property, "note_latency", latency)
    assert latency < LATENCY_LIMIT and change.agent == "anna"
    wrapup = boris.get_wrapup(call_id)
    assert wrapup is not None and wrapup.note == "wants a quote" and wrapup.author == "anna"

    # boris logs his own call: statistics per agent tell them apart
    b_call = boris.call_started(direction="out", account="LAN", number="+74951234567",
                                started_at=started + timedelta(minutes=1))
    boris.call_ended(b_call, ended_at=started + timedelta(minutes=2), outcome="no_answer",
                     sip_status=487)
    boris.save_wrapup(b_call, outcome="Call back", note="no answer")
    assert anna.get_wrapup(b_call).author == "boris"  # type: ignore[union-attr]
    since, until = started - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)
    for store in (anna, boris):
        s_anna = store.statistics(since=since, until=until, agent="anna")
        s_boris = store.statistics(since=since, until=until, agent="boris")
        s_all = store.statistics(since=since, until=until)
        assert (s_anna.calls, s_boris.calls, s_all.calls) == (1, 1, 2)
        assert (s_anna.answered, s_boris.answered) == (1, 0)

    # a phone added to the contact shows as an update of that contact
    t0 = time.monotonic()
    anna.add_phone(contact.id, "+7 916 000-11-22", label="mobile")
    latency, _ = boris_feed.expect(
        lambda c: c.table == "contacts" and c.row_id == contact.id and c.op == "UPDATE", t0)
    report(record_property, "phone_added_latency", latency)

    # what a sync conflict replaced, shown on the contact's card
    t0 = time.monotonic()
    entry = anna.add_history(contact.id, source="carddav", kind="conflict",
                             fields={"name": "Ivan P."})
    boris_feed.expect(lambda c: c.table == "contact_history" and c.row_id == entry.id
                      and c.op == "INSERT", t0)


@pytest.mark.postgres
def test_two_agents_editing_one_contact_never_lose_an_edit(
    pg_desks: tuple[Store, Store, str], feeds: Callable[[str], Feed],
) -> None:
    anna, boris, url = pg_desks
    boris_feed = feeds(url)
    contact = anna.create_contact("Olga", phones=["+74951112233"])
    both_see = boris.get_contact(contact.id)
    assert both_see is not None and both_see.version == contact.version

    t0 = time.monotonic()
    anna.update_contact(contact.id, expected_version=contact.version, position="CEO")
    boris_feed.expect(lambda c: c.table == "contacts" and c.row_id == contact.id
                      and c.op == "UPDATE", t0)
    with pytest.raises(ConflictError):
        boris.update_contact(contact.id, expected_version=both_see.version, notes="old view")
    fresh = boris.get_contact(contact.id)
    assert fresh is not None and fresh.position == "CEO" and fresh.notes == ""
    boris.update_contact(contact.id, expected_version=fresh.version, notes="reloaded")
    final = anna.get_contact(contact.id)
    assert final is not None and (final.position, final.notes) == ("CEO", "reloaded")

    # Truly at once: both save from the same version in parallel; exactly one wins.
    base = anna.get_contact(contact.id)
    assert base is not None
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def save(store: Store, who: str) -> None:
        barrier.wait(5)
        try:
            store.update_contact(contact.id, expected_version=base.version, position=who)
            results[who] = "saved"
        except ConflictError:
            results[who] = "conflict"

    threads = [threading.Thread(target=save, args=(s, w))
               for s, w in ((anna, "anna"), (boris, "boris"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert sorted(results.values()) == ["conflict", "saved"]
    winner = next(w for w, r in results.items() if r == "saved")
    after = boris.get_contact(contact.id)
    assert after is not None and after.position == winner
    assert after.version == base.version + 1


@pytest.mark.postgres
def test_feed_installs_triggers_once_and_recovers(
    pg_desks: tuple[Store, Store, str], feeds: Callable[[str], Feed],
) -> None:
    """Several feeds starting together install the triggers once; a feed whose connection
    is killed reconnects and asks for a full reload (RESYNC), then reports changes again."""
    import psycopg

    from softphone.crm.changes import TABLES, TRIGGER, psycopg_conninfo

    anna, _boris, url = pg_desks
    many = [feeds(url) for _ in range(3)]
    with psycopg.connect(**psycopg_conninfo(url)) as conn:
        count = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = %s",
                             (TRIGGER,)).fetchone()
        assert count is not None and count[0] == len(TABLES)
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE application_name = 'softphone change feed' AND pid <> "
                     "pg_backend_pid()")
        conn.commit()
    feed = many[0]
    feed.expect(lambda c: c.op == "RESYNC", time.monotonic(), timeout=15)
    assert feed.feed.wait_ready(15)
    t0 = time.monotonic()
    created = anna.create_contact("After reconnect")
    feed.expect(lambda c: c.table == "contacts" and c.row_id == created.id, t0)


def test_sqlite_feed_polls_a_shared_file(tmp_path: Path, feeds: Callable[[str], Feed],
                                         record_property: Callable[[str, object], None]) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    anna = Store.open(url, tmp_path / "anna", default_region="RU", agent="anna")
    boris = Store.open(url, tmp_path / "boris", default_region="RU", agent="boris")
    try:
        feed = feeds(url)
        t0 = time.monotonic()
        contact = anna.create_contact("Pavel", phones=["+74950001122"])
        latency, _ = feed.expect(lambda c: c.table == "contacts", t0)
        report(record_property, "sqlite_contact_latency", latency)
        assert latency < LATENCY_LIMIT
        assert boris.get_contact(contact.id) is not None

        t0 = time.monotonic()
        call_id = anna.call_started(direction="in", account="LAN", number="+74950001122",
                                    started_at=datetime.now(UTC))
        feed.expect(lambda c: c.table == "calls", t0)
        t0 = time.monotonic()
        anna.save_wrapup(call_id, outcome="Resolved", note="done")
        feed.expect(lambda c: c.table == "wrapups", t0)
        t0 = time.monotonic()
        anna.update_contact(contact.id, expected_version=contact.version, notes="x")
        feed.expect(lambda c: c.table == "contacts", t0)
    finally:
        anna.close()
        boris.close()


@pytest.mark.postgres
def test_feed_for_a_user_who_does_not_own_the_tables(
    pg_desks: tuple[Store, Store, str], feeds: Callable[[str], Feed],
) -> None:
    """Desktops may connect as a role that can read and write but not create triggers: the
    feed still listens (and hears changes once the owner's feed or a migration installed the
    triggers)."""
    import psycopg

    from softphone.crm.changes import TRIGGER, psycopg_conninfo

    anna, _boris, url = pg_desks
    from sqlalchemy.engine import make_url

    role = f"clerk_{make_url(url).database}"
    with psycopg.connect(**psycopg_conninfo(url), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                     f"TO {role}")
    clerk_url = url.replace("postgresql+psycopg://postgres@", f"postgresql+psycopg://{role}@")
    clerk = feeds(clerk_url)  # cannot install: listens anyway
    try:
        with psycopg.connect(**psycopg_conninfo(url)) as conn:
            row = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = %s",
                               (TRIGGER,)).fetchone()
            assert row is not None and row[0] == 0
        feeds(url)  # the owner's feed installs them
        t0 = time.monotonic()
        created = anna.create_contact("Heard by the clerk")
        clerk.expect(lambda c: c.table == "contacts" and c.row_id == created.id, t0)
    finally:
        clerk.feed.stop()
        with psycopg.connect(**psycopg_conninfo(url), autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")
