"""The integrations' sections of softphone.toml: defaults, clear errors naming the key and its
line, secrets moved out of the file into the secret store, and what diagnostics tell."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from softphone.integrations.config import (
    CLICK_TO_CALL_TOKEN,
    IntegrationSettings,
    click_to_call_token,
    diagnostics_lines,
    integration_tables,
    parse_integrations,
    provision_secrets,
)
from softphone.integrations.outbox import Outbox
from softphone.settings_file import SettingsError, TableReader, settings_path
from tests.harness.fakes import MemorySecretStore


def _parse(text: str, path: Path = Path("/p/softphone.toml")) -> IntegrationSettings:
    return parse_integrations(TableReader(path, text, tomllib.loads(text), ""), path, text)


def test_nothing_set_means_everything_off_with_defaults() -> None:
    it = _parse("")
    assert it == IntegrationSettings()
    assert not (it.carddav.enabled or it.directory.enabled or it.webhooks.enabled
                or it.bitrix24.enabled or it.uses_outbox)


def test_a_full_file_is_read() -> None:
    it = _parse("""
[carddav]
url = "https://dav.example.com/addressbooks/me/"
username = " me "
interval = 0
timeout = 5
[directory]
url = "ldaps://ldap.example.com:636"
base_dn = "ou=people,dc=example,dc=com"
phone_attributes = ["telephoneNumber"]
filter = "(&(objectClass=person)(!(disabled=1)))"
[webhooks]
url = "http://127.0.0.1:8080/hook"
events = ["ended", "ringing", "ended"]
[bitrix24]
enabled = true
user_phone_inner = "101"
[outbox]
retry_initial = 1
retry_max = 30
[click_to_call]
enabled = true
port = 0
""")
    assert it.carddav.url == "https://dav.example.com/addressbooks/me/"
    assert it.carddav.username == "me" and it.carddav.interval == 0
    assert it.carddav.timeout == 5.0
    assert it.directory.phone_attributes == ("telephoneNumber",)
    assert it.webhooks.events == ("ended", "ringing")  # duplicates dropped, order kept
    assert it.bitrix24.enabled and it.uses_outbox
    assert (it.outbox.retry_initial, it.outbox.retry_max) == (1.0, 30.0)
    assert it.click_to_call.enabled and it.click_to_call.port == 0


@pytest.mark.parametrize(("text", "message"), [
    ('[carddav]\nurl = "dav.example.com"', r"carddav\.url \(line 2\): expected an http"),
    ('[carddav]\ninterval = 2000', r"carddav\.interval.*between 0 and 1440"),
    ('[carddav]\nverify_tls = "no"', r"carddav\.verify_tls.*true or false"),
    ('[carddav]\nusername = "a"\npasword = "x"', r"carddav\.pasword \(line 3\): unknown"),
    ('[directory]\nurl = "http://ldap"', r"directory\.url.*ldap://host"),
    ('[directory]\nurl = "ldap://ldap"', r"directory\.base_dn.*is required with url"),
    ('[directory]\nurl = "ldap://l"\nbase_dn = "dc=x"\nfilter = "objectClass=*"',
     r"directory\.filter.*in parentheses"),
    ('[directory]\nfilter = "((a=1)"', r"directory\.filter"),
    ('[directory]\nphone_attributes = []', r"directory\.phone_attributes.*attribute names"),
    ('[directory]\nname_attributes = ["cn", "bad name"]', r"directory\.name_attributes"),
    ('[directory]\ntimeout = 60', r"directory\.timeout.*between 0\.2 and 30 seconds, got 60"),
    ('[webhooks]\nevents = ["ended", "hangup"]', r"unknown event 'hangup'; choose from ringing"),
    ('[bitrix24]\nuser_id = 0', r"bitrix24\.user_id.*1 or more"),
    ('[bitrix24]\nuser_id = true', r"bitrix24\.user_id.*expected an integer"),
    ('[bitrix24]\nenabled = true', r"bitrix24\.enabled.*needs user_id or user_phone_inner"),
    ('[outbox]\nretry_initial = 60\nretry_max = 10',
     r"outbox\.retry_max.*between 60 and 86400"),
    ('[click_to_call]\nport = 70000', r"click_to_call\.port.*between 0 and 65535"),
    ('carddav = 1', r"expected a table"),
])
def test_bad_values_get_an_error_naming_file_key_and_line(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        _parse(text)
    assert str(caught.value).startswith("/p/softphone.toml: ")


def test_the_written_tables_leave_the_secrets_out() -> None:
    it = _parse('[webhooks]\nurl = "http://h/x"\nsecret = "k"\n'
                '[bitrix24]\nwebhook_url = "https://b/rest/1/c/"\n'
                '[carddav]\nusername = "u"\npassword = "p"')
    tables = {section: values for section, values, _ in integration_tables(it)}
    assert "secret" not in tables["webhooks"] and tables["webhooks"]["url"] == "http://h/x"
    assert "webhook_url" not in tables["bitrix24"]
    assert "password" not in tables["carddav"] and tables["carddav"]["username"] == "u"
    assert set(tables) == {"carddav", "directory", "webhooks", "bitrix24", "outbox",
                           "click_to_call"}


def test_secrets_in_the_file_move_to_the_store_and_leave_the_file(tmp_path: Path) -> None:
    text = ('# the admin\'s comment\n[webhooks]\nurl = "http://h/x"\nsecret = "k1"\n'
            '[carddav]\nurl = "https://dav/"\npassword = "p1"\n')
    settings_path(tmp_path).write_text(text, "utf-8")
    store = MemorySecretStore()
    it = provision_secrets(tmp_path, _parse(text, settings_path(tmp_path)), store)
    assert (it.webhooks.secret, it.carddav.password) == ("k1", "p1")
    assert store.values == {"integration:webhooks": "k1", "integration:carddav": "p1"}
    left = settings_path(tmp_path).read_text("utf-8")
    assert "k1" not in left and "p1" not in left
    assert "# the admin's comment" in left and 'url = "http://h/x"' in left


def test_secrets_not_in_the_file_come_from_the_store(tmp_path: Path) -> None:
    class Broken(MemorySecretStore):
        def get(self, key: str) -> str | None:
            if key == "integration:directory":
                raise RuntimeError("keyring locked")
            return super().get(key)

    store = Broken({"integration:bitrix24": "https://b/rest/1/c/"})
    it = provision_secrets(tmp_path, IntegrationSettings(), store)
    assert it.bitrix24.webhook_url == "https://b/rest/1/c/"
    assert it.directory.password is None  # a locked keyring is not fatal
    assert not settings_path(tmp_path).exists()


def test_the_click_to_call_token_is_made_once_and_renewed_on_demand() -> None:
    store = MemorySecretStore()
    first = click_to_call_token(store)
    assert len(first) >= 32 and store.values[CLICK_TO_CALL_TOKEN] == first
    assert click_to_call_token(store) == first
    renewed = click_to_call_token(store, renew=True)
    assert renewed != first and store.values[CLICK_TO_CALL_TOKEN] == renewed


def test_diagnostics_tell_what_is_on_and_what_waits_without_secrets(tmp_path: Path) -> None:
    it = provision_secrets(tmp_path, _parse(
        '[webhooks]\nurl = "http://h/x"\nsecret = "topsecret"\nevents = ["ended"]\n'),
        MemorySecretStore())
    box = Outbox.in_profile(tmp_path)
    try:
        box.add("webhooks", "ended", {})
        box.add("webhooks", "ended", {})
        head = box.head("webhooks")
        assert head is not None
        box.mark_failed(head.seq, "HTTP 503", next_at=0)
        box.add("bitrix24", "x", {})
        (gone,) = box.events("bitrix24")
        box.mark_refused(gone.seq, "no CALL_ID")
    finally:
        box.close()
    lines = diagnostics_lines(tmp_path, it)
    assert "webhooks: http://h/x (ended)" in lines and "CardDAV: off" in lines
    assert "outbox webhooks: 2 waiting, last error: HTTP 503" in lines
    assert f"outbox bitrix24: refused x {gone.event_id}: no CALL_ID" in lines
    assert not any("topsecret" in line for line in lines)
    assert diagnostics_lines(tmp_path / "empty", IntegrationSettings())[-1] == \
        "click-to-call: off"
