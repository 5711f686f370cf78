"""The floor for bench_engine.py: the same calls made by a minimal raw pjsua2 script.

One Endpoint driven the way the engine drives it (``threadCnt=0``, ``mainThreadOnly``, this
thread looping on ``libHandleEvents(10)``), a LAN account bound to 127.0.0.1, the null sound
device, and N sequential calls to TARGET: make the Call and dial, wait for CONFIRMED, talk
``--seconds``, hang up, wait for DISCONNECTED, let the peer settle 100 ms. Prints one JSON line:

    {"setup_ms": [...], "cpu_s": float, "talk_s": float, "calls": int, "failed": int}

``cpu_s`` is this process's user+system CPU while calls were up (sum over calls), ``talk_s``
the connected time over which it was spent. Run by ``bench/bench_engine.py``; alone:

    .venv/bin/python bench/raw_pjsua2_call.py sip:bob@127.0.0.1:5062 --calls 5 --seconds 2
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time

import pjsua2 as pj

SETTLE_S = 0.1  # pause between calls: the same figure as bench_engine.SETTLE_S


class _Call(pj.Call):
    def __init__(self, acc: pj.Account, ep: pj.Endpoint) -> None:
        super().__init__(acc)
        self.ep = ep
        self.state = pj.PJSIP_INV_STATE_NULL
        self.code = 0

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        ci = self.getInfo()
        self.state = ci.state
        self.code = ci.lastStatusCode

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        ci = self.getInfo()
        for i, media in enumerate(ci.media):
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                aud = self.getAudioMedia(i)
                mgr = self.ep.audDevManager()
                aud.startTransmit(mgr.getPlaybackDevMedia())
                mgr.getCaptureDevMedia().startTransmit(aud)


def _cpu() -> float:
    return time.process_time()  # user+system of every thread, ns resolution


def _pump_until(ep: pj.Endpoint, done: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        ep.libHandleEvents(10)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("target")
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rtp-port", type=int, default=40000)
    args = ap.parse_args(argv)

    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 1
    cfg.logConfig.consoleLevel = 1
    ep.libInit(cfg)
    tcfg = pj.TransportConfig()
    tcfg.port = 0
    tcfg.boundAddress = "127.0.0.1"
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    ep.libStart()
    ep.audDevManager().setNullDev()

    acfg = pj.AccountConfig()
    acfg.idUri = "sip:raw@127.0.0.1"
    acfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    acfg.mediaConfig.transportConfig.port = args.rtp_port
    acc = pj.Account()
    acc.create(acfg)

    setup_ms: list[float] = []
    cpu_s = 0.0
    talk_s = 0.0
    failed = 0
    for _ in range(args.calls):
        # The clock starts before the Call object is made: the engine's dial() makes one too.
        t0 = time.monotonic()
        call = _Call(acc, ep)
        call.makeCall(args.target, pj.CallOpParam(True))
        ok = _pump_until(
            ep, lambda c=call: c.state in (pj.PJSIP_INV_STATE_CONFIRMED,
                                           pj.PJSIP_INV_STATE_DISCONNECTED), 10.0)
        if not ok or call.state != pj.PJSIP_INV_STATE_CONFIRMED:
            failed += 1
        else:
            setup_ms.append((time.monotonic() - t0) * 1000.0)
            c0, w0 = _cpu(), time.monotonic()
            _pump_until(ep, lambda: False, args.seconds)
            cpu_s += _cpu() - c0
            talk_s += time.monotonic() - w0
            call.hangup(pj.CallOpParam(True))
        _pump_until(ep, lambda c=call: c.state == pj.PJSIP_INV_STATE_DISCONNECTED, 5.0)
        del call
        gc.collect()
        _pump_until(ep, lambda: False, SETTLE_S)  # the peer settles (see bench_engine.py)

    acc.shutdown()
    del acc
    gc.collect()
    ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)
    print(json.dumps({"setup_ms": setup_ms, "cpu_s": cpu_s, "talk_s": talk_s,
                      "calls": args.calls, "failed": failed}))
    sys.stdout.flush()
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
