"""Two-way contact sync against a real Radicale server the test starts: new, changed and deleted
contacts both ways; conflicts merged without losing a field (the losing value in the contact's
history); what the CRM does not keep stays on the server; the sync token (and, without one,
the ETag listing); a sync cut off at any request resumes without duplicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.crm.store import Store
from softphone.integrations.carddav import CardDavSync, SyncReport
from softphone.integrations.carddav_client import CardDavClient, CardDavError
from softphone.integrations.http import Response
from tests.harness.radicale import Radicale

pytestmark = pytest.mark.integration


def card(uid: str, name: str, *phones: str, extra: str = "") -> str:
    family, _, given = name.partition(" ")
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}",
             f"N:{given};{family};;;", *(f"TEL;TYPE=CELL:{p}" for p in phones)]
    if extra:
        lines.append(extra)
    return "\r\n".join([*lines, "END:VCARD", ""])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Radicale]:
    with Radicale(tmp_path / "dav") as radicale:
        yield radicale


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(None, tmp_path / "profile", "RU", "tester")
    yield s
    s.close()


def client(server: Radicale, cls: type[CardDavClient] = CardDavClient) -> CardDavClient:
    return cls(server.book_url, server.user, server.password, timeout=10)


def sync(store: Store, server: Radicale, cls: type[CardDavClient] = CardDavClient
         ) -> SyncReport:
    return CardDavSync(store, client(server, cls)).run()


def names_here(store: Store) -> list[str]:
    return sorted(c.name for c in store.iter_contacts())


def server_cards(server: Radicale) -> dict[str, str]:
    out = {}
    for name in server.names():
        got = server.get(name)
        assert got is not None
        out[name] = got[1]
    return out


def fn_of(text: str) -> str:
    return next(line[3:] for line in text.splitlines() if line.startswith("FN:"))


def test_new_changed_and_deleted_contacts_go_both_ways(store: Store, server: Radicale) -> None:
    server.put("boris.vcf", card("boris", "Ivanov Boris", "+7 916 111-22-33",
                                 extra="ADR;TYPE=WORK:;;Tverskaya 1;Moscow;;;Russia"))
    anna = store.create_contact("Anna Petrova", company="Acme",
                                phones=[("+7 495 123-45-67", "work")],
                                emails=["anna@example.com"])
    first = sync(store, server)
    assert first.used_sync_token
    assert (first.created_here, first.created_there) == (1, 1)
    assert names_here(store) == ["Anna Petrova", "Ivanov Boris"]
    cards = server_cards(server)
    assert sorted(fn_of(c) for c in cards.values()) == ["Anna Petrova", "Ivanov Boris"]
    uploaded = next(c for c in cards.values() if "Anna" in c)
    assert "ORG:Acme" in uploaded and "anna@example.com" in uploaded and "UID:" in uploaded

    # nothing changed: nothing moves
    again = sync(store, server)
    assert (again.created_here, again.updated_here, again.created_there,
            again.updated_there) == (0, 0, 0, 0)

    # changed on the server / changed here
    etag, text = server.get("boris.vcf") or ("", "")
    server.put("boris.vcf", text.replace("+7 916 111-22-33", "+7 916 999-88-77"), etag)
    store.update_contact(anna.id, position="Head of sales")
    changed = sync(store, server)
    assert (changed.updated_here, changed.updated_there) == (1, 1)
    boris = next(c for c in store.iter_contacts() if c.name == "Ivanov Boris")
    assert [p.raw for p in boris.phones] == ["+7 916 999-88-77"]
    anna_card = next(c for c in server_cards(server).values() if "Anna" in c)
    assert "TITLE:Head of sales" in anna_card
    assert "ADR;TYPE=WORK:;;Tverskaya 1" in server_cards(server)["boris.vcf"]

    # deleted on the server / deleted here
    server.delete("boris.vcf")
    store.delete_contact(anna.id)
    gone = sync(store, server)
    assert (gone.deleted_here, gone.deleted_there) == (1, 1)
    assert names_here(store) == [] and server.names() == []


def test_a_conflict_keeps_every_value_and_the_losing_one_in_the_history(
        store: Store, server: Radicale) -> None:
    server.put("olga.vcf", card("olga", "Smirnova Olga", "+7 495 765-43-21",
                                extra="BDAY:1990-05-01"))
    sync(store, server)
    (olga,) = list(store.iter_contacts())
    # the same contact changed on both sides before the next sync
    store.update_contact(olga.id, name="Olga S. Smirnova", notes="prefers e-mail",
                         phones=[("+7 495 765-43-21", "mobile"), ("+7 903 000-11-22", "home")])
    etag, text = server.get("olga.vcf") or ("", "")
    server.put("olga.vcf", text.replace("FN:Smirnova Olga", "FN:Olga Smirnova-Petrova")
               .replace("END:VCARD", "TEL;TYPE=WORK:+7 495 555-00-00\r\nEND:VCARD"), etag)
    report = sync(store, server)
    assert report.conflicts == 1
    (merged,) = list(store.iter_contacts())
    assert merged.name == "Olga Smirnova-Petrova"  # the server's value wins ...
    (entry,) = store.contact_history(merged.id)
    assert entry.source == "carddav" and entry.fields == {"name": "Olga S. Smirnova"}  # ... kept
    assert store.contact_bundle(merged.id)["history"][0]["fields"] == entry.fields  # privacy
    assert {p.raw for p in merged.phones} == {"+7 495 765-43-21", "+7 903 000-11-22",
                                              "+7 495 555-00-00"}
    assert merged.notes == "prefers e-mail"  # changed on one side only
    on_server = server_cards(server)["olga.vcf"]
    assert "FN:Olga Smirnova-Petrova" in on_server and "+7 903 000-11-22" in on_server
    assert "+7 495 555-00-00" in on_server and "NOTE:prefers e-mail" in on_server
    assert "BDAY:1990-05-01" in on_server  # what the CRM does not keep stays
    assert sync(store, server).conflicts == 0


def test_deleted_here_but_changed_there_comes_back(store: Store, server: Radicale) -> None:
    server.put("ivan.vcf", card("ivan", "Petrov Ivan", "+7 495 100-00-01"))
    sync(store, server)
    (ivan,) = list(store.iter_contacts())
    store.delete_contact(ivan.id)
    etag, text = server.get("ivan.vcf") or ("", "")
    server.put("ivan.vcf", text.replace("END:VCARD", "EMAIL:ivan@example.com\r\nEND:VCARD"),
               etag)
    sync(store, server)
    (back,) = list(store.iter_contacts())
    assert back.emails == ("ivan@example.com",)
    assert server.names() == ["ivan.vcf"]


def test_without_sync_tokens_the_etag_listing_finds_the_same_changes(
        store: Store, server: Radicale) -> None:
    class NoSyncTokens(CardDavClient):
        def _request(self, method: str, url: str, body: bytes | None = None,
                     headers: dict[str, str] | None = None) -> Response:
            if method == "REPORT" and body and b"sync-collection" in body:
                return Response(501, "Not Implemented", {}, b"", url)
            return super()._request(method, url, body, headers)

    server.put("a.vcf", card("a", "Alpha Anna", "+7 495 200-00-01"))
    assert not sync(store, server, NoSyncTokens).used_sync_token
    assert names_here(store) == ["Alpha Anna"]
    server.put("b.vcf", card("b", "Beta Boris", "+7 495 200-00-02"))
    server.delete("a.vcf")
    report = sync(store, server, NoSyncTokens)
    assert (report.created_here, report.deleted_here) == (1, 1)
    assert names_here(store) == ["Beta Boris"]


@pytest.mark.parametrize("answer_lost", [False, True])
@pytest.mark.parametrize("cut_after", [1, 2, 3, 4, 5])  # of 6 requests in all
def test_a_sync_cut_off_anywhere_resumes_without_duplicates(
        tmp_path: Path, server: Radicale, cut_after: int, answer_lost: bool) -> None:
    calls = {"n": 0}

    class CutOff(CardDavClient):
        """The network goes at one request: before it leaves, or after the server did it
        but before its answer arrives (``answer_lost``)."""

        def _request(self, method: str, url: str, body: bytes | None = None,
                     headers: dict[str, str] | None = None) -> Response:
            calls["n"] += 1
            if calls["n"] > cut_after + (1 if answer_lost else 0):
                raise CardDavError("network gone")
            response = super()._request(method, url, body, headers)
            if answer_lost and calls["n"] == cut_after + 1:
                raise CardDavError("network gone")
            return response

    for i in range(3):
        server.put(f"s{i}.vcf", card(f"s{i}", f"Server Person{i}", f"+7 495 300-00-0{i}"))
    store = Store.open(None, tmp_path / f"profile{cut_after}", "RU")
    try:
        for i in range(3):
            store.create_contact(f"Local Person{i}", phones=[(f"+7 495 400-00-0{i}", "work")])
        with pytest.raises(CardDavError):
            sync(store, server, CutOff)
        sync(store, server)
        final = sync(store, server)
        assert (final.created_here, final.created_there, final.updated_there) == (0, 0, 0)
        assert names_here(store) == sorted([f"Server Person{i}" for i in range(3)]
                                           + [f"Local Person{i}" for i in range(3)])
        on_server = sorted(fn_of(c) for c in server_cards(server).values())
        assert on_server == sorted([f"Server Person{i}" for i in range(3)]
                                   + [f"Local Person{i}" for i in range(3)])
    finally:
        store.close()


def test_a_wrong_password_is_a_clear_error(store: Store, server: Radicale) -> None:
    bad = CardDavClient(server.book_url, server.user, "wrong", timeout=10)
    with pytest.raises(CardDavError, match="refused the login"):
        CardDavSync(store, bad).run()
    assert names_here(store) == []


def test_the_address_book_is_found_from_the_server_root(store: Store, server: Radicale) -> None:
    server.put("a.vcf", card("a", "Alpha Anna", "+7 495 200-00-01"))
    found = CardDavClient(server.base + "/", server.user, server.password, timeout=10)
    assert found.address_book() == server.book_url
    CardDavSync(store, found).run()
    assert names_here(store) == ["Alpha Anna"]
