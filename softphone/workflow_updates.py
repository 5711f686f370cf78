"""What the call workflow (:mod:`softphone.workflow`) tells the UI: the calls as it knows them
(:class:`CallInfo` with the CRM's :class:`CallerInfo`) and one frozen event per thing that
changed. The window handles each event type; a :class:`DataChanged` names the tables that
changed, so views reload only what shows them. Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from softphone.crm.views import CallView, ContactView, DealView, Match, TaskView
from softphone.sip.events import CallState, Direction, IncomingCallRefused
from softphone.workflow_ports import DirectoryPerson

#: a call's quality figures: codec, loss %, jitter and round trip (ms), encryption, ICE path
QualityFigures = dict[str, str | float]


class CallRow:
    """A call's CRM row. ``id`` is written on the DB worker when the row is; DB jobs run in
    submission order, so a later job of the same call (answer, end, the wrap-up) reads it
    there. The wrap-up gets this handle when it opens: it needs no id to arrive later."""

    __slots__ = ("id",)

    def __init__(self, row_id: int | None = None) -> None:
        self.id = row_id

    def __repr__(self) -> str:
        return f"CallRow({self.id})"


@dataclass(frozen=True)
class CallerInfo:
    """What the CRM knows about the other party: the lookup match and its context."""

    match: Match | None = None
    last_call: CallView | None = None  # the previous call with this contact/number
    tasks: tuple[TaskView, ...] = ()
    deals: tuple[DealView, ...] = ()
    #: the company directory's entry (LDAP) when the CRM does not know the caller
    directory: DirectoryPerson | None = None

    @property
    def contact(self) -> ContactView | None:
        return self.match.contact if self.match is not None else None

    @property
    def known(self) -> bool:
        m = self.match
        return m is not None and (m.contact is not None or bool(m.people))


@dataclass(frozen=True)
class CallInfo:
    call_id: int
    account: str
    direction: Direction
    state: CallState
    number: str
    remote_uri: str
    display_name: str
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    waiting: bool = False
    held: bool = False
    remote_held: bool = False
    muted: bool = False
    recording_path: str | None = None
    code: int = 0
    reason: str = ""
    outcome: str | None = None
    caller: CallerInfo | None = None
    quality: QualityFigures = field(default_factory=dict)
    row: CallRow = field(default_factory=CallRow)  # the CRM call row (its id once written)
    early_media: bool = False  # an outgoing call plays the far end's audio before the answer

    @property
    def active(self) -> bool:
        return self.state != CallState.DISCONNECTED

    @property
    def ringing_in(self) -> bool:
        """An incoming call that rings here: not answered (nor being answered) yet."""
        return (self.direction == Direction.INCOMING and self.answered_at is None
                and self.state in (CallState.INCOMING, CallState.EARLY))

    @property
    def title(self) -> str:
        """Best name for the other party: contact, display name, then number."""
        contact = self.caller.contact if self.caller else None
        if contact is not None:
            return str(contact.name)
        if self.caller is not None and self.caller.directory is not None:
            return str(self.caller.directory.name)
        return self.display_name or self.number or self.remote_uri


# ---------------------------------------------------------------------------------------------
# The events


@dataclass(frozen=True)
class CallChanged:
    """A call appeared or changed (state, hold, mute, quality figures, media)."""

    call: CallInfo


@dataclass(frozen=True)
class CallerFound:
    """The CRM's answer about the other party (or the directory's) arrived: ``call.caller``."""

    call: CallInfo


@dataclass(frozen=True)
class CallEnded:
    """The call is over (``call.outcome``); ``wrapup``: offer the wrap-up."""

    call: CallInfo
    wrapup: bool


@dataclass(frozen=True)
class DataChanged:
    """Rows of these tables changed (``crm.models`` table names): views showing them
    reload."""

    tables: frozenset[str]


@dataclass(frozen=True)
class WorkflowError:
    """A CRM job failed; ``message`` is fit for the user."""

    message: str


@dataclass(frozen=True)
class CallRefused:
    """An incoming call the SIP stack refused (no common codec): tell the agent."""

    event: IncomingCallRefused


WorkflowUpdate = CallChanged | CallerFound | CallEnded | DataChanged | WorkflowError | CallRefused
