"""Call handling on the SIP thread: commands (dial, answer, hold...) and call callbacks.

:class:`CallOps` is a part of the session (``SipSession.call_ops``), given what it works with:
the call table, the media and security parts, the accounts, the audio backend, the ghost-call
guard, the host resolver, the timers and the event sink. Every method runs on the SIP thread.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from softphone.sip import events as ev
from softphone.sip.accounts import first_hop_host
from softphone.sip.call_media import CallMedia
from softphone.sip.call_security import CallSecurity
from softphone.sip.calls import (
    PJ_STATES,
    CallError,
    CallRecord,
    CallTable,
    EngineCall,
    audio_media_status,
    read_quality,
    wire_recorder,
)
from softphone.sip.codecs import reported_loss
from softphone.sip.events import CallState, Direction
from softphone.sip.final_answers import FinalAnswers
from softphone.sip.ghost_guard import ACK_DEADLINE
from softphone.sip.media_sockets import KeyLedger, MediaKeys, media_keys, widest_keys
from softphone.sip.rules import IncomingAction, decide_incoming
from softphone.sip.uris import (
    InvalidTarget,
    caller_identity,
    number_from_uri,
    parse_name_addr,
    target_to_uri,
)

if TYPE_CHECKING:
    from softphone.settings import CallSettings
    from softphone.sip.accounts import AccountState, EngineAccount
    from softphone.sip.audio_guard import GuardedAudio
    from softphone.sip.ghost_guard import GhostGuard
    from softphone.sip.resolver import HostResolver

log = logging.getLogger("softphone.sip")

# Longest an incoming call may ring: proxies give up after 3 minutes (RFC 3261 timer C).
RING_TIMEOUT = 180.0


class CallOps:
    """Call set-up, commands and call callbacks (the :class:`CallCallbacks` of each call)."""

    def __init__(self, *, table: CallTable, media: CallMedia, security: CallSecurity,
                 accounts: Mapping[str, AccountState], audio: GuardedAudio, guard: GhostGuard,
                 resolver: HostResolver, call_settings: CallSettings,
                 allocate_call_id: Callable[[], int],
                 schedule: Callable[[float, Callable[[], None]], None],
                 emit: Callable[[ev.SipEvent], None], graveyard: list[Any]) -> None:
        self.table = table
        self.calls = table.calls
        self.media = media
        self.security = security
        self.accounts = accounts
        self.audio = audio
        self.guard = guard
        self.resolver = resolver
        #: replaced as a whole when the settings change (the engine's set_call_settings)
        self.call_settings = call_settings
        self.allocate_call_id = allocate_call_id
        self.schedule = schedule
        self.emit = emit
        self.graveyard = graveyard  # pjsua2 objects to drop outside their own callback
        self.final_answers = FinalAnswers(schedule)  # refusals and 302s, paced in a flood
        self.ringing = False
        #: PJSIP's ioqueue keys held by ended calls: pacing of new dials (media_sockets.py)
        self.key_ledger = KeyLedger()

    def _hold_others(self, keep: CallRecord) -> None:
        """One conversation at a time: put the other talking calls on hold (call waiting)."""
        for other in self.table.others_up(keep):
            if (other.call is not None and other.state is CallState.CONFIRMED and not other.held
                    and not (keep.call_id in self.media.conference_ids
                             and other.call_id in self.media.conference_ids)):
                try:
                    other.call.setHold(pj.CallOpParam(True))
                except pj.Error as exc:
                    log.info("could not hold call %s: %s", other.call_id, exc.reason)

    def _update_ringing(self) -> None:
        ringing = any(r.ringing_in and not r.silent for r in self.calls.values())
        if self.ringing and not ringing:
            self.audio.stop_ringing()
        self.ringing = ringing

    # --- outgoing ------------------------------------------------------------------------
    def dial(self, call_id: int, uri: str, account_name: str) -> None:
        state = self.accounts[account_name]
        record = CallRecord(
            call_id=call_id, account=account_name, direction=Direction.OUTGOING, call=None,
            remote_uri=uri, number=number_from_uri(uri), state=CallState.CALLING,
        )
        self.calls[call_id] = record
        host = first_hop_host(state.settings, uri)
        if host and self.resolver.needs_lookup(host):
            self.table.publish(record)  # the user sees "calling" while the name resolves
            self.resolver.resolve(host, lambda error: self._dial_resolved(record, error))
        else:
            self._dial_resolved(record, None)

    def _dial_resolved(self, record: CallRecord, error: str | None) -> None:
        if record.ended:
            return  # hung up while the name was resolving
        if error is not None:
            self._end_unstarted(record, 0, error)
            return
        state = self.accounts.get(record.account)
        if state is None or state.account is None:
            self._end_unstarted(record, 0, f"account {record.account} is not available")
            return
        keys = media_keys(state.settings)
        wait = self.key_ledger.wait_for(keys, live_media_keys(self.accounts, self.calls))
        if wait > 0.0:
            # Not a sleep: the SIP thread goes on; the dial resumes once PJSIP has given back
            # enough ioqueue keys of the calls that just ended (media_sockets.py says why).
            if not record.paced:
                record.paced = True
                log.info("call %s waits %.0f ms for PJSIP to free the media sockets of "
                         "calls that just ended", record.call_id, wait * 1000.0)
                self.table.publish(record)
            self.schedule(wait, lambda: self._dial_resolved(record, None))
            return
        self._hold_others(record)
        call = EngineCall(self, state.account)
        call.engine_id = record.call_id
        record.call = call
        try:
            call.makeCall(record.remote_uri, pj.CallOpParam(True))
        except pj.Error as exc:
            if record.call is call:
                record.call = None
                self.graveyard.append(call)
                self.key_ledger.released(keys)  # pjsua may have opened and closed its media
            if not record.ended:  # else onCallState already reported the failure
                self._end_unstarted(record, 0, str(exc.reason or exc.info()))
            elif not record.local_hangup:
                self.emit(ev.EngineError(at=time.time(), message=f"Call failed: {record.reason}",
                                         command="dial", call_id=record.call_id))

    def _end_unstarted(self, record: CallRecord, code: int, reason: str) -> None:
        """A call that never reached the network ends here, with a reason."""
        record.state = CallState.DISCONNECTED
        record.code = code
        record.reason = reason
        self.table.publish(record)
        self.calls.pop(record.call_id, None)
        if reason and not record.local_hangup:
            self.emit(ev.EngineError(at=time.time(), message=f"Call failed: {reason}",
                                     command="dial", call_id=record.call_id))
            self.audio.play_tone("failed")

    # --- incoming ------------------------------------------------------------------------
    def on_incoming_call(self, account: EngineAccount, pj_call_id: int, whole_msg: str,
                         source: str = "") -> None:
        call = EngineCall(self, account, pj_call_id)
        call_id = self.allocate_call_id()
        call.engine_id = call_id
        identity = caller_identity(whole_msg)
        ci = call.getInfo()
        remote = identity.uri or parse_name_addr(str(ci.remoteUri))[1]
        record = CallRecord(
            call_id=call_id, account=account.name, direction=Direction.INCOMING, call=call,
            remote_uri=remote, display_name=identity.display_name, number=identity.number,
            sip_call_id=str(ci.callIdString), state=CallState.INCOMING, source=source,
        )
        self.calls[call_id] = record
        if self._refused_as_ghost(record):
            return
        busy = bool(self.table.others_up(record))
        decision = decide_incoming(self.call_settings, busy=busy)
        if decision.action is IncomingAction.REJECT:
            record.silent = True
            record.local_hangup = True
            self.emit(ev.CallRejectedByRule(
                at=time.time(), account=record.account, remote_uri=record.remote_uri,
                display_name=record.display_name, number=record.number, code=decision.code,
                rule=decision.rule,
            ))
            self.final_answers.send(record, decision.code)
            return
        if decision.action is IncomingAction.FORWARD and decision.target:
            record.silent = True
            if self.forward(record, decision.target, decision.rule):
                return
            record.silent = False  # a bad target: let it ring rather than lose the call
        answer_now = decision.auto_answer_after == 0
        if answer_now:
            # 200 at once: no 180 first, no wait for the loop's next turn, and sent before the
            # event below wakes the UI, which would hold the GIL meanwhile (bench_setup_time.py).
            # answer() emits nothing itself, so the events keep their order.
            self._auto_answer(record)
        self.emit(ev.IncomingCall(
            at=time.time(), call_id=call_id, account=record.account, remote_uri=record.remote_uri,
            display_name=record.display_name, number=record.number,
            sip_call_id=record.sip_call_id, waiting=busy,
        ))
        self.table.publish(record)
        if answer_now:
            return
        ringing = pj.CallOpParam()
        ringing.statusCode = 180
        call.answer(ringing)
        self.audio.start_ringing(busy)
        self.ringing = True
        # A caller that never cancels (a dead peer, a flood) must not ring for ever.
        self.schedule(RING_TIMEOUT, lambda: self._ring_timed_out(record))
        if decision.auto_answer_after is not None:
            self.schedule(decision.auto_answer_after, lambda: self._auto_answer(record))
        if decision.no_answer_after is not None and decision.no_answer_target:
            target = decision.no_answer_target
            self.schedule(decision.no_answer_after,
                          lambda: self._forward_if_unanswered(record, target))

    def _refused_as_ghost(self, record: CallRecord) -> bool:
        """Scanners and floods never ring (``ghost_guard``): a sender that is not one of our
        servers (with only_from_my_servers) gets 403, a sender or caller that already has an
        unanswered call here gets 486, without a trace in the call list."""
        code = self.guard.admit(record, record.source, self.calls.values(),
                                self.call_settings.only_from_my_servers)
        self._end_newly_blocked()
        if not code:
            return False
        record.silent = True
        record.local_hangup = True
        self.final_answers.send(record, code)
        return True

    def stack_refused_busy(self, source: str, message: str) -> None:
        """pjsua answered an INVITE 486 itself (``GhostGuard.note_stack_refusal``)."""
        self.guard.note_stack_refusal(source, message, self.calls.values())
        self._end_newly_blocked()

    def _end_newly_blocked(self) -> None:
        for key in self.guard.take_newly_blocked():
            # Not from inside a pjsua callback: on the loop's next turn.
            self.schedule(0.0, functools.partial(self._end_ghost_calls, key))

    def _end_ghost_calls(self, key: str) -> None:
        for r in list(self.calls.values()):
            if r.guard_key == key and r.unsettled_in and not r.ended and r.call is not None:
                r.local_hangup = True
                op = pj.CallOpParam()
                op.statusCode = 486
                with contextlib.suppress(pj.Error):
                    r.call.hangup(op)

    def _end_if_unacknowledged(self, record: CallRecord) -> None:
        """An answered call whose ACK never came is a ghost (a scanner): end it, so it holds
        no call slot for the next real caller."""
        if (record.state is CallState.CONNECTING and not record.ended
                and record.call is not None):
            log.warning("call %s from %s: no ACK %.0f s after the answer: a ghost call "
                        "(a scanner?), ended", record.call_id,
                        record.source or record.remote_uri, ACK_DEADLINE)
            record.local_hangup = True
            with contextlib.suppress(pj.Error):
                record.call.hangup(pj.CallOpParam())

    def _ring_timed_out(self, record: CallRecord) -> None:
        if record.ringing_in and not record.ended and record.call is not None:
            log.info("call %s rang for %.0f s without an answer: ending it (480)",
                     record.call_id, RING_TIMEOUT)
            op = pj.CallOpParam()
            op.statusCode = 480
            record.call.hangup(op)

    def _auto_answer(self, record: CallRecord) -> None:
        if record.ringing_in and not record.ended and record.call is not None:
            self.answer(record.call_id)

    def _forward_if_unanswered(self, record: CallRecord, target: str) -> None:
        if record.ringing_in and not record.ended and record.call is not None:
            self.forward(record, target, "no_answer")

    def forward(self, record: CallRecord, target: str, rule: str) -> bool:
        """Redirect a ringing call with 302 to ``target``; False when the target is bad."""
        state = self.accounts.get(record.account)
        domain = state.domain if state else None
        transport = state.settings.transport if state else "udp"
        try:
            uri = target_to_uri(target, domain, transport)
        except InvalidTarget as exc:
            self.emit(ev.EngineError(at=time.time(), message=f"Cannot forward the call: {exc}",
                                     command="forward", call_id=record.call_id))
            return False
        record.local_hangup = True
        self.emit(ev.CallForwarded(
            at=time.time(), account=record.account, remote_uri=record.remote_uri,
            display_name=record.display_name, number=record.number, target=uri, rule=rule,
        ))
        self.final_answers.send(record, 302, (("Contact", f"<{uri}>"),))
        return True

    # --- commands on a call --------------------------------------------------------------
    def answer(self, call_id: int) -> None:
        record, call = self.table.live_call(call_id)
        if not record.ringing_in:
            raise CallError(f"call {call_id} is not ringing")
        self._hold_others(record)
        op = pj.CallOpParam(True)
        op.statusCode = 200
        call.answer(op)
        self.schedule(ACK_DEADLINE, lambda: self._end_if_unacknowledged(record))

    def reject(self, call_id: int, code: int) -> None:
        record, call = self.table.live_call(call_id)
        if not record.ringing_in:
            raise CallError(f"call {call_id} is not ringing; hang it up instead")
        record.local_hangup = True
        op = pj.CallOpParam()
        op.statusCode = code
        call.hangup(op)

    def hangup(self, call_id: int) -> None:
        record = self.table.record(call_id)
        record.local_hangup = True
        if record.call is None:
            self._end_unstarted(record, 0, "Cancelled")
            return
        record.call.hangup(pj.CallOpParam())

    def hangup_all(self) -> None:
        for record in list(self.calls.values()):
            if not record.ended and not record.silent:
                try:
                    self.hangup(record.call_id)
                except (pj.Error, CallError) as exc:
                    log.info("hangup of call %s failed: %s", record.call_id, exc)

    def hold(self, call_id: int) -> None:
        _record, call = self.table.live_call(call_id)
        call.setHold(pj.CallOpParam(True))

    def resume(self, call_id: int) -> None:
        record, call = self.table.live_call(call_id)
        self._hold_others(record)
        op = pj.CallOpParam(True)
        op.opt.flag = pj.PJSUA_CALL_UNHOLD
        call.reinvite(op)

    def set_mute(self, muted: bool) -> None:
        self.table.muted = muted
        self.audio.set_mute(muted)
        for record in self.calls.values():
            if not record.ended:
                self.table.publish(record)

    def send_dtmf(self, call_id: int, digits: str) -> None:
        record, call = self.table.live_call(call_id)
        state = self.accounts.get(record.account)
        method = state.settings.dtmf_method if state else "rfc4733"
        prm = pj.CallSendDtmfParam()
        prm.digits = digits
        prm.method = (pj.PJSUA_DTMF_METHOD_SIP_INFO if method == "info"
                      else pj.PJSUA_DTMF_METHOD_RFC2833)
        call.sendDtmf(prm)
        for digit in digits:
            self.audio.dtmf_feedback(digit)

    def transfer(self, call_id: int, uri: str) -> None:
        record, call = self.table.live_call(call_id)
        record.transfer_target = uri
        call.xfer(uri, pj.CallOpParam(True))

    def attended_transfer(self, call_id: int, consult_call_id: int) -> None:
        record, call = self.table.live_call(call_id)
        consult, consult_call = self.table.live_call(consult_call_id)
        record.transfer_target = consult.remote_uri
        call.xferReplaces(consult_call, pj.CallOpParam(True))

    # --- callbacks -----------------------------------------------------------------------
    def on_call_state(self, call: EngineCall) -> None:
        record = self.calls.get(call.engine_id)
        if record is None:
            return
        ci = call.getInfo()
        state = PJ_STATES.get(int(ci.state))
        if state is None:
            return
        record.state = state
        record.code = int(ci.lastStatusCode)
        record.reason = str(ci.lastReason)
        if not record.sip_call_id:
            record.sip_call_id = str(ci.callIdString)
        if state is CallState.CONFIRMED and record.answered_at is None:
            record.answered_at = time.time()
            if self.call_settings.record_all and record.recorder is None:
                self.media.start_recording(record.call_id,
                                           self.media.default_recording_path(record))
        self._play_progress(record, state)
        if state is CallState.DISCONNECTED:
            self.security.explain_failed_call(record)
            self._finish(record)
        else:
            self.table.publish(record)
        self._update_ringing()

    def _play_progress(self, record: CallRecord, state: CallState) -> None:
        if record.direction is not Direction.OUTGOING or record.silent:
            return
        if state is CallState.EARLY and record.code in (180, 183) and record.media is None:
            self.audio.play_tone("ringback")
        elif state in (CallState.CONNECTING, CallState.CONFIRMED):
            self.audio.stop_tone()
        elif state is CallState.DISCONNECTED:
            self.audio.stop_tone()
            if record.local_hangup or record.answered_at is not None:
                return
            if record.code in (486, 600):
                self.audio.play_tone("busy")
            elif record.code >= 400 and record.code != 487:
                self.audio.play_tone("failed")

    def _finish(self, record: CallRecord) -> None:
        """DISCONNECTED: final figures, recording closed, audio unwired, objects released."""
        quality = None
        with contextlib.suppress(pj.Error):
            quality = read_quality(record, self.audio.bridge_counters())
        quality = quality or record.quality
        if quality is None and record.answered_at is not None:
            bridge = self.audio.bridge_counters()
            path = record.media_path
            quality = ev.CallQuality(at=time.time(), call_id=record.call_id,
                                     bridge_underruns=bridge[0], bridge_overruns=bridge[1],
                                     encryption=path.encryption if path else "",
                                     ice=path.ice if path else "")
        if quality is not None and not record.silent:
            self.emit(quality)
        self.media.release_recording(record, self.audio.local_source())
        self.audio.disconnect_call(record.call_id, record.media)
        record.media = None
        self.media.leave_conference(record.call_id)
        self.table.publish(record)
        self.calls.pop(record.call_id, None)
        if record.call is not None:
            # pjsua closes the call's media sockets now; their keys come back later
            self.key_ledger.released(media_keys_of(self.accounts, record))
        reported_loss.forget(record.call_id)
        # Drop the Call now: the last reference goes when this callback returns, before
        # pjsua can give the call's slot to a new call (the pjsua2 "delete this in
        # onCallState" rule). A Call destroyed later would hang up whatever call then owns
        # its old slot id.
        record.call = None

    def on_call_media_state(self, call: EngineCall) -> None:
        record = self.calls.get(call.engine_id)
        if record is None:
            return
        media, status, _index = audio_media_status(call)
        held = status == pj.PJSUA_CALL_MEDIA_LOCAL_HOLD
        remote_held = status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD
        active = status == pj.PJSUA_CALL_MEDIA_ACTIVE
        changed = (held, remote_held) != (record.held, record.remote_held)
        record.held, record.remote_held = held, remote_held
        encryption = ""
        if media is not None:
            record.media = media
            encryption = self.security.note_media_path(record, call, active).encryption
            # The figures (codec, loss) on the loop's next turn, not here: reading the stream's
            # statistics costs ~0.1 ms, and this callback runs between the 200 OK and its ACK.
            self.schedule(0.0, lambda: self.media.refresh_call_quality(record)
                          if not record.ended and record.call is not None else None)
            if record.direction is Direction.OUTGOING:
                self.audio.stop_tone()  # early media or answer: the far end is heard now
            self.audio.connect_call(record.call_id, media)
            wire_recorder(record, self.audio.local_source())
            if record.call_id in self.media.conference_ids:
                self.media.wire_conference()
        else:
            self.audio.disconnect_call(record.call_id, record.media)
            record.media = None
        self.emit(ev.CallMediaChanged(at=time.time(), call_id=record.call_id, active=active,
                                      held=held, remote_held=remote_held,
                                      encryption=encryption))
        if changed:
            self.table.publish(record)

    def on_stream_destroyed(self, call: EngineCall) -> None:
        self.media.on_stream_destroyed(call)

    def on_call_redirected(self, call: EngineCall, target: str) -> None:
        """The callee redirected us (3xx): the call goes on to ``target``."""
        record = self.calls.get(call.engine_id)
        if record is not None:
            log.info("call %s redirected to %s", record.call_id, target)
            _display, uri = parse_name_addr(target)
            record.remote_uri = uri
            record.number = number_from_uri(uri)

    def on_dtmf_digit(self, call: EngineCall, digit: str, method: str) -> None:
        if call.engine_id in self.calls:
            self.emit(ev.DtmfReceived(at=time.time(), call_id=call.engine_id, digit=digit,
                                      method=method))

    def on_transfer_request(self, call: EngineCall, prm: Any) -> None:
        """The far end asks us (REFER) to call someone else: a new outgoing call."""
        record = self.calls.get(call.engine_id)
        state = self.accounts.get(record.account) if record else None
        if record is None or state is None or state.account is None:
            prm.statusCode = 603
            return
        _display, uri = parse_name_addr(str(prm.dstUri))
        new_call = EngineCall(self, state.account)
        new_id = self.allocate_call_id()
        new_call.engine_id = new_id
        self.calls[new_id] = CallRecord(
            call_id=new_id, account=record.account, direction=Direction.OUTGOING, call=new_call,
            remote_uri=uri, number=number_from_uri(uri), state=CallState.CALLING,
        )
        prm.newCall = new_call

    def on_transfer_status(self, call: EngineCall, code: int, final: bool) -> None:
        record = self.calls.get(call.engine_id)
        if record is None:
            return
        self.emit(ev.TransferStatus(at=time.time(), call_id=record.call_id,
                                    target=record.transfer_target, code=code, final=final))
        if final and 200 <= code < 300 and not record.ended:
            # Transferred: our leg is no longer needed.
            record.local_hangup = True
            call.hangup(pj.CallOpParam())

    def on_call_replaced(self, call: EngineCall, prm: Any) -> None:
        """An attended transfer replaced this call by a new one (INVITE with Replaces)."""
        record = self.calls.get(call.engine_id)
        state = self.accounts.get(record.account) if record else None
        if record is None or state is None or state.account is None:
            return
        new_call = EngineCall(self, state.account, int(prm.newCallId))
        new_id = self.allocate_call_id()
        new_call.engine_id = new_id
        ci = new_call.getInfo()
        display, uri = parse_name_addr(str(ci.remoteUri))
        self.calls[new_id] = CallRecord(
            call_id=new_id, account=record.account, direction=Direction.INCOMING, call=new_call,
            remote_uri=uri, display_name=display, number=number_from_uri(uri),
            sip_call_id=str(ci.callIdString), state=CallState.CONNECTING,
            answered_at=time.time(),
        )
        prm.newCall = new_call


def media_keys_of(accounts: Mapping[str, AccountState], record: CallRecord) -> MediaKeys:
    state = accounts.get(record.account)
    return media_keys(state.settings if state is not None else None)


def live_media_keys(accounts: Mapping[str, AccountState],
                    calls: Mapping[int, CallRecord]) -> list[MediaKeys]:
    """The ioqueue keys of every call pjsua holds now (ringing, talking, ending)."""
    return [media_keys_of(accounts, r) for r in calls.values() if r.call is not None]


def widest_media_keys(accounts: Mapping[str, AccountState]) -> MediaKeys:
    """The most ioqueue keys a call of any of our accounts takes."""
    return widest_keys(s.settings for s in accounts.values())
