/* The per-frame call audio path in C (built by the package build through cffi, see
 * native_build.py; loaded by native.py). With port.c (the media port in PJSIP's conference
 * bridge) and voice.c (echo canceller, noise suppressor, gain) it runs without Python (no GIL)
 * on the audio threads:
 *   - sp_queue: the frame queue between PortAudio's clock and PJSIP's, the same policy as
 *     bridge.FrameQueue (prefill, underruns, overruns, idle consumer, drift, adaptive prefill);
 *   - sp_pa_callback: the call stream's PortAudio callback (copy, FIR resampling, the voice
 *     processing, queues, level peaks); local tones are mixed by a Python hook only while one
 *     plays (`extras`).
 * The queue is single-producer single-consumer; the producer also drops the oldest frame when
 * the queue is full, so `head` moves by compare-and-swap from both sides.
 */
#include "native.h"

#include <stdint.h>
#include <string.h>
#include <math.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define LOAD(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define FRAME_MS 20

/* Defined by cffi (extern "Python+C" in native_build.py): the tone-mixing hook. */
void sp_mix_hook(void *handle, int frames);


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
        if (st->voice && st->voice->samples == st->in_samples)
            sp_voice_capture(st->voice, st->frame);
        raise_peak(&st->mic_peak, peak16(st->frame, st->in_samples));
        sp_queue_put(st->in_q, (const char *)st->frame);
    }
    if (st->out_q && output) {
        if (sp_queue_get(st->out_q, (char *)st->frame))
            raise_peak(&st->spk_peak, peak16(st->frame, st->out_samples));
        else
            memset(st->frame, 0, sizeof(int16_t) * st->out_samples);
        if (st->voice && st->voice->samples == st->out_samples)
            sp_voice_playback(st->voice, st->frame);  /* the far end, as the speaker plays it */
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
