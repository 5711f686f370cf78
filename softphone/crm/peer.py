"""Which conversation a SIP address belongs to (pure; no database, so the UI may import it
at start without loading SQLAlchemy)."""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["peer_key"]

_URI = re.compile(r"^(?:sips?|tel):(?:(?P<user>[^@;?]*)@)?(?P<host>[^;?>]*)", re.IGNORECASE)


def peer_key(uri: str) -> str:
    """The conversation a URI belongs to: ``user@host`` (host lower-case, no port, no
    parameters); a ``tel:`` URI or a bare number is its digits."""
    text = uri.strip()
    if "<" in text:  # a name-addr: "Bob" <sip:bob@h>
        text = text.split("<", 1)[1].split(">", 1)[0]
    m = _URI.match(text.strip())
    if m is None:
        return text.lower()[:300]
    user = unquote(m.group("user") or "")
    host = (m.group("host") or "").lower()
    if text.lower().startswith("tel:"):
        return host[:300]  # tel:+7495... has no host: the "host" is the number
    if host.startswith("["):
        host = host.split("]", 1)[0] + "]"
    else:
        host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return (f"{user}@{host}" if user else host)[:300]
