"""CPU per call-second with real audio through the bridge, beside baresip in the same run.

    .venv/bin/python bench/bench_call_cpu.py               # 3 calls of 1 minute
    .venv/bin/python bench/bench_call_cpu.py --quick       # 1 call of 20 seconds

Each call is bench_audio.py's set-up (JACK dummy server at 48 kHz / 20 ms periods, as in
tests/harness/jack.py): the engine with the real PortAudio backend calls a baresip
(auto-answer, 440 Hz), the harness JACK client feeds its microphone port and records its
speaker port, and in parallel a baresip with real JACK capture and playback calls another
baresip, which is the fair peer: the same work (RTP, codec, sound device over JACK). CPU is
user+system of each process from /proc over the connected time after the first second.

Printed: CPU seconds per call-second (median over the calls) for softphone (engine + bridge),
baresip with JACK audio and the plain baresip callee, and the ratio softphone / baresip with
JACK (target <= 2). Figures are printed, never asserted.
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

TARGET_RATIO = 2.0


def run(calls: int, minutes: float) -> list[dict[str, Any]]:
    import bench_audio

    out = []
    for i in range(calls):
        with tempfile.TemporaryDirectory(prefix="bench-call-cpu-") as tmp:
            r = bench_audio.run(minutes, Path(tmp))
        cpu = {k: v / 60.0 for k, v in r["cpu_per_call_min"].items()}  # per call-second
        threads = {k: v / 60.0 for k, v in r["threads"].items()}
        out.append({"cpu_per_call_s": cpu, "underruns_per_min": r["underruns_per_min"],
                    "speaker_hz": r["speaker_hz"], "minutes": r["minutes"],
                    "threads": threads})
        print(f"  call {i + 1}/{calls}: softphone {cpu['eng']:.4f}, baresip+JACK "
              f"{cpu['dave']:.4f}, baresip callee {cpu['bob']:.4f} CPU s per call-second "
              f"(ratio {cpu['eng'] / cpu['dave'] if cpu['dave'] else float('nan'):.2f}x; "
              f"speaker {r['speaker_hz']:.0f} Hz)", flush=True)
        busy = sorted(((v, k) for k, v in threads.items() if v >= 0.0002), reverse=True)
        print("    softphone threads (CPU ms per call-second): "
              + ", ".join(f"{k} {v * 1000:.1f}" for v, k in busy), flush=True)
    return out


def table(results: list[dict[str, Any]], minutes: float) -> str:
    def med(key: str) -> float:
        return statistics.median(r["cpu_per_call_s"][key] for r in results)

    eng, dave, bob = med("eng"), med("dave"), med("bob")
    lines = ["| process (JACK dummy, PCMU) | calls | CPU s per call-second (median) | "
             "vs baresip+JACK |", "|---|---|---|---|",
             f"| softphone engine + audio bridge | {len(results)} x {minutes * 60:.0f} s | "
             f"{eng:.4f} | {eng / dave if dave else float('nan'):.2f}x "
             f"(target <= {TARGET_RATIO:g}x) |",
             f"| baresip, JACK capture + playback | {len(results)} | {dave:.4f} | 1.00x |",
             f"| baresip callee (sine, no device) | {len(results)} | {bob:.4f} | "
             f"{bob / dave if dave else float('nan'):.2f}x |"]
    under = statistics.median(r["underruns_per_min"] for r in results)
    lines.append(f"| (bridge underruns per minute, median) | | {under:.2f} | |")
    lines.append(f"| (load average during the run) | | {os.getloadavg()[0]:.2f} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=3)
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
