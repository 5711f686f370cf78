"""One SIP transport (UDP, TCP or TLS) made on the endpoint, and the address it listens on."""

from __future__ import annotations

import os
from typing import Any

import pjsua2 as pj

TRANSPORT_KINDS = {
    "udp": pj.PJSIP_TRANSPORT_UDP,
    "tcp": pj.PJSIP_TRANSPORT_TCP,
    "tls": pj.PJSIP_TRANSPORT_TLS,
}


def create_transport(ep: Any, kind: str, host: str, port: int,
                     verify_server: bool = True) -> tuple[int, str, int]:
    """(transport id, "host:port" as it goes in a URI, the port bound): ``port`` 0 takes any
    free one. Raises ``pj.Error`` when it cannot listen there."""
    tcfg = pj.TransportConfig()
    tcfg.port = port
    if host and host not in ("0.0.0.0", "::"):
        tcfg.boundAddress = host
    if kind == "tls":
        tcfg.tlsConfig.verifyServer = verify_server
        tcfg.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
        # The wheel bundles its own OpenSSL, whose default CA paths are the build
        # machine's: point it at this system's trust store (SSL_CERT_FILE honoured).
        import ssl  # only here: it costs ~4.5 MiB, and only TLS accounts need it

        cafile = ssl.get_default_verify_paths().cafile
        if cafile and os.path.exists(cafile):
            tcfg.tlsConfig.CaListFile = cafile
    transport_type = TRANSPORT_KINDS[kind]
    if ":" in host:  # an IPv6 listen address needs the IPv6 flavour of each transport
        transport_type |= pj.PJSIP_TRANSPORT_IPV6
    tid = int(ep.transportCreate(transport_type, tcfg))
    info = ep.transportGetInfo(tid)
    bound_host, bound_port_text = str(info.localName).rsplit(":", 1)
    if ":" in bound_host and not bound_host.startswith("["):
        bound_host = f"[{bound_host}]"  # an IPv6 address in a URI needs brackets
    bound_port = int(bound_port_text)
    return tid, f"{bound_host}:{bound_port}", bound_port
