"""Run in its own process (one pjsua2 Endpoint per process) by test_opus_codec.py; prints JSON.

1. layout: the offsets opus_codec.c was compiled with, and the offsets where the wheel's own
   pjmedia_codec_mgr_get_default_param writes distinctive values set through pjsua2;
2. lazy: whether libopus is mapped after the factory is registered (it must not be) and
   after a codec is opened (it must be);
3. loss: a 1 kHz tone through our codec as pjmedia's stream drives it (encode; parse and
   decode, or recover for a lost packet), every 10th packet lost: how many lost frames came
   back from in-band FEC and the tone's share of the decoded signal.
"""

from __future__ import annotations

import ctypes
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pjsua2 as pj  # noqa: E402


class PjStr(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_char_p), ("slen", ctypes.c_long)]


class CodecInfo(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("pt", ctypes.c_uint), ("name", PjStr),
                ("clock_rate", ctypes.c_uint), ("channel_cnt", ctypes.c_uint)]


class Frame(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("buf", ctypes.c_void_p), ("size", ctypes.c_size_t),
                ("timestamp", ctypes.c_uint64), ("bit_info", ctypes.c_uint32)]


class CodecOp(ctypes.Structure):
    _fields_ = [(n, ctypes.c_void_p) for n in
                ("init", "open", "close", "modify", "parse", "encode", "decode", "recover")]


class Codec(ctypes.Structure):
    _fields_ = [("prev", ctypes.c_void_p), ("next", ctypes.c_void_p),
                ("codec_data", ctypes.c_void_p), ("factory", ctypes.c_void_p),
                ("op", ctypes.POINTER(CodecOp))]


def libopus_mapped() -> bool:
    return "libopus" in Path("/proc/self/maps").read_text()


def empirical_layout(ep: pj.Endpoint, lib: ctypes.CDLL, mgr: int) -> dict[str, int]:
    cid = "iLBC/8000/1"
    p = ep.codecGetParam(cid)
    p.info.maxRxFrameSize = 0x777
    p.info.frameLenDenum = 0x5A
    p.info.encFrameLen = 0x1234
    p.info.encFrameLenDenum = 0x6B
    p.setting.frmPerPkt = 0x3C
    p.setting.packetLoss = 0x3333
    p.setting.complexity = 0x4444
    p.setting.cbr = True
    for attr, count in (("encFmtp", 3), ("decFmtp", 5)):
        vec = pj.CodecFmtpVector()
        for i in range(count):
            f = pj.CodecFmtp()
            f.name, f.val = f"n{i}", "v"
            vec.append(f)
        setattr(p.setting, attr, vec)
    ep.codecSetParam(cid, p)
    name = PjStr(cid.encode(), len(cid))
    count = ctypes.c_uint(1)
    infos = (ctypes.c_void_p * 1)()
    lib.pjmedia_codec_mgr_find_codecs_by_id(ctypes.c_void_p(mgr), ctypes.byref(name),
                                            ctypes.byref(count), infos, None)
    raw = ctypes.create_string_buffer(4096)
    lib.pjmedia_codec_mgr_get_default_param(ctypes.c_void_p(mgr), ctypes.c_void_p(infos[0]),
                                            raw)
    b = raw.raw

    def find(value: int, size: int, start: int = 0) -> int:
        return b.find(value.to_bytes(size, "little"), start)

    def find_fmtp(count: int, start: int) -> int:
        # pjmedia_codec_fmtp: a one-byte count, then (8-aligned) `count` name/value pj_str_t
        # pairs: names "n0".. (2 bytes), values "v" (1). A lone search for the count byte
        # would stop at any stray byte of that value on the way (a pointer's, say).
        pos = find(count, 1, start)
        while pos >= 0:
            first = pos + 8 - pos % 8
            if all(int.from_bytes(b[first + 32 * i + off:first + 32 * i + off + 8], "little")
                   == length for i in range(count) for off, length in ((8, 2), (24, 1))):
                return pos
            pos = find(count, 1, pos + 1)
        return -1

    enc = find_fmtp(3, 40)
    dec = find_fmtp(5, enc + 1)
    loss = find(0x3333, 4)
    return {
        "max_rx_frame_size": find(0x777, 4), "frm_ptime_denum": find(0x5A, 1),
        "enc_ptime": find(0x1234, 2), "enc_ptime_denum": find(0x6B, 1),
        "frm_per_pkt": find(0x3C, 1, 36), "enc_fmtp": enc, "dec_fmtp": dec,
        "packet_loss": loss, "complexity": find(0x4444, 4),
        "cbr": loss + 8 if b[loss + 8] == 1 else -1,
    }


def default_max_rx_frame_size(lib: ctypes.CDLL, mgr: int, offset: int) -> int:
    """What our factory tells pjmedia a received frame may take (its jitter-buffer slots)."""
    info = CodecInfo(1, 111, PjStr(b"opus", 4), 48000, 2)
    raw = ctypes.create_string_buffer(4096)
    assert lib.pjmedia_codec_mgr_get_default_param(ctypes.c_void_p(mgr), ctypes.byref(info),
                                                   raw) == 0
    return int.from_bytes(raw.raw[offset:offset + 4], "little")


def declared_layout(opus: object) -> dict[str, int]:
    names = ["sizeof_param", "max_rx_frame_size", "frm_ptime_denum", "enc_ptime",
             "enc_ptime_denum", "pt", "frm_per_pkt", "enc_fmtp", "dec_fmtp", "packet_loss",
             "complexity", "cbr", "sizeof_info", "info_clock_rate", "sizeof_frame",
             "frame_bit_info"]
    out = opus.ffi.new("long[]", len(names))  # type: ignore[attr-defined]
    opus.lib.sp_opus_abi_offsets(out, len(names))  # type: ignore[attr-defined]
    return {n: int(out[i]) for i, n in enumerate(names)}


def loss_run(lib: ctypes.CDLL, mgr: int, rate: int) -> dict[str, object]:
    info = CodecInfo(1, 111, PjStr(b"opus", 4), rate, 2)
    codec_p = ctypes.c_void_p()
    st = lib.pjmedia_codec_mgr_alloc_codec(ctypes.c_void_p(mgr), ctypes.byref(info),
                                           ctypes.byref(codec_p))
    assert st == 0, st
    codec = ctypes.cast(codec_p, ctypes.POINTER(Codec)).contents
    op = codec.op.contents
    param = ctypes.create_string_buffer(2048)
    lib.pjmedia_codec_mgr_get_default_param(ctypes.c_void_p(mgr), ctypes.byref(info), param)
    init = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(op.init)
    open_ = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(op.open)
    frame_fn = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(Frame),
                                ctypes.c_uint, ctypes.POINTER(Frame))
    encode, decode = frame_fn(op.encode), frame_fn(op.decode)
    recover = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint,
                               ctypes.POINTER(Frame))(op.recover)
    parse = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                             ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint),
                             ctypes.POINTER(Frame))(op.parse)
    assert init(codec_p, None) == 0
    big = ctypes.create_string_buffer(1400)
    n_big, ts_big = ctypes.c_uint(4), ctypes.c_uint64(0)
    parse_oversized = parse(codec_p, ctypes.cast(big, ctypes.c_void_p), 1400,
                            ctypes.byref(ts_big), ctypes.byref(n_big), (Frame * 4)())
    # the stream opens it mono at the bridge's rate (pjsua follows the SDP's channel count
    # "2" in some cases: that is covered by the interop tests)
    ctypes.memmove(ctypes.addressof(param) + 4, ctypes.byref(ctypes.c_uint(1)), 4)
    assert open_(codec_p, param) == 0
    mapped_after_open = libopus_mapped()
    spf = rate // 50
    t = np.arange(spf * 150) / rate
    # a tone with a slow amplitude wobble: speech-like enough for SILK, easy to score
    signal = (8000 * np.sin(2 * math.pi * 1000 * t) * (0.6 + 0.4 * np.sin(2 * math.pi * 3 * t))
              ).astype(np.int16)
    pcm_in = ctypes.create_string_buffer(spf * 2)
    pkt = ctypes.create_string_buffer(1500)
    out = ctypes.create_string_buffer(spf * 2 * 2 * 4)
    decoded: list[np.ndarray] = []
    lost = 0
    for i in range(150):
        ctypes.memmove(pcm_in, signal[i * spf:(i + 1) * spf].tobytes(), spf * 2)
        fin = Frame(1, ctypes.cast(pcm_in, ctypes.c_void_p), spf * 2, i * spf, 0)
        fout = Frame(0, ctypes.cast(pkt, ctypes.c_void_p), 1500, 0, 0)
        assert encode(codec_p, ctypes.byref(fin), 1500, ctypes.byref(fout)) == 0
        dframe = Frame(0, ctypes.cast(out, ctypes.c_void_p), len(out), 0, 0)
        if i >= 20 and i % 10 == 0:  # lost on the way
            lost += 1
            assert recover(codec_p, len(out), ctypes.byref(dframe)) == 0
        else:
            frames = (Frame * 4)()
            n = ctypes.c_uint(4)
            ts = ctypes.c_uint64(i * spf * (48000 // rate))  # RTP timestamps: 48 kHz
            assert parse(codec_p, ctypes.cast(pkt, ctypes.c_void_p), fout.size,
                         ctypes.byref(ts), ctypes.byref(n), frames) == 0
            assert n.value == 1
            dframe.size = len(out)
            assert decode(codec_p, ctypes.byref(frames[0]), len(out), ctypes.byref(dframe)) == 0
        decoded.append(np.frombuffer(ctypes.string_at(out, dframe.size), dtype=np.int16))
    pcm = np.concatenate(decoded).astype(np.float64)
    tail = pcm[len(pcm) // 4:]
    spectrum = np.abs(np.fft.rfft(tail * np.hanning(len(tail)))) ** 2
    freqs = np.fft.rfftfreq(len(tail), 1 / rate)
    band = spectrum[(freqs > 950) & (freqs < 1050)].sum() / spectrum.sum()
    lib.pjmedia_codec_mgr_dealloc_codec(ctypes.c_void_p(mgr), codec_p)
    return {"mapped_after_open": mapped_after_open, "lost": lost,
            "parse_oversized_status": parse_oversized,
            "decoded_samples": len(pcm), "expected_samples": 150 * spf,
            "tone_share": float(band)}


def main() -> int:
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    ep.libInit(cfg)
    from softphone.sip import codecs
    from softphone.sip.audio import _opus

    result: dict[str, object] = {}
    result["registered"] = codecs.register_opus(pj)
    result["reason"] = codecs.OpusStatus.reason
    result["mapped_after_register"] = libopus_mapped()
    result["codec_ids"] = [str(c.codecId) for c in ep.codecEnum2()]
    lib = ctypes.CDLL(pj._pjsua2.__file__)
    lib.pjsua_get_pjmedia_endpt.restype = ctypes.c_void_p
    lib.pjmedia_endpt_get_codec_mgr.restype = ctypes.c_void_p
    lib.pjmedia_endpt_get_codec_mgr.argtypes = [ctypes.c_void_p]
    mgr = lib.pjmedia_endpt_get_codec_mgr(lib.pjsua_get_pjmedia_endpt())
    result["declared"] = declared_layout(_opus)
    # before empirical_layout: it overwrites the defaults with marker values
    result["default_max_rx_frame_size"] = default_max_rx_frame_size(
        lib, mgr, result["declared"]["max_rx_frame_size"])
    result["empirical"] = empirical_layout(ep, lib, mgr)
    result["loss"] = loss_run(lib, mgr, 16000)
    fec = _opus.ffi.new("unsigned long long *")
    plc = _opus.ffi.new("unsigned long long *")
    _opus.lib.sp_opus_loss_counts(fec, plc)
    result["fec_frames"], result["plc_frames"] = int(fec[0]), int(plc[0])
    print(json.dumps(result))
    sys.stdout.flush()
    ep.libDestroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
