"""commands/crm.py in-process (the same process runs in tests/integration/crm/test_cli_crm.py
as a real command line): dates and IDs refused with a clear message, exit statuses (0 done,
1 nothing found / imported, 2 usage or database error), the JSON shapes of lookup, calls list
and stats, erase needing --yes, and export choosing the format by the file name."""

from __future__ import annotations

import argparse
import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.cli import build_parser
from softphone.commands.crm import EXIT_NOTHING, EXIT_OK, EXIT_USAGE, UsageError, parse_date
from softphone.crm.store import Store
from softphone.profile import database_file
from softphone.settings import CrmSettings, Settings

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = dataclasses.replace(Settings(), crm=CrmSettings(default_region="RU", agent="alice"))


def run(profile: Path, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return int(args.handler(args, profile, SETTINGS))


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    """Ann with two calls (one answered: 5 s ringing, 90 s talk; one missed)."""
    with Store.open(None, tmp_path, "RU", "alice") as s:
        ann = s.create_contact("Ann Petrova", company="Acme", phones=["+7 495 123-45-67"])
        row = s.call_started(direction="in", account="o", number="+74951234567",
                             started_at=T0, contact_id=ann.id)
        s.call_answered(row, T0 + timedelta(seconds=5))
        s.call_ended(row, ended_at=T0 + timedelta(seconds=95), outcome="answered",
                     sip_status=200)
        row = s.call_started(direction="in", account="o", number="+74951234567",
                             started_at=T0 + timedelta(hours=1), contact_id=ann.id)
        s.call_ended(row, ended_at=T0 + timedelta(hours=1, seconds=20), outcome="missed")
    return tmp_path


def test_dates_local_midnight_end_of_day_and_iso() -> None:
    day = parse_date("2026-03-02")
    assert (day.date().isoformat(), day.hour, day.tzinfo is not None) == ("2026-03-02", 0, True)
    assert parse_date("2026-03-02", end_of_day=True) - day == timedelta(days=1)
    assert parse_date("2026-03-02T09:00:00Z") == T0
    assert parse_date("2026-03-02 12:00+03:00") == T0
    with pytest.raises(UsageError, match="not a valid date: '2026-02-30'"):
        parse_date("2026-02-30")
    with pytest.raises(UsageError, match="ISO 8601"):
        parse_date("yesterday")


@pytest.mark.parametrize(("argv", "message"), [
    (["calls", "list", "--since", "yesterday"], "not a date: 'yesterday'"),
    (["contacts", "erase", "ann"], "a contact ID is a number, not 'ann'"),
    (["stats", "--by", "month"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_the_reason(argv: list[str], message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_lookup_json_found_and_not_found(profile: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert run(profile, "contacts", "lookup", "8 495 123 45 67", "--json") == EXIT_OK
    found = json.loads(capsys.readouterr().out)
    assert set(found) == {"contact", "company", "people", "matched_by", "why", "number",
                          "ignored"}
    assert found["contact"]["name"] == "Ann Petrova" and found["contact"]["company"] == "Acme"
    assert found["contact"]["phones"] == [
        {"raw": "+7 495 123-45-67", "e164": "+74951234567", "label": "work"}]
    assert (found["matched_by"], found["why"]) == ("e164", "exact number")
    assert run(profile, "contacts", "lookup", "+74950000000", "--json") == EXIT_NOTHING
    missing = json.loads(capsys.readouterr().out)
    assert (missing["contact"], missing["matched_by"]) == (None, "none")
    assert run(profile, "contacts", "lookup", "anonymous") == EXIT_NOTHING
    assert "withheld" in capsys.readouterr().out


def test_lookup_text(profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(profile, "contacts", "lookup", "+74951234567") == EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Ann Petrova (Acme)  [contact ")
    assert out[1] == "matched by: e164 (exact number) for +74951234567"
    assert out[2] == "  work: +7 495 123-45-67  (+74951234567)"


def test_calls_list_json_text_and_limit(profile: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(profile, "calls", "list", "--json") == EXIT_OK
    calls = json.loads(capsys.readouterr().out)
    assert [(c["outcome"], c["talk_seconds"], c["contact_name"]) for c in calls] == [
        ("missed", 0, "Ann Petrova"), ("answered", 90, "Ann Petrova")]
    assert calls[1]["started_at"].startswith("2026-03-02T09:00:00")
    assert run(profile, "calls", "list", "--outcome", "answered") == EXIT_OK
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["started", "dir", "number", "contact", "outcome", "talk", "SIP"]
    assert table[1].split()[-3:] == ["answered", "1:30", "200"]
    assert run(profile, "calls", "list", "--since", "2030-01-01") == EXIT_OK
    assert capsys.readouterr().out == "no calls\n"
    assert run(profile, "calls", "list", "--limit", "0") == EXIT_USAGE
    assert "--limit must be at least 1" in capsys.readouterr().err


def test_stats_json_and_text(profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(profile, "stats", "--since", "2026-03-01", "--until", "2026-03-03",
               "--json") == EXIT_OK
    stats = json.loads(capsys.readouterr().out)
    assert (stats["calls"], stats["answered"], stats["missed"], stats["missed_rate"]) == (
        2, 1, 1, 0.5)
    assert (stats["total_talk_seconds"], stats["avg_ring_seconds"]) == (90, 5.0)
    assert stats["bucket"] == "day" and sum(b["calls"] for b in stats["per_bucket"]) == 2
    assert stats["top_contacts"][0]["name"] == "Ann Petrova"
    assert {"hour", "calls"} == set(stats["busiest_hours"][0])
    assert run(profile, "stats", "--since", "2026-03-01", "--until", "2026-03-03") == EXIT_OK
    text = capsys.readouterr().out
    assert "answered: 1   missed: 1 (50% of inbound)" in text
    assert "talk time: 1:30 total, 1:30 average; ringing 0:05 average" in text
    assert "top contacts: Ann Petrova (2)" in text
    assert run(profile, "stats", "--since", "2026-03-03", "--until", "2026-03-01") == EXIT_USAGE
    assert "--since must be before --until" in capsys.readouterr().err


def test_erase_needs_yes_and_a_real_id(profile: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with Store.open(None, profile, "RU", "alice") as s:
        [ann] = s.search("Ann")
    assert run(profile, "contacts", "erase", str(ann.id)) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "with 2 call(s)" in err and "run again with --yes" in err
    with Store.open(None, profile, "RU", "alice") as s:
        assert s.get_contact(ann.id) is not None  # nothing erased without --yes
    assert run(profile, "contacts", "erase", str(ann.id), "--yes") == EXIT_OK
    assert capsys.readouterr().out.startswith(f"erased Ann Petrova [contact {ann.id}]: 2 call(s)")
    assert run(profile, "contacts", "erase", str(ann.id), "--yes") == EXIT_NOTHING
    assert f"no contact with ID {ann.id}" in capsys.readouterr().err


def test_import_and_export(profile: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "people.csv"
    source.write_text("Name,Phone\nBob,+79161234567\nNoNumber,n/a\n", encoding="utf-8")
    assert run(profile, "contacts", "import", str(source), "--json") == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert (report["format"], report["rows"], report["created"]) == ("csv", 2, 1)
    assert report["skipped_count"] == 1 and report["skipped"][0]["row"] == 3
    assert run(profile, "contacts", "import", str(tmp_path / "missing.csv")) == EXIT_NOTHING
    assert "nothing was imported." in capsys.readouterr().err
    out = tmp_path / "all.VCF"
    assert run(profile, "contacts", "export", str(out)) == EXIT_OK
    assert capsys.readouterr().out.strip().endswith("(vCard 4.0)")
    assert out.read_text(encoding="utf-8").count("BEGIN:VCARD") == 2
    blocked = source / "x.csv"  # a file where a folder should be
    assert run(profile, "contacts", "export", str(blocked)) == EXIT_USAGE
    assert "cannot write" in capsys.readouterr().err


def test_a_damaged_database_is_one_line_and_exit_2(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    database_file(tmp_path).parent.mkdir(parents=True, exist_ok=True)
    database_file(tmp_path).write_bytes(b"this is not a database" * 100)
    assert run(tmp_path, "calls", "list") == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("softphone: The contact database file is damaged")
    assert err.count("\n") == 1


def test_the_handlers_keep_their_names() -> None:
    args = build_parser().parse_args(["stats"])
    assert isinstance(args, argparse.Namespace) and args.handler.__name__ == "_stats"
