"""Events that leave the SIP engine: frozen dataclasses, safe to pass between threads.

The engine calls one listener (``Callable[[SipEvent], None]``) on the SIP thread for each
event; consumers (the call workflow, the UI bridge) must return quickly and hand the event on
to their own thread. These names and fields are a contract between layers: add fields with
defaults, never rename.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RegistrationState(StrEnum):
    UNREGISTERED = "unregistered"
    REGISTERING = "registering"
    REGISTERED = "registered"
    FAILED = "failed"
    LAN = "lan"  # no registrar: direct calls only


class CallState(StrEnum):
    CALLING = "calling"  # outgoing, INVITE sent
    INCOMING = "incoming"  # incoming, not answered yet
    EARLY = "early"  # provisional response (ringing / early media)
    CONNECTING = "connecting"  # answered, waiting for ACK
    CONFIRMED = "confirmed"  # talking
    DISCONNECTED = "disconnected"


class Direction(StrEnum):
    INCOMING = "in"
    OUTGOING = "out"


@dataclass(frozen=True)
class SipEvent:
    """Base of every event; ``at`` is ``time.time()`` when the engine saw it."""

    at: float


@dataclass(frozen=True)
class EngineStarted(SipEvent):
    listen: str  # host:port actually bound
    version: str = ""


@dataclass(frozen=True)
class EngineStopped(SipEvent):
    pass


@dataclass(frozen=True)
class RegistrationChanged(SipEvent):
    account: str
    state: RegistrationState
    code: int = 0  # SIP status of the last REGISTER transaction (200, 401, 403, 408, 503...)
    reason: str = ""
    expires: int = 0
    next_retry_in: float | None = None  # seconds until the engine retries after a failure


@dataclass(frozen=True)
class IncomingCall(SipEvent):
    call_id: int  # engine's handle for commands; unique within the process run
    account: str
    remote_uri: str
    display_name: str
    number: str  # caller's number: P-Asserted-Identity, Remote-Party-ID, else the URI user part
    sip_call_id: str = ""
    waiting: bool = False  # another call is already up: this one is call waiting


@dataclass(frozen=True)
class CallStateChanged(SipEvent):
    call_id: int
    account: str
    direction: Direction
    state: CallState
    remote_uri: str
    display_name: str
    number: str
    code: int = 0  # last SIP status seen for the call (180, 200, 486, 404, 487...)
    reason: str = ""
    held: bool = False  # we put it on hold
    remote_held: bool = False
    muted: bool = False
    local_hangup: bool = False  # at DISCONNECTED: did we end it?
    recording_path: str | None = None
    #: at DISCONNECTED, why it failed when the engine knows better than the SIP reason
    #: phrase: "unencrypted" (the far end cannot do the encryption the account requires)
    end_reason: str = ""


@dataclass(frozen=True)
class CallMediaChanged(SipEvent):
    call_id: int
    active: bool  # audio flows
    held: bool = False
    remote_held: bool = False
    #: "SRTP AES_CM_128_HMAC_SHA1_80" while the audio is encrypted; "" when it is not
    encryption: str = ""


@dataclass(frozen=True)
class DtmfReceived(SipEvent):
    call_id: int
    digit: str
    method: str = "rfc4733"


@dataclass(frozen=True)
class TransferStatus(SipEvent):
    call_id: int
    target: str
    code: int  # NOTIFY sipfrag status from the transferee (100, 180, 200, 4xx...)
    final: bool


@dataclass(frozen=True)
class RecordingFinished(SipEvent):
    """A call recording is complete on disk (the WAV header is final): safe to read."""

    call_id: int
    path: str
    seconds: float = 0.0


@dataclass(frozen=True)
class CallForwarded(SipEvent):
    """An incoming call the engine redirected (302) by a forwarding rule; it never rang here."""

    account: str
    remote_uri: str
    display_name: str
    number: str
    target: str
    rule: str  # always | busy | no_answer


@dataclass(frozen=True)
class CallRejectedByRule(SipEvent):
    """An incoming call refused without ringing (do-not-disturb): logged as missed/rejected."""

    account: str
    remote_uri: str
    display_name: str
    number: str
    code: int
    rule: str  # dnd


@dataclass(frozen=True)
class IncomingCallRefused(SipEvent):
    """An incoming call the SIP stack refused before it could ring (488: no codec in common
    with the caller's offer; 486: no free call slot): logged as a failed incoming call."""

    account: str
    remote_uri: str
    display_name: str
    number: str
    code: int
    reason: str  # the SIP reason phrase sent ("Not Acceptable Here")
    offered: tuple[str, ...] = ()  # the caller's audio codecs ("G726-32/8000")
    sip_call_id: str = ""
    #: the offer had no encryption keys and the account requires encrypted calls (488)
    unencrypted: bool = False


@dataclass(frozen=True)
class CallQuality(SipEvent):
    call_id: int
    codec: str = ""
    rx_loss_percent: float = 0.0
    tx_loss_percent: float = 0.0
    jitter_ms: float | None = 0.0  # None: not measured right (rtcp_clock.py)
    rtt_ms: float = 0.0
    bridge_underruns: int = 0
    bridge_overruns: int = 0
    encryption: str = ""  # as in CallMediaChanged ("" not encrypted)
    ice: str = ""  # the ICE path's local candidate: host, srflx, prflx, relay (TURN); "" no ICE


@dataclass(frozen=True)
class AudioLevels(SipEvent):
    mic: float  # 0.0 .. 1.0 (peak of the last period)
    speaker: float


@dataclass(frozen=True)
class VoiceProcessing(SipEvent):
    """What runs on the call's microphone now (emitted when it changes; all off between
    calls). ``canceller`` names the echo canceller ("WebRTC", "Speex"); ``note`` says why
    something asked for does not run."""

    echo_cancellation: bool
    noise_suppression: bool
    automatic_gain: bool
    canceller: str = ""
    note: str = ""


@dataclass(frozen=True)
class AudioDeviceNotice(SipEvent):
    """Something the user must know about sound: missing PortAudio, a device gone or back."""

    kind: str  # unavailable | device_lost | device_back | fallback
    message: str
    device: str = ""


@dataclass(frozen=True)
class EngineError(SipEvent):
    """A command that could not be carried out; ``message`` is fit to show a user."""

    message: str
    command: str = ""
    call_id: int | None = None
    extras: dict[str, str] = field(default_factory=dict)


# --- the office through the PBX: presence, voicemail, chat (sip/presence.py, messaging.py) ---


@dataclass(frozen=True)
class BuddyPresence(SipEvent):
    """A watched colleague's presence, as the server's NOTIFY (PIDF) says.

    ``state``: available | in_call | away | dnd | offline | unknown (no answer yet, or the
    server refused the subscription: ``code`` then says why, e.g. 403 or 489).
    """

    account: str
    uri: str
    state: str
    note: str = ""
    subscription: str = ""  # the SUBSCRIBE dialog: sent | accepted | pending | active | terminated
    code: int = 0


@dataclass(frozen=True)
class VoicemailStatus(SipEvent):
    """Message-waiting indication (RFC 3842) for an account, subscribed or unsolicited."""

    account: str
    waiting: bool
    new: int = 0
    old: int = 0
    urgent_new: int = 0
    urgent_old: int = 0
    message_account: str = ""  # the mailbox's URI, when the server names it
    subscribed: bool = False  # from our MWI subscription (else an unsolicited NOTIFY)


@dataclass(frozen=True)
class MessageReceived(SipEvent):
    """A SIP MESSAGE (chat) arrived for an account."""

    account: str
    remote_uri: str  # sip:user@host, no display name or parameters
    display_name: str
    number: str  # the URI's user part
    body: str
    content_type: str = "text/plain"


@dataclass(frozen=True)
class MessageStatus(SipEvent):
    """The final answer to a MESSAGE we sent (``Engine.send_message``)."""

    message_id: int
    account: str
    remote_uri: str
    delivered: bool
    code: int  # 200/202 delivered; 404 not registered, 408 no answer, 480, 488...
    reason: str = ""
