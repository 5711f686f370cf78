"""The integrations' settings: read exactly, refused clearly (key and line), secrets moved out
of softphone.toml into the secret store at first use and never shown by diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.diagnostics import collect_diagnostics
from softphone.integrations.config import provision_secrets
from softphone.integrations.outbox import Outbox
from softphone.secrets import SecretStore
from softphone.settings import SettingsError, load_settings, save_settings, settings_path

FULL = """\
[carddav]
url = "https://cloud.example.com/remote.php/dav/addressbooks/users/anna/contacts/"
username = "anna"
password = "dav-pass-123"   # moved to the keyring
interval = 30

[directory]
url = "ldaps://ldap.example.com:636"
base_dn = "ou=people,dc=example,dc=com"
timeout = 1.5

[webhooks]
url = "https://crm.example.com/hook"
secret = "hook-key-456"
events = ["ended", "wrapup"]

[bitrix24]
enabled = true
webhook_url = "https://acme.bitrix24.ru/rest/1/code789secret/"
user_id = 1

[outbox]
retry_initial = 0.5
retry_max = 60

[click_to_call]
enabled = true
port = 40123
"""


@pytest.fixture
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOFTPHONE_KEYRING", "file")
    (tmp_path / "p").mkdir()
    return tmp_path / "p"


def test_every_key_is_read(profile: Path) -> None:
    settings_path(profile).write_text(FULL)
    it = load_settings(profile).integrations
    assert it.carddav.enabled and it.carddav.interval == 30 and it.carddav.username == "anna"
    assert it.directory.url == "ldaps://ldap.example.com:636" and it.directory.timeout == 1.5
    assert it.webhooks.events == ("ended", "wrapup") and it.webhooks.secret == "hook-key-456"
    assert it.bitrix24.enabled and it.bitrix24.user_id == 1
    assert (it.outbox.retry_initial, it.outbox.retry_max) == (0.5, 60.0)
    assert it.click_to_call.enabled and it.click_to_call.port == 40123
    assert "dav-pass-123" not in repr(it)


@pytest.mark.parametrize(("text", "says"), [
    ('[carddav]\nurl = "ftp://x"\n', "carddav.url (line 2): expected an http"),
    ('[directory]\nurl = "ldap://x"\n', "directory.base_dn"),
    ('[directory]\nurl = "http://x"\nbase_dn = "dc=x"\n', "directory.url (line 2)"),
    ('[webhooks]\nurl = "https://x/h"\nevents = ["rang"]\n', "unknown event 'rang'"),
    ("[bitrix24]\nenabled = true\n", "needs user_id or user_phone_inner"),
    ("[outbox]\nretry_initial = 10\nretry_max = 5\n", "outbox.retry_max (line 3)"),
    ("[click_to_call]\nport = 70000\n", "click_to_call.port (line 2)"),
    ("[webhooks]\nurll = 'x'\n", "webhooks.urll (line 2): unknown setting"),
])
def test_bad_settings_are_refused_naming_key_and_line(profile: Path, text: str,
                                                       says: str) -> None:
    settings_path(profile).write_text(text)
    with pytest.raises(SettingsError, match=says.replace("(", r"\(").replace(")", r"\)")):
        load_settings(profile)


def test_secrets_move_to_the_secret_store_and_out_of_the_file(profile: Path) -> None:
    settings_path(profile).write_text(FULL)
    settings = load_settings(profile)
    it = provision_secrets(profile, settings.integrations, SecretStore(profile))
    assert it.carddav.password == "dav-pass-123" and it.webhooks.secret == "hook-key-456"
    text = settings_path(profile).read_text()
    for secret in ("dav-pass-123", "hook-key-456", "code789secret"):
        assert secret not in text
    assert 'username = "anna"' in text  # the rest as the admin wrote it
    again = provision_secrets(profile, load_settings(profile).integrations,
                              SecretStore(profile))
    assert again.bitrix24.webhook_url == "https://acme.bitrix24.ru/rest/1/code789secret/"
    # saving settings never writes them back
    save_settings(profile, load_settings(profile))
    assert "hook-key-456" not in settings_path(profile).read_text()


def test_diagnostics_show_what_is_on_and_waiting_but_no_secret(profile: Path) -> None:
    settings_path(profile).write_text(FULL)
    outbox = Outbox.in_profile(profile)
    outbox.add("webhooks", "ended", {"call": {"id": 1}})
    outbox.close()
    report = collect_diagnostics(profile, load_settings(profile))
    assert "webhooks: https://crm.example.com/hook (ended, wrapup)" in report
    assert "outbox webhooks: 1 waiting" in report
    for secret in ("dav-pass-123", "hook-key-456", "code789secret"):
        assert secret not in report
