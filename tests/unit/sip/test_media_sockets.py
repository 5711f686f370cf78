"""The pacing account of PJSIP's ioqueue keys (softphone/sip/media_sockets.py)."""

from __future__ import annotations

import pytest

from softphone.settings import AccountSettings
from softphone.sip.media_sockets import (
    BUDGET,
    KEY_FREE_DELAY,
    RELEASE_MARGIN,
    TURN_RELEASE,
    KeyLedger,
    MediaKeys,
    media_keys,
)

PLAIN = MediaKeys(quick=2)
ICE_TURN = MediaKeys(quick=2, turn=2)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_per_call_follow_the_account() -> None:
    lan = AccountSettings(name="LAN", address="sip:alice@192.0.2.10")
    assert media_keys(lan) == PLAIN
    assert media_keys(None) == PLAIN
    assert media_keys(AccountSettings(name="a", address="sip:a@192.0.2.10", ice=True)) == \
        MediaKeys(quick=2)
    assert media_keys(AccountSettings(name="a", address="sip:a@192.0.2.10", ice=True,
                                      turn_server="203.0.113.20")) == ICE_TURN


def test_calls_go_at_once_until_the_pool_is_spent_then_wait_for_the_oldest() -> None:
    clock = Clock()
    ledger = KeyLedger(clock=clock)
    calls = BUDGET // PLAIN.total
    for _ in range(calls):
        assert ledger.wait_for(PLAIN, []) == 0.0
        ledger.released(PLAIN)
        clock.now += 0.004  # a call every 4 ms, as a redialing script does
    wait = ledger.wait_for(PLAIN, [])
    first_free = 1000.0 + KEY_FREE_DELAY + RELEASE_MARGIN
    assert wait == pytest.approx(first_free - clock.now)
    clock.now += wait
    assert ledger.wait_for(PLAIN, []) == 0.0


def test_live_calls_count_and_parked_keys_are_forgotten_once_free() -> None:
    clock = Clock()
    ledger = KeyLedger(budget=10, clock=clock)
    ledger.released(PLAIN)
    ledger.released(PLAIN)
    assert ledger.parked() == 4
    # 3 live calls (6) + 4 parked + 2 new > 10: the first parked pair must go first
    assert ledger.wait_for(PLAIN, [PLAIN] * 3) == pytest.approx(KEY_FREE_DELAY
                                                                + RELEASE_MARGIN)
    clock.now += KEY_FREE_DELAY + RELEASE_MARGIN
    assert ledger.parked() == 0
    assert ledger.wait_for(PLAIN, [PLAIN] * 3) == 0.0


def test_turn_keys_stay_parked_until_the_deallocation_may_have_timed_out() -> None:
    clock = Clock()
    ledger = KeyLedger(budget=8, clock=clock)
    ledger.released(ICE_TURN)
    ledger.released(ICE_TURN)
    clock.now += KEY_FREE_DELAY + RELEASE_MARGIN
    assert ledger.parked() == 4  # the TURN sockets of both calls
    assert ledger.wait_for(ICE_TURN, []) == 0.0
    assert ledger.wait_for(ICE_TURN, [ICE_TURN]) == pytest.approx(TURN_RELEASE)


def test_no_wait_when_live_calls_alone_fill_the_pool() -> None:
    """pjsua's own call limit refuses that call; waiting would only delay the refusal."""
    ledger = KeyLedger(budget=4, clock=Clock())
    ledger.released(PLAIN)
    assert ledger.wait_for(PLAIN, [PLAIN, PLAIN]) == 0.0


def test_incoming_share_matches_what_a_redialing_softphone_sends() -> None:
    """Another softphone pacing its dials with BUDGET is never refused by our INVITE guard."""
    from softphone.sip.invite_guard import WINDOW_MS, incoming_limit
    from softphone.sip.media_sockets import INCOMING_KEYS, IOQUEUE_KEYS, SIP_SPARE_KEYS

    assert INCOMING_KEYS >= BUDGET
    assert BUDGET + INCOMING_KEYS + SIP_SPARE_KEYS <= IOQUEUE_KEYS
    assert incoming_limit(PLAIN) >= BUDGET // PLAIN.total
    assert incoming_limit(ICE_TURN) == INCOMING_KEYS // ICE_TURN.total
    assert int((KEY_FREE_DELAY + RELEASE_MARGIN) * 1000) == WINDOW_MS
