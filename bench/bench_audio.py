"""Benchmark: a long call through the PortAudio bridge over a JACK dummy server.

    .venv/bin/python bench/bench_audio.py             # 10 minutes
    .venv/bin/python bench/bench_audio.py --minutes 1

The engine (with the real audio backend) calls baresip (auto-answer, 440 Hz sine, no player);
``jack_simple_client`` (a C JACK client: a sine tone) feeds the app's microphone port, and at
the end the Python harness client listens to the speaker port for a second (a Python client in
the graph for the whole call would add its own JACK xruns to the figures).

Printed: bridge underruns per minute after the first second, buffer depth (ms) at the start
and at the end of the call, CPU seconds per call-minute of the engine process, and the same
CPU figure for baresip in the same run:

* ``baresip (callee)``: the baresip we call (RTP + codec + sine, no sound device);
* ``baresip (JACK)``: a second baresip in a parallel call that does what we do, real JACK
  capture and playback (module ``jack``), to another baresip.

Targets: <= 1 underrun per minute after the first second; depth at the end within 20 ms of the
start; CPU <= 3 x baresip.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.harness.jack import JackHarness, JackServer  # noqa: E402
from tests.harness.sip_peers import Baresip  # noqa: E402
from tests.integration.audio.audio_driver import AudioEngineProcess, lan_account  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds per thread (by name, summed over threads of the same name)."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[comm] = out.get(comm, 0.0) + (int(fields[11]) + int(fields[12])) / TICK
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (and its reaped children), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / TICK


class JackBaresip(Baresip):
    """baresip with real JACK capture and playback (module ``jack``) instead of ausine only."""

    def _start(self) -> None:
        import tests.harness.sip_peers as peers

        original = peers._fill

        def fill(template: str, values: dict[str, str]) -> str:
            text = original(template, values)
            text = text.replace(f"audio_source\t\tausine,{self.tone_hz}", "audio_source\t\tjack,")
            return (text + "module\t\t\tjack.so\naudio_player\t\tjack,\n"
                    "jack_connect_ports\tyes\nausrc_format\t\tfloat\nauplay_format\t\tfloat\n")

        peers._fill = fill
        try:
            super()._start()
        finally:
            peers._fill = original


def _wait(cond: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        threading.Event().wait(0.05)


def run(minutes: float, workdir: Path, engine_env: dict[str, str] | None = None,
        audio: dict[str, Any] | None = None, codecs: str = "PCMU/8000/1") -> dict[str, Any]:
    """One call of ``minutes``; ``audio``: the engine's [audio] settings (by default no echo
    canceller or noise suppressor); ``codecs``: every baresip's (so both calls use one codec)."""
    seconds = minutes * 60.0
    with JackServer(workdir=workdir / "jack") as jack:
        os.environ.update(jack.env())  # the JACK baresip finds the server through these
        tone = subprocess.Popen(["jack_simple_client", "bench-tone"], env=jack.env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            return _call(jack, tone, seconds, workdir, engine_env, audio, codecs)
        finally:
            tone.kill()
            tone.wait(5.0)


def _call(jack: JackServer, tone: subprocess.Popen[bytes], seconds: float, workdir: Path,
          engine_env: dict[str, str] | None, audio: dict[str, Any] | None,
          codecs: str) -> dict[str, Any]:
    peer = {"codecs": codecs}
    with Baresip(user="bob", tone_hz=440, workdir=workdir / "bob", **peer) as bob, \
            Baresip(user="carol", tone_hz=300, workdir=workdir / "carol", **peer) as carol, \
            JackBaresip(user="dave", workdir=workdir / "dave", **peer) as dave:
        eng = AudioEngineProcess(workdir, env=jack.env(engine_env), audio=audio,
                                 accounts=[lan_account("alice")],
                                 name="alice")
        try:
            eng.start()
            call_id = int(eng.cmd("dial", target=bob.uri))
            eng.wait_state(call_id, "confirmed")
            eng.wait_event("CallMediaChanged", 10.0, call_id=call_id, active=True)
            audio = "SOFTPHONE_NO_PORTAUDIO" not in (engine_env or {})
            if audio:
                mic = jack.wait_ports("softphone:in_")[0]
                jack.connect(jack.wait_ports("bench-tone:")[0], mic)
            dave.dial(carol.uri)
            dave.wait_event("CALL_ESTABLISHED", 10.0)
            t0 = time.monotonic()
            _wait(lambda: time.monotonic() - t0 >= 1.0, 5.0, "first second")
            first = eng.cmd("audio_stats")
            assert eng.proc is not None and bob.proc is not None and dave.proc is not None
            cpu0 = {"eng": cpu_seconds(eng.proc.pid), "bob": cpu_seconds(bob.proc.pid),
                    "dave": cpu_seconds(dave.proc.pid)}
            threads0 = thread_cpu(eng.proc.pid)
            t1 = time.monotonic()
            depths: list[tuple[float, float, float]] = []
            next_sample = t1
            while time.monotonic() - t1 < seconds - 1.0:
                next_sample += 1.0
                threading.Event().wait(max(0.0, next_sample - time.monotonic()))
                s = eng.cmd("audio_stats")
                mic_ms, spk_ms = s.get("buffer_depth_ms", (0.0, 0.0))
                depths.append((time.monotonic() - t0, mic_ms, spk_ms))
            last = eng.cmd("audio_stats")
            span = time.monotonic() - t1
            cpu1 = {"eng": cpu_seconds(eng.proc.pid), "bob": cpu_seconds(bob.proc.pid),
                    "dave": cpu_seconds(dave.proc.pid)}
            threads1 = thread_cpu(eng.proc.pid)
            heard: Any = None
            if audio:
                with JackHarness(jack, inputs=1) as harness:
                    jack.connect(jack.wait_ports("softphone:out_")[0], harness.in_ports[0])
                    heard = harness.snap(1.0)[:, 0]
            eng.cmd("hangup", call_id=call_id)
            eng.wait_state(call_id, "disconnected")
            quality = eng.wait_event("CallQuality", 5.0, call_id=call_id)
            codec = str(quality.get("codec", ""))
        finally:
            eng.close()
    jack_log = jack.log()
    xrun_lines = [line for line in jack_log.splitlines() if "xrun" in line.lower()]
    call_min = span / 60.0
    cpu = {k: (cpu1[k] - cpu0[k]) / call_min for k in cpu0}
    n = max(1, min(5, len(depths) // 4))
    start_depth = statistics.mean(d[1] + d[2] for d in depths[:n])
    end_depth = statistics.mean(d[1] + d[2] for d in depths[-n:])
    from tests.harness.audio_analysis import dominant_frequency

    return {
        "minutes": span / 60.0 + 1 / 60.0,
        "underruns_per_min": (last["counters"][0] - first["counters"][0]) / call_min,
        "overruns_per_min": (last["counters"][1] - first["counters"][1]) / call_min,
        "underruns_total": last["counters"][0],
        "overruns_total": last["counters"][1],
        "device_xruns": last["device_xruns"],
        "speaker_hz": dominant_frequency(heard, 48000) if audio else 0.0,
        "callback_errors": last["callback_errors"],
        "depth_start_ms": start_depth,
        "depth_end_ms": end_depth,
        "cpu_per_call_min": cpu,
        "jack_xruns": xrun_lines,
        "threads": {k: (threads1.get(k, 0.0) - v) / call_min for k, v in threads0.items()},
        "queues": last.get("queue_stats", {}),
        "voice": last.get("voice_state", {}),
        "codec": codec,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--no-audio", action="store_true",
                    help="baseline: the same call with the silent backend (no PortAudio)")
    ap.add_argument("--event-wait-ms", type=int, default=0,
                    help="what-if: the engine's libHandleEvents timeout (default: its own)")
    args = ap.parse_args(argv)
    env = dict(os.environ, SOFTPHONE_NO_PORTAUDIO="1") if args.no_audio else None
    if args.event_wait_ms:
        env = dict(env or os.environ, SOFTPHONE_BENCH_EVENT_WAIT_MS=str(args.event_wait_ms))
    with tempfile.TemporaryDirectory(prefix="bench-audio-") as tmp:
        r = run(args.minutes, Path(tmp), env)
    cpu = r["cpu_per_call_min"]
    print(f"call length                  {r['minutes']:.2f} min (JACK dummy 48 kHz, 20 ms)")
    print(f"speaker plays                {r['speaker_hz']:.1f} Hz (baresip sends 440 Hz)")
    print(f"underruns / min (after 1 s)  {r['underruns_per_min']:.2f}   "
          f"(total {r['underruns_total']}; target <= 1)")
    print(f"overruns / min (after 1 s)   {r['overruns_per_min']:.2f}   "
          f"(total {r['overruns_total']}; device xruns {r['device_xruns']}, "
          f"callback errors {r['callback_errors']})")
    print(f"buffer depth mic+speaker     start {r['depth_start_ms']:.1f} ms, "
          f"end {r['depth_end_ms']:.1f} ms (target: within 20 ms)")
    print(f"CPU s / call-minute          softphone {cpu['eng']:.2f}, baresip callee "
          f"{cpu['bob']:.2f}, baresip with JACK audio {cpu['dave']:.2f}")
    for key, label in (("bob", "baresip callee"), ("dave", "baresip with JACK audio")):
        ratio = cpu["eng"] / cpu[key] if cpu[key] > 0 else float("inf")
        print(f"CPU ratio vs {label:24s}{ratio:.2f} x (target <= 3)")
    ok = (r["underruns_per_min"] <= 1.0 and abs(r["depth_end_ms"] - r["depth_start_ms"]) <= 20
          and cpu["eng"] <= 3 * cpu["dave"])
    threads = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["threads"].items(),
                                                           key=lambda kv: -kv[1]) if v > 0.005)
    print(f"softphone threads (s/min)    {threads}")
    print(f"queues at the end            {r['queues']}")
    ours = sum("client = softphone " in line for line in r["jack_xruns"])
    print(f"JACK server xrun reports     {len(r['jack_xruns'])} ({ours} name the softphone; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    print("targets met" if ok else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
