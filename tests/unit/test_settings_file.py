"""softphone.toml as a file: typed reads with errors naming ``section.key`` and its line,
unknown keys caught, and atomic writes."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path

import pytest

from softphone.settings_file import (
    SettingsError,
    TableReader,
    line_of,
    settings_path,
    write_atomically,
)

TEXT = """\
top = 1

[sip]
port = 5060
name = "  "

[[accounts]]
user = "a"

[[accounts]]
# the second
user = "b"
"""
PATH = Path("/profile/softphone.toml")


def _reader(section: str, table: dict[str, object]) -> TableReader:
    return TableReader(PATH, TEXT, table, section)


@pytest.mark.parametrize(("section", "key", "line"), [
    ("", "top", 1), ("sip", "port", 4), ("sip", "name", 5),
    ("accounts[0]", "user", 8), ("accounts[1]", "user", 12),
    ("accounts[1]", "missing", 10),  # a key not there: the table's header
    ("sip", "missing", None), ("nosuch", "port", None),
])
def test_line_of_finds_the_key_inside_its_table(section: str, key: str,
                                                line: int | None) -> None:
    assert line_of(TEXT, section, key) == line


def test_an_error_names_file_key_and_line() -> None:
    error = _reader("sip", {"port": "x"}).fail("port", "is wrong")
    assert str(error) == "/profile/softphone.toml: sip.port (line 4): is wrong"
    assert str(_reader("", {}).fail("gone", "is wrong")) == \
        "/profile/softphone.toml: gone: is wrong"


def test_get_checks_types_and_widens_int_to_float_only() -> None:
    reader = _reader("sip", {"port": 5060, "flag": True, "ratio": 2, "name": "x"})
    assert reader.get("port", int, 0) == 5060
    assert reader.get("ratio", float, 0.0) == 2.0 and isinstance(reader.get("ratio", float, 0.0),
                                                                 float)
    assert reader.get("absent", int, 7) == 7
    with pytest.raises(SettingsError, match="expected an integer, got True"):
        reader.get("flag", int, 0)  # a bool is not a number here
    with pytest.raises(SettingsError, match=r"sip\.name \(line 5\): expected a list, got 'x'"):
        reader.get("name", list, [])
    with pytest.raises(SettingsError, match="expected true or false"):
        reader.get("port", bool, False)


def test_blank_text_is_none_and_text_is_stripped() -> None:
    reader = _reader("sip", {"name": "  ", "user": " bob "})
    assert reader.text_or_none("name") is None
    assert reader.text_or_none("user") == "bob"
    assert reader.text_or_none("absent") is None


def test_choice_is_case_insensitive_and_lists_the_choices() -> None:
    reader = _reader("sip", {"transport": "TLS", "bad": "sctp"})
    assert reader.choice("transport", ("udp", "tcp", "tls"), "udp") == "tls"
    with pytest.raises(SettingsError, match="must be one of udp, tcp, tls, got 'sctp'"):
        reader.choice("bad", ("udp", "tcp", "tls"), "udp")


def test_int_range_bounds_are_inclusive() -> None:
    reader = _reader("sip", {"low": 1, "high": 10, "over": 11})
    assert reader.int_range("low", 5, 1, 10) == 1 and reader.int_range("high", 5, 1, 10) == 10
    with pytest.raises(SettingsError, match="must be between 1 and 10, got 11"):
        reader.int_range("over", 5, 1, 10)


@pytest.mark.parametrize("value", ["sip:bob@example.com", "sips:100@10.0.0.1:5061",
                                   "sip:bob@example.com;transport=tcp"])
def test_sip_uris_are_accepted(value: str) -> None:
    assert _reader("sip", {"uri": value}).sip_uri("uri") == value


@pytest.mark.parametrize("value", ["bob@example.com", "sip:bob @example.com", "tel:+123",
                                   "sip:<bob>"])
def test_what_is_not_a_sip_uri_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="is not a SIP URI"):
        _reader("sip", {"uri": value}).sip_uri("uri")


def test_a_required_sip_uri_must_be_there() -> None:
    assert _reader("sip", {}).sip_uri("uri") is None
    with pytest.raises(SettingsError, match=r"sip\.uri: is required"):
        _reader("sip", {"uri": " "}).sip_uri("uri", required=True)


def test_an_unknown_key_is_reported_with_its_line() -> None:
    table = tomllib.loads(TEXT)["sip"]
    reader = _reader("sip", table)
    reader.get("port", int, 0)
    with pytest.raises(SettingsError, match=r"sip\.name \(line 5\): unknown setting"):
        reader.check_unknown()
    reader.text_or_none("name")
    reader.check_unknown()  # everything read: fine


def test_write_atomically_replaces_the_file_whole_with_its_mode(tmp_path: Path) -> None:
    target = settings_path(tmp_path / "new" / "profile")
    write_atomically(target, "a = 1\n")
    write_atomically(target, "a = 'Ёж'\n", mode=0o600)
    assert target.read_text("utf-8") == "a = 'Ёж'\n"
    assert os.listdir(target.parent) == ["softphone.toml"]  # no temporary file left
    assert target.name == "softphone.toml"
    old_umask = os.umask(0)
    os.umask(old_umask)
    private = tmp_path / "private.toml"
    write_atomically(private, "x", mode=0o600)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 & ~old_umask
