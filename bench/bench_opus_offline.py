"""Opus with loss, offline: libopus alone (ctypes), the bench's speech and loss patterns.

    .venv/bin/python bench/bench_opus_offline.py                       # our settings
    .venv/bin/python bench/bench_opus_offline.py --plp 3 --plp 6 --bitrate 32000 --bitrate 40000

What a call does, without the call: the speech of ``bench_voice.py`` (espeak-ng, 16 kHz,
-55 dBFS noise floor) is encoded in 20 ms frames as our codec does (opus_codec.c: VoIP,
voice signal, wideband, VBR, in-band FEC), packets are dropped with ``bench_voice``'s
seeded pattern (``numgen inc mod 100``) at every ``--phases`` offset of it (where a pattern
falls in the speech moves PESQ by ~0.5), and decoded as our timeline does
(opus_playout.c): a packet, else the next packet's in-band FEC, else concealment. The
encoder's expected loss (OPUS_SET_PACKET_LOSS_PERC) is ``--start-plp`` for the first
``--start-s`` seconds (our codec's default until the far end's first RTCP report), then
``--plp``. Scored with PESQ P.862.2 (wideband); prints the median and the spread over the
phases per setting. No root, no network: a parameter sweep in a minute or two, to be
confirmed through real calls with ``bench_voice.py``.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import itertools
import statistics
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_voice import Speech, loss_pattern, score, write_wav

RATE = 16000
FRAME = RATE // 50
OPUS_APPLICATION_VOIP = 2048
SET_BITRATE, SET_MAX_BANDWIDTH, SET_VBR, SET_COMPLEXITY = 4002, 4004, 4006, 4010
SET_INBAND_FEC, SET_PACKET_LOSS_PERC, SET_DTX, SET_SIGNAL = 4012, 4014, 4016, 4024
BANDWIDTH_WIDEBAND, SIGNAL_VOICE = 1103, 3001


def libopus() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
    lib.opus_encoder_create.restype = ctypes.c_void_p
    lib.opus_decoder_create.restype = ctypes.c_void_p
    lib.opus_encoder_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                ctypes.c_void_p, ctypes.c_int]
    lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
    return lib


def encode(lib: ctypes.CDLL, pcm: np.ndarray, bitrate: int, complexity: int,
           plp_at: list[int], fec: bool = True) -> list[bytes]:
    """One packet per 20 ms frame; ``plp_at[i]``: the expected loss while coding frame i."""
    err = ctypes.c_int()
    enc = lib.opus_encoder_create(RATE, 1, OPUS_APPLICATION_VOIP, ctypes.byref(err))
    for request, value in ((SET_SIGNAL, SIGNAL_VOICE), (SET_BITRATE, bitrate),
                           (SET_MAX_BANDWIDTH, BANDWIDTH_WIDEBAND),
                           (SET_COMPLEXITY, complexity), (SET_INBAND_FEC, int(fec)),
                           (SET_PACKET_LOSS_PERC, plp_at[0]), (SET_DTX, 0), (SET_VBR, 1)):
        lib.opus_encoder_ctl(enc, request, value)
    out = ctypes.create_string_buffer(1500)
    packets = []
    applied = plp_at[0]
    frames = len(pcm) // FRAME
    for i in range(frames):
        if plp_at[i] != applied:
            applied = plp_at[i]
            lib.opus_encoder_ctl(enc, SET_PACKET_LOSS_PERC, applied)
        chunk = np.ascontiguousarray(pcm[i * FRAME:(i + 1) * FRAME], dtype=np.int16)
        n = lib.opus_encode(enc, chunk.ctypes.data, FRAME, out, 1500)
        if n < 0:
            raise RuntimeError(f"opus_encode: {n}")
        packets.append(out.raw[:n])
    lib.opus_encoder_destroy(enc)
    return packets


def decode(lib: ctypes.CDLL, packets: list[bytes], lost: set[int]) -> tuple[np.ndarray, int, int]:
    """As our timeline plays: the packet, else the next one's FEC, else concealment."""
    err = ctypes.c_int()
    dec = lib.opus_decoder_create(RATE, 1, ctypes.byref(err))
    pcm = np.zeros(FRAME * 6, dtype=np.int16)
    out: list[np.ndarray] = []
    fec = plc = 0
    for i, packet in enumerate(packets):
        if i not in lost:
            n = lib.opus_decode(dec, packet, len(packet), pcm.ctypes.data, FRAME * 6, 0)
        elif i + 1 < len(packets) and i + 1 not in lost:
            n = lib.opus_decode(dec, packets[i + 1], len(packets[i + 1]), pcm.ctypes.data,
                                FRAME, 1)
            fec += 1
        else:
            n = lib.opus_decode(dec, None, 0, pcm.ctypes.data, FRAME, 0)
            plc += 1
        out.append(pcm[:max(0, n)].copy())
    lib.opus_decoder_destroy(dec)
    return np.concatenate(out), fec, plc


def lost_frames(percent: int, phase: int, frames: int) -> set[int]:
    pattern = set(loss_pattern(percent)) if percent else set()
    return {i for i in range(frames) if (i + phase) % 100 in pattern}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loss", type=int, action="append", help="percent (default 0, 3, 10)")
    ap.add_argument("--plp", type=str, action="append",
                    help="expected loss after the start: a number, or 'loss' (the real "
                         "loss), or 'loss*K' / 'loss+K' (default 'loss')")
    ap.add_argument("--start-plp", type=int, default=10)
    ap.add_argument("--start-s", type=float, default=5.0)
    ap.add_argument("--bitrate", type=int, action="append")
    ap.add_argument("--complexity", type=int, default=10)
    ap.add_argument("--phases", type=int, default=12, help="offsets of the pattern tried")
    args = ap.parse_args()
    lib = libopus()
    with tempfile.TemporaryDirectory(prefix="opus-offline-") as tmp:
        work = Path(tmp)
        speech = Speech(work)
        with wave.open(str(speech.send16)) as w:
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
        frames = len(pcm) // FRAME
        start = int(args.start_s * 50)
        phases = [round(k * 100 / args.phases) for k in range(args.phases)]
        for loss, plp_rule, bitrate in itertools.product(
                args.loss or [0, 3, 10], args.plp or ["loss"], args.bitrate or [32000]):
            plp = int(eval(plp_rule, {}, {"loss": loss}))  # a rule from the command line
            plp_at = [args.start_plp] * start + [plp] * (frames - start)
            packets = encode(lib, pcm, bitrate, args.complexity, plp_at)
            kbps = 8 * sum(map(len, packets)) / (frames * 0.02) / 1000
            scores, fecs, plcs = [], [], []
            for phase in phases if loss else [0]:
                audio, fec, plc = decode(lib, packets, lost_frames(loss, phase, frames))
                out = work / "decoded.wav"
                write_wav(out, audio, RATE)
                scores.append(score(speech.reference, out, "wb", work))
                fecs.append(fec)
                plcs.append(plc)
            print(f"loss {loss:2d} %  plp {plp_rule:>8s}={plp:2d}  bitrate {bitrate}  "
                  f"({kbps:.1f} kbit/s sent)  PESQ median {statistics.median(scores):.2f}  "
                  f"mean {statistics.mean(scores):.2f}  min {min(scores):.2f}  "
                  f"max {max(scores):.2f}  (FEC {statistics.median(fecs)}, "
                  f"concealed {statistics.median(plcs)} per run)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
