"""The office, wired for the app (Qt-free): colleagues' presence plus the shared CRM feed.

The composition root creates one :class:`Office` after the SIP engine started (it needs the
address the engine actually bound), passes SIP events to :meth:`Office.on_sip_event` (our
presence state follows our calls) and stops it at shutdown, before the engine::

    office = Office(settings, listen=engine.listen_address, agent=agent,
                    on_colleagues=bridge.colleagues_changed.emit,   # queued into Qt
                    on_change=bridge.crm_changed.emit)
    office.start()
    ...
    office.on_sip_event(event)        # from the SIP listener (cheap: only enqueues)
    office.set_dnd(True)              # the DND toggle
    ...
    office.stop()

Both callbacks run on background threads; connect them to Qt signals (queued connections).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from softphone.office.presence import Colleague, Presence, PresenceError, presence_from_settings

if TYPE_CHECKING:
    from softphone.crm.changes import Change, ChangeFeed
    from softphone.settings import Settings

log = logging.getLogger("softphone.office")


def split_listen(listen: str) -> tuple[str, int]:
    """``"10.0.0.5:5060"`` / ``"[fd00::1]:5060"`` -> (host, port)."""
    m = re.match(r"^\[?([^\]]*?)\]?:(\d+)$", listen.strip())
    if not m:
        raise ValueError(f"expected host:port, got {listen!r}")
    return m.group(1), int(m.group(2))


class CallActivity:
    """Which presence state our calls imply: ``in_call`` while any call is dialling or
    connected (a call still ringing here does not count), ``dnd`` when do-not-disturb is on,
    else ``available``."""

    def __init__(self, dnd: bool = False) -> None:
        self.dnd = dnd
        self._busy: set[int] = set()
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        if self.dnd:
            return "dnd"
        with self._lock:
            return "in_call" if self._busy else "available"

    def on_sip_event(self, event: Any) -> bool:
        """Update from a SIP event; True when :attr:`state` may have changed."""
        call_id = getattr(event, "call_id", None)
        state = str(getattr(event, "state", ""))
        if type(event).__name__ != "CallStateChanged" or call_id is None:
            return False
        ringing_here = state == "incoming" or (
            state == "early" and str(getattr(event, "direction", "")) == "in")
        with self._lock:
            before = bool(self._busy)
            if state == "disconnected" or ringing_here:
                self._busy.discard(call_id)
            else:
                self._busy.add(call_id)
            return before != bool(self._busy)


class Office:
    """Presence for the LAN account (if any) and the change feed of a shared database."""

    def __init__(
        self,
        settings: Settings,
        *,
        listen: str,
        on_colleagues: Callable[[list[Colleague]], None],
        on_change: Callable[[Change], None] | None = None,
        agent: str | None = None,
        database_url: str | None = None,
    ) -> None:
        self.settings = settings
        #: the database whose changes are fed: ``[crm] database_url``, or the embedded one
        self.database_url = database_url or settings.crm.database_url
        self.listen = listen
        self.agent = agent
        self._on_colleagues = on_colleagues
        self._on_change = on_change
        self.activity = CallActivity(dnd=settings.calls.dnd)
        self.presence: Presence | None = None
        self.feed: ChangeFeed | None = None
        self.problems: list[str] = []

    def start(self) -> None:
        """Start what applies; problems are logged and kept in :attr:`problems` (never
        raised: the phone works without the office features)."""
        try:
            host, port = split_listen(self.listen)
            self.presence = presence_from_settings(
                self.settings, host, port, self._on_colleagues, name=self.agent,
                state=self.activity.state)
            if self.presence is not None:
                self.presence.start()
        except (PresenceError, ValueError, OSError) as exc:
            self.presence = None
            self.problems.append(f"colleagues cannot be found: {exc}")
            log.warning("office: %s", self.problems[-1])
        url = self.database_url
        if self._on_change is not None and url:
            from softphone.crm.changes import ChangeFeed

            self.feed = ChangeFeed(url, self._on_change)
            self.feed.start()

    def on_sip_event(self, event: Any) -> None:
        if self.activity.on_sip_event(event) and self.presence is not None:
            self.presence.set_state(self.activity.state)

    def set_dnd(self, dnd: bool) -> None:
        self.activity.dnd = dnd
        if self.presence is not None:
            self.presence.set_state(self.activity.state)

    def stop(self, timeout: float = 5.0) -> None:
        if self.presence is not None:
            self.presence.stop(timeout)
            self.presence = None
        if self.feed is not None:
            self.feed.stop(timeout)
            self.feed = None
