"""A registrar that moves: its name now points elsewhere (DNS failover, a provider changing
servers), the old address is gone. PJSIP would only notice at the next refresh (minutes),
and calls meanwhile go to the new server, where we are not registered.

:class:`ServerWatch` looks the name up again every :data:`RECHECK_SECONDS` (off the SIP
thread, through the session's resolver) and registers again as soon as the name no longer
points at the address that answered the last REGISTER. Runs on the SIP thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from softphone.sip.ghost_guard import split_source
from softphone.sip.resolver import HostResolver, is_ip_literal

log = logging.getLogger("softphone.sip")

RECHECK_SECONDS = 20.0


@dataclass
class _Watched:
    host: str
    answered_from: str  # the registrar's IP that answered the last REGISTER
    token: int


class ServerWatch:
    def __init__(self, resolver: HostResolver, schedule: Callable[[float, Callable[[], None]],
                                                                   None],
                 reregister: Callable[[str], None]) -> None:
        self._resolver = resolver
        self._schedule = schedule
        self._reregister = reregister
        self._watched: dict[str, _Watched] = {}
        self._tokens = 0

    def registered(self, account: str, host: str | None, source: str) -> None:
        """``account`` registered with ``host`` (a name, or None) answered from ``source``."""
        if not host or is_ip_literal(host) or host == "localhost":
            self.forget(account)
            return
        answered = split_source(source)[0] if source else ""
        self._tokens += 1
        watched = _Watched(host, answered, self._tokens)
        self._watched[account] = watched
        self._schedule(RECHECK_SECONDS, lambda: self._recheck(account, watched))

    def forget(self, account: str) -> None:
        self._watched.pop(account, None)

    def _recheck(self, account: str, watched: _Watched) -> None:
        if self._watched.get(account) is not watched:
            return  # registered again (a new watch) or forgotten meanwhile

        def resolved(error: str | None) -> None:
            if self._watched.get(account) is not watched:
                return
            addresses = self._resolver.addresses(watched.host)
            if (error is None and addresses and watched.answered_from
                    and watched.answered_from not in addresses):
                log.warning("%s now points at %s, not at %s which registered us: "
                            "registering %s again", watched.host, ", ".join(addresses),
                            watched.answered_from, account)
                self.forget(account)
                self._reregister(account)
                return
            self._schedule(RECHECK_SECONDS, lambda: self._recheck(account, watched))

        self._resolver.resolve(watched.host, resolved, fresh=True)
