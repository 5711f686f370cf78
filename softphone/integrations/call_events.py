"""Call events -> outbox entries for every target that wants them (webhooks, Bitrix24).

:meth:`CallEventPublisher.publish` runs on the DB worker right after the CRM row changed, with
the row as ``calls list --json`` shows it: the entries are on disk before the worker is woken,
so nothing is lost if the app dies before (or while) sending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from softphone.integrations.outbox import Outbox

log = logging.getLogger("softphone.integrations")


class Target(Protocol):
    name: str

    def operations(self, kind: str, call: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        ...


def call_dict(call: Any) -> dict[str, Any]:
    """A call view (or a dict already) as ``softphone calls list --json`` prints it."""
    if isinstance(call, dict):
        return call
    from softphone.crm.io import to_jsonable

    data = to_jsonable(call)
    assert isinstance(data, dict)
    return data


class CallEventPublisher:
    def __init__(self, outbox: Outbox, targets: Sequence[Target],
                 wake: Callable[[], None] = lambda: None) -> None:
        self.outbox = outbox
        self.targets = list(targets)
        self.wake = wake

    def publish(self, kind: str, call: Any) -> int:
        """Queue ``kind`` (ringing, answered, ended, wrapup) for each target; returns how many
        entries were queued."""
        data = call_dict(call)
        added = 0
        for target in self.targets:
            for operation, payload in target.operations(kind, data):
                self.outbox.add(target.name, operation, payload)
                added += 1
        if added:
            self.wake()
        return added
