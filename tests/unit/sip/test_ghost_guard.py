"""The ghost-call guard's decisions (no SIP here; the real-traffic tests are in
tests/integration/hardening/test_flood_auto_answer.py and tests/integration/network)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pytest

from softphone.sip.ghost_guard import (
    ACK_DEADLINE,
    FLOOD_BLOCK_SECONDS,
    FLOOD_REFUSALS,
    GhostGuard,
    connected_networks,
    split_source,
)


@dataclass
class Call:
    remote_uri: str
    guard_key: str = ""
    unsettled_in: bool = True


def test_split_source() -> None:
    assert split_source("192.0.2.1:5060") == ("192.0.2.1", 5060)
    assert split_source("[2001:db8::1]:5062") == ("2001:db8::1", 5062)
    assert split_source("2001:db8::1") == ("2001:db8::1", 0)
    assert split_source("192.0.2.1") == ("192.0.2.1", 0)


def test_only_servers_may_call_when_there_is_no_lan_account(
        caplog: pytest.LogCaptureFixture) -> None:
    guard = GhostGuard()
    guard.add_server_addresses("office", ["203.0.113.10", "203.0.113.11:5060"])
    caplog.set_level(logging.WARNING, "softphone.sip")
    assert guard.admit(Call("sip:bob@pbx"), "203.0.113.10:5060", [], True, now=1.0) == 0
    assert guard.admit(Call("sip:x@pbx"), "203.0.113.11:5080", [], True, now=1.0) == 0
    # a scanner: 403, and one log line per source per minute however often it tries
    for n in range(20):
        assert guard.admit(Call("sip:100@1.2.3.4"), "198.51.100.7:5070", [], True,
                           now=2.0 + n * 0.2) == 403
    assert guard.admit(Call("sip:100@1.2.3.4"), "198.51.100.8:5070", [], True, now=3.0) == 403
    lines = [r.getMessage() for r in caplog.records if "refused a call" in r.message]
    assert len(lines) == 2 and "198.51.100.7" in lines[0] and "198.51.100.8" in lines[1]
    assert guard.admit(Call("sip:100@1.2.3.4"), "198.51.100.7:5070", [], True, now=63.0) == 403
    assert len([r for r in caplog.records if "refused a call" in r.message]) == 3
    # the protection turned off: the same sender rings
    assert guard.admit(Call("sip:100@1.2.3.4"), "198.51.100.7:5070", [], False, now=70.0) == 0


def test_a_lan_account_accepts_the_local_network_only() -> None:
    guard = GhostGuard()
    guard.set_lan(True)
    for source in ("192.168.1.20:5060", "10.1.2.3:5060", "172.20.0.5:5060", "127.0.0.1:5090",
                   "[fe80::1]:5060", "[::1]:5060"):
        assert guard.admit(Call("sip:colleague@lan"), source, [], True) == 0, source
    assert guard.admit(Call("sip:100@x"), "203.0.113.99:5060", [], True) == 403
    guard.set_lan(False)
    assert guard.admit(Call("sip:colleague@lan"), "192.168.1.20:5060", [], True) == 403
    guard.add_server_addresses("pbx", ["[2001:db8::5]:5060"])
    assert guard.source_allowed("2001:db8::5")
    guard.forget_account("pbx")
    assert not guard.source_allowed("2001:db8::5")


def test_a_direct_sender_with_an_unsettled_call_is_refused_then_blocked() -> None:
    guard = GhostGuard()
    guard.set_lan(True)
    first, second = Call("sip:100@scanner"), Call("sip:101@scanner")
    calls = [first, second]
    assert guard.admit(first, "192.168.1.66:5070", calls, True, now=0.0) == 0
    assert guard.admit(second, "192.168.1.66:5070", calls, True, now=0.1) == 0
    # the scanner changes its From for every INVITE; its socket stays: still refused
    for n in range(FLOOD_REFUSALS):
        call = Call(f"sip:{200 + n}@scanner")
        assert guard.admit(call, "192.168.1.66:5070", [*calls, call], True,
                           now=0.2 * (n + 1)) == 486
    assert guard.take_newly_blocked() == ["192.168.1.66:5070"]
    assert guard.take_newly_blocked() == []
    # blocked even once its calls are gone, until the block ends
    first.unsettled_in = second.unsettled_in = False
    assert guard.admit(Call("sip:1@scanner"), "192.168.1.66:5070", calls, True, now=5.0) == 486
    later = FLOOD_BLOCK_SECONDS + 2.0
    assert guard.admit(Call("sip:1@scanner"), "192.168.1.66:5070", calls, True, now=later) == 0
    # another phone on the LAN is not affected meanwhile
    assert guard.admit(Call("sip:carol@lan"), "192.168.1.67:5060", calls, True, now=5.0) == 0


def test_calls_through_a_server_are_counted_per_caller() -> None:
    guard = GhostGuard()
    guard.add_server_addresses("pbx", ["203.0.113.10"])
    calls: list[Call] = []
    for n in range(2):  # one caller may have two unsettled calls through the server
        call = Call("sip:bob@pbx")
        calls.append(call)
        assert guard.admit(call, "203.0.113.10:5060", calls, True, now=float(n)) == 0
        assert call.guard_key == "sip:bob@pbx"
    third = Call("sip:bob@pbx")
    assert guard.admit(third, "203.0.113.10:5060", [*calls, third], True, now=2.0) == 486
    # every other caller through the same server still rings
    carol = Call("sip:carol@pbx")
    assert guard.admit(carol, "203.0.113.10:5060", [*calls, carol], True, now=2.0) == 0


def test_connected_networks_from_the_routing_table(tmp_path: Path) -> None:
    (tmp_path / "route").write_text(
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t00000000\t0102000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
        "eth0\t0002000C\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    (tmp_path / "ipv6_route").write_text(
        "20010db8000000000000000000000000 40 00000000000000000000000000000000 00 "
        "00000000000000000000000000000000 00000100 00000001 00000000 00000001 eth0\n")
    nets = [str(n) for n in connected_networks(tmp_path)]
    assert nets == ["12.0.2.0/24", "2001:db8::/64"]
    assert connected_networks(tmp_path / "missing") == []


def test_the_ack_deadline_allows_pjsips_retransmissions() -> None:
    # PJSIP retransmits a 200 at 0.5, 1.5, 3.5 and 7.5 s (T1 = 0.5 s): a peer behind loss
    # that ACKs the fourth copy is still a real call.
    assert ACK_DEADLINE > 7.5


def _invite(from_uri: str) -> str:
    return (f"INVITE sip:alice@pbx SIP/2.0\r\nFrom: \"Flood\" <{from_uri}>;tag=1\r\n"
            "To: <sip:alice@pbx>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n")


def test_the_stacks_own_busy_refusals_end_a_flood_that_holds_the_slots() -> None:
    """pjsua's 486 when every slot is taken counts against the caller holding them (the
    INVITE guard lets only a share of a flood reach admit())."""
    guard = GhostGuard()
    guard.add_server_addresses("pbx", ["203.0.113.10"])
    ghosts = [Call("\"Flood\" <sip:flood@pbx>") for _ in range(2)]
    for n, ghost in enumerate(ghosts):
        assert guard.admit(ghost, "203.0.113.10:5060", ghosts, True, now=float(n)) == 0
    for n in range(FLOOD_REFUSALS):
        guard.note_stack_refusal("203.0.113.10:5060", _invite("sip:flood@pbx"), ghosts,
                                 now=2.0 + n * 0.1)
    assert guard.take_newly_blocked() == [ghosts[0].guard_key]


def test_a_caller_without_a_call_here_is_not_counted_for_the_stacks_refusals() -> None:
    """A real caller redialing a phone whose slots others hold is never blocked for it."""
    guard = GhostGuard()
    guard.add_server_addresses("pbx", ["203.0.113.10"])
    ghosts = [Call("sip:flood@pbx") for _ in range(2)]
    for ghost in ghosts:
        guard.admit(ghost, "203.0.113.10:5060", ghosts, True, now=0.0)
    for n in range(FLOOD_REFUSALS * 3):
        guard.note_stack_refusal("203.0.113.10:5060", _invite("sip:bob@pbx"), ghosts,
                                 now=1.0 + n * 0.1)
        guard.note_stack_refusal("198.51.100.7:5060", _invite("sip:eve@x"), ghosts,
                                 now=1.0 + n * 0.1)
    assert guard.take_newly_blocked() == []
    bob = Call("sip:bob@pbx")
    assert guard.admit(bob, "203.0.113.10:5060", [*ghosts, bob], True, now=5.0) == 0
