"""The CRM command line end to end: a temporary profile, real files, real databases."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from softphone.cli import main
from softphone.crm.store import Store
from softphone.profile import database_file

FIXTURES = Path(__file__).parents[2] / "fixtures" / "crm"
ROOT = Path(__file__).parents[3]


def make_profile(profile: Path, url: str | None = None) -> Path:
    lines = ["[crm]", 'default_region = "RU"', 'agent = "alice"']
    if url:
        lines.append(f'database_url = "{url}"')
    (profile / "softphone.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return profile


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_calls(profile: Path, url: str | None) -> None:
    store = Store.open(url, profile, "RU", "alice")
    try:
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        c = store.call_started(direction="in", account="office", number="8 495 123-45-67",
                               started_at=start)
        store.call_answered(c, start + timedelta(seconds=5))
        store.call_ended(c, ended_at=start + timedelta(seconds=65), outcome="answered",
                         sip_status=200)
        c = store.call_started(direction="in", account="office", number="+79990001122",
                               started_at=start + timedelta(minutes=10))
        store.call_ended(c, ended_at=start + timedelta(minutes=10, seconds=20),
                         outcome="missed", sip_status=487)
        c = store.call_started(direction="out", account="office", number="+79990001122",
                               started_at=start + timedelta(minutes=30))
        store.call_answered(c, start + timedelta(minutes=30, seconds=8))
        store.call_ended(c, ended_at=start + timedelta(minutes=32), outcome="answered",
                         sip_status=200)
    finally:
        store.close()


def test_import_lookup_calls_stats_export_reimport(
        capsys: pytest.CaptureFixture[str], profile_dir: Path, backend: str | None,
        tmp_path: Path) -> None:
    profile = make_profile(profile_dir, backend)
    p = str(profile)

    code, out, err = run(capsys, "--profile", p, "contacts", "import",
                         str(FIXTURES / "clients_cp1251_semicolon.csv"))
    assert code == 0, err
    assert "cp1251" in out and "semicolon" in out
    assert "created: 4" in out and "merged:  1" in out and "skipped: 4" in out
    assert "row 6: no phone number or e-mail" in out
    assert "row 8: no phone number or e-mail  [Итого: 5 клиентов]" in out
    assert "row 9: 'нет' is not a phone number; kept in the notes" in out

    # --profile after the command works too; a number in another format finds the contact.
    code, out, _ = run(capsys, "contacts", "lookup", "+7 (495) 123 45 67", "--json",
                       "--profile", p)
    assert code == 0
    found = json.loads(out)
    assert found["matched_by"] == "e164"
    assert found["number"] == "+74951234567"
    assert found["contact"]["name"] == "Иванов Иван Иванович"
    assert found["contact"]["company"] == 'ООО "Ромашка"'
    assert found["company"] == {"id": found["contact"]["company_id"], "name": 'ООО "Ромашка"'}
    assert [p["name"] for p in found["people"]] == ["Иванов Иван Иванович"]
    assert "+74951234567" in [ph["e164"] for ph in found["contact"]["phones"]]
    code, out, _ = run(capsys, "--profile", p, "contacts", "lookup", "84951234567")
    assert code == 0
    assert "Иванов Иван Иванович" in out and "exact number" in out

    code, out, _ = run(capsys, "--profile", p, "contacts", "lookup", "+7 999 000 11 22",
                       "--json")
    assert code == 1
    none = json.loads(out)
    assert (none["contact"], none["company"], none["people"]) == (None, None, [])
    assert (none["matched_by"], none["number"]) == ("none", "+79990001122")

    write_calls(profile, backend)
    code, out, _ = run(capsys, "calls", "list", "--json", "--profile", p)
    assert code == 0
    calls = json.loads(out)
    assert [c["direction"] for c in calls] == ["out", "in", "in"]
    first_in = calls[2]
    assert first_in["number"] == "+74951234567"
    assert first_in["contact_name"] == "Иванов Иван Иванович"
    assert first_in["outcome"] == "answered"
    assert first_in["talk_seconds"] == 60
    assert first_in["sip_status"] == 200
    started = datetime.fromisoformat(first_in["started_at"])
    assert datetime.fromisoformat(first_in["answered_at"]) - started == timedelta(seconds=5)
    assert datetime.fromisoformat(first_in["ended_at"]) - started == timedelta(seconds=65)
    assert calls[1]["outcome"] == "missed" and calls[1]["answered_at"] is None

    code, out, _ = run(capsys, "calls", "list", "--profile", p)
    assert code == 0
    assert out.splitlines()[0].split() == ["started", "dir", "number", "contact", "outcome",
                                           "talk", "SIP"]
    assert "Иванов Иван Иванович" in out and "487" in out

    tomorrow = (datetime.now().astimezone() + timedelta(days=1)).date().isoformat()
    code, out, _ = run(capsys, "calls", "list", "--json", "--since", tomorrow, "--profile", p)
    assert (code, json.loads(out)) == (0, [])

    code, out, _ = run(capsys, "stats", "--json", "--profile", p)
    assert code == 0
    stats = json.loads(out)
    assert (stats["calls"], stats["answered"], stats["missed"]) == (3, 2, 1)
    assert (stats["inbound"], stats["outbound"]) == (2, 1)
    assert stats["total_talk_seconds"] == 60 + 112
    assert sum(b["calls"] for b in stats["per_bucket"]) == 3
    assert stats["top_contacts"][0]["name"] == "Иванов Иван Иванович"
    code, out, _ = run(capsys, "stats", "--json", "--account", "nope", "--profile", p)
    assert json.loads(out)["calls"] == 0
    code, out, _ = run(capsys, "stats", "--by", "week", "--profile", p)
    assert code == 0 and "answered: 2" in out

    for name, options in (("all.csv", []), ("excel.csv", ["--excel"]), ("all.vcf", []),
                          ("all3.vcf", ["--vcard-version", "3.0"])):
        exported = tmp_path / name
        code, out, _ = run(capsys, "contacts", "export", str(exported), *options, "--profile", p)
        assert code == 0 and "exported 4 contacts" in out
        code, out, err = run(capsys, "contacts", "import", str(exported), "--profile", p)
        assert code == 0, err
        assert "created: 0" in out and "merged:  4" in out and "skipped: 0" in out
    assert (tmp_path / "excel.csv").read_bytes().startswith("\ufeffName;Company;".encode())
    assert (tmp_path / "all.csv").read_bytes().startswith(b"Name,Company,")
    assert "VERSION:3.0" in (tmp_path / "all3.vcf").read_text(encoding="utf-8")


def test_import_json_report(capsys: pytest.CaptureFixture[str], profile_dir: Path) -> None:
    p = str(make_profile(profile_dir))
    code, out, _ = run(capsys, "contacts", "import", str(FIXTURES / "broken.vcf"), "--json",
                       "--profile", p)
    assert code == 0
    report = json.loads(out)
    assert report["format"] == "vcard"
    assert report["created"] == 4  # "Truncated At End" has only an e-mail: still a contact
    assert {(s["card"], s["reason"].split(" (")[0]) for s in report["skipped"]} >= {
        (3, "no phone number or e-mail"), (0, "line 1: text outside BEGIN:VCARD ... END:VCARD")}
    assert any("no END:VCARD" in r["reason"] for r in report["remarks"])
    # Card 5 has only an e-mail: imported (issue 14), not skipped
    assert 5 not in {s["card"] for s in report["skipped"]}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04\x14\x00", "Excel workbook"),
        ("Город;Улица\nМосква;Тверская\n".encode("cp1251"), "no header row"),
        (b"Name,Phone\nAnn;+7 916 000 00 00\nBob;+7 916 000 00 01\n", "semicolons"),
    ],
)
def test_unusable_file_exit_1_with_an_explanation(
        capsys: pytest.CaptureFixture[str], profile_dir: Path, tmp_path: Path,
        content: bytes, message: str) -> None:
    p = str(make_profile(profile_dir))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    code, _out, err = run(capsys, "contacts", "import", str(bad), "--profile", p)
    assert code == 1
    assert message in err and "nothing was imported" in err
    assert "Traceback" not in err


def test_file_with_no_usable_row_exits_1(capsys: pytest.CaptureFixture[str],
                                         profile_dir: Path, tmp_path: Path) -> None:
    p = str(make_profile(profile_dir))
    path = tmp_path / "none.csv"
    path.write_text("Name,Phone\nAnn,\nBob,n/a\n", encoding="utf-8")
    code, out, _err = run(capsys, "contacts", "import", str(path), "--profile", p)
    assert code == 1
    assert "row 2: no phone number or e-mail" in out
    assert "row 3: no phone number or e-mail" in out


@pytest.mark.parametrize("argv", [
    ["stats", "--since", "2026-02-30"],
    ["stats", "--until", "next tuesday"],
    ["calls", "list", "--since", "yesterday"],
])
def test_bad_dates_exit_2(capsys: pytest.CaptureFixture[str], profile_dir: Path,
                          argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--profile", str(make_profile(profile_dir))])
    assert exc.value.code == 2
    assert "date" in capsys.readouterr().err


def test_stats_since_after_until_exit_2(capsys: pytest.CaptureFixture[str],
                                        profile_dir: Path) -> None:
    code, _, err = run(capsys, "stats", "--since", "2026-05-02", "--until", "2026-05-01",
                       "--profile", str(make_profile(profile_dir)))
    assert code == 2 and "--since must be before --until" in err


def test_export_person_and_erase(capsys: pytest.CaptureFixture[str], profile_dir: Path,
                                 tmp_path: Path) -> None:
    p = str(make_profile(profile_dir))
    store = Store.open(None, profile_dir, "RU", "alice")
    person = store.create_contact("Ольга Тест", phones=[("+79161234567", "mobile")])
    recording = profile_dir / "recordings" / "r1.wav"
    recording.parent.mkdir(parents=True, exist_ok=True)
    recording.write_bytes(b"RIFF")
    start = datetime.now(UTC) - timedelta(hours=1)
    call = store.call_started(direction="out", account="office", number="+79161234567",
                              started_at=start)
    store.call_ended(call, ended_at=start + timedelta(seconds=30), outcome="answered",
                     sip_status=200, recording_path=str(recording))
    store.close()

    out_json = tmp_path / "olga.json"
    code, out, err = run(capsys, "contacts", "export-person", str(person.id), str(out_json),
                         "--recordings", str(tmp_path / "olga.zip"), "--profile", p)
    assert code == 0, err
    assert json.loads(out_json.read_text(encoding="utf-8"))["contact"]["name"] == "Ольга Тест"
    assert "copied 1 recording(s)" in out

    code, _, err = run(capsys, "contacts", "erase", str(person.id), "--profile", p)
    assert code == 2 and "--yes" in err and "1 call(s)" in err
    assert recording.exists()
    code, out, _ = run(capsys, "contacts", "erase", str(person.id), "--yes", "--profile", p)
    assert code == 0 and "1 call(s)" in out and "1 recording(s)" in out
    assert not recording.exists()
    code, out, _ = run(capsys, "contacts", "lookup", "+79161234567", "--json", "--profile", p)
    assert code == 1 and json.loads(out)["contact"] is None
    code, _, err = run(capsys, "contacts", "erase", str(person.id), "--yes", "--profile", p)
    assert code == 1 and "no contact with ID" in err
    code, _, err = run(capsys, "contacts", "export-person", "999", str(tmp_path / "x.json"),
                       "--profile", p)
    assert code == 1 and "no contact with ID 999" in err


def _softphone(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "softphone", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_newer_schema_and_damaged_database_give_one_line_exit_2(profile_dir: Path) -> None:
    p = str(make_profile(profile_dir))
    Store.open(None, profile_dir, "RU").close()
    db = database_file(profile_dir)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'f00dfeed9999'")
    result = _softphone("contacts", "lookup", "+79161234567", "--profile", p)
    assert result.returncode == 2
    assert "newer" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with sqlite3.connect(db) as conn:  # left untouched
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "f00dfeed9999",)

    db.write_bytes(b"this is not a database at all" * 100)
    result = _softphone("--profile", p, "calls", "list")
    assert result.returncode == 2
    assert "damaged" in result.stderr and "Traceback" not in result.stderr


def test_locked_database_exit_2(profile_dir: Path, tmp_path: Path) -> None:
    p = str(make_profile(profile_dir))
    Store.open(None, profile_dir, "RU").close()
    csv = tmp_path / "c.csv"
    csv.write_text("Name,Phone\nAnn,+79161234567\n", encoding="utf-8")
    holder = sqlite3.connect(database_file(profile_dir), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = _softphone("contacts", "import", str(csv), "--profile", p)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 2
    assert "busy" in result.stderr or "locked" in result.stderr
    assert "Traceback" not in result.stderr


def test_big_file_prints_progress_on_stderr(capsys: pytest.CaptureFixture[str],
                                            profile_dir: Path, tmp_path: Path) -> None:
    p = str(make_profile(profile_dir))
    path = tmp_path / "big.csv"
    note = "заметка " * 80
    rows = [f"Person {i};+7 916 {i:07d};{note}" for i in range(1500)]
    path.write_text("Имя;Телефон;Примечание\n" + "\n".join(rows) + "\n", encoding="utf-8")
    assert path.stat().st_size > 1_000_000
    code, out, err = run(capsys, "contacts", "import", str(path), "--profile", p)
    assert code == 0 and "created: 1500" in out
    progress = [line for line in err.splitlines() if line.startswith("importing:")]
    assert progress[0] == "importing: 0/1500 (0%)"
    assert progress[-1] == "importing: 1500/1500 (100%)"
    small = tmp_path / "small.csv"
    small.write_text("Имя;Телефон\nАнна;+7 916 000 00 00\n", encoding="utf-8")
    code, _, err = run(capsys, "contacts", "import", str(small), "--profile", p)
    assert code == 0 and "importing:" not in err


def test_encoding_and_format_options(capsys: pytest.CaptureFixture[str], profile_dir: Path,
                                     tmp_path: Path) -> None:
    p = str(make_profile(profile_dir))
    koi = tmp_path / "koi8.csv"
    koi.write_bytes("Имя;Телефон\nАнна Каренина;+7 916 000 00 00\n".encode("koi8-r"))
    code, out, _ = run(capsys, "contacts", "import", str(koi), "--encoding", "koi8-r",
                       "--profile", p)
    assert code == 0 and "koi8" in out
    code, out, _ = run(capsys, "contacts", "lookup", "89160000000", "--json", "--profile", p)
    assert json.loads(out)["contact"]["name"] == "Анна Каренина"
    card = tmp_path / "card.txt"
    card.write_text("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Card Person\r\nTEL:+79160000001\r\n"
                    "END:VCARD\r\n", encoding="utf-8")
    code, out, _ = run(capsys, "contacts", "import", str(card), "--format", "vcard",
                       "--profile", p)
    assert code == 0 and "1 card" in out and "created: 1" in out
    code, _, err = run(capsys, "contacts", "import", str(tmp_path / "missing.csv"),
                       "--profile", p)
    assert code == 1 and "no such file" in err


def test_lookup_company_number_and_withheld(capsys: pytest.CaptureFixture[str],
                                            profile_dir: Path, tmp_path: Path) -> None:
    p = str(make_profile(profile_dir))
    office = tmp_path / "office.csv"
    office.write_text("ФИО;Компания;Телефон;Мобильный\n"
                      "Анна;ООО Ромашка;8 495 111-22-33;+7 916 100 00 01\n"
                      "Борис;ООО Ромашка;;+7 916 100 00 02\n", encoding="utf-8")
    assert run(capsys, "contacts", "import", str(office), "--profile", p)[0] == 0
    store = Store.open(None, profile_dir, "RU")
    boris = store.lookup("+79161000002").contact
    assert boris is not None
    store.update_contact(boris.id, phones=[("+7 916 100 00 02", "mobile"),
                                           ("8 495 111-22-33", "work")])
    store.close()
    code, out, _ = run(capsys, "contacts", "lookup", "+74951112233", "--json", "--profile", p)
    assert code == 0
    answer = json.loads(out)  # as the caller card: the company and its people (issue 14)
    assert answer["contact"] is None and answer["matched_by"] == "company"
    assert answer["number"] == "+74951112233"
    company = answer["company"]
    assert company["name"] == "ООО Ромашка" and isinstance(company["id"], int)
    assert [p["name"] for p in answer["people"]] == ["Анна", "Борис"]
    assert {p["company_id"] for p in answer["people"]} == {company["id"]}
    assert all("+74951112233" in [ph["e164"] for ph in p["phones"]] for p in answer["people"])
    code, out, _ = run(capsys, "contacts", "lookup", "+74951112233", "--profile", p)
    assert code == 0
    assert out.splitlines()[0].startswith("ООО Ромашка")
    assert "Анна" in out and "Борис" in out
    code, out, _ = run(capsys, "contacts", "lookup", "anonymous", "--json", "--profile", p)
    assert code == 1
    answer = json.loads(out)
    assert (answer["contact"], answer["company"], answer["people"]) == (None, None, [])
    assert (answer["matched_by"], answer["number"]) == ("withheld", None)
