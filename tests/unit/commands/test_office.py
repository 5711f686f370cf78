"""commands/office.py (``softphone crm migrate``) between real SQLite files: the copy and its
table-by-table report, the settings line to use it, and every refusal with its exit status
(2: bad or same URL, no source; 1: a target that holds data, a server that cannot be reached)
- a password never printed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from softphone.cli import build_parser
from softphone.commands.office import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from softphone.crm.store import Store
from softphone.profile import database_file
from softphone.settings import CrmSettings, Settings

SETTINGS = dataclasses.replace(Settings(), crm=CrmSettings(default_region="RU"))


def migrate(profile: Path, *argv: str) -> int:
    args = build_parser().parse_args(["crm", "migrate", *argv])
    return int(args.handler(args, profile, SETTINGS))


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    with Store.open(None, tmp_path / "p", "RU") as s:
        s.create_contact("Ann", company="Acme", phones=["+74951234567"])
        s.create_contact("Bob", phones=["+74950000001"])
    return tmp_path / "p"


def test_the_copy_is_checked_and_the_setting_to_use_it_printed(
        profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = f"sqlite:///{tmp_path / 'office.db'}"
    assert migrate(profile, "--to", target) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith(f"copying sqlite:///{database_file(profile)} -> {target}\n")
    lines = out.splitlines()
    contacts = next(line for line in lines if line.startswith("contacts "))
    assert contacts.split() == ["contacts", "2", "2"]
    assert "MISMATCH" not in out and "rows copied, counts match" in out
    assert f'database_url = "{target}"' in out
    with Store.open(target, tmp_path / "q", "RU") as copy:
        assert sorted(c.name for c in copy.search("a")) == ["Ann"]
        assert copy.lookup("+74950000001").contact is not None


def test_a_target_holding_data_needs_force(profile: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    target = f"sqlite:///{tmp_path / 'office.db'}"
    assert migrate(profile, "--to", target) == EXIT_OK
    capsys.readouterr()
    assert migrate(profile, "--to", target) == EXIT_FAILED
    assert capsys.readouterr().err.startswith("softphone: ")
    assert migrate(profile, "--to", target, "--force") == EXIT_OK
    assert "(the target's previous content was replaced)" in capsys.readouterr().out


@pytest.mark.parametrize(("to", "message"), [
    ("not a url", "not a database URL"),
    ("SAME", "the source and the target are the same database"),
])
def test_usage_errors(profile: Path, to: str, message: str,
                      capsys: pytest.CaptureFixture[str]) -> None:
    if to == "SAME":
        to = f"sqlite:///{database_file(profile)}"
    assert migrate(profile, "--to", to) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_no_source_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert migrate(tmp_path / "empty", "--to", f"sqlite:///{tmp_path / 'x.db'}") == EXIT_USAGE
    assert "there is no contact database at" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


def test_an_unreachable_server_hides_the_password(profile: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg://agent:s3cret-pw@127.0.0.1:1/softphone"
    assert migrate(profile, "--to", url) == EXIT_FAILED
    captured = capsys.readouterr()
    assert "s3cret-pw" not in captured.out + captured.err
    assert "agent:***@127.0.0.1:1/softphone" in captured.out + captured.err
