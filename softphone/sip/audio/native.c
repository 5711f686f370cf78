/* The per-frame call audio path in C (built by cffi, see native_build.py; loaded by native.py).
 *
 * Three things run here without Python (no GIL) on the audio threads:
 *   - sp_queue: the frame queue between PortAudio's clock and PJSIP's, the same policy as
 *     bridge.FrameQueue (prefill, underruns, overruns, idle consumer, drift, adaptive prefill);
 *   - sp_pa_callback: the call stream's PortAudio callback (copy, FIR resampling, queues, level
 *     peaks); local tones are mixed by a Python hook only while one plays (`extras`);
 *   - sp_port_get / sp_port_put: get_frame/put_frame of the pjsua2 AudioMediaPort's pjmedia_port,
 *     swapped in once its layout has been checked at run time (native.py), so PJSIP's clock
 *     thread no longer calls into Python.
 * The queue is single-producer single-consumer; the producer also drops the oldest frame when
 * the queue is full, so `head` moves by compare-and-swap from both sides.
 */
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <dlfcn.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define FRAME_MS 20

typedef struct sp_queue {
    int frame_bytes, cap;
    int target, base_target, max_target, max_frames, window;
    int quiet_windows, priming, started, win_min, win_n;
    uint64_t head, tail, gets_at;
    uint64_t underruns, overruns_get, overruns_put;
    char *data;
} sp_queue;

void sp_queue_init(sp_queue *q, char *data, int frame_bytes, int cap, int target,
                   int max_frames, int window)
{
    memset(q, 0, sizeof(*q));
    q->data = data;
    q->frame_bytes = frame_bytes;
    q->cap = cap;
    q->target = q->base_target = target;
    int mt = max_frames - 2 < target + 2 ? max_frames - 2 : target + 2;
    q->max_target = mt > target ? mt : target;
    q->max_frames = max_frames;
    q->window = window;
    q->priming = 1;
    q->win_min = 1 << 30;
}

int sp_queue_len(sp_queue *q)
{
    uint64_t t = LOAD(q->tail), h = LOAD(q->head);
    return t > h ? (int)(t - h) : 0;
}

/* Producer (one thread). */
void sp_queue_put(sp_queue *q, const char *frame)
{
    uint64_t t = q->tail;
    for (;;) {
        uint64_t h = LOAD(q->head);
        if (t - h < (uint64_t)q->max_frames)
            break;
        if (__atomic_compare_exchange_n(&q->head, &h, h + 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            /* A consumer that stopped asking (stream closed, port idle) is not an overrun. */
            if (LOAD(q->started) && t + 1 - LOAD(q->gets_at) <= (uint64_t)q->max_frames + 2)
                __atomic_add_fetch(&q->overruns_put, 1, __ATOMIC_RELAXED);
        }
    }
    memcpy(q->data + (size_t)(t % (uint64_t)q->cap) * q->frame_bytes, frame, q->frame_bytes);
    STORE(q->tail, t + 1);
}

/* Consumer: drop the oldest frame if it is still there. */
static int drop_one(sp_queue *q)
{
    uint64_t h = LOAD(q->head);
    if (LOAD(q->tail) == h)
        return 0;
    return __atomic_compare_exchange_n(&q->head, &h, h + 1, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

static int pop(sp_queue *q, char *out)
{
    for (;;) {
        uint64_t h = LOAD(q->head);
        if (LOAD(q->tail) == h)
            return 0;
        memcpy(out, q->data + (size_t)(h % (uint64_t)q->cap) * q->frame_bytes, q->frame_bytes);
        if (__atomic_compare_exchange_n(&q->head, &h, h + 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return 1;
    }
}

/* Consumer (one thread): 1 and the next frame in `out`, or 0 for silence. */
int sp_queue_get(sp_queue *q, char *out)
{
    uint64_t puts = LOAD(q->tail);
    int n = sp_queue_len(q);
    if (puts - q->gets_at > (uint64_t)q->max_frames + 2 && n > q->target) {
        /* Coming back after being idle: keep only the newest `target` frames. */
        for (int i = n - q->target; i > 0; i--)
            drop_one(q);
        n = sp_queue_len(q);
        q->priming = 0;
    }
    STORE(q->gets_at, puts);
    if (q->priming) {
        if (n < q->target)
            return 0;
        q->priming = 0;
    }
    if (n == 0) {
        if (q->started) {
            __atomic_add_fetch(&q->underruns, 1, __ATOMIC_RELAXED);
            q->quiet_windows = 0;
            if (q->target < q->max_target)
                q->target++;
        }
        q->priming = 1;
        return 0;
    }
    STORE(q->started, 1);
    if (n < q->win_min)
        q->win_min = n;
    if (++q->win_n >= q->window) {
        if (q->win_min > q->target && drop_one(q))  /* producer faster: shed latency */
            __atomic_add_fetch(&q->overruns_get, 1, __ATOMIC_RELAXED);
        q->win_min = 1 << 30;
        q->win_n = 0;
        q->quiet_windows++;
        if ((long)q->quiet_windows * q->window * FRAME_MS >= 30000
                && q->target > q->base_target) {
            q->target--;
            q->quiet_windows = 0;
        }
    }
    return pop(q, out);
}

void sp_queue_clear(sp_queue *q)
{
    STORE(q->head, LOAD(q->tail));
    q->priming = 1;
    q->win_min = 1 << 30;
    q->win_n = 0;
}

/* --- FIR resampling: y[r*out + p] = sum_j buf[r*step + j] * coef[p*span + j] -------------- */
/* (one contiguous row of taps per output phase, so the compiler vectorises the inner loop) */

typedef struct sp_fir {
    int span, step, out, block;  /* block: input samples per run */
    const float *coef;
    float *buf;                  /* span - 1 samples of history, then the block */
} sp_fir;

static inline int16_t clip16(float v)
{
    if (v > 32767.0f) return 32767;
    if (v < -32768.0f) return -32768;
    return (int16_t)lrintf(v);
}

void sp_fir_run(sp_fir *f, const int16_t *x, int16_t *y)
{
    const int keep = f->span - 1, n = f->block, rows = n / f->step, span = f->span;
    float *restrict buf = f->buf;
    for (int i = 0; i < n; i++)
        buf[keep + i] = (float)x[i];
    for (int r = 0; r < rows; r++) {
        const float *restrict w = buf + r * f->step;
        for (int p = 0; p < f->out; p++) {
            const float *restrict c = f->coef + p * span;
            float acc = 0.0f;
            for (int j = 0; j < span; j++)
                acc += w[j] * c[j];
            y[r * f->out + p] = clip16(acc);
        }
    }
    memmove(buf, buf + n, sizeof(float) * keep);
}

/* --- the PortAudio call-stream callback ------------------------------------------------- */

typedef struct sp_stream {
    int frames, ch_in, ch_out;   /* device period; channels (0: no such direction) */
    int in_samples, out_samples; /* samples per frame at the bridge's clock */
    sp_queue *in_q, *out_q;
    sp_fir *down, *up;           /* NULL: no resampling */
    int16_t *dev_mono;           /* frames: one device period, mono */
    int16_t *frame;              /* max(in_samples, out_samples): one bridge frame */
    int32_t *mix;                /* frames: mixing buffer the Python hook adds tones into */
    void *hook_handle;
    int extras;                  /* a local sound plays: run the Python hook */
    int named;
    uint64_t beats, xruns, errors, hook_calls;
    int mic_peak, spk_peak;      /* max |sample| since the SIP thread last read them */
} sp_stream;

static void sp_mix_hook(void *handle, int frames);  /* extern "Python" (native_build.py) */

static int peak16(const int16_t *s, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        int v = s[i] < 0 ? -(int)s[i] : s[i];
        if (v > m) m = v;
    }
    return m;
}

static void raise_peak(int *slot, int v)
{
    int cur = LOAD(*slot);
    while (v > cur && !__atomic_compare_exchange_n(slot, &cur, v, 0, __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED))
        ;
}

int sp_pa_callback(const void *input, void *output, unsigned long n, const void *time_info,
                   unsigned long status, void *user)
{
    sp_stream *st = (sp_stream *)user;
    (void)time_info;
#ifdef __linux__
    if (!st->named) {
        st->named = 1;
        prctl(PR_SET_NAME, "sp-portaudio", 0, 0, 0);
    }
#endif
    __atomic_add_fetch(&st->beats, 1, __ATOMIC_RELAXED);
    if (status)
        __atomic_add_fetch(&st->xruns, 1, __ATOMIC_RELAXED);
    if (n != (unsigned long)st->frames) {  /* fixed block size: never expected */
        __atomic_add_fetch(&st->errors, 1, __ATOMIC_RELAXED);
        if (st->ch_out && output)
            memset(output, 0, n * st->ch_out * sizeof(int16_t));
        return 0;
    }
    int frames = st->frames;
    if (st->in_q && input) {
        const int16_t *in = (const int16_t *)input;
        for (int i = 0; i < frames; i++)
            st->dev_mono[i] = in[i * st->ch_in];
        if (st->down)
            sp_fir_run(st->down, st->dev_mono, st->frame);
        else
            memcpy(st->frame, st->dev_mono, sizeof(int16_t) * st->in_samples);
        raise_peak(&st->mic_peak, peak16(st->frame, st->in_samples));
        sp_queue_put(st->in_q, (const char *)st->frame);
    }
    if (st->out_q && output) {
        if (sp_queue_get(st->out_q, (char *)st->frame))
            raise_peak(&st->spk_peak, peak16(st->frame, st->out_samples));
        else
            memset(st->frame, 0, sizeof(int16_t) * st->out_samples);
        if (st->up)
            sp_fir_run(st->up, st->frame, st->dev_mono);
        else
            memcpy(st->dev_mono, st->frame, sizeof(int16_t) * frames);
        if (LOAD(st->extras) && st->hook_handle) {
            for (int i = 0; i < frames; i++)
                st->mix[i] = st->dev_mono[i];
            st->hook_calls++;
            sp_mix_hook(st->hook_handle, frames);
            for (int i = 0; i < frames; i++) {
                int32_t v = st->mix[i];
                st->dev_mono[i] = v > 32767 ? 32767 : (v < -32768 ? -32768 : (int16_t)v);
            }
        }
        int16_t *out = (int16_t *)output;
        int ch = st->ch_out;
        if (ch == 1) {
            memcpy(out, st->dev_mono, sizeof(int16_t) * frames);
        } else {
            for (int i = 0; i < frames; i++)
                for (int c = 0; c < ch; c++)
                    out[i * ch + c] = st->dev_mono[i];
        }
    }
    return 0;  /* paContinue */
}

void *sp_pa_callback_ptr(void)
{
    return (void *)&sp_pa_callback;
}

/* Both meters' peaks since the last call, reset: microphone << 16 | call output. */
int sp_take_peaks(sp_stream *st)
{
    int mic = __atomic_exchange_n(&st->mic_peak, 0, __ATOMIC_RELAXED);
    int spk = __atomic_exchange_n(&st->spk_peak, 0, __ATOMIC_RELAXED);
    return mic << 16 | spk;
}

/* --- the bridge port's get_frame/put_frame --------------------------------------------- */
/* pjmedia_frame has had this layout since pjmedia 1.x; the pjmedia_port offsets are found
 * at run time (native.py) and set here before any port is switched over. */

typedef struct sp_pj_frame {
    int type;         /* pjmedia_frame_type: 0 none, 1 audio */
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

long sp_ldata_offset = -1;  /* of port_data.ldata in pjmedia_port: our sp_port pointer */

static sp_port *port_of(void *pjport)
{
    return *(sp_port **)((char *)pjport + sp_ldata_offset);
}

int sp_port_get(void *pjport, void *frame_)
{
    sp_pj_frame *frame = (sp_pj_frame *)frame_;
    sp_port *p = port_of(pjport);
    if (!p || !p->mic) {
        frame->type = 0;  /* a speaker-only port sends nothing */
        frame->size = 0;
        return 0;
    }
    p->gets++;
    size_t want = frame->size, fb = (size_t)p->frame_bytes;
    char *buf = (char *)frame->buf;
    if (want == fb) {
        if (!sp_queue_get(p->mic, buf) || LOAD(p->muted))
            memset(buf, 0, fb);
    } else {  /* not the size the port was made for: never expected */
        char tmp[fb];
        if (!sp_queue_get(p->mic, tmp) || LOAD(p->muted))
            memset(tmp, 0, fb);
        size_t k = want < fb ? want : fb;
        memcpy(buf, tmp, k);
        if (want > k)
            memset(buf + k, 0, want - k);
    }
    frame->type = 1;
    return 0;
}

int sp_port_put(void *pjport, void *frame_)
{
    sp_pj_frame *frame = (sp_pj_frame *)frame_;
    sp_port *p = port_of(pjport);
    if (!p || !p->spk)
        return 0;
    p->puts++;
    if (frame->type == 1 && frame->size == (size_t)p->spk->frame_bytes)
        sp_queue_put(p->spk, (const char *)frame->buf);
    else
        sp_queue_put(p->spk, p->silence);
    return 0;
}

void *sp_port_get_ptr(void) { return (void *)&sp_port_get; }
void *sp_port_put_ptr(void) { return (void *)&sp_port_put; }

/* --- layout discovery helpers ---------------------------------------------------------- */

/* sizeof(pjmedia_port_info): pjmedia_port_info_init() zeroes the whole struct first. */
long sp_port_info_size(const char *library)
{
    void *h = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
    if (!h)
        return -1;
    typedef int (*init_fn)(void *, const void *, unsigned, unsigned, unsigned, unsigned,
                           unsigned);
    init_fn init = (init_fn)dlsym(h, "pjmedia_port_info_init");
    long size = -1;
    if (init) {
        unsigned char mem[1024];
        struct { const char *ptr; long slen; } name = {"probe", 5};
        memset(mem, 0xA5, sizeof(mem));
        if (init(mem, &name, 0x41414d50u, 16000, 1, 16, 320) == 0) {
            for (long i = (long)sizeof(mem) - 1; i >= 0; i--)
                if (mem[i] != 0xA5) { size = i + 1; break; }
            size = (size + 7) & ~7L;
        }
    }
    dlclose(h);
    return size;
}

/* 1 if `addr` is code or data of the shared object `library` (dladdr), else 0. */
int sp_in_library(void *addr, const char *library)
{
    Dl_info info;
    if (!addr || !dladdr(addr, &info) || !info.dli_fname)
        return 0;
    void *h = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
    if (!h)
        return 0;
    Dl_info mine;
    void *sym = dlsym(h, "pjmedia_port_info_init");
    int same = sym && dladdr(sym, &mine) && mine.dli_fbase == info.dli_fbase;
    dlclose(h);
    return same;
}

typedef int (*frame_fn)(void *, void *);

int sp_call_frame_fn(void *fn, void *pjport, void *frame)
{
    return ((frame_fn)fn)(pjport, frame);
}

void sp_store_ptr(void **slot, void *value)
{
    __atomic_store_n(slot, value, __ATOMIC_RELEASE);
}
