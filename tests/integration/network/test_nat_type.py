"""Settings > Accounts > Test reports the NAT type the account's STUN server sees.

The engine's account test (the Test button) with coturn as the STUN server (two addresses,
so the RFC 5780 checks can run): behind router A it finds a cone NAT (a stable public
address) that lets in only what answers the exact address and port it sent to; on the
public network it finds no NAT.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.network.conftest import app_account
from tests.integration.network.lab import ROUTER_A_WAN, TURN, Lab
from tests.integration.network.phones import LabEngine
from tests.integration.network.servers import Coturn, LabKamailio


def test_the_account_test_says_which_nat_the_phone_is_behind(
        lab: Lab, kamailio: LabKamailio, coturn: Coturn,
        make_app: Callable[..., LabEngine]) -> None:
    account = app_account(kamailio, "alice", stun_server=f"{TURN}:3478")
    behind = make_app("lana", name="behind", accounts=[account])
    result = behind.command("test_account_result", account=account, timeout=40.0)
    print(f"\nbehind router A: {result['outcome']} {result['code']}; NAT {result['nat']}")
    assert result["outcome"] == "registered"
    nat = result["nat"]
    assert nat["kind"] == "cone" and nat["public"].startswith(f"{ROUTER_A_WAN}:"), nat
    assert nat["filtering"] == "address-and-port-dependent", nat

    public = make_app("pub", name="public", accounts=[app_account(kamailio, "bob")])
    result = public.command("test_account_result",
                            account=app_account(kamailio, "bob", stun_server=f"{TURN}:3478"),
                            timeout=40.0)
    print(f"on the public network: NAT {result['nat']}")
    assert result["nat"]["kind"] == "open", result
