"""What the other side hears: speech through a real call, scored with PESQ, under packet loss.

    .venv/bin/python bench/bench_voice.py            # the same loss pattern for all (~8 min)
    .venv/bin/python bench/bench_voice.py --random --runs 3   # random loss, medians
    .venv/bin/python bench/bench_voice.py --only softphone --codec opus --json out.json

Needs root (network namespaces, nftables), espeak-ng, sox, baresip, linphonec and the
``pesq`` package (``scripts/bootstrap.sh bench``).

The lab: two network namespaces, ``vo-a`` (198.51.100.1, the talker) and ``vo-b``
(198.51.100.2, the listener), joined by a veth pair; nothing leaves them. Loss is an nftables
rule in the listener's input hook that drops ``numgen random mod 100 < N`` of the UDP
datagrams reaching it, except SIP's (so RTP and RTCP, what the listener receives); by
default the draw is made once (seeded) and replayed with ``numgen inc mod 100 { ... }`` so
that every phone meets the same losses (random draws differ by about ±0.3 PESQ from run to
run); ``--random`` draws afresh per datagram. Each row
is a call between two copies of the same phone with the same codec preferred on both sides:
what is scored is that phone's whole chain (encoder, FEC, jitter buffer, decoder,
concealment).

The speech: English and Russian sentences from espeak-ng, 16 kHz mono, with 1 s of silence
in front (the listener is recording by then) and a -55 dBFS noise floor, as a microphone has
(espeak-ng's pauses are digital silence, in which PESQ scores any codec noise as severe).
The listener's recording is aligned to the reference by cross-correlation, cut to its
length and scored with ITU-T P.862 (``pesq``): wideband (P.862.2, 16 kHz) for Opus and
G.722, narrowband (P.862.1, 8 kHz) for G.711.

How the audio travels, per phone:
* softphone: the engine (softphone.sip.engine.Engine, the app's SIP core with its codec
  order and our Opus codec) in a process of its own (tests/integration/sip/engine_driver.py).
  The talker's microphone is a WAV player (pjsua2 AudioMediaPlayer) connected to the call's
  conference slot; the listener records the call with the engine's own call recording (the
  conference bridge at 16 kHz, which mixes in its microphone: nothing here). PortAudio is
  not in the path: the network, PJSIP's jitter buffer and the codecs are.
* baresip: the talker's ``audio_source`` is ``aufile`` (the same speech, 48 kHz stereo); it
  hangs up at the end of the file; the listener's ``sndfile`` module dumps what it decoded.
  Opus: ``opus_bitrate 28000``, ``opus_inbandfec yes``, ``opus_packet_loss 10`` (as ours);
  ``plc.so`` conceals G.711/G.722 losses.
* linphonec: the talker plays the WAV (``play``), the listener records the call (``record``).

Nothing here asserts: it prints one table (median of the runs) and, with ``--json``, the raw
scores.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.sip.engine_driver import EngineProcess  # noqa: E402

NS_TALK, NS_LISTEN = "vo-a", "vo-b"
ADDR_TALK, ADDR_LISTEN = "198.51.100.1", "198.51.100.2"
SIP_TALK, SIP_LISTEN = 5070, 5080
RTP_TALK, RTP_LISTEN = 20000, 30000
LOSSES = (0, 3, 10)
SENTENCES = (
    ("en-us", "Please call me back tomorrow morning about the new contract. "
              "The quick brown fox jumps over the lazy dog."),
    ("ru", "Перезвоните мне, пожалуйста, завтра утром по поводу нового договора. "
           "Съешь же ещё этих мягких французских булок, да выпей чаю."),
)
# (phone, codec as in [audio] codecs / baresip audio_codecs / linphone mime, PESQ mode)
ROWS = (
    ("softphone", "opus", "wb"), ("softphone", "G722", "wb"), ("softphone", "PCMA", "nb"),
    ("baresip", "opus", "wb"), ("baresip", "G722", "wb"), ("baresip", "PCMA", "nb"),
    ("linphonec", "opus", "wb"),
)
BARESIP_CODECS = {"opus": "opus/48000/2", "G722": "G722/16000/1", "PCMA": "PCMA/8000/1"}


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, check=check, timeout=60)


def in_ns(ns: str) -> list[str]:
    return ["ip", "netns", "exec", ns]


def loss_pattern(percent: int) -> list[int]:
    """Which datagrams of every 100 are lost: drawn once (seeded), so every phone meets the
    same losses; the first draw with at least one burst of two (as random loss has: ~0.9
    adjacent pairs per 100 datagrams at 10 %), isolated losses being FEC's easy case."""
    import random

    seed = 1000 + percent
    while True:
        drawn = sorted(random.Random(seed).sample(range(100), percent))
        if percent < 3 or any(b - a == 1 for a, b in itertools.pairwise(drawn)):
            return drawn
        seed += 1


# --- the lab ------------------------------------------------------------------------------------
class Lab:
    """Two namespaces joined by a veth pair; loss set on the listener's side."""

    def __enter__(self) -> Lab:
        self.close()  # a lab left by a killed run
        sh("ip", "netns", "add", NS_TALK)
        sh("ip", "netns", "add", NS_LISTEN)
        sh("ip", "link", "add", "vo-a0", "type", "veth", "peer", "name", "vo-b0")
        sh("ip", "link", "set", "vo-a0", "netns", NS_TALK)
        sh("ip", "link", "set", "vo-b0", "netns", NS_LISTEN)
        for ns, dev, addr in ((NS_TALK, "vo-a0", ADDR_TALK), (NS_LISTEN, "vo-b0", ADDR_LISTEN)):
            sh(*in_ns(ns), "ip", "addr", "add", f"{addr}/24", "dev", dev)
            sh(*in_ns(ns), "ip", "link", "set", dev, "up")
            sh(*in_ns(ns), "ip", "link", "set", "lo", "up")
        # linphone takes its media address from the route to the internet: a default route to
        # the other namespace (which forwards nothing) gives it the veth's, and nothing leaves
        sh(*in_ns(NS_TALK), "ip", "route", "add", "default", "via", ADDR_LISTEN)
        sh(*in_ns(NS_LISTEN), "ip", "route", "add", "default", "via", ADDR_TALK)
        sh(*in_ns(NS_LISTEN), "nft", "add", "table", "inet", "vo")
        sh(*in_ns(NS_LISTEN), "nft",
           "add chain inet vo inp { type filter hook input priority 0 ; policy accept ; }")
        return self

    def set_loss(self, percent: int, sip_port: int, random: bool = False,
                 shift: int = 0) -> None:
        """Drop ``percent`` % of what reaches the listener (not SIP): a fresh random draw
        per datagram, or the same pseudo-random pattern for every call (the rule's packet
        counter starts at 0 with each call), turned by ``shift`` datagrams."""
        sh(*in_ns(NS_LISTEN), "nft", "flush", "chain", "inet", "vo", "inp")
        if not percent:
            return
        turned = sorted((n + shift) % 100 for n in loss_pattern(percent))
        match = (f"numgen random mod 100 < {percent}" if random
                 else f"numgen inc mod 100 {{ {', '.join(map(str, turned))} }}")
        sh(*in_ns(NS_LISTEN), "nft",
           f"add rule inet vo inp ip saddr {ADDR_TALK} udp dport != {sip_port} {match} drop")

    def close(self) -> None:
        for ns in (NS_TALK, NS_LISTEN):
            sh("ip", "netns", "del", ns, check=False)

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- the speech ---------------------------------------------------------------------------------
class Speech:
    """The reference (16 kHz mono) and what each talker sends (1 s of silence first)."""

    def __init__(self, work: Path) -> None:
        parts = []
        for i, (voice, text) in enumerate(SENTENCES):
            raw = work / f"say{i}.wav"
            sh("espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text)
            part = work / f"say{i}-16k.wav"
            sh("sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(part),
               "norm", "-3")
            parts.append(str(part))
        gap = work / "gap.wav"
        sh("sox", "-n", "-r", "16000", "-c", "1", "-b", "16", str(gap), "trim", "0", "0.6")
        spoken = work / "spoken-16k.wav"
        sh("sox", parts[0], str(gap), parts[1], str(spoken), "pad", "1", "1")
        with wave.open(str(spoken)) as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(float)
        # A microphone's noise floor (-55 dBFS): espeak-ng's pauses are digital silence, in
        # which PESQ counts any codec noise as severe (G.722 at 0 % loss scored 3.1).
        noise = np.random.default_rng(7).standard_normal(len(pcm)) * 32768 * 10 ** (-55 / 20)
        pcm = np.clip(np.round(pcm + noise), -32768, 32767).astype(np.int16)
        self.send16 = work / "send-16k.wav"
        write_wav(self.send16, pcm, 16000)
        self.reference = work / "reference-16k.wav"
        write_wav(self.reference, pcm[16000:-16000], 16000)
        self.send48_stereo = work / "send-48k-stereo.wav"
        sh("sox", str(self.send16), "-r", "48000", "-c", "2", str(self.send48_stereo))
        self.seconds = wav_seconds(self.send16)


def write_wav(path: Path, pcm: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def read_mono(path: Path, rate: int, work: Path) -> np.ndarray:
    """Any WAV as int16 mono at ``rate`` (sox converts)."""
    out = work / f"{path.stem}-{rate}.wav"
    sh("sox", str(path), "-r", str(rate), "-c", "1", "-b", "16", str(out))
    with wave.open(str(out)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def score(reference: Path, received: Path, mode: str, work: Path) -> float:
    """PESQ of ``received`` against ``reference`` after aligning by cross-correlation."""
    from pesq import pesq

    rate = 16000 if mode == "wb" else 8000
    ref = read_mono(reference, rate, work).astype(np.float64)
    deg = read_mono(received, rate, work).astype(np.float64)
    if len(deg) < len(ref) // 2 or not np.any(deg):
        return float("nan")
    n = 1 << int(np.ceil(np.log2(len(ref) + len(deg))))
    corr = np.fft.irfft(np.fft.rfft(deg, n) * np.conj(np.fft.rfft(ref, n)), n)
    lag = int(np.argmax(corr[: len(deg)]))
    cut = deg[lag: lag + len(ref)]
    if len(cut) < len(ref):
        cut = np.concatenate([cut, np.zeros(len(ref) - len(cut))])
    return float(pesq(rate, ref, cut, mode))


# --- the phones ---------------------------------------------------------------------------------
def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


class Softphones:
    """Two engine processes, one per namespace, kept for every call of a codec."""

    def __init__(self, codec: str, speech: Speech, work: Path) -> None:
        self.speech = speech
        self.work = work
        self.last_counts = ""

        def config(user: str, addr: str, sip: int, rtp: int, **extra: Any) -> dict[str, Any]:
            return {"sip": {"listen_host": addr, "listen_port": sip, "rtp_port": rtp},
                    "accounts": [{"name": "LAN", "address": f"sip:{user}@{addr}"}],
                    "codecs": [codec], "log_level": os.environ.get("BENCH_VOICE_LOG", "WARNING"),
                    "recordings_dir": str(work / f"rec-{user}"), **extra}

        self.listener = EngineProcess(
            config("bob", ADDR_LISTEN, SIP_LISTEN, RTP_LISTEN, calls={"auto_answer": True}),
            stderr_path=work / "softphone-listener.log")
        self.listener.command_prefix = in_ns(NS_LISTEN)
        self.listener.start()
        self.talker = EngineProcess(
            config("alice", ADDR_TALK, SIP_TALK, RTP_TALK, wav_source=str(speech.send16)),
            stderr_path=work / "softphone-talker.log")
        self.talker.command_prefix = in_ns(NS_TALK)
        self.talker.start()

    def call(self) -> tuple[Path, str]:
        rx, tx = self.listener, self.talker
        mark_rx, mark_tx = rx.mark(), tx.mark()
        call_id = tx.command("dial", target=f"sip:bob@{ADDR_LISTEN}:{SIP_LISTEN}")
        incoming = rx.wait_event("IncomingCall", 10.0, since=mark_rx)["call_id"]
        rx.wait_event("CallStateChanged", 10.0, since=mark_rx, call_id=incoming,
                      state="confirmed")
        path = Path(rx.command("start_recording", call_id=incoming))
        need = 44 + int(self.speech.seconds * 16000 * 2)
        before = rx.command("opus_counts")
        planned: list[int] = []
        looked = [0.0]

        def recorded() -> bool:
            # the talker's FEC planning as it goes (one look a second)
            if time.monotonic() - looked[0] >= 1.0:
                looked[0] = time.monotonic()
                plan = tx.command("opus_counts")["planned"]
                if not planned or planned[-1] != plan:
                    planned.append(plan)
            return path.exists() and path.stat().st_size >= need

        wait_for(recorded, self.speech.seconds + 15, "the listener's recording")
        after = rx.command("opus_counts")
        self.last_counts = (f"listener: {after['fec'] - before['fec']} lost frames from FEC, "
                            f"{after['plc'] - before['plc']} concealed; talker's FEC planned "
                            f"for {' -> '.join(map(str, planned))} % loss")
        tx.command("hangup", call_id=call_id)
        rx.wait_event("RecordingFinished", 10.0, since=mark_rx, call_id=incoming)
        quality = rx.wait_event("CallQuality", 10.0, since=mark_rx, call_id=incoming)
        tx.wait_event("CallStateChanged", 10.0, since=mark_tx, call_id=call_id,
                      state="disconnected")
        return path, str(quality.get("codec", ""))

    def close(self) -> None:
        for p in (self.talker, self.listener):
            with contextlib.suppress(Exception):
                p.close()


def _baresip_config(work: Path, name: str, addr: str, sip: int, rtp: int, codec: str,
                    source: str) -> Path:
    conf = work / f"baresip-{name}"
    shutil.rmtree(conf, ignore_errors=True)
    (conf / "dumps").mkdir(parents=True)
    (conf / "config").write_text(f"""poll_method\t\tepoll
sip_listen\t\t{addr}:{sip}
net_interface\t\t{addr}
net_prefer_ipv6\t\tno
audio_source\t\t{source}
ausrc_srate\t\t48000
ausrc_channels\t\t2
auplay_srate\t\t48000
auplay_channels\t\t2
audio_level\t\tno
rtp_ports\t\t{rtp}-{rtp + 9}
rtp_timeout\t\t0
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\tg722.so
module\t\t\topus.so
module\t\t\tausine.so
module\t\t\taufile.so
module\t\t\tsndfile.so
module\t\t\tplc.so
module_app\t\taccount.so
module_app\t\tmenu.so
snd_path\t\t{conf / 'dumps'}
opus_bitrate\t\t28000
opus_inbandfec\t\tyes
opus_packet_loss\t10
""")
    (conf / "accounts").write_text(
        f"<sip:{name}@{addr}:{sip}>;regint=0;answermode=auto;"
        f"audio_codecs={BARESIP_CODECS[codec]}\n")
    return conf


def baresip_call(codec: str, speech: Speech, work: Path) -> tuple[Path, str]:
    rx_conf = _baresip_config(work, "bob", ADDR_LISTEN, SIP_LISTEN, RTP_LISTEN, codec,
                              "ausine,440")
    tx_conf = _baresip_config(work, "alice", ADDR_TALK, SIP_TALK, RTP_TALK, codec,
                              f"aufile,{speech.send48_stereo}")
    rx_log = open(work / "baresip-listener.log", "w")  # noqa: SIM115
    rx = subprocess.Popen([*in_ns(NS_LISTEN), "baresip", "-f", str(rx_conf)],
                          stdout=rx_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          start_new_session=True)
    try:
        wait_for(lambda: "baresip is ready" in (work / "baresip-listener.log").read_text(),
                 10.0, "baresip listener")
        tx_log = work / "baresip-talker.log"
        with open(tx_log, "w") as log:
            subprocess.run([*in_ns(NS_TALK), "baresip", "-f", str(tx_conf), "-e",
                            f"/dial sip:bob@{ADDR_LISTEN}:{SIP_LISTEN}",
                            "-t", str(int(speech.seconds + 8))],
                           stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                           timeout=speech.seconds + 30, check=False)
        wait_for(lambda: "closed" in (work / "baresip-listener.log").read_text(), 10.0,
                 "baresip listener to see the call end")
    finally:
        os.killpg(rx.pid, signal.SIGTERM)
        rx.wait(10)
        rx_log.close()
    dumps = sorted((rx_conf / "dumps").glob("dump-*-dec.wav"))
    if not dumps:
        raise RuntimeError("baresip dumped nothing")
    log = (work / "baresip-listener.log").read_text()
    used = next((line.split("decoder:", 1)[1].strip() for line in log.splitlines()
                 if "Set audio decoder" in line), "?")
    return dumps[-1], used


class Linphonec:
    """linphonec in a namespace, driven over stdin (no sound card: play/record files)."""

    def __init__(self, name: str, ns: str, addr: str, sip: int, rtp: int, work: Path,
                 auto_answer: bool) -> None:
        self.dir = work / f"linphonec-{name}"
        shutil.rmtree(self.dir, ignore_errors=True)
        home = self.dir / "home"
        (home / ".local" / "share" / "linphone").mkdir(parents=True)
        codecs = ["opus/48000/2", "speex/16000/1", "speex/8000/1", "PCMU/8000/1",
                  "PCMA/8000/1", "GSM/8000/1", "G722/8000/1", "speex/32000/1"]
        rc = (f"[sip]\nsip_port={sip}\nsip_tcp_port=-1\nsip_tls_port=-1\nbind_address={addr}\n"
              f"contact=sip:{name}@{addr}\n[net]\nauto_net_state_mon=0\n"
              f"[rtp]\naudio_rtp_port={rtp}\n[sound]\necho_cancellation=0\n")
        for i, codec in enumerate(codecs):
            mime, rate, ch = codec.split("/")
            rc += (f"[audio_codec_{i}]\nmime={mime}\nrate={rate}\nchannels={ch}\n"
                   f"enabled={int(i == 0)}\n")
        (self.dir / "rc").write_text(rc)
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [*in_ns(ns), "linphonec", "-c", str(self.dir / "rc"), *(["-a"] if auto_answer
                                                                  else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env=dict(os.environ, HOME=str(home)), cwd=self.dir, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()
        self.send("ipv6 disable")
        self.wait(r"ipv6 use disabled", 15.0)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with open(self.dir / "log", "ab") as log:
            for raw in self.proc.stdout:
                log.write(raw)
                self.lines.append(raw.decode(errors="replace"))

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def wait(self, pattern: str, timeout: float, since: int = 0) -> None:
        import re

        rx = re.compile(pattern)
        wait_for(lambda: any(rx.search(x) for x in self.lines[since:]), timeout, pattern)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.send("quit")
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)


def linphonec_call(speech: Speech, work: Path) -> tuple[Path, str]:
    rx = Linphonec("bob", NS_LISTEN, ADDR_LISTEN, SIP_LISTEN, RTP_LISTEN, work, True)
    tx = Linphonec("alice", NS_TALK, ADDR_TALK, SIP_TALK, RTP_TALK, work, False)
    heard = work / "linphonec-heard.wav"
    heard.unlink(missing_ok=True)
    try:
        tx.send(f"call sip:bob@{ADDR_LISTEN}:{SIP_LISTEN}")
        rx.wait(r"connected", 15.0)
        tx.wait(r"connected", 15.0)
        n = len(rx.lines)
        rx.send(f"record {heard}")
        rx.wait(r"Media streams established|record", 10.0, since=n)
        tx.send(f"play {speech.send16}")
        wait_for(lambda: heard.exists() and heard.stat().st_size > 44 + 16000 * 2 * 2,
                 speech.seconds + 15, "linphonec's recording")
        time.sleep(speech.seconds + 1.0)  # the talker's file plays in real time
        tx.send("terminate")
        rx.wait(r"ended", 10.0)
    finally:
        tx.close()
        rx.close()
    used = "opus" if any("opus" in x.lower() for x in rx.lines) else "?"
    return heard, used


# --- the runs -----------------------------------------------------------------------------------
def run(phones: set[str], codecs: set[str], runs: int, work: Path,
        losses: tuple[int, ...] = LOSSES, random_loss: bool = False,
        log: Any = print, rotate: bool = False) -> dict[str, Any]:
    speech = Speech(work)
    results: dict[str, Any] = {"speech_seconds": round(speech.seconds, 2), "rows": [],
                               "loss": "random" if random_loss else "pattern",
                               "patterns": {str(p): loss_pattern(p) for p in losses if p}}
    with Lab() as lab:
        for phone, codec, mode in ROWS:
            if phone not in phones or codec not in codecs:
                continue
            row: dict[str, Any] = {"phone": phone, "codec": codec, "mode": mode, "scores": {}}
            engines = Softphones(codec, speech, work) if phone == "softphone" else None
            try:
                for loss in losses:
                    scores = []
                    for attempt in range(1 if loss == 0 else runs):
                        shift = attempt * 100 // runs if rotate else 0
                        lab.set_loss(loss, SIP_LISTEN, random_loss, shift)
                        counts = ""
                        if engines is not None:
                            received, used = engines.call()
                            counts = f" [{engines.last_counts}]" if codec == "opus" else ""
                        elif phone == "baresip":
                            received, used = baresip_call(codec, speech, work)
                        else:
                            received, used = linphonec_call(speech, work)
                        lab.set_loss(0, SIP_LISTEN)
                        keep = work / f"{phone}-{codec}-{loss}-{attempt}.wav"
                        shutil.copy(received, keep)
                        s = score(speech.reference, keep, mode, work)
                        scores.append(s)
                        row["used"] = used
                        log(f"{phone:9s} {codec:4s} loss {loss:2d}% run {attempt + 1}: "
                            f"PESQ {s:.2f} ({used}){counts}", flush=True)
                    row["scores"][str(loss)] = scores
            finally:
                if engines is not None:
                    engines.close()
            results["rows"].append(row)
    return results


def median(values: list[float]) -> float:
    good = [v for v in values if v == v]
    return statistics.median(good) if good else float("nan")


def table(results: dict[str, Any]) -> str:
    head = ("| phone | codec | PESQ | " + " | ".join(f"{loss} % loss" for loss in LOSSES)
            + " |\n|---|---|---|" + "---|" * len(LOSSES) + "\n")
    lines = []
    for row in results["rows"]:
        cells = [f"{median(row['scores'].get(str(loss), [])):.2f}" for loss in LOSSES]
        mode = "WB" if row["mode"] == "wb" else "NB"
        lines.append(f"| {row['phone']} | {row['codec']} | {mode} | " + " | ".join(cells)
                     + " |")
    return head + "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1, help="calls per lossy cell (median)")
    ap.add_argument("--random", action="store_true",
                    help="a fresh random draw per datagram (numgen random; use --runs 3 or "
                         "more) instead of the same seeded pattern for every phone")
    ap.add_argument("--rotate", action="store_true",
                    help="turn the seeded pattern by 100/runs datagrams from one call to the "
                         "next: where it falls in the speech moves PESQ by up to 0.6 (3 %%), "
                         "and each phone's packets before the speech differ, so one fixed "
                         "pattern meets each phone at another place; use --runs 3 or more")
    ap.add_argument("--only", action="append", choices=["softphone", "baresip", "linphonec"])
    ap.add_argument("--codec", action="append", choices=["opus", "G722", "PCMA"])
    ap.add_argument("--loss", action="append", type=int, choices=LOSSES)
    ap.add_argument("--json", type=Path, help="write the raw scores here")
    ap.add_argument("--keep", type=Path, help="keep the recordings in this directory")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench_voice needs root (network namespaces, nftables)", file=sys.stderr)
        return 2
    for tool in ("espeak-ng", "sox", "baresip", "linphonec", "nft"):
        if shutil.which(tool) is None:
            print(f"bench_voice needs {tool} (scripts/bootstrap.sh bench)", file=sys.stderr)
            return 2
    phones = set(args.only or ["softphone", "baresip", "linphonec"])
    codecs = set(args.codec or ["opus", "G722", "PCMA"])
    with _workdir(args.keep) as work:
        started = time.time()
        results = run(phones, codecs, max(1, args.runs), work,
                      tuple(sorted(set(args.loss))) if args.loss else LOSSES, args.random,
                      rotate=args.rotate)
        results["seconds"] = round(time.time() - started)
        results["runs"] = args.runs
        results["load"] = os.getloadavg()
    print()
    print(table(results))
    kind = ("random loss (numgen random)" if args.random
            else "the same seeded loss pattern for every phone (numgen inc)"
            + (", turned by 100/runs datagrams per call" if args.rotate else ""))
    print(f"\n{kind}; median of {args.runs} call(s) per lossy cell (1 at 0 %); "
          f"{results['speech_seconds']} s of speech; load {results['load'][0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


@contextlib.contextmanager
def _workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="vo-voice-") as tmp:
        yield Path(tmp)


if __name__ == "__main__":
    sys.exit(main())
