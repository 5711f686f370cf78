/* What a call stream does to the voice (PortAudio callback thread, 20 ms frames at the
 * bridge's clock):
 *   - echo cancellation: PJSIP's canceller (pjmedia_echo_create2), WebRTC's at 8/16 kHz, Speex's
 *     at other rates, fed with each frame the speaker plays (sp_voice_playback) and each
 *     microphone frame (sp_voice_capture); pjmedia delays the speaker signal by the stream's
 *     latency (`latency_ms`, from PortAudio) before it is compared with the microphone;
 *   - noise suppression: inside the canceller (PJMEDIA_ECHO_USE_NOISE_SUPPRESSOR) or, with the
 *     canceller off, WebRTC's suppressor that the wheel carries, called directly;
 *   - automatic gain: the wheel has no gain controller (its WebRTC canceller is AEC2, without
 *     AGC), so sp_agc is our own, below.
 * Created on the audio device thread when a call stream opens (so nothing loads at start), freed
 * there after the stream closed.
 */
#include "native.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char voice_why[200];

const char *sp_voice_error(void) { return voice_why; }

/* --- automatic gain ------------------------------------------------------------------------
 * A slow digital gain towards a target speech level: the speech level is tracked only on
 * frames well above the noise floor (no boosting of silence or room noise), the gain rises at
 * most 6 dB/s and falls at most 30 dB/s, a frame whose peak would pass -1 dBFS gets less gain at
 * once (no clipping), and the gain moves sample by sample across a frame (no steps). */

void sp_agc_init(sp_agc *g)
{
    memset(g, 0, sizeof(*g));
    g->target_db = -20.0f;     /* speech RMS, dBFS */
    g->max_gain_db = 24.0f;
    g->min_gain_db = -12.0f;
    g->level_db = g->target_db;
    g->noise_db = -70.0f;
}

static inline float db_to_lin(float db) { return powf(10.0f, db / 20.0f); }

void sp_agc_run(sp_agc *g, int16_t *x, int n)
{
    double sum = 0.0;
    int peak = 0;
    for (int i = 0; i < n; i++) {
        int v = x[i];
        sum += (double)v * v;
        if (v < 0) v = -v;
        if (v > peak) peak = v;
    }
    float rms_db = sum > 0.0 ? (float)(10.0 * log10(sum / n / (32768.0 * 32768.0))) : -100.0f;
    /* noise floor: follows quiet frames down at once, creeps up 2.5 dB/s */
    if (rms_db < g->noise_db)
        g->noise_db = rms_db;
    else
        g->noise_db += 0.05f;
    float gain = g->gain_db;
    if (rms_db > g->noise_db + 9.0f && rms_db > -60.0f) {
        g->speech_frames++;
        float k = rms_db > g->level_db ? 0.25f : 0.05f;
        g->level_db += (rms_db - g->level_db) * k;
        float want = g->target_db - g->level_db;
        if (want > g->max_gain_db) want = g->max_gain_db;
        if (want < g->min_gain_db) want = g->min_gain_db;
        if (want > gain)
            gain = gain + 0.12f < want ? gain + 0.12f : want;
        else
            gain = gain - 0.6f > want ? gain - 0.6f : want;
    }
    /* limiter: the frame's peak stays under -1 dBFS */
    if (peak > 0) {
        float room = 20.0f * log10f(29205.0f / (float)peak);
        if (gain > room)
            gain = room;
    }
    float from = db_to_lin(g->gain_db), to = db_to_lin(gain);
    g->gain_db = gain;
    if (fabsf(from - 1.0f) < 1e-4f && fabsf(to - 1.0f) < 1e-4f)
        return;
    float step = (to - from) / (float)n;
    for (int i = 0; i < n; i++) {
        float v = (float)x[i] * (from + step * (float)(i + 1));
        x[i] = v > 32767.0f ? 32767 : (v < -32768.0f ? -32768 : (int16_t)lrintf(v));
    }
}

/* --- the voice state ---------------------------------------------------------------------- */

static void lock(sp_voice *v)
{
    while (__atomic_test_and_set(&v->lock, __ATOMIC_ACQUIRE))
        ;
}

static void unlock(sp_voice *v) { __atomic_clear(&v->lock, __ATOMIC_RELEASE); }

static int open_echo(sp_voice *v, int webrtc, int ns)
{
    unsigned options = (webrtc ? PJMEDIA_ECHO_WEBRTC : PJMEDIA_ECHO_SPEEX)
                       | (ns ? PJMEDIA_ECHO_USE_NOISE_SUPPRESSOR : 0);
    pjmedia_echo_state *ec = NULL;
    pj_status_t st = sp_pj.pjmedia_echo_create2((pj_pool_t *)v->pool, (unsigned)v->rate, 1,
                                                (unsigned)v->samples, (unsigned)v->tail_ms,
                                                (unsigned)v->latency_ms, options, &ec);
    if (st != 0 || !ec)
        return st ? st : -1;
    v->echo = ec;
    v->webrtc = webrtc;
    return 0;
}

int sp_voice_open(sp_voice *v, int rate, int samples, int aec, int ns, int agc, int tail_ms,
                  int latency_ms)
{
    voice_why[0] = 0;
    v->rate = rate;
    v->samples = samples;
    v->tail_ms = tail_ms;
    v->latency_ms = latency_ms;
    v->aec = v->ns = 0;
    if ((aec || ns) && (!sp_pj_bound() || sp_pj_thread("sp-audio-dev") != 0)) {
        snprintf(voice_why, sizeof(voice_why), "PJSIP's C API is not available (%s)",
                 sp_pj_error());
        aec = ns = 0;
    }
    int wideband_ok = (rate == 8000 || rate == 16000) && samples % (rate / 100) == 0;
    if (aec) {
        v->pool = sp_pj.pjsua_pool_create("sp-voice", 512, 512);
        int st = v->pool ? -1 : -2;
        if (v->pool && wideband_ok)
            st = open_echo(v, 1, ns);
        if (v->pool && st != 0)
            st = open_echo(v, 0, ns);  /* Speex: any rate */
        if (st == 0) {
            v->aec = 1;
            v->ns = ns;
        } else {
            snprintf(voice_why, sizeof(voice_why), "the echo canceller could not start "
                     "(status %d)", st);
        }
    }
    if (ns && !v->aec) {
        if (!sp_pj.WebRtcNs_Create || !sp_pj.WebRtcNs_Process) {
            snprintf(voice_why, sizeof(voice_why), "the wheel has no noise suppressor");
        } else if (!wideband_ok) {
            snprintf(voice_why, sizeof(voice_why), "noise suppression runs at 8 or 16 kHz "
                     "only (the call runs at %d Hz)", rate);
        } else {
            NsHandle *h = sp_pj.WebRtcNs_Create();
            if (h && sp_pj.WebRtcNs_Init(h, (pj_uint32_t)rate) == 0) {
                sp_pj.WebRtcNs_set_policy(h, 1);  /* medium */
                v->ns_handle = h;
                v->ns_sub = rate / 100;
                v->ns_buf = (float *)calloc((size_t)(2 * v->ns_sub), sizeof(float));
                v->ns = v->ns_buf != NULL;
            } else if (h) {
                sp_pj.WebRtcNs_Free(h);
            }
            if (!v->ns)
                snprintf(voice_why, sizeof(voice_why), "the noise suppressor could not start");
        }
    }
    sp_agc_init(&v->gain);
    v->agc = 1;  /* always ready: agc_on switches it during a call */
    v->agc_on = agc;
    return 0;
}

void sp_voice_close(sp_voice *v)
{
    if (v->echo) {
        if (sp_pj_thread("sp-audio-dev") == 0)
            sp_pj.pjmedia_echo_destroy((pjmedia_echo_state *)v->echo);
        v->echo = NULL;
    }
    if (v->pool) {
        sp_pj.pj_pool_release((pj_pool_t *)v->pool);
        v->pool = NULL;
    }
    if (v->ns_handle) {
        sp_pj.WebRtcNs_Free((NsHandle *)v->ns_handle);
        v->ns_handle = NULL;
    }
    free(v->ns_buf);
    v->ns_buf = NULL;
    v->aec = v->ns = 0;
}

void sp_voice_playback(sp_voice *v, int16_t *frame)
{
    if (!v->echo)
        return;
    if (sp_pj_thread("sp-portaudio") != 0) {
        v->errors++;
        return;
    }
    lock(v);
    if (sp_pj.pjmedia_echo_playback((pjmedia_echo_state *)v->echo, frame) != 0)
        v->errors++;
    unlock(v);
    v->played++;
}

static void suppress_noise(sp_voice *v, int16_t *frame)
{
    int sub = v->ns_sub;
    float *in = v->ns_buf, *out = v->ns_buf + sub;
    NsHandle *h = (NsHandle *)v->ns_handle;
    for (int off = 0; off + sub <= v->samples; off += sub) {
        for (int i = 0; i < sub; i++)
            in[i] = (float)frame[off + i];
        const float *bands_in[1] = { in };
        float *bands_out[1] = { out };
        sp_pj.WebRtcNs_Analyze(h, in);
        sp_pj.WebRtcNs_Process(h, bands_in, 1, bands_out);
        for (int i = 0; i < sub; i++) {
            float s = out[i];
            frame[off + i] = s > 32767.0f ? 32767 : (s < -32768.0f ? -32768 : (int16_t)lrintf(s));
        }
    }
}

void sp_voice_capture(sp_voice *v, int16_t *frame)
{
    v->captured++;
    if (v->echo) {
        if (sp_pj_thread("sp-portaudio") == 0) {
            lock(v);
            if (sp_pj.pjmedia_echo_capture((pjmedia_echo_state *)v->echo, frame, 0) != 0)
                v->errors++;
            unlock(v);
        } else {
            v->errors++;
        }
    } else if (v->ns_handle) {
        suppress_noise(v, frame);
    }
    if (__atomic_load_n(&v->agc_on, __ATOMIC_RELAXED))
        sp_agc_run(&v->gain, frame, v->samples);
}
