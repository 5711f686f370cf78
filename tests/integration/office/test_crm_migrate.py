"""``softphone crm migrate --to URL``: a SQLite profile with data moves to a real PostgreSQL,
ids kept, counts checked; a non-empty target is refused unless --force; an unreachable
target gives a clear error."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.cli import main
from softphone.crm.db import make_engine
from softphone.crm.store import Store
from softphone.crm.transfer import count_rows
from tests.harness.ports import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """main() installs log handlers on capsys's stream; remove them so later tests' threads
    never write to a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def fill(store: Store) -> dict[str, int]:
    """A bit of everything; returns a few ids to look for afterwards."""
    ivan = store.create_contact("Ivan Petrov", company="Romashka", position="CEO",
                                phones=[("8 (495) 123-45-67", "work", True),
                                        ("+7 916 555-44-33", "mobile", False)],
                                emails=["ivan@romashka.ru"], tags=["vip", "moscow"],
                                notes="met at the fair")
    olga = store.create_contact("Olga", company="Romashka", phones=["+74951230000"])
    store.create_contact("Deleted later", phones=["+74950000001"])
    gone = store.create_contact("Gone", phones=["+74950000002"])
    store.delete_contact(gone.id)  # a hole in the ids
    start = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    answered = store.call_started(direction="in", account="LAN", number="+74951234567",
                                  remote_uri="sip:+74951234567@pbx", started_at=start)
    store.call_answered(answered, start + timedelta(seconds=4))
    store.call_ended(answered, ended_at=start + timedelta(minutes=3), outcome="answered",
                     sip_status=200, recording_path="/recordings/2026-03-02-0930.wav",
                     quality={"codec": "opus", "rx_loss_percent": 0.5})
    store.save_wrapup(answered, outcome="Interested", reason="price", note="send offer")
    missed = store.call_started(direction="in", account="LAN", number="+74997770000",
                                started_at=start + timedelta(hours=1))
    store.call_ended(missed, ended_at=start + timedelta(hours=1, seconds=20),
                     outcome="missed", sip_status=487)
    store.add_task(kind="call_back", title="Call Ivan back", due_at=start + timedelta(days=1),
                   contact_id=ivan.id, call_id=answered)
    store.add_deal(title="Office chairs", amount="12500.50", contact_id=olga.id)
    store.ignore_number("+74990000000", "spam")
    return {"ivan": ivan.id, "olga": olga.id, "call": answered}


def run(profile: Path, *argv: str) -> int:
    return main(["--profile", str(profile), *argv])


@pytest.mark.postgres
def test_migrate_sqlite_profile_to_postgres(
    profile_dir: Path, postgres_url: str, capsys: pytest.CaptureFixture[str],
) -> None:
    with Store.open(None, profile_dir, default_region="RU", agent="anna") as store:
        ids = fill(store)
    sqlite_url = f"sqlite:///{profile_dir / 'softphone.sqlite3'}"

    assert run(profile_dir, "crm", "migrate", "--to", postgres_url) == 0
    out = capsys.readouterr().out
    assert "counts match" in out

    source, target = make_engine(sqlite_url), make_engine(postgres_url)
    try:
        before, after = count_rows(source), count_rows(target)
    finally:
        source.dispose()
        target.dispose()
    assert before == after
    for table, n in after.items():
        assert f"{table}" in out and str(n) in out
    assert after["contacts"] == 3 and after["calls"] == 2 and after["phones"] == 4
    assert all(after[t] >= 1 for t in ("companies", "wrapups", "tasks", "deals",
                                        "ignored_numbers", "missed_inbox"))

    with Store.open(postgres_url, profile_dir / "pg", default_region="RU",
                    agent="boris") as pg:
        match = pg.lookup("+7 (495) 123-45-67")
        assert match.contact is not None and match.contact.id == ids["ivan"]
        assert match.contact.company == "Romashka" and match.contact.tags == ("vip", "moscow")
        assert pg.lookup("89165554433").contact.id == ids["ivan"]  # type: ignore[union-attr]
        call = pg.get_call(ids["call"])
        assert call is not None and call.recording_path == "/recordings/2026-03-02-0930.wav"
        assert call.agent == "anna" and call.talk_seconds == 176
        assert call.quality == {"codec": "opus", "rx_loss_percent": 0.5}
        wrapup = pg.get_wrapup(ids["call"])
        assert wrapup is not None and wrapup.note == "send offer" and wrapup.author == "anna"
        assert [d.title for d in pg.deals(contact_id=ids["olga"])] == ["Office chairs"]
        assert pg.lookup("+74990000000").ignored == "spam"
        # Sequences were moved past the copied ids: new rows get fresh ids.
        new = pg.create_contact("New on the server")
        assert new.id > max(ids["ivan"], ids["olga"]) + 1

    # A second run finds the target in use: refused, nothing changed.
    assert run(profile_dir, "crm", "migrate", "--to", postgres_url) == 1
    err = capsys.readouterr().err
    assert "--force" in err and "contacts (4)" in err
    # --force replaces the target's content with the profile's.
    assert run(profile_dir, "crm", "migrate", "--to", postgres_url, "--force") == 0
    assert "replaced" in capsys.readouterr().out
    target = make_engine(postgres_url)
    try:
        assert count_rows(target)["contacts"] == 3
    finally:
        target.dispose()


def test_migrate_to_an_unreachable_server_says_so(
    profile_dir: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    with Store.open(None, profile_dir, default_region="RU") as store:
        store.create_contact("Ivan", phones=["+74951234567"])
    port = free_port()  # nothing listens there
    url = f"postgresql+psycopg://softphone:secret@127.0.0.1:{port}/crm?connect_timeout=3"
    assert run(profile_dir, "crm", "migrate", "--to", url) == 1
    err = capsys.readouterr().err
    assert "cannot be reached" in err and f"127.0.0.1:{port}" in err
    assert "secret" not in err  # the password is never printed

    assert run(profile_dir, "crm", "migrate", "--to", "not a url") == 2
    assert "not a database URL" in capsys.readouterr().err
