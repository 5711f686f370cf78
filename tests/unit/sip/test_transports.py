"""SIP transports on a real in-process pjsua2 Endpoint: which address each listens on and how
that address is written in a URI."""

from __future__ import annotations

import socket
from typing import Any

import pjsua2 as pj
import pytest

from softphone.sip.transports import TRANSPORT_KINDS, create_transport


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.fixture
def endpoint(pj_endpoint: Any) -> Any:
    return pj_endpoint


def info_of(ep: Any, tid: int) -> Any:
    return ep.transportGetInfo(tid)


@pytest.mark.parametrize("kind", ["udp", "tcp", "tls"])
def test_port_zero_takes_a_free_port_on_the_address_asked(endpoint: Any, kind: str) -> None:
    tid, hostport, port = create_transport(endpoint, kind, "127.0.0.1", 0, verify_server=False)
    assert port > 0 and hostport == f"127.0.0.1:{port}"
    info = info_of(endpoint, tid)
    assert info.type == TRANSPORT_KINDS[kind]
    endpoint.transportClose(tid)


def test_a_given_port_is_the_port_bound(endpoint: Any) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    tid, hostport, port = create_transport(endpoint, "udp", "127.0.0.1", free)
    assert (hostport, port) == (f"127.0.0.1:{free}", free)
    endpoint.transportClose(tid)


def test_a_taken_port_raises_a_pjsua_error(endpoint: Any) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        with pytest.raises(pj.Error):
            create_transport(endpoint, "udp", "127.0.0.1", s.getsockname()[1])


def test_any_address_listens_everywhere_and_names_a_real_address(endpoint: Any) -> None:
    tid, hostport, port = create_transport(endpoint, "udp", "0.0.0.0", 0)
    host = hostport.rsplit(":", 1)[0]
    assert host not in ("", "0.0.0.0") and port > 0
    # bound to every address: loopback reaches it
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"\r\n\r\n", ("127.0.0.1", port))
    endpoint.transportClose(tid)


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
@pytest.mark.parametrize("kind", ["udp", "tcp"])
def test_an_ipv6_address_gets_brackets_and_the_ipv6_transport(endpoint: Any, kind: str) -> None:
    tid, hostport, port = create_transport(endpoint, kind, "::1", 0)
    assert hostport == f"[::1]:{port}"
    assert info_of(endpoint, tid).type == TRANSPORT_KINDS[kind] | pj.PJSIP_TRANSPORT_IPV6
    endpoint.transportClose(tid)
