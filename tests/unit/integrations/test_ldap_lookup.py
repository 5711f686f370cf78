"""The LDAP phone book's own decisions: the filters it asks (last seven digits in order, an
extension exactly, names escaped), the caller matched only by the CRM's own normalisation,
entries read whatever their attributes, clear errors. ldap3's in-memory MOCK_SYNC server
evaluates the real filters here; tests/integration runs a real slapd."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import ldap3
import pytest

from softphone.integrations.ldap_directory import DirectoryEntry, DirectoryError, LdapDirectory

BASE = "ou=people,dc=example,dc=com"
ADMIN, PASSWORD = "cn=admin,dc=example,dc=com", "pw"
PEOPLE: dict[str, dict[str, Any]] = {
    "anna": {"objectClass": ["person"], "displayName": "Anna Petrova", "sn": "Petrova",
             "telephoneNumber": "+7 (495) 123-45-67", "mail": "anna@example.com",
             "title": "Buyer", "ou": "Purchasing", "o": "Acme"},
    "ivan": {"objectClass": ["person"], "displayName": "Ivan Stranger", "sn": "Stranger",
             "mobile": "+1 415 123 4567"},  # ends the same as Anna's: not her
    "desk": {"objectClass": ["person"], "cn": "desk", "sn": "Desk", "ipPhone": "4321"},
    "star": {"objectClass": ["person"], "displayName": "Star (*) Person", "sn": "Star",
             "telephoneNumber": "8 800 555-35-35"},
    "noname": {"objectClass": ["device"], "sn": "Nameless", "telephoneNumber": "+7 495 000-00-01",
               "mail": "e@example.com"},
}


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every Connection the directory opens is one on an in-memory server with PEOPLE."""
    asked: list[str] = []
    real = ldap3.Connection

    def connection(server: Any, **kwargs: Any) -> Any:
        kwargs.pop("receive_timeout", None)
        conn = real(ldap3.Server("mock"), client_strategy=ldap3.MOCK_SYNC, **kwargs)
        conn.strategy.add_entry(ADMIN, {"userPassword": PASSWORD, "sn": "admin"})
        for uid, attributes in PEOPLE.items():
            # the nameless one by uid: the mock would give a cn= entry its cn as a name
            rdn = "uid" if uid == "noname" else "cn"
            conn.strategy.add_entry(f"{rdn}={uid},{BASE}", attributes)
        search = conn.search

        def recorded(base: str, query: str, **kw: Any) -> Any:
            asked.append(query)
            return search(base, query, **kw)

        conn.search = recorded
        return conn

    monkeypatch.setattr(ldap3, "Connection", connection)
    yield asked


def _directory(**kwargs: Any) -> LdapDirectory:
    options: dict[str, Any] = {
        "bind_dn": ADMIN, "password": PASSWORD, "region": "RU",
        "phone_attributes": ("telephoneNumber", "mobile", "ipPhone"),
        "name_attributes": ("displayName", "cn"), **kwargs}
    return LdapDirectory("ldap://127.0.0.1:1", BASE, **options)


def test_a_caller_is_found_however_the_directory_wrote_the_number(queries: list[str]) -> None:
    entry = _directory().find_number("84951234567")
    assert entry is not None and entry.name == "Anna Petrova"
    assert entry.matched_phone == "+7 (495) 123-45-67"
    assert entry.emails == ("anna@example.com",)
    assert entry.company_line == "Buyer · Purchasing · Acme"
    assert entry.dn == f"cn=anna,{BASE}"
    assert "(telephoneNumber=*1*2*3*4*5*6*7)" in queries[0]
    assert queries[0].startswith("(&(objectClass=*)(|")


def test_a_number_that_only_ends_the_same_is_not_the_caller(queries: list[str]) -> None:
    assert _directory().find_number("+44 20 7123 4567") is None
    assert len(queries) == 1  # both Anna and Ivan were candidates, neither is this number


def test_an_extension_is_asked_exactly(queries: list[str]) -> None:
    entry = _directory().find_number("4321")
    assert entry is not None and entry.name == "desk"  # no displayName: cn
    assert "(ipPhone=4321)" in queries[0]


@pytest.mark.parametrize("number", ["", "anonymous", "12"])
def test_withheld_or_unusable_numbers_ask_nothing(queries: list[str], number: str) -> None:
    assert _directory().find_number(number) is None
    assert queries == []


def test_the_extra_filter_limits_every_search(queries: list[str]) -> None:
    assert _directory(extra_filter="(objectClass=device)").find_number("+7 495 123-45-67") \
        is None
    assert queries[0].startswith("(&(objectClass=device)(|")


def test_people_are_searched_by_name_sorted_and_without_nameless_entries(
        queries: list[str]) -> None:
    found = _directory().search("  an ")
    assert [e.name for e in found] == ["Anna Petrova", "Ivan Stranger"]
    assert _directory().search("s") == []  # one letter: nothing asked
    assert len(queries) == 1
    assert [e.name for e in _directory().search("Nameless")] == []  # matched by sn, no name
    assert [e.name for e in _directory().search("er")] == ["Ivan Stranger", "Star (*) Person"]


def test_filter_characters_in_a_name_are_escaped(queries: list[str]) -> None:
    # ldap3's mock cannot evaluate an escape inside a substring filter (slapd in
    # tests/integration does): only the filter asked is checked here
    with contextlib.suppress(DirectoryError):
        _directory().search("(*)")
    assert "(displayName=*\\28\\2a\\29*)" in queries[-1]
    assert "(mail=\\28\\2a\\29*)" in queries[-1]


def test_digits_search_the_phone_attributes(queries: list[str]) -> None:
    found = _directory().search("555-35")
    assert [e.name for e in found] == ["Star (*) Person"]
    assert "(telephoneNumber=*5*5*5*3*5*)" in queries[-1]


def test_check_counts_what_the_base_holds(queries: list[str]) -> None:
    assert _directory().check() == len(PEOPLE) - 1  # every entry with a name


def test_a_refused_password_is_said_plainly(queries: list[str]) -> None:
    with pytest.raises(DirectoryError, match="refused the user name or password"):
        _directory(password="wrong").find_number("+7 495 123-45-67")


def test_an_unreachable_directory_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    directory = LdapDirectory(f"ldap://127.0.0.1:{port}", BASE, timeout=2)
    with pytest.raises(DirectoryError, match=f"ldap://127.0.0.1:{port}: "):
        directory.search("anna")


def test_the_company_line_leaves_out_what_is_missing() -> None:
    assert DirectoryEntry("A", (), company="Acme").company_line == "Acme"
    assert DirectoryEntry("A", ()).company_line == ""
