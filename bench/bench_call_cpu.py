"""CPU per call-second with real audio through the bridge, beside baresip in the same run.

    .venv/bin/python bench/bench_call_cpu.py               # 3 rounds of 1-minute calls
    .venv/bin/python bench/bench_call_cpu.py --quick       # 1 round of 20-second calls

Each call is bench_audio.py's set-up (JACK dummy server at 48 kHz / 20 ms periods, as in
tests/harness/jack.py): the engine with the real PortAudio backend calls a baresip
(auto-answer, 440 Hz), a C JACK client feeds its microphone port, and in parallel a baresip
with real JACK capture and playback calls another baresip, which is the fair peer: the same
work (RTP, codec, sound device over JACK). Every baresip offers PCMU only, so both calls run
the same codec. CPU is user+system of each process from /proc over the connected time after the
first second.

Each round makes two calls, each beside its own baresip+JACK call:

* softphone, C path, no echo canceller or noise suppressor (target <= 1.3x baresip);
* softphone, C path, echo canceller and noise suppressor on, as by default (target <= 2x).

Printed: CPU seconds per call-second (medians over the rounds) and each softphone call's ratio
to the baresip+JACK call measured beside it. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (str(ROOT), str(ROOT / "bench")):
    if p not in sys.path:
        sys.path.insert(0, p)

MODES = {
    "plain": ({"echo_cancellation": False, "noise_suppression": False}, 1.3,
              "softphone, C path, no canceller"),
    "aec": ({"echo_cancellation": True, "noise_suppression": True}, 2.0,
            "softphone, C path, echo canceller + noise suppressor"),
}


def run(rounds: int, minutes: float) -> list[dict[str, Any]]:
    import bench_audio

    out = []
    for i in range(rounds):
        for mode, (audio, _target, label) in MODES.items():
            with tempfile.TemporaryDirectory(prefix="bench-call-cpu-") as tmp:
                r = bench_audio.run(minutes, Path(tmp), audio=audio)
            cpu = {k: v / 60.0 for k, v in r["cpu_per_call_min"].items()}  # per call-second
            threads = {k: v / 60.0 for k, v in r["threads"].items()}
            out.append({"mode": mode, "cpu_per_call_s": cpu, "threads": threads,
                        "underruns_per_min": r["underruns_per_min"], "codec": r["codec"],
                        "voice": r["voice"], "speaker_hz": r["speaker_hz"],
                        "minutes": r["minutes"]})
            ratio = cpu["eng"] / cpu["dave"] if cpu["dave"] else float("nan")
            print(f"  round {i + 1}/{rounds}, {label}: softphone {cpu['eng']:.4f}, "
                  f"baresip+JACK {cpu['dave']:.4f}, baresip callee {cpu['bob']:.4f} CPU s per "
                  f"call-second (ratio {ratio:.2f}x; codec {r['codec'] or '?'}, canceller "
                  f"{r['voice'].get('canceller') or 'off'})", flush=True)
            busy = sorted(((v, k) for k, v in threads.items() if v >= 0.0002), reverse=True)
            print("    softphone threads (CPU ms per call-second): "
                  + ", ".join(f"{k} {v * 1000:.1f}" for v, k in busy), flush=True)
    return out


def summary(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out = {}
    for mode in MODES:
        rs = [r for r in results if r.get("mode", "plain") == mode]
        if not rs:
            continue
        c = [r["cpu_per_call_s"] for r in rs]
        out[mode] = {"eng": statistics.median(x["eng"] for x in c),
                     "dave": statistics.median(x["dave"] for x in c),
                     "bob": statistics.median(x["bob"] for x in c),
                     "ratio": statistics.median(x["eng"] / x["dave"] for x in c if x["dave"]),
                     "n": len(rs)}
    return out


def table(results: list[dict[str, Any]], minutes: float) -> str:
    s = summary(results)
    lines = ["| process (JACK dummy, PCMU) | calls | CPU s per call-second (median) | "
             "vs baresip+JACK beside it (median) |", "|---|---|---|---|"]
    for mode, (_audio, target, label) in MODES.items():
        if mode in s:
            m = s[mode]
            lines.append(f"| {label} | {m['n']:.0f} x {minutes * 60:.0f} s | {m['eng']:.4f} | "
                         f"{m['ratio']:.2f}x (target <= {target:g}x) |")
    daves = [r["cpu_per_call_s"]["dave"] for r in results]
    bobs = [r["cpu_per_call_s"]["bob"] for r in results]
    lines.append(f"| baresip, JACK capture + playback | {len(daves)} | "
                 f"{statistics.median(daves):.4f} | 1.00x |")
    lines.append(f"| baresip callee (sine, no device) | {len(bobs)} | "
                 f"{statistics.median(bobs):.4f} | |")
    under = statistics.median(r["underruns_per_min"] for r in results)
    lines.append(f"| (bridge underruns per minute, median) | | {under:.2f} | |")
    lines.append(f"| (load average during the run) | | {os.getloadavg()[0]:.2f} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=3, help="rounds (each: one call per mode)")
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    if args.quick:
        args.calls, args.minutes = 1, 1 / 3
    results = run(args.calls, args.minutes)
    print(table(results, args.minutes))
    if args.json:
        args.json.write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
