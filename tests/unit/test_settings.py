"""softphone.toml: what an admin provisions is read exactly, and a bad file is refused clearly."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from softphone.secrets import SecretStore
from softphone.settings import (
    AccountSettings,
    Settings,
    SettingsError,
    load_settings,
    save_settings,
    settings_path,
    strip_passwords_from_file,
)

ISSUE_EXAMPLE = """\
[sip]
listen = "127.0.0.1:5070"          # local address:port for SIP (default: all interfaces, 5060)

[[accounts]]
name = "office"
address = "sip:alice@127.0.0.1"    # address of record
registrar = "sip:127.0.0.1:5060"   # leave out for a LAN account: no registration, direct calls
username = "alice"                 # digest user; defaults to the address's user part
password = "secret"                # provisioning only; kept in the OS keyring after first start
transport = "udp"                  # udp | tcp | tls

[calls]
auto_answer = false
"""


def write(profile: Path, text: str) -> Path:
    path = settings_path(profile)
    path.write_text(text, encoding="utf-8")
    return path


def test_issue_example_is_read_exactly(profile_dir: Path) -> None:
    write(profile_dir, ISSUE_EXAMPLE)
    s = load_settings(profile_dir)
    assert (s.sip.listen_host, s.sip.listen_port) == ("127.0.0.1", 5070)
    (acc,) = s.accounts
    assert acc.name == "office"
    assert acc.address == "sip:alice@127.0.0.1"
    assert acc.registrar == "sip:127.0.0.1:5060"
    assert acc.auth_username == "alice"
    assert acc.password == "secret"
    assert acc.transport == "udp"
    assert not acc.is_lan
    assert s.calls.auto_answer is False


def test_missing_file_gives_defaults(profile_dir: Path) -> None:
    s = load_settings(profile_dir)
    assert s == Settings()
    assert s.sip.listen == "0.0.0.0:5060"
    assert s.accounts == ()


def test_lan_account_and_username_default(profile_dir: Path) -> None:
    write(profile_dir, '[[accounts]]\nname = "lan"\naddress = "sip:bob@192.168.1.20"\n')
    (acc,) = load_settings(profile_dir).accounts
    assert acc.is_lan
    assert acc.auth_username == "bob"


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        ('[sip]\nlisten = "127.0.0.1:99999"\n', "sip.listen", 2),
        ('[sip]\nlisten = 5060\n', "sip.listen", 2),
        ('[calls]\nauto_answer = "yes"\n', "calls.auto_answer", 2),
        (
            '[[accounts]]\nname = "a"\naddress = "sip:a@h"\n\n[[accounts]]\nname = "b"\n'
            'address = "sip:b@h"\ntransport = "sctp"\n',
            "accounts[1].transport",
            8,
        ),
        ('[[accounts]]\nname = "a"\naddress = "alice@host"\n', "accounts[0].address", 3),
        ('[[accounts]]\nname = "a"\n', "accounts[0].address", 1),
        ('[calls]\nauto_anwser = true\n', "calls.auto_anwser", 2),
        ('[audio]\nring_volume = 3\n', "audio.ring_volume", 2),
        ('[crm]\ndefault_region = "Russia"\n', "crm.default_region", 2),
        ('[office]\npresence = "yes"\n', "office.presence", 2),
    ],
)
def test_wrong_value_names_key_and_line(profile_dir: Path, text: str, key: str, line: int) -> None:
    path = write(profile_dir, text)
    with pytest.raises(SettingsError) as err:
        load_settings(profile_dir)
    message = str(err.value)
    assert key in message
    assert f"line {line}" in message
    assert path.read_text("utf-8") == text  # nothing lost or rewritten


def test_syntax_error_names_the_line_and_keeps_the_file(profile_dir: Path) -> None:
    text = '[sip]\nlisten = "127.0.0.1:5070"\n[calls\nauto_answer = true\n'
    path = write(profile_dir, text)
    with pytest.raises(SettingsError, match="line 3"):
        load_settings(profile_dir)
    assert path.read_text("utf-8") == text


def test_non_utf8_file_is_refused(profile_dir: Path) -> None:
    settings_path(profile_dir).write_bytes('[sip]\n# Привет\n'.encode("cp1251"))
    with pytest.raises(SettingsError, match="line 2: not UTF-8"):
        load_settings(profile_dir)


def test_duplicate_account_names_refused(profile_dir: Path) -> None:
    write(profile_dir, '[[accounts]]\nname="a"\naddress="sip:a@h"\n[[accounts]]\nname="a"\n'
          'address="sip:b@h"\n')
    with pytest.raises(SettingsError, match="duplicate account name"):
        load_settings(profile_dir)


def test_save_keeps_comments_and_never_writes_password(profile_dir: Path) -> None:
    write(profile_dir, ISSUE_EXAMPLE)
    s = load_settings(profile_dir)
    changed = Settings(
        sip=s.sip,
        accounts=(*s.accounts, AccountSettings(name="lan", address="sip:me@0.0.0.0",
                                               password="hunter2")),
        calls=s.calls,
    )
    save_settings(profile_dir, changed)
    text = settings_path(profile_dir).read_text("utf-8")
    assert "# address of record" in text  # the admin's comments survive
    assert "hunter2" not in text
    assert "password" not in text
    again = load_settings(profile_dir)
    assert [a.name for a in again.accounts] == ["office", "lan"]
    assert again.accounts[0].registrar == "sip:127.0.0.1:5060"


def test_provisioned_password_moves_to_secret_store(profile_dir: Path) -> None:
    write(profile_dir, ISSUE_EXAMPLE)
    s = load_settings(profile_dir)
    secrets = SecretStore(profile_dir)
    secrets.set("office", s.accounts[0].password)
    assert strip_passwords_from_file(profile_dir)
    text = settings_path(profile_dir).read_text("utf-8")
    assert "secret" not in text.replace("# provisioning only", "")
    assert "# address of record" in text
    assert secrets.get("office") == "secret"
    mode = stat.S_IMODE(secrets.fallback_path.stat().st_mode)
    assert mode == 0o600
    assert load_settings(profile_dir).accounts[0].password is None


def test_first_start_moves_password_and_fills_it_back(profile_dir: Path) -> None:
    from softphone.provisioning import accounts_with_passwords

    write(profile_dir, ISSUE_EXAMPLE)
    (acc,) = accounts_with_passwords(profile_dir, load_settings(profile_dir))
    assert acc.password == "secret"
    assert 'password' not in settings_path(profile_dir).read_text("utf-8")
    (again,) = accounts_with_passwords(profile_dir, load_settings(profile_dir))
    assert again.password == "secret"


def test_no_account_means_a_lan_account(profile_dir: Path) -> None:
    from softphone.provisioning import accounts_with_passwords

    (acc,) = accounts_with_passwords(profile_dir, load_settings(profile_dir))
    assert acc.is_lan


def test_office_presence_defaults_on_and_can_be_turned_off(profile_dir: Path) -> None:
    assert load_settings(profile_dir).office.presence
    write(profile_dir, "[office]\npresence = false\n")
    assert not load_settings(profile_dir).office.presence
