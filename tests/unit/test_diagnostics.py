"""What support gets: the report's sections, every secret masked (account passwords even when
a log line or the settings file repeats them), the last log lines, and a selftest that reports
a failing part instead of failing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from softphone import diagnostics
from softphone.diagnostics import (
    Check,
    collect_diagnostics,
    last_log_lines,
    password_store,
    run_selftest,
    settings_file_lines,
)
from softphone.logs import LOG_FILE
from softphone.profile import logs_dir
from softphone.settings import AccountSettings, Settings
from softphone.settings_file import settings_path

PASSWORD = "hunter 2 secret"  # spaces: no pattern would catch it, the exact value does
SETTINGS = Settings(accounts=(
    AccountSettings(name="Office", address="sip:100@pbx.example", registrar="sip:pbx.example",
                    password=PASSWORD, transport="tls"),
    AccountSettings(name="Old", address="sip:9@old.example", enabled=False),
))


def _write_log(profile: Path, lines: list[str]) -> None:
    logs_dir(profile).mkdir(parents=True, exist_ok=True)
    (logs_dir(profile) / LOG_FILE).write_text("".join(f"{line}\n" for line in lines), "utf-8")


def test_only_the_last_log_lines_are_taken(profile_dir: Path) -> None:
    assert last_log_lines(profile_dir) == []
    _write_log(profile_dir, [f"line {n}" for n in range(500)])
    assert last_log_lines(profile_dir, 3) == ["line 497", "line 498", "line 499"]
    assert len(last_log_lines(profile_dir)) == diagnostics.LOG_LINES


def test_the_settings_file_is_shown_with_every_secret_masked(profile_dir: Path) -> None:
    assert settings_file_lines(profile_dir) == ["(no softphone.toml: defaults)"]
    settings_path(profile_dir).write_text(
        '# my office\n[[accounts]]\nname = "Office"\npassword = "p1"\n  "Password"="p2"\n'
        '[webhooks]\nsecret = "k"\n[bitrix24]\nwebhook_url = "https://b/rest/1/code/"\n'
        'passwords_hint = "kept"\n', "utf-8")
    lines = settings_file_lines(profile_dir)
    assert lines[:3] == ["# my office", "[[accounts]]", 'name = "Office"']
    assert lines[3] == 'password = "***"' and lines[4] == '  "Password"= "***"'
    assert 'secret = "***"' in lines and 'webhook_url = "***"' in lines
    assert lines[-1] == 'passwords_hint = "kept"'
    assert not any(s in "\n".join(lines) for s in ("p1", "p2", '"k"', "code"))


def test_the_password_store_chosen_by_the_environment_is_named(
        profile_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPHONE_KEYRING", "file")
    assert password_store(profile_dir).endswith("(mode 0600), chosen by SOFTPHONE_KEYRING=file")
    assert str(profile_dir) in password_store(profile_dir)


@dataclass(frozen=True)
class Registered:
    at: float
    account: str
    code: int
    reason: str
    expires: int


class Engine:
    running = True
    listen_address = "127.0.0.1:5062"

    def registration(self, name: str) -> Registered | None:
        if name == "Old":
            raise RuntimeError("no such account")
        return Registered(at=1.0, account=name, code=200, reason="OK", expires=0)


def test_the_report_has_every_section_and_no_password(profile_dir: Path) -> None:
    _write_log(profile_dir, ["start", f"REGISTER failed with password {PASSWORD}"])
    settings_path(profile_dir).write_text(f'[[accounts]]\npassword = "{PASSWORD}"\n', "utf-8")
    report = collect_diagnostics(profile_dir, SETTINGS, Engine())
    assert PASSWORD not in report
    for section in ("== Versions", "== Profile", "== Audio devices", "== softphone.toml",
                    "== Accounts", "== Account states", "== Integrations",
                    "== Last 2 log lines"):
        assert f"\n{section}\n" in report
    lines = report.splitlines()
    assert "Office: sip:100@pbx.example, registrar sip:pbx.example, tls" in lines
    assert "Old: sip:9@old.example, LAN (no registrar), udp, disabled" in lines
    assert "SIP engine: running, bound to 127.0.0.1:5062" in lines
    assert "Office: code=200, reason=OK" in lines  # the state without time, account, zeros
    assert "Old: cannot read the state: no such account" in lines
    assert "REGISTER failed with password ***" in lines
    assert f"database: sqlite:///{profile_dir}" in report
    assert report.endswith("\n")


def test_without_accounts_the_report_says_lan(profile_dir: Path) -> None:
    report = collect_diagnostics(profile_dir, Settings())
    assert "none configured (LAN calls)" in report.splitlines()
    assert "== Account states" not in report


def test_a_selftest_part_that_fails_is_reported_not_raised(
        profile_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> tuple[bool, str]:
        raise OSError("libportaudio.so.2: cannot open shared object file")

    monkeypatch.setattr(diagnostics, "_check_engine", lambda p, s: (True, "started"))
    monkeypatch.setattr(diagnostics, "_check_audio", broken)
    monkeypatch.setattr(diagnostics, "_check_qt", lambda: (True, "Qt", True))
    checks = {c.name: c for c in run_selftest(profile_dir, Settings())}
    assert list(checks) == ["SIP engine", "database", "sound devices", "passwords", "Qt"]
    assert checks["SIP engine"] == Check("SIP engine", True, "started")
    assert checks["sound devices"] == Check(
        "sound devices", False, "OSError: libportaudio.so.2: cannot open shared object file")
    assert checks["database"].ok and checks["database"].detail.startswith("opened sqlite:///")
    assert checks["Qt"].warning  # a warning only counts on a part that works
