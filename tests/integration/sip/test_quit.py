"""Quitting with a call up, 20 times in a row: the process always exits 0 and hangs up first."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.harness.sip_peers import Baresip
from tests.integration.sip.engine_proc import EngineProcess, lan_account

pytestmark = pytest.mark.integration

ROUNDS = 20


def test_quit_with_a_call_up_20_times(tmp_path: Path,
                                      make_baresip: Callable[..., Baresip]) -> None:
    peer = make_baresip("bob")
    codes: list[tuple[str, int]] = []
    t0 = time.monotonic()
    for i in range(ROUNDS):
        how = "SIGTERM" if i % 2 else "quit"
        eng = EngineProcess(tmp_path, accounts=[lan_account()], name=f"round{i:02d}",
                            log_level="WARNING")
        try:
            eng.start()
            mark = len(peer.events)
            call_id = eng.command("dial", target=peer.uri)
            eng.wait_state(call_id, "confirmed")
            code = eng.terminate() if how == "SIGTERM" else eng.quit_with_code()
            codes.append((how, code))
            assert code == 0, f"round {i} ({how}): exit {code}\n{eng.explain()}"
            assert eng.find_events("EngineStopped"), f"round {i} ({how}): no EngineStopped"
            # the engine hung up on its way out: the peer got a BYE, not a timeout
            peer.wait_event("CALL_CLOSED", 5.0, since=mark)
        finally:
            eng.close()
    elapsed = time.monotonic() - t0
    assert codes == [("SIGTERM" if i % 2 else "quit", 0) for i in range(ROUNDS)]
    assert elapsed < 90.0, f"{ROUNDS} rounds took {elapsed:.1f} s"
