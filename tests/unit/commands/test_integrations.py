"""commands/integrations.py in-process: what a user is told when CardDAV or the directory is
not configured (exit 2) or the server cannot be reached (exit 3), the outbox status (text and
JSON), the click-to-call token that stays until renewed, and secrets read from standard input
into the profile's password file (SOFTPHONE_KEYRING=file), never stored empty."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from softphone.cli import build_parser
from softphone.commands.integrations import EXIT_OK, EXIT_SERVER, EXIT_USAGE
from softphone.integrations.config import CardDavSettings, IntegrationSettings
from softphone.integrations.outbox import Outbox
from softphone.secrets import SecretStore
from softphone.settings import CrmSettings, Settings

SETTINGS = dataclasses.replace(Settings(), crm=CrmSettings(default_region="RU"))


@pytest.fixture(autouse=True)
def password_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPHONE_KEYRING", "file")


def run(profile: Path, *argv: str, settings: Settings = SETTINGS) -> int:
    args = build_parser().parse_args(list(argv))
    return int(args.handler(args, profile, settings))


@pytest.mark.parametrize(("argv", "message"), [
    (["carddav", "sync"], "CardDAV is not configured: set [carddav] url"),
    (["directory", "lookup", "+74951234567"], "no directory is configured"),
    (["directory", "test"], "no directory is configured"),
])
def test_not_configured_is_a_usage_error(tmp_path: Path, argv: list[str], message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, *argv) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_an_unreachable_carddav_server_is_exit_3(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    settings = dataclasses.replace(SETTINGS, integrations=IntegrationSettings(
        carddav=CardDavSettings(url="http://127.0.0.1:1/dav/", username="ann", timeout=5)))
    assert run(tmp_path, "carddav", "sync", settings=settings) == EXIT_SERVER
    assert capsys.readouterr().err.startswith("softphone: contacts not synced: ")


def test_outbox_status_text_and_json(tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "outbox", "status") == EXIT_OK
    assert "no events were ever queued" in capsys.readouterr().out
    outbox = Outbox.in_profile(tmp_path)
    try:
        outbox.add("webhooks", "call.ended", {"n": 1}, event_id="e1")
        outbox.add("webhooks", "call.ended", {"n": 2}, event_id="e2")
        outbox.add("bitrix24", "call.started", {"n": 3}, event_id="b1")
        head = outbox.head("bitrix24")
        assert head is not None
        outbox.mark_refused(head.seq, "HTTP 401: wrong webhook URL")
    finally:
        outbox.close()
    assert run(tmp_path, "outbox", "status") == EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert out == ["webhooks: 2 waiting", "bitrix24: 0 waiting",
                   "refused for good: bitrix24 call.started b1: HTTP 401: wrong webhook URL"]
    assert run(tmp_path, "outbox", "status", "--json") == EXIT_OK
    status = json.loads(capsys.readouterr().out)
    assert status["targets"][0] == {"target": "webhooks", "pending": 2, "oldest": "e1",
                                    "attempts": 0, "last_error": ""}
    assert status["refused"] == [{"target": "bitrix24", "event_id": "b1",
                                  "kind": "call.started", "error": "HTTP 401: wrong webhook URL"}]


def test_the_click_to_call_token_stays_until_renewed(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "click-to-call", "token") == EXIT_OK
    captured = capsys.readouterr()
    token, url = captured.out.splitlines()
    assert len(token) >= 16
    assert url == f"http://127.0.0.1:36137/dial?number=NUMBER&token={token}"
    assert "(off: set [click_to_call] enabled = true" in captured.err
    assert run(tmp_path, "click-to-call", "token") == EXIT_OK
    assert capsys.readouterr().out.splitlines()[0] == token
    assert run(tmp_path, "click-to-call", "token", "--new") == EXIT_OK
    assert capsys.readouterr().out.splitlines()[0] != token


def test_a_secret_from_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret\r\n"))
    assert run(tmp_path, "integrations", "secret", "carddav") == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("the CardDAV password stored in ") and "s3cret" not in out
    stored = SecretStore(tmp_path)
    assert "s3cret" in stored.fallback_path.read_text(encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert run(tmp_path, "integrations", "secret", "carddav") == EXIT_USAGE
    assert "nothing given: nothing stored" in capsys.readouterr().err
    assert "s3cret" in stored.fallback_path.read_text(encoding="utf-8")  # kept
    assert run(tmp_path, "integrations", "secret", "carddav", "--delete") == EXIT_OK
    assert capsys.readouterr().out == "the CardDAV password forgotten\n"
    assert "s3cret" not in stored.fallback_path.read_text(encoding="utf-8")


def test_unknown_secret_names_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["integrations", "secret", "sip"])
    assert exited.value.code == EXIT_USAGE
    assert "invalid choice: 'sip'" in capsys.readouterr().err
