"""Message-waiting indication (RFC 3842): the ``application/simple-message-summary`` body.

Pure logic (no pjsua2): :func:`parse_message_summary` reads the body of a NOTIFY, however a
server lays it out (header case, spacing, missing parts, other message classes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MessageSummary", "message_body", "parse_message_summary"]

_COUNTS = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*(?:\(\s*(\d+)\s*/\s*(\d+)\s*\))?")


@dataclass(frozen=True)
class MessageSummary:
    waiting: bool
    new: int = 0
    old: int = 0
    urgent_new: int = 0
    urgent_old: int = 0
    message_account: str = ""


def message_body(whole_message: str) -> str:
    """The body of a SIP message as text (after the first empty line)."""
    for separator in ("\r\n\r\n", "\n\n"):
        _head, found, body = whole_message.partition(separator)
        if found:
            return body
    return ""


def parse_message_summary(body: str) -> MessageSummary | None:
    """The summary in ``body``; None when it has no ``Messages-Waiting`` line.

    Voice messages are counted (``Voice-Message: new/old (urgent new/urgent old)``); a body
    that names no voice class counts the messages of every class it lists, so a server that
    reports only, say, ``Multimedia-Message`` still shows a number.
    """
    waiting: bool | None = None
    account = ""
    voice: tuple[int, int, int, int] | None = None
    totals = [0, 0, 0, 0]
    for line in body.splitlines():
        name, colon, value = line.partition(":")
        if not colon:
            continue
        name = name.strip().lower()
        value = value.strip()
        if name == "messages-waiting":
            waiting = value.lower() == "yes"
        elif name == "message-account":
            account = value
        elif name.endswith("-message"):
            m = _COUNTS.match(value)
            if m is None:
                continue
            counts = tuple(int(g) if g is not None else 0 for g in m.groups())
            if name == "voice-message":
                voice = counts  # type: ignore[assignment]
            for i, n in enumerate(counts):
                totals[i] += n
    if waiting is None:
        return None
    new, old, urgent_new, urgent_old = voice if voice is not None else totals
    return MessageSummary(waiting=waiting, new=new, old=old, urgent_new=urgent_new,
                          urgent_old=urgent_old, message_account=account)
