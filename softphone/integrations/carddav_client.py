"""The WebDAV side of CardDAV (RFC 6352, 4918, 6578): find the address book, list what changed
(a sync-token REPORT where the server supports it, else every card's ETag), fetch cards
(``addressbook-multiget``, else GET) and write them with ``If-Match`` / ``If-None-Match``."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from softphone.integrations.http import HttpClient, HttpError, Response

log = logging.getLogger("softphone.integrations.carddav")

DAV, CARD = "DAV:", "urn:ietf:params:xml:ns:carddav"
_NS = {"d": DAV, "c": CARD}
_XML = {"Content-Type": "application/xml; charset=utf-8"}
MULTIGET_BATCH = 50


class CardDavError(Exception):
    """The server could not be used (unreachable, refused the login, no address book)."""


class PreconditionFailed(CardDavError):
    """If-Match / If-None-Match failed: the card changed (or exists) on the server."""


class NotFound(CardDavError):
    pass


@dataclass(frozen=True)
class Changes:
    changed: dict[str, str]  # href -> etag
    removed: set[str]
    token: str | None  # None: the server has no sync tokens (a full listing was made)


class CardDavClient:
    def __init__(self, url: str, username: str | None, password: str | None, *,
                 timeout: float = 30.0, verify_tls: bool = True) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self.http = HttpClient(timeout=timeout, verify_tls=verify_tls, username=username,
                               password=password)
        self._book: str | None = None

    # --- plumbing ---------------------------------------------------------------------------
    def _request(self, method: str, url: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> Response:
        try:
            response = self.http.request(method, url, body, headers)
        except HttpError as exc:
            raise CardDavError(str(exc)) from None
        if response.status in (401, 403) and method in ("PROPFIND", "GET") and \
                "sync-collection" not in (body or b"").decode("utf-8", "replace"):
            raise CardDavError(f"{url}: the server refused the login (HTTP {response.status}); "
                               "check the user name and password")
        return response

    def _propfind(self, url: str, props: str, depth: str) -> list[ET.Element]:
        body = (f'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" '
                f'xmlns:c="{CARD}"><d:prop>{props}</d:prop></d:propfind>').encode()
        response = self._request("PROPFIND", url, body, {**_XML, "Depth": depth})
        if response.status != 207:
            raise CardDavError(f"{url}: PROPFIND answered HTTP {response.status}")
        return _responses(response.body)

    def absolute(self, href: str) -> str:
        return urljoin(self.url, href)

    # --- discovery --------------------------------------------------------------------------
    def address_book(self) -> str:
        """The address book collection's URL: the configured URL if it is one, else the first
        address book of the user (current-user-principal -> addressbook-home-set)."""
        if self._book is not None:
            return self._book
        start = self.url
        if urlsplit(start).path in ("", "/"):
            start = urljoin(start, "/.well-known/carddav")
        found = self._find_book(start)
        if found is None:
            raise CardDavError(f"{self.url}: no address book found there")
        self._book = found if found.endswith("/") else found + "/"
        return self._book

    def _find_book(self, url: str) -> str | None:
        props = "<d:resourcetype/><d:current-user-principal/><c:addressbook-home-set/>"
        for response in self._propfind(url, props, "0"):
            if response.find(".//d:resourcetype/c:addressbook", _NS) is not None:
                return url
            home = response.find(".//c:addressbook-home-set/d:href", _NS)
            if home is not None and home.text:
                return self._first_book(self.absolute(home.text.strip()))
            principal = response.find(".//d:current-user-principal/d:href", _NS)
            if principal is not None and principal.text:
                for inner in self._propfind(self.absolute(principal.text.strip()),
                                            "<c:addressbook-home-set/>", "0"):
                    home = inner.find(".//c:addressbook-home-set/d:href", _NS)
                    if home is not None and home.text:
                        return self._first_book(self.absolute(home.text.strip()))
        return self._first_book(url)

    def _first_book(self, home: str) -> str | None:
        for response in self._propfind(home, "<d:resourcetype/>", "1"):
            href = response.findtext("d:href", default="", namespaces=_NS).strip()
            if href and response.find(".//d:resourcetype/c:addressbook", _NS) is not None:
                return self.absolute(href)
        return None

    # --- what changed -----------------------------------------------------------------------
    def changes(self, token: str | None, known: dict[str, str | None]) -> Changes:
        """What changed since ``token`` (a sync-collection REPORT), or, on a server without
        sync tokens (or when the token expired), by comparing every card's ETag with
        ``known`` (href -> etag)."""
        book = self.address_book()
        body = ('<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:">'
                f'<d:sync-token>{_escape(token or "")}</d:sync-token>'
                '<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop>'
                '</d:sync-collection>').encode()
        response = self._request("REPORT", book, body, {**_XML, "Depth": "1"})
        if response.status == 207:
            changed: dict[str, str] = {}
            removed: set[str] = set()
            root = ET.fromstring(response.body)
            for item in root.findall("d:response", _NS):
                href = _href(item)
                if href is None or _same_path(href, book):
                    continue
                status = item.findtext("d:status", default="", namespaces=_NS)
                etag = item.findtext(".//d:getetag", default="", namespaces=_NS).strip()
                if " 404" in status or (not etag and item.find("d:propstat", _NS) is None):
                    removed.add(href)
                elif etag:
                    changed[href] = etag
            new_token = root.findtext("d:sync-token", default="", namespaces=_NS).strip()
            if new_token:
                return Changes(changed, removed, new_token)
        elif token and response.status in (403, 409, 412):
            log.info("CardDAV: the sync token expired (HTTP %d): listing every card",
                     response.status)
        elif response.status not in (400, 403, 404, 405, 409, 412, 415, 501):
            raise CardDavError(f"{book}: REPORT answered HTTP {response.status}")
        listing = self.etags()
        changed = {h: e for h, e in listing.items() if known.get(h) != e}
        removed = {h for h in known if h not in listing}
        return Changes(changed, removed, None)

    def etags(self) -> dict[str, str]:
        book = self.address_book()
        out: dict[str, str] = {}
        for response in self._propfind(book, "<d:getetag/><d:resourcetype/>", "1"):
            href = _href(response)
            if href is None or _same_path(href, book):
                continue
            if response.find(".//d:resourcetype/d:collection", _NS) is not None:
                continue
            etag = response.findtext(".//d:getetag", default="", namespaces=_NS).strip()
            if etag:
                out[href] = etag
        return out

    # --- cards ------------------------------------------------------------------------------
    def fetch(self, hrefs: list[str]) -> dict[str, tuple[str, str]]:
        """href -> (etag, card text) of the cards that still exist."""
        out: dict[str, tuple[str, str]] = {}
        book = self.address_book()
        for i in range(0, len(hrefs), MULTIGET_BATCH):
            batch = hrefs[i:i + MULTIGET_BATCH]
            body = ('<?xml version="1.0" encoding="utf-8"?><c:addressbook-multiget '
                    f'xmlns:d="DAV:" xmlns:c="{CARD}"><d:prop><d:getetag/><c:address-data/>'
                    '</d:prop>' + "".join(f"<d:href>{_escape(h)}</d:href>" for h in batch)
                    + "</c:addressbook-multiget>").encode()
            response = self._request("REPORT", book, body, {**_XML, "Depth": "1"})
            if response.status != 207:
                for href in batch:  # a server without multiget: one GET per card
                    got = self.get(href)
                    if got is not None:
                        out[href] = got
                continue
            for item in _responses(response.body):
                found = _href(item)
                data = item.findtext(".//c:address-data", default="", namespaces=_NS) or ""
                etag = item.findtext(".//d:getetag", default="", namespaces=_NS).strip()
                if found is not None and data:
                    if not etag:
                        got = self.get(found)
                        if got is None:
                            continue
                        etag, data = got[0], got[1]
                    out[_match_href(found, batch)] = (etag, data)
        return out

    def get(self, href: str) -> tuple[str, str] | None:
        response = self._request("GET", self.absolute(href), None, {"Accept": "text/vcard"})
        if response.status == 404:
            return None
        if not response.ok:
            raise CardDavError(f"{href}: GET answered HTTP {response.status}")
        etag = response.header("etag") or self._etag_of(href) or ""
        return etag, response.text()

    def _etag_of(self, href: str) -> str | None:
        for response in self._propfind(self.absolute(href), "<d:getetag/>", "0"):
            etag = response.findtext(".//d:getetag", default="", namespaces=_NS).strip()
            if etag:
                return etag
        return None

    def put(self, href: str, card: str, *, etag: str | None = None) -> str | None:
        """Store a card: with ``etag`` only over that version; without, only if new.
        Returns the new ETag (None when the server did not say and cannot tell)."""
        headers = {"Content-Type": "text/vcard; charset=utf-8"}
        if etag:
            headers["If-Match"] = etag
        else:
            headers["If-None-Match"] = "*"
        response = self._request("PUT", self.absolute(href), card.encode("utf-8"), headers)
        if response.status == 412:
            raise PreconditionFailed(f"{href} changed on the server")
        if not response.ok:
            raise CardDavError(f"{href}: PUT answered HTTP {response.status} "
                               f"{response.text()[:200]}".strip())
        return response.header("etag") or self._etag_of(href)

    def delete(self, href: str, etag: str | None) -> None:
        headers = {"If-Match": etag} if etag else {}
        response = self._request("DELETE", self.absolute(href), None, headers)
        if response.status == 412:
            raise PreconditionFailed(f"{href} changed on the server")
        if response.status == 404:
            raise NotFound(href)
        if not response.ok:
            raise CardDavError(f"{href}: DELETE answered HTTP {response.status}")

    def new_href(self, uid: str) -> str:
        path = urlsplit(self.address_book()).path
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in uid)
        return f"{path}{safe}.vcf"


def _responses(body: bytes) -> list[ET.Element]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise CardDavError(f"the server sent XML that cannot be read: {exc}") from None
    return root.findall("d:response", _NS)


def _href(item: ET.Element) -> str | None:
    text = item.findtext("d:href", default="", namespaces=_NS).strip()
    if not text:
        return None
    parts = urlsplit(text)
    return parts.path if parts.scheme else text


def _same_path(href: str, url: str) -> bool:
    return unquote(href).rstrip("/") == unquote(urlsplit(url).path).rstrip("/")


def _match_href(href: str, asked: list[str]) -> str:
    """The href as we asked for it (servers may answer with another percent-encoding)."""
    for candidate in asked:
        if unquote(candidate) == unquote(href):
            return candidate
    return href


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
