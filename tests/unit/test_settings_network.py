"""The network settings of issue 13 in softphone.toml: NAT traversal, encrypted media, the
media port range and ghost-call protection; read exactly, refused clearly, the TURN password
moved to the keyring like the account's."""

from __future__ import annotations

from pathlib import Path

import pytest

from softphone.provisioning import accounts_with_passwords
from softphone.secrets import SecretStore
from softphone.settings import (
    AccountSettings,
    SettingsError,
    SipSettings,
    load_settings,
    save_settings,
    settings_path,
)
from softphone.settings_network import parse_rtp_ports, split_host_port, turn_secret_name

ADMIN_FILE = """\
[sip]
rtp_ports = "10000-10199"   # the firewall opens these for media

[[accounts]]
name = "office"
address = "sip:1001@pbx.example.com"
registrar = "sip:pbx.example.com"
password = "secret"
stun_server = "stun.example.org:3478"
ice = true
turn_server = "turn.example.org"
turn_username = "agent7"
turn_password = "turn-secret"
turn_transport = "tcp"
public_address = ""
keepalive_seconds = 25
srtp = "optional"
srtp_require_tls = false

[calls]
only_from_my_servers = false
"""


def write(profile: Path, text: str) -> None:
    settings_path(profile).write_text(text, encoding="utf-8")


def test_the_admins_file_is_read_exactly(tmp_path: Path) -> None:
    write(tmp_path, ADMIN_FILE)
    s = load_settings(tmp_path)
    a = s.accounts[0]
    assert (a.stun_server, a.ice, a.turn_server, a.turn_username, a.turn_password,
            a.turn_transport, a.public_address, a.keepalive_seconds, a.srtp,
            a.srtp_require_tls) == ("stun.example.org:3478", True, "turn.example.org",
                                    "agent7", "turn-secret", "tcp", "", 25, "optional", False)
    assert (s.sip.rtp_port, s.sip.rtp_port_count, s.sip.rtp_ports) == (10000, 200,
                                                                       "10000-10199")
    assert s.calls.only_from_my_servers is False
    assert "turn-secret" not in repr(a)


def test_defaults_follow_what_serious_softphones_ship() -> None:
    a = AccountSettings(name="x", address="sip:a@b")
    assert (a.stun_server, a.ice, a.turn_server, a.keepalive_seconds, a.srtp,
            a.srtp_require_tls) == ("", False, "", 15, "optional", True)
    assert SipSettings().rtp_ports == "4000-4999"


@pytest.mark.parametrize(("line", "words"), [
    ('stun_server = "stun.example.org:99999"', ["stun_server", "line", "65535"]),
    ('stun_server = "not a host"', ["stun_server", "host:port"]),
    ('srtp = "always"', ["srtp", "off, optional, mandatory"]),
    ('turn_transport = "sctp"', ["turn_transport", "udp, tcp, tls"]),
    ('keepalive_seconds = -1', ["keepalive_seconds", "between 0 and 3600"]),
    ('keepalive_seconds = "15"', ["keepalive_seconds", "integer"]),
    ('ice = "yes"', ["ice", "true or false"]),
    ('public_address = "my router"', ["public_address", "public IP"]),
    ('turn_username = "x"', ["turn_username", "turn_server is empty"]),
    ('srtp = "mandatory"', ["srtp", "TLS", "srtp_require_tls = false"]),
])
def test_bad_values_are_refused_with_key_and_line(tmp_path: Path, line: str,
                                                  words: list[str]) -> None:
    write(tmp_path, f'[[accounts]]\nname = "o"\naddress = "sip:a@pbx"\n{line}\n')
    with pytest.raises(SettingsError) as err:
        load_settings(tmp_path)
    message = str(err.value)
    assert "accounts[0]." in message and "(line 4)" in message, message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(("value", "problem"), [
    ("4000", "range"), ("5000-4000", "first not above"), ("80-90", "between 1024"),
    ("4000-4003", "at least 8"),
])
def test_bad_rtp_ports_are_refused(tmp_path: Path, value: str, problem: str) -> None:
    write(tmp_path, f'[sip]\nrtp_ports = "{value}"\n')
    with pytest.raises(SettingsError, match=f"sip.rtp_ports \\(line 2\\): .*{problem}"):
        load_settings(tmp_path)


def test_mandatory_srtp_over_tls_and_over_udp_when_allowed(tmp_path: Path) -> None:
    write(tmp_path, '[[accounts]]\nname = "o"\naddress = "sip:a@pbx"\ntransport = "tls"\n'
                    'srtp = "mandatory"\n\n[[accounts]]\nname = "p"\naddress = "sip:b@pbx"\n'
                    'srtp = "mandatory"\nsrtp_require_tls = false\n')
    assert [a.srtp for a in load_settings(tmp_path).accounts] == ["mandatory", "mandatory"]


def test_older_rtp_port_key_still_reads_and_is_rewritten_as_a_range(tmp_path: Path) -> None:
    write(tmp_path, "[sip]\nrtp_port = 6000\n")
    s = load_settings(tmp_path)
    assert s.sip.rtp_ports == "6000-6999"
    save_settings(tmp_path, s)
    text = settings_path(tmp_path).read_text()
    assert 'rtp_ports = "6000-6999"' in text and "rtp_port =" not in text
    assert load_settings(tmp_path).sip.rtp_ports == "6000-6999"


def test_turn_password_goes_to_the_keyring_and_never_back_to_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOFTPHONE_KEYRING", "file")
    write(tmp_path, ADMIN_FILE)
    secrets = SecretStore(tmp_path)
    accounts = accounts_with_passwords(tmp_path, load_settings(tmp_path), secrets)
    assert accounts[0].turn_password == "turn-secret"
    assert secrets.get(turn_secret_name("office")) == "turn-secret"
    text = settings_path(tmp_path).read_text()
    assert "turn-secret" not in text and "turn_password" not in text
    assert 'turn_username = "agent7"' in text  # everything else as the admin wrote it
    # the next start reads it from the keyring
    again = accounts_with_passwords(tmp_path, load_settings(tmp_path), secrets)
    assert again[0].turn_password == "turn-secret"
    # saving settings never writes it
    save_settings(tmp_path, load_settings(tmp_path))
    assert "turn-secret" not in settings_path(tmp_path).read_text()


def test_host_port_parsing() -> None:
    assert split_host_port("stun.example.org:3478") == ("stun.example.org", 3478)
    assert split_host_port("203.0.113.5") == ("203.0.113.5", None)
    assert split_host_port("[2001:db8::1]:3479") == ("2001:db8::1", 3479)
    assert parse_rtp_ports(" 4000 - 4999 ") == (4000, 1000)
    with pytest.raises(ValueError):
        split_host_port("a b:1")
