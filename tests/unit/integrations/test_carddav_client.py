"""The WebDAV side of CardDAV against a real local HTTP server that answers like a CardDAV
server: discovery, sync-token and ETag listings, multiget, conditional writes, clear errors."""

from __future__ import annotations

import pytest
from local_http import Answer, LocalServer, Seen

from softphone.integrations.carddav_client import (
    MULTIGET_BATCH,
    CardDavClient,
    CardDavError,
    NotFound,
    PreconditionFailed,
)

BOOK = "/dav/addressbooks/agent/contacts/"


def _multistatus(*responses: str, token: str | None = None) -> Answer:
    tail = f"<d:sync-token>{token}</d:sync-token>" if token else ""
    body = ('<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" '
            'xmlns:c="urn:ietf:params:xml:ns:carddav">' + "".join(responses) + tail
            + "</d:multistatus>")
    return Answer(207, body.encode())


def _item(href: str, props: str = "", status: str = "HTTP/1.1 200 OK") -> str:
    if not props:
        return f"<d:response><d:href>{href}</d:href><d:status>{status}</d:status></d:response>"
    return (f"<d:response><d:href>{href}</d:href><d:propstat><d:prop>{props}</d:prop>"
            f"<d:status>{status}</d:status></d:propstat></d:response>")


BOOK_TYPE = "<d:resourcetype><d:collection/><c:addressbook/></d:resourcetype>"


def _client(server: LocalServer, path: str = BOOK) -> CardDavClient:
    return CardDavClient(f"{server.url}{path}", "agent", "pw", timeout=10)


def test_a_configured_address_book_is_used_as_it_is(local_server: LocalServer) -> None:
    local_server.answer(207, _multistatus(_item(BOOK, BOOK_TYPE)).body)
    client = _client(local_server)
    assert client.address_book() == f"{local_server.url}{BOOK}"
    assert client.address_book() == f"{local_server.url}{BOOK}"  # found once, remembered
    (seen,) = local_server.requests
    assert (seen.method, seen.path, seen.headers["depth"]) == ("PROPFIND", BOOK, "0")
    assert seen.headers["authorization"].startswith("Basic ")


def test_the_address_book_is_discovered_from_the_server_root(local_server: LocalServer) -> None:
    def route(seen: Seen) -> Answer:
        if seen.path == "/.well-known/carddav":
            return _multistatus(_item(seen.path, "<d:resourcetype/><d:current-user-principal>"
                                      "<d:href>/dav/principals/agent/</d:href>"
                                      "</d:current-user-principal>"))
        if seen.path == "/dav/principals/agent/":
            return _multistatus(_item(seen.path, "<c:addressbook-home-set><d:href>"
                                      "/dav/addressbooks/agent/</d:href>"
                                      "</c:addressbook-home-set>"))
        if seen.path == "/dav/addressbooks/agent/" and seen.headers["depth"] == "1":
            return _multistatus(
                _item("/dav/addressbooks/agent/", "<d:resourcetype><d:collection/>"
                      "</d:resourcetype>"),
                _item(BOOK.rstrip("/"), BOOK_TYPE))  # a server that leaves the slash off
        return Answer(404)

    local_server.route = route
    assert _client(local_server, "").address_book() == f"{local_server.url}{BOOK}"


def test_no_address_book_is_a_clear_error(local_server: LocalServer) -> None:
    local_server.default = _multistatus(_item(BOOK, "<d:resourcetype><d:collection/>"
                                              "</d:resourcetype>"))
    with pytest.raises(CardDavError, match="no address book found"):
        _client(local_server).address_book()


def test_a_refused_login_says_so(local_server: LocalServer) -> None:
    local_server.answer(401)
    with pytest.raises(CardDavError, match=r"refused the login \(HTTP 401\); check the user"):
        _client(local_server).address_book()


def test_xml_that_cannot_be_read_is_a_clear_error(local_server: LocalServer) -> None:
    local_server.answer(207, b"<d:multistatus xmlns:d='DAV:'><unclosed>")
    with pytest.raises(CardDavError, match="XML that cannot be read"):
        _client(local_server).address_book()


def _with_book(server: LocalServer, then: list[Answer]) -> CardDavClient:
    server.answers = [_multistatus(_item(BOOK, BOOK_TYPE)), *then]
    return _client(server)


def test_changes_since_a_sync_token(local_server: LocalServer) -> None:
    client = _with_book(local_server, [_multistatus(
        _item(BOOK, "<d:getetag/>"),  # the collection itself is never a card
        _item(f"{BOOK}a.vcf", '<d:getetag>"2"</d:getetag>'),
        _item(f"http://elsewhere{BOOK}b.vcf", '<d:getetag>"7"</d:getetag>'),
        _item(f"{BOOK}gone.vcf", status="HTTP/1.1 404 Not Found"),
        token="http://x/sync/5")])
    changes = client.changes("http://x/sync/4", {})
    assert changes.changed == {f"{BOOK}a.vcf": '"2"', f"{BOOK}b.vcf": '"7"'}
    assert changes.removed == {f"{BOOK}gone.vcf"}
    assert changes.token == "http://x/sync/5"
    report = local_server.requests[-1]
    assert report.method == "REPORT" and b"<d:sync-token>http://x/sync/4</d:sync-token>" in \
        report.body


@pytest.mark.parametrize("status", [405, 501, 403])
def test_without_sync_tokens_every_etag_is_compared_with_what_is_known(
        local_server: LocalServer, status: int) -> None:
    client = _with_book(local_server, [Answer(status), _multistatus(
        _item(BOOK, BOOK_TYPE),
        _item(f"{BOOK}same.vcf", '<d:getetag>"1"</d:getetag><d:resourcetype/>'),
        _item(f"{BOOK}new.vcf", '<d:getetag>"1"</d:getetag><d:resourcetype/>'),
        _item(f"{BOOK}edited.vcf", '<d:getetag>"9"</d:getetag><d:resourcetype/>'),
        _item(f"{BOOK}sub/", '<d:getetag>"x"</d:getetag>'
              '<d:resourcetype><d:collection/></d:resourcetype>'))])
    known: dict[str, str | None] = {f"{BOOK}same.vcf": '"1"', f"{BOOK}edited.vcf": '"8"',
                                    f"{BOOK}deleted.vcf": '"1"'}
    changes = client.changes("old-token", known)
    assert changes.changed == {f"{BOOK}new.vcf": '"1"', f"{BOOK}edited.vcf": '"9"'}
    assert changes.removed == {f"{BOOK}deleted.vcf"}
    assert changes.token is None


def test_an_unexpected_report_answer_is_an_error(local_server: LocalServer) -> None:
    client = _with_book(local_server, [Answer(500)])
    with pytest.raises(CardDavError, match="REPORT answered HTTP 500"):
        client.changes(None, {})


def test_cards_are_fetched_in_batches_by_the_href_asked_for(local_server: LocalServer) -> None:
    hrefs = [f"{BOOK}card%20{n}.vcf" for n in range(MULTIGET_BATCH + 3)]

    def route(seen: Seen) -> Answer:
        if seen.method == "PROPFIND":
            return _multistatus(_item(BOOK, BOOK_TYPE))
        asked = [h for h in hrefs if f"<d:href>{h}</d:href>".encode() in seen.body]
        # the server answers with its own encoding of the href
        return _multistatus(*(_item(h.replace("%20", " "),
                                    f'<d:getetag>"e"</d:getetag><c:address-data>'
                                    f"BEGIN:VCARD\nFN:{h}\nEND:VCARD</c:address-data>")
                              for h in asked))

    local_server.route = route
    cards = _client(local_server).fetch(hrefs)
    assert set(cards) == set(hrefs)
    assert cards[hrefs[0]] == ('"e"', f"BEGIN:VCARD\nFN:{hrefs[0]}\nEND:VCARD")
    assert [r.method for r in local_server.requests] == ["PROPFIND", "REPORT", "REPORT"]


def test_without_multiget_each_card_is_got_and_a_missing_one_skipped(
        local_server: LocalServer) -> None:
    client = _with_book(local_server, [
        Answer(501), Answer(200, b"BEGIN:VCARD\nEND:VCARD", {"ETag": '"3"'}), Answer(404)])
    cards = client.fetch([f"{BOOK}a.vcf", f"{BOOK}b.vcf"])
    assert cards == {f"{BOOK}a.vcf": ('"3"', "BEGIN:VCARD\nEND:VCARD")}
    assert [(r.method, r.path) for r in local_server.requests[2:]] == [
        ("GET", f"{BOOK}a.vcf"), ("GET", f"{BOOK}b.vcf")]


def test_a_new_card_is_put_only_if_new_and_an_edit_only_over_its_version(
        local_server: LocalServer) -> None:
    local_server.answer(201, ETag='"new"')
    local_server.answer(204, ETag='"v2"')
    client = _client(local_server)
    assert client.put(f"{BOOK}x.vcf", "BEGIN:VCARD\nFN:Ёж\nEND:VCARD") == '"new"'
    assert client.put(f"{BOOK}x.vcf", "card", etag='"v1"') == '"v2"'
    new, edit = local_server.requests
    assert new.method == "PUT" and new.headers["if-none-match"] == "*"
    assert "if-match" not in new.headers and new.body == "BEGIN:VCARD\nFN:Ёж\nEND:VCARD".encode()
    assert edit.headers["if-match"] == '"v1"' and "if-none-match" not in edit.headers


def test_a_put_without_an_etag_in_the_answer_asks_for_it(local_server: LocalServer) -> None:
    local_server.answer(201)
    local_server.answer(207, _multistatus(_item(f"{BOOK}x.vcf",
                                                '<d:getetag>"asked"</d:getetag>')).body)
    assert _client(local_server).put(f"{BOOK}x.vcf", "card") == '"asked"'


def test_conflicting_writes_and_deletes_raise_precondition_failed(
        local_server: LocalServer) -> None:
    local_server.default = Answer(412)
    client = _client(local_server)
    with pytest.raises(PreconditionFailed):
        client.put(f"{BOOK}x.vcf", "card", etag='"old"')
    with pytest.raises(PreconditionFailed):
        client.delete(f"{BOOK}x.vcf", '"old"')


def test_delete_errors_are_told_apart(local_server: LocalServer) -> None:
    local_server.answer(404)
    local_server.answer(500)
    local_server.answer(204)
    client = _client(local_server)
    with pytest.raises(NotFound):
        client.delete(f"{BOOK}x.vcf", None)
    with pytest.raises(CardDavError, match="DELETE answered HTTP 500"):
        client.delete(f"{BOOK}x.vcf", None)
    client.delete(f"{BOOK}x.vcf", '"1"')
    assert "if-match" not in local_server.requests[0].headers
    assert local_server.requests[2].headers["if-match"] == '"1"'


def test_a_new_cards_href_is_made_safe_from_its_uid(local_server: LocalServer) -> None:
    local_server.answer(207, _multistatus(_item(BOOK, BOOK_TYPE)).body)
    assert _client(local_server).new_href("urn:uuid:1/2 é?") == f"{BOOK}urn_uuid_1_2_é_.vcf"


def test_an_unreachable_server_is_a_carddav_error() -> None:
    with pytest.raises(CardDavError, match="connection refused"):
        CardDavClient("http://127.0.0.1:9/dav/", None, None, timeout=5).address_book()
