"""The company phone book over LDAP (OpenLDAP, Active Directory, FreeIPA ...): who is calling,
and people by name, for numbers and names the CRM does not know.

Every query opens its own connection with ``timeout`` on connect, bind and answer, so a
directory that is down or slow costs at most that; callers run queries off the UI thread.
Phone numbers in directories are written any way people like (``+7 (495) 123-45-67``,
``495.123.4567``): the server is asked for entries whose phone attributes contain the number's
last seven digits in order with anything in between, and each candidate is checked here with
the CRM's own normalisation (same E.164, or same national number), so the card never shows a
stranger whose number merely ends the same.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from softphone.crm.phones import digits_of, normalize

log = logging.getLogger("softphone.integrations.ldap")

_EXTRA_ATTRIBUTES = ("mail", "title", "o", "ou", "company", "department")
SUFFIX_DIGITS = 7


class DirectoryError(Exception):
    """The directory could not be asked (unreachable, refused the bind, bad base DN)."""


@dataclass(frozen=True)
class DirectoryEntry:
    name: str
    phones: tuple[str, ...]
    emails: tuple[str, ...] = ()
    company: str | None = None
    department: str | None = None
    title: str | None = None
    dn: str = ""
    #: the directory's number that matched the caller (for the card)
    matched_phone: str | None = None

    @property
    def company_line(self) -> str:
        return " · ".join(x for x in (self.title, self.department, self.company) if x)


def _escape(text: str) -> str:
    from ldap3.utils.conv import escape_filter_chars

    return str(escape_filter_chars(text))


class LdapDirectory:
    def __init__(self, url: str, base_dn: str, *, bind_dn: str | None = None,
                 password: str | None = None, timeout: float = 2.0,
                 phone_attributes: tuple[str, ...] = ("telephoneNumber", "mobile"),
                 name_attributes: tuple[str, ...] = ("displayName", "cn"),
                 extra_filter: str = "(objectClass=*)", verify_tls: bool = True,
                 region: str = "US") -> None:
        self.url = url
        self.base_dn = base_dn
        self.bind_dn = bind_dn
        self.password = password
        self.timeout = timeout
        self.phone_attributes = phone_attributes
        self.name_attributes = name_attributes
        self.extra_filter = extra_filter
        self.verify_tls = verify_tls
        self.region = region

    # --- queries ----------------------------------------------------------------------------
    def find_number(self, number: str) -> DirectoryEntry | None:
        """The person whose phone in the directory is ``number`` (None: nobody, or unsure)."""
        wanted = normalize(number, self.region)
        if wanted.kind in ("withheld", "invalid", "short") or not wanted.national:
            return None
        digits = wanted.national
        if wanted.kind == "extension":
            clauses = [f"({a}={_escape(digits)})" for a in self.phone_attributes]
        else:
            pattern = "*" + "*".join(digits[-SUFFIX_DIGITS:])
            clauses = [f"({a}={pattern})" for a in self.phone_attributes]
        found = []
        for entry in self._search(f"(|{''.join(clauses)})", limit=50):
            for phone in entry.phones:
                if _same_number(wanted, phone, self.region):
                    found.append(_with_match(entry, phone))
                    break
        if len({e.dn for e in found}) > 1:
            log.info("directory: %d people have %s; the first is shown", len(found), number)
        return found[0] if found else None

    def search(self, text: str, limit: int = 20) -> list[DirectoryEntry]:
        """People whose name (or e-mail, or number) contains ``text``."""
        text = text.strip()
        if len(text) < 2:
            return []
        digits = digits_of(text)
        if len(digits) >= 3 and len(digits) >= len(text.replace(" ", "")) - 3:
            pattern = "*" + "*".join(digits) + "*"
            clauses = [f"({a}={pattern})" for a in self.phone_attributes]
        else:
            value = _escape(text)
            clauses = [f"({a}=*{value}*)" for a in self.name_attributes]
            clauses += [f"(mail={value}*)", f"(sn={value}*)", f"(givenName={value}*)"]
        entries = self._search(f"(|{''.join(clauses)})", limit=limit)
        return sorted(entries, key=lambda e: e.name.casefold())[:limit]

    def check(self) -> int:
        """Bind and count up to 1000 entries under the base (``softphone directory test``)."""
        return len(self._search("(objectClass=*)", limit=1000))

    # --- the protocol -----------------------------------------------------------------------
    def _search(self, query: str, limit: int) -> list[DirectoryEntry]:
        import ldap3
        from ldap3.core.exceptions import LDAPException

        full = f"(&{self.extra_filter}{query})"
        attributes = [*self.name_attributes, *self.phone_attributes, *_EXTRA_ATTRIBUTES]
        try:
            # ldap3 sets SO_RCVTIMEO from whole seconds; callers bound the wait themselves
            conn = ldap3.Connection(self._server(), user=self.bind_dn, password=self.password,
                                    read_only=True, receive_timeout=math.ceil(self.timeout),
                                    raise_exceptions=True, auto_bind=False)
            try:
                conn.open()
                conn.bind()
                conn.search(self.base_dn, full, search_scope=ldap3.SUBTREE,
                            attributes=attributes, size_limit=limit,
                            time_limit=max(1, int(self.timeout + 0.999)))
                rows = list(conn.response or [])
            finally:
                conn.unbind()
                # ldap3 keeps the socket of a connect that failed open: one descriptor lost
                # per lookup while the directory is down, unless closed here
                leftover = getattr(conn, "socket", None)
                if leftover is not None:
                    leftover.close()
        except LDAPException as exc:
            name = type(exc).__name__
            if name in ("LDAPSizeLimitExceededResult",):
                rows = []
            else:
                raise DirectoryError(_describe(exc, self.url)) from None
        except OSError as exc:
            raise DirectoryError(f"{self.url}: {exc.strerror or exc}") from None
        return [e for row in rows if row.get("type") == "searchResEntry"
                if (e := self._entry(row)) is not None]

    def _server(self) -> Any:
        import ldap3

        parts = urlsplit(self.url)
        use_ssl = parts.scheme.lower() == "ldaps"
        tls = None
        if use_ssl:
            import ssl

            tls = ldap3.Tls(validate=ssl.CERT_REQUIRED if self.verify_tls else ssl.CERT_NONE)
        return ldap3.Server(parts.hostname or "", port=parts.port or (636 if use_ssl else 389),
                            use_ssl=use_ssl, tls=tls, get_info=ldap3.NONE,
                            connect_timeout=self.timeout)

    def _entry(self, row: dict[str, Any]) -> DirectoryEntry | None:
        attrs = {k.lower(): v for k, v in (row.get("attributes") or {}).items()}

        def values(name: str) -> list[str]:
            value = attrs.get(name.lower())
            if value is None:
                return []
            items = value if isinstance(value, list) else [value]
            return [str(v).strip() for v in items if str(v).strip()]

        def first(*names: str) -> str | None:
            for name in names:
                found = values(name)
                if found:
                    return found[0]
            return None

        name = first(*self.name_attributes)
        phones = tuple(dict.fromkeys(p for a in self.phone_attributes for p in values(a)))
        if not name:
            return None
        return DirectoryEntry(name=name, phones=phones, emails=tuple(values("mail")),
                              company=first("company", "o"),
                              department=first("department", "ou"),
                              title=first("title"), dn=str(row.get("dn", "")))


def _same_number(wanted: Any, phone: str, region: str) -> bool:
    other = normalize(phone, region)
    if wanted.e164 and other.e164:
        return bool(wanted.e164 == other.e164)
    return bool(wanted.national and wanted.national == other.national)


def _with_match(entry: DirectoryEntry, phone: str) -> DirectoryEntry:
    from dataclasses import replace

    return replace(entry, matched_phone=phone)


def _describe(exc: BaseException, url: str) -> str:
    text = str(exc) or type(exc).__name__
    for hint, say in (("invalidCredentials", "the directory refused the user name or password"),
                      ("noSuchObject", "the base DN does not exist on this server"),
                      ("socket", "cannot reach the directory"),
                      ("timed out", "the directory did not answer in time"),
                      ("timeout", "the directory did not answer in time")):
        if hint.lower() in text.lower() or hint.lower() in type(exc).__name__.lower():
            return f"{url}: {say} ({text})"
    return f"{url}: {text}"
