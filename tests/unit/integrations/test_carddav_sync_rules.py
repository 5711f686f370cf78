"""The contact sync's rules on a real SQLite CRM, against an in-memory address book that keeps
ETags and a sync token like a CardDAV server (the WebDAV side has its own tests, and
tests/integration runs the whole against Radicale): linking instead of duplicating, a card
deleted there but changed here kept, unreadable cards left alone, the token stored only after
a pull that finished, the report."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.crm.store import Store
from softphone.integrations.carddav import TOKEN_KEY, CardDavSync, SyncReport
from softphone.integrations.carddav_client import Changes, NotFound, PreconditionFailed

BOOK = "/dav/book/"


def card(uid: str, name: str, *phones: str, extra: str = "") -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}",
             *(f"TEL;TYPE=CELL:{p}" for p in phones), *([extra] if extra else [])]
    return "\r\n".join([*lines, "END:VCARD", ""])


class Book:
    """What a CardDAV server keeps: cards by href with ETags, and a change log for tokens."""

    url = f"http://dav.invalid{BOOK}"

    def __init__(self) -> None:
        self.cards: dict[str, tuple[str, str]] = {}
        self.log: list[tuple[int, str]] = []  # (token number, href changed or removed)
        self.tokens = itertools.count(1)
        self.token = next(self.tokens)
        self.etags = itertools.count(1)
        self.puts: list[str] = []
        self.lose_put_answer = False

    # the server's side, for the tests
    def store(self, href: str, text: str) -> str:
        etag = f'"{next(self.etags)}"'
        self.cards[href] = (etag, text)
        self.token = next(self.tokens)
        self.log.append((self.token, href))
        return etag

    def remove(self, href: str) -> None:
        del self.cards[href]
        self.token = next(self.tokens)
        self.log.append((self.token, href))

    # the client's interface
    def address_book(self) -> str:
        return self.url

    def changes(self, token: str | None, known: dict[str, str | None]) -> Changes:
        since = int(token) if token else 0
        touched = {h for n, h in self.log if n > since}
        return Changes({h: self.cards[h][0] for h in touched if h in self.cards},
                       {h for h in touched if h not in self.cards}, str(self.token))

    def fetch(self, hrefs: list[str]) -> dict[str, tuple[str, str]]:
        return {h: self.cards[h] for h in hrefs if h in self.cards}

    def get(self, href: str) -> tuple[str, str] | None:
        return self.cards.get(href)

    def put(self, href: str, text: str, *, etag: str | None = None) -> str | None:
        current = self.cards.get(href)
        if (etag is None and current is not None) or (etag is not None and (
                current is None or current[0] != etag)):
            raise PreconditionFailed(f"{href} changed on the server")
        self.puts.append(href)
        new = self.store(href, text)
        if self.lose_put_answer:
            self.lose_put_answer = False
            raise ConnectionError("network gone after the PUT arrived")
        return new

    def delete(self, href: str, etag: str | None) -> None:
        current = self.cards.get(href)
        if current is None:
            raise NotFound(href)
        if etag and current[0] != etag:
            raise PreconditionFailed(f"{href} changed on the server")
        self.remove(href)

    def new_href(self, uid: str) -> str:
        return f"{BOOK}{uid}.vcf"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(None, tmp_path / "profile", "RU", "tester")
    yield s
    s.close()


def _sync(store: Store, book: Book) -> SyncReport:
    return CardDavSync(store, book).run()  # type: ignore[arg-type]


def test_a_card_of_someone_already_here_is_linked_not_duplicated(store: Store) -> None:
    book = Book()
    here = store.create_contact("Anna Petrova", phones=[("8 495 123-45-67", "work")])
    book.store(f"{BOOK}anna.vcf", card("anna", "anna petrova", "+7 495 123-45-67",
                                       extra="EMAIL:anna@example.com"))
    report = _sync(store, book)
    assert report.created_here == 0 and report.created_there == 0
    (anna,) = list(store.iter_contacts())
    assert anna.id == here.id and anna.emails == ("anna@example.com",)
    assert set(book.cards) == {f"{BOOK}anna.vcf"}


def test_a_namesake_with_nothing_in_common_is_another_person(store: Store) -> None:
    book = Book()
    store.create_contact("Anna Petrova", phones=[("+7 495 000-00-01", "work")])
    book.store(f"{BOOK}anna.vcf", card("anna", "Anna Petrova", "+7 495 123-45-67"))
    report = _sync(store, book)
    assert (report.created_here, report.created_there) == (1, 1)
    assert len(list(store.iter_contacts())) == 2 and len(book.cards) == 2


def test_a_card_deleted_there_but_changed_here_is_kept_and_uploaded_again(
        store: Store) -> None:
    book = Book()
    book.store(f"{BOOK}ivan.vcf", card("ivan", "Ivan Petrov", "+7 495 100-00-01"))
    _sync(store, book)
    (ivan,) = list(store.iter_contacts())
    store.update_contact(ivan.id, notes="called back, wants a quote")
    book.remove(f"{BOOK}ivan.vcf")
    report = _sync(store, book)
    assert report.deleted_here == 0 and report.conflicts == 1 and report.created_there == 1
    (kept,) = list(store.iter_contacts())
    assert kept.notes == "called back, wants a quote"
    (entry,) = store.contact_history(kept.id)
    assert entry.kind == "kept" and "deleted on the CardDAV server" in entry.note
    (text,) = (t for _, t in book.cards.values())
    assert "Ivan Petrov" in text


def test_a_card_deleted_there_and_unchanged_here_is_deleted_here(store: Store) -> None:
    book = Book()
    book.store(f"{BOOK}ivan.vcf", card("ivan", "Ivan Petrov", "+7 495 100-00-01"))
    _sync(store, book)
    book.remove(f"{BOOK}ivan.vcf")
    assert _sync(store, book).deleted_here == 1
    assert list(store.iter_contacts()) == []


def test_cards_without_a_phone_or_e_mail_are_left_alone_on_the_server(store: Store) -> None:
    book = Book()
    group = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:g\r\nFN:Sales team\r\nEND:VCARD\r\n"
    book.store(f"{BOOK}group.vcf", group)
    report = _sync(store, book)
    assert report.unreadable == 1 and report.created_here == 0
    assert list(store.iter_contacts()) == []
    assert _sync(store, book).unreadable == 0  # same ETag: not read again
    assert book.cards[f"{BOOK}group.vcf"][1] == group and book.puts == []


def test_the_token_is_kept_only_after_a_pull_that_finished(store: Store) -> None:
    book = Book()
    book.store(f"{BOOK}a.vcf", card("a", "Alpha Anna", "+7 495 200-00-01"))
    report = _sync(store, book)
    assert report.used_sync_token
    assert store.carddav_state(book.url, TOKEN_KEY) == str(book.token)

    class Postponing(Book):
        def fetch(self, hrefs: list[str]) -> dict[str, tuple[str, str]]:
            return {h: ('"stale"', self.cards[h][1]) for h in hrefs if h in self.cards}

    before = store.carddav_state(book.url, TOKEN_KEY)
    book.__class__ = Postponing  # the server's card changes again while we sync
    (anna,) = list(store.iter_contacts())
    store.update_contact(anna.id, notes="here")
    book.store(f"{BOOK}a.vcf", card("a", "Alpha Anna B", "+7 495 200-00-01"))
    report = _sync(store, book)
    assert report.postponed == [f"{BOOK}a.vcf"]
    assert store.carddav_state(book.url, TOKEN_KEY) == before  # the pull is redone next time
    assert "1 left for the next sync" in report.summary()


def test_an_upload_whose_answer_was_lost_is_not_duplicated(store: Store) -> None:
    book = Book()
    store.create_contact("Local Lena", phones=[("+7 495 300-00-01", "work")])
    book.lose_put_answer = True
    with pytest.raises(ConnectionError):
        _sync(store, book)
    assert len(book.cards) == 1  # it arrived
    report = _sync(store, book)
    assert len(book.cards) == 1 and len(list(store.iter_contacts())) == 1
    assert report.created_here == 0


def test_deleted_here_is_deleted_there(store: Store) -> None:
    book = Book()
    lena = store.create_contact("Local Lena", phones=[("+7 495 300-00-01", "work")])
    _sync(store, book)
    store.delete_contact(lena.id)
    report = _sync(store, book)
    assert report.deleted_there == 1 and book.cards == {}


def test_the_summary_counts_both_sides() -> None:
    report = SyncReport(created_here=1, updated_there=2, conflicts=1)
    assert report.changed_here and not SyncReport(created_there=3).changed_here
    assert report.summary() == ("here: 1 new, 0 changed, 0 deleted; server: 0 new, 2 changed, "
                                "0 deleted; 1 conflict(s) merged")
