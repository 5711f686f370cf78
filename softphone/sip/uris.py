"""SIP URIs, dial targets and caller identity: pure string logic, no pjsua2.

Everything here is used on the caller's thread (to reject bad input before anything is
queued) and on the SIP thread (to read an INVITE), so it must stay free of side effects.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote


class InvalidTarget(ValueError):
    """A dial or forwarding target that is not a SIP URI, a user@host or a phone number."""


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = rf"{_LABEL}(?:\.{_LABEL})*\.?"
_IPV4 = r"(?:\d{1,3}\.){3}\d{1,3}"
_IPV6 = r"\[[0-9A-Fa-f:.]+\]"
_HOST = rf"(?:{_IPV6}|{_IPV4}|{_HOSTNAME})"
# RFC 3261 user: unreserved, escaped and user-unreserved characters.
_USER = r"(?:[A-Za-z0-9\-_.!~*'()&=+$,;?/]|%[0-9A-Fa-f]{2})+"
_PARAMS = r"(?:;[A-Za-z0-9\-_.!~*'()%\[\]/:&+$]+(?:=[A-Za-z0-9\-_.!~*'()%\[\]/:&+$]*)?)*"
_HEADERS = r"(?:\?[^\s<>\"]*)?"
_SIP_URI_RE = re.compile(
    rf"^(?P<scheme>sips?):(?:(?P<user>{_USER})(?::[^@\s]*)?@)?(?P<host>{_HOST})"
    rf"(?::(?P<port>\d{{1,5}}))?(?P<params>{_PARAMS}){_HEADERS}$",
    re.IGNORECASE,
)
_USER_AT_HOST_RE = re.compile(rf"^{_USER}@{_HOST}(?::\d{{1,5}})?{_PARAMS}$")
# Characters people type inside phone numbers that carry no meaning.
_NUMBER_NOISE = re.compile(r"[\s\-().\u00a0/]")
_NUMBER_RE = re.compile(r"^\+?[0-9*#]+$")
_EXTENSION_RE = re.compile(r"^[A-Za-z][A-Za-z0-9._~-]*$")
_WITHHELD = {"anonymous", "unknown", "restricted", "unavailable", "private", "withheld"}


@dataclass(frozen=True)
class SipUri:
    scheme: str
    user: str
    host: str
    port: int | None
    params: str

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host


@functools.lru_cache(maxsize=256)  # pure; dial() runs it on every call
def parse_sip_uri(uri: str) -> SipUri:
    """Split a ``sip:``/``sips:`` URI; raises :class:`InvalidTarget` with a reason."""
    text = uri.strip()
    m = _SIP_URI_RE.match(text)
    if not m:
        raise InvalidTarget(f"not a valid SIP address: {uri!r} (expected sip:user@host[:port])")
    port = int(m.group("port")) if m.group("port") else None
    if port is not None and not 0 < port <= 65535:
        raise InvalidTarget(f"port out of range in {uri!r}")
    host = m.group("host")
    if re.fullmatch(_IPV4, host) and any(int(p) > 255 for p in host.split(".")):
        raise InvalidTarget(f"not a valid IP address in {uri!r}")
    return SipUri(
        scheme=m.group("scheme").lower(),
        user=unquote(m.group("user") or ""),
        host=host,
        port=port,
        params=m.group("params") or "",
    )


@functools.lru_cache(maxsize=256)  # pure; dial() runs it on every call
def account_domain(address: str) -> str | None:
    """The host[:port] numbers are dialled on, from an account address; None for 0.0.0.0."""
    try:
        uri = parse_sip_uri(address)
    except InvalidTarget:
        return None
    if uri.host in ("0.0.0.0", "[::]", "::"):
        return None
    return uri.hostport


def normalize_number(text: str) -> str | None:
    """``+7 (495) 123-45-67`` -> ``+74951234567``; None when ``text`` is not a number."""
    compact = _NUMBER_NOISE.sub("", text.strip())
    if compact and _NUMBER_RE.match(compact) and any(c.isdigit() for c in compact):
        return compact
    return None


@functools.lru_cache(maxsize=256)  # pure; dial() runs it on every call
def target_to_uri(target: str, domain: str | None, transport: str = "udp") -> str:
    """Turn what a user typed into a SIP URI to dial; raises :class:`InvalidTarget`.

    Accepted: a ``sip:``/``sips:`` URI, ``user@host[:port]``, a phone number (made into
    ``sip:NUMBER@domain``: spaces, dashes and brackets dropped) or, on an account with a
    domain, a bare extension name. ``transport`` (tcp/tls) is added to URIs built here so a
    number dialled on a TCP account leaves over TCP.
    """
    text = target.strip()
    if not text:
        raise InvalidTarget("nothing to dial: the number or address is empty")
    if any(c in text for c in "\r\n\t<>\""):
        raise InvalidTarget(f"not a valid SIP address: {target!r}")
    lowered = text.lower()
    if lowered.startswith(("sip:", "sips:")):
        parse_sip_uri(text)
        return text
    if lowered.startswith("tel:"):
        number = normalize_number(unquote(text[4:].split(";", 1)[0]))
        if number is None:
            raise InvalidTarget(f"not a valid tel: number: {target!r}")
        return _on_domain(number, domain, target, transport)
    if "@" in text:
        if not _USER_AT_HOST_RE.match(text):
            raise InvalidTarget(f"not a valid SIP address: {target!r} (expected user@host[:port])")
        uri = f"sip:{text}"
        parse_sip_uri(uri)
        return _with_transport(uri, transport)
    number = normalize_number(text)
    if number is not None:
        return _on_domain(number, domain, target, transport)
    if _EXTENSION_RE.match(text):
        return _on_domain(text, domain, target, transport)
    raise InvalidTarget(
        f"not a phone number or SIP address: {target!r} (expected a number, user@host or sip:URI)"
    )


def _on_domain(user: str, domain: str | None, target: str, transport: str) -> str:
    if not domain:
        raise InvalidTarget(
            f"cannot dial {target!r} without a server: this account has no domain; "
            "dial a full address (sip:user@host:port)"
        )
    # '#' must be escaped in a URI user part; '*' and '+' may stay.
    return _with_transport(f"sip:{user.replace('#', '%23')}@{domain}", transport)


def _with_transport(uri: str, transport: str) -> str:
    if transport in ("tcp", "tls") and ";transport=" not in uri.lower():
        return f"{uri};transport={transport}"
    return uri


# ---------------------------------------------------------------------------------------------
# Reading SIP messages

_COMPACT = {
    "f": "from", "t": "to", "m": "contact", "i": "call-id", "v": "via", "l": "content-length",
}


def parse_headers(message: str) -> dict[str, list[str]]:
    """Header values of a SIP message by lower-case name (compact forms expanded, folded
    lines joined); the start line and body are skipped."""
    head = re.split(r"\r?\n\r?\n", message, maxsplit=1)[0]
    lines = re.split(r"\r?\n", head)[1:]
    headers: dict[str, list[str]] = {}
    last: tuple[str, int] | None = None
    for line in lines:
        if line[:1] in (" ", "\t") and last is not None:
            name, index = last
            headers[name][index] += " " + line.strip()
            continue
        if ":" not in line:
            continue
        name, value = line.split(":", 1)
        key = name.strip().lower()
        key = _COMPACT.get(key, key)
        headers.setdefault(key, []).append(value.strip())
        last = (key, len(headers[key]) - 1)
    return headers


def split_header_values(value: str) -> list[str]:
    """Split a comma-separated header into values, ignoring commas inside quotes and <>."""
    parts: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    previous = ""
    for ch in value:
        if ch == '"' and previous != "\\":
            quoted = not quoted
        elif not quoted and ch == "<":
            depth += 1
        elif not quoted and ch == ">":
            depth = max(0, depth - 1)
        if ch == "," and not quoted and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        previous = ch
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def parse_name_addr(value: str) -> tuple[str, str]:
    """``"Alice" <sip:alice@h>;tag=x`` -> ("Alice", "sip:alice@h"); a bare URI loses its
    header parameters (``;tag=``) as RFC 3261 says."""
    text = value.strip()
    m = re.match(r'^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^>]*)>', text)
    if m:
        display = m.group(1) if m.group(1) is not None else (m.group(2) or "")
        display = re.sub(r"\\(.)", r"\1", display).strip()
        return display, m.group(3).strip()
    return "", text.split(";", 1)[0].strip()


@functools.lru_cache(maxsize=256)  # pure; every call's set-up runs it on the SIP thread
def number_from_uri(uri: str) -> str:
    """The caller's number from a ``tel:`` or ``sip:`` URI: ``sip:+7495...@h;user=phone`` ->
    ``+7495...``; withheld identities (anonymous...) give ""."""
    text = uri.strip()
    lowered = text.lower()
    if lowered.startswith("tel:"):
        user = text[4:]
    elif lowered.startswith(("sip:", "sips:")):
        rest = text.split(":", 1)[1]
        if "@" not in rest:
            return ""
        user = rest.rsplit("@", 1)[0]
    else:
        return ""
    user = unquote(user.split(";", 1)[0].split(":", 1)[0]).strip()
    if user.lower() in _WITHHELD:
        return ""
    compact = normalize_number(user)
    return compact if compact is not None else user


def valid_text(text: str) -> str:
    """``text`` with the bytes that were not UTF-8 (SWIG hands them over as lone surrogates)
    turned into U+FFFD: such a string cannot be logged, stored in the database or shown."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "replace")
    return raw.decode("utf-8", "replace")


@dataclass(frozen=True)
class CallerIdentity:
    display_name: str
    uri: str
    number: str
    source: str  # p-asserted-identity | remote-party-id | from


def caller_identity(message: str) -> CallerIdentity:
    """Who is calling, from an INVITE's text.

    The number comes from P-Asserted-Identity (a ``tel:`` value preferred), then
    Remote-Party-ID, then the From URI's user part; the display name from From, else from the
    identity header.
    """
    headers = parse_headers(valid_text(message))
    from_display, from_uri = parse_name_addr(headers.get("from", [""])[0])
    for name in ("p-asserted-identity", "remote-party-id"):
        values = [v for raw in headers.get(name, []) for v in split_header_values(raw)]
        parsed = [parse_name_addr(v) for v in values]
        # A tel: URI is the network's own statement of the number: prefer it.
        parsed.sort(key=lambda pair: 0 if pair[1].lower().startswith("tel:") else 1)
        for display, uri in parsed:
            number = number_from_uri(uri)
            if number:
                return CallerIdentity(
                    display_name=from_display or display,
                    uri=from_uri or uri,
                    number=number,
                    source=name,
                )
    return CallerIdentity(
        display_name=from_display, uri=from_uri, number=number_from_uri(from_uri), source="from"
    )


# ---------------------------------------------------------------------------------------------
# Links (tel:, callto:, sip:) from the command line, the desktop and the instance server

_LINK_NOISE = re.compile(r"[\s\-().\u00a0/\u2010-\u2015]")


class BadTarget(ValueError):
    """A link or command-line target that cannot be dialled; the message says why."""


def _link_number(text: str) -> str | None:
    compact = _LINK_NOISE.sub("", text)
    if compact and _NUMBER_RE.match(compact) and any(c.isdigit() for c in compact):
        return compact
    return None


def decode_dial_target(text: str) -> str:
    """What to dial for a command-line argument or a clicked link.

    * ``tel:+7-495-123-45-67`` / ``tel:+74951234567;ext=12`` (RFC 3966) -> ``+74951234567``
      (visual separators and parameters dropped, ``%xx`` decoded);
    * ``callto://+7 495 123 45 67`` / ``callto:+7495...`` -> ``+74951234567``;
      ``callto:user@host`` -> ``user@host``; ``callto:sip:...`` -> the SIP URI;
    * ``sip:``/``sips:`` URIs are kept, minus a ``//`` after the scheme and any ``?headers``
      part (a web page must not be able to add SIP headers to a call);
    * anything else (a typed number, an extension, ``user@host``) is returned stripped, as typed.

    Raises :class:`BadTarget` for an empty target or a ``tel:`` link without a number.
    """
    target = text.strip()
    lowered = target.lower()
    if lowered.startswith("tel:"):
        body = unquote(target[4:].lstrip("/").split(";", 1)[0].split("?", 1)[0])
        number = _link_number(body)
        if number is None:
            raise BadTarget(f"not a phone number: {text!r}")
        return number
    if lowered.startswith("callto:"):
        body = unquote(target[7:].lstrip("/").split("?", 1)[0]).strip()
        if body.lower().startswith(("sip:", "sips:", "tel:")):
            return decode_dial_target(body)
        number = _link_number(body)
        if number is not None:
            return number
        if not body:
            raise BadTarget(f"nothing to dial in {text!r}")
        return body
    if lowered.startswith(("sip:", "sips:")):
        scheme, rest = target.split(":", 1)
        rest = rest.lstrip("/").split("?", 1)[0]
        if not rest:
            raise BadTarget(f"nothing to dial in {text!r}")
        return f"{scheme.lower()}:{rest}"
    if not target:
        raise BadTarget("nothing to dial: the number or address is empty")
    return target
