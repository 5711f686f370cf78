"""Builds ``softphone.sip.audio._native`` (cffi API mode) from ``native.c``.

    python softphone/sip/audio/native_build.py             # in place, next to this file
    python softphone/sip/audio/native_build.py --if-stale  # only when native.c changed

Run by ``scripts/bootstrap.sh`` after the venv is installed (it needs a C compiler and the
Python headers: ``gcc`` and ``python3-dev``). Nothing is compiled or downloaded when the app
runs: without the built module the audio path stays in Python (``native.py`` logs it).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "native.c"
MODULE = "softphone.sip.audio._native"

CDEF = """
typedef struct sp_queue {
    int frame_bytes, cap;
    int target, base_target, max_target, max_frames, window;
    int quiet_windows, priming, started, win_min, win_n;
    uint64_t head, tail, gets_at;
    uint64_t underruns, overruns_get, overruns_put;
    char *data;
} sp_queue;
void sp_queue_init(sp_queue *q, char *data, int frame_bytes, int cap, int target,
                   int max_frames, int window);
int sp_queue_len(sp_queue *q);
void sp_queue_put(sp_queue *q, const char *frame);
int sp_queue_get(sp_queue *q, char *out);
void sp_queue_clear(sp_queue *q);

typedef struct sp_fir {
    int span, step, out, block;
    const float *coef;
    float *buf;
} sp_fir;
void sp_fir_run(sp_fir *f, const int16_t *x, int16_t *y);

typedef struct sp_stream {
    int frames, ch_in, ch_out;
    int in_samples, out_samples;
    sp_queue *in_q, *out_q;
    sp_fir *down, *up;
    int16_t *dev_mono;
    int16_t *frame;
    int32_t *mix;
    void *hook_handle;
    int extras;
    int named;
    uint64_t beats, xruns, errors, hook_calls;
    int mic_peak, spk_peak;
} sp_stream;
int sp_pa_callback(const void *input, void *output, unsigned long n, const void *time_info,
                   unsigned long status, void *user);
void *sp_pa_callback_ptr(void);
int sp_take_peaks(sp_stream *st);
extern "Python" void sp_mix_hook(void *handle, int frames);

typedef struct sp_pj_frame {
    int type;
    void *buf;
    size_t size;
} sp_pj_frame;
typedef struct sp_port {
    sp_queue *mic, *spk;
    int muted;
    int frame_bytes;
    const char *silence;
    uint64_t gets, puts;
} sp_port;
extern long sp_ldata_offset;
int sp_port_get(void *pjport, void *frame);
int sp_port_put(void *pjport, void *frame);
void *sp_port_get_ptr(void);
void *sp_port_put_ptr(void);
long sp_port_info_size(const char *library);
int sp_in_library(void *addr, const char *library);
int sp_call_frame_fn(void *fn, void *pjport, void *frame);
void sp_store_ptr(void **slot, void *value);
"""


def source_digest() -> str:
    """What the built module was made from (checked at import: a stale build is not used)."""
    return hashlib.sha1(SOURCE.read_bytes() + CDEF.encode()).hexdigest()[:16]


def ffibuilder():  # type: ignore[no-untyped-def]
    from cffi import FFI

    ffi = FFI()
    ffi.cdef(CDEF + "const char *sp_digest(void);")
    digest = f'const char *sp_digest(void) {{ return "{source_digest()}"; }}\n'
    ffi.set_source(MODULE, SOURCE.read_text() + digest,
                   extra_compile_args=[
                       "-O3", "-std=gnu11",
                       # lets the FIR's sums vectorise; not -ffast-math, whose crtfastmath
                       # would switch denormals off for the whole process
                       "-fno-math-errno", "-fassociative-math", "-fno-signed-zeros",
                       "-fno-trapping-math"], libraries=["dl", "m"])
    return ffi


def build(target_dir: Path | None = None) -> Path:
    """Compile in place (``softphone/sip/audio/_native.*.so``); returns the module's path."""
    import os
    import tempfile

    ffi = ffibuilder()
    with tempfile.TemporaryDirectory(prefix="sp-native-") as tmp:
        built = Path(ffi.compile(tmpdir=tmp, verbose=False))
        dest = (target_dir or HERE) / built.name
        tmp_dest = dest.with_suffix(".tmp")
        tmp_dest.write_bytes(built.read_bytes())
        os.replace(tmp_dest, dest)  # a running app keeps its mapped copy
    return dest


def is_current() -> bool:
    """The module next to this file was built from the current native.c (asked in a child
    process: this one must not keep an old build loaded)."""
    import subprocess

    code = ("from softphone.sip.audio import _native as m; "
            "print(m.ffi.string(m.lib.sp_digest()).decode())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=HERE.parents[2], check=False)
    return r.returncode == 0 and r.stdout.strip() == source_digest()


if __name__ == "__main__":
    if "--if-stale" in sys.argv[1:] and is_current():
        sys.exit(0)
    out = build()
    print(f"built {out}")
    sys.exit(0)
