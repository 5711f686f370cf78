/* What a call stream does to the voice (PortAudio callback thread, 20 ms frames at the
 * bridge's clock):
 *   - echo cancellation, fed with each frame the speaker plays (sp_voice_playback) and each
 *     microphone frame (sp_voice_capture). The default is Speex's canceller (speexdsp's MDF
 *     filter and its residual-echo suppressor), the code pjmedia's Speex backend runs, called
 *     directly from the wheel: pjmedia_echo_create2's Speex backend always adds Speex's
 *     denoiser (PJMEDIA_SPEEX_AEC_USE_DENOISE in the wheel's build), which cost 0.5 PESQ on
 *     clean speech here and the double-talk target with it. `webrtc` asks for
 *     pjmedia_echo_create2's WebRTC backend (AEC2) instead; without speexdsp's symbols
 *     pjmedia's Speex backend runs. In a duplex stream (one callback captures, then plays)
 *     we pair the frames ourselves: the microphone frame is compared with the speaker frame
 *     played `delay_frames` periods before (the stream's latency, rounded down), so the
 *     canceller's tail covers the room only; two streams use the canceller's own buffering;
 *   - noise suppression: WebRTC's suppressor, which the wheel carries for its WebRTC
 *     canceller, called directly (inside pjmedia's WebRTC canceller when that one runs);
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

/* The speaker frames held back before the canceller sees them. Duplex: the earliest frame
 * whose sound can be in this microphone frame is the one played latency / period periods ago.
 * Two streams: pjmedia delays the reference by `latency_ms` for WebRTC itself;
 * Speex's own buffer holds it two frames (PLAYBACK_DELAY in speexdsp's mdf.c), we add what the
 * latency needs beyond. Rounded down: a reference later than its echo can never cancel it. */
static void delay_line_open(sp_voice *v)
{
    int frames = v->latency_ms * v->rate / 1000 / v->samples;
    /* duplex: one frame less than PortAudio reports, at least one (a device whose real
     * latency is below its reported one must not get a reference after its echo) */
    int n = v->sync ? (frames > 2 ? frames - 1 : 1) : (v->kind == SP_EC_WEBRTC ? 0 : frames - 2);
    if (n <= 0 || v->samples > (int)(sizeof(v->delay_out) / sizeof(v->delay_out[0])))
        return;
    v->delay_buf = (int16_t *)calloc((size_t)(n * v->samples), sizeof(int16_t));
    v->delay_frames = v->delay_buf ? n : 0;
}

static int open_speex(sp_voice *v)
{
    if (!sp_pj.speex_echo_state_init || !sp_pj.speex_preprocess_run
            || v->samples > (int)(sizeof(v->ec_out) / sizeof(v->ec_out[0])))
        return -1;
    SpeexEchoState *ec = sp_pj.speex_echo_state_init(v->samples, v->rate * v->tail_ms / 1000);
    if (!ec)
        return -1;
    int rate = v->rate;
    sp_pj.speex_echo_ctl(ec, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
    SpeexPreprocessState *pre = sp_pj.speex_preprocess_state_init(v->samples, v->rate);
    if (!pre) {
        sp_pj.speex_echo_state_destroy(ec);
        return -1;
    }
    /* Speex suppresses the residual echo only inside its denoiser's gain: it stays on, with
     * its noise attenuation down to -3 dB (WebRTC's suppressor does the noise, with less harm
     * to the voice: 0.06 PESQ here against Speex's 0.5). */
    int32_t off = 0, on = 1, gentle = -3;
    sp_pj.speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_DENOISE, &on);
    sp_pj.speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &gentle);
    sp_pj.speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_AGC, &off);
    sp_pj.speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_VAD, &off);
    sp_pj.speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_DEREVERB, &off);
    sp_pj.speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_ECHO_STATE, ec);  /* residual echo */
    /* while the local talker speaks, less suppression of the residual echo than Speex's
     * -15 dB (which chopped the talker: double-talk PESQ 2.3-2.9 here); -3 dB let echo through
     * the talker's pauses (PESQ 2.4 or 3.1 from call to call), -10 dB: 3.0-3.1 every call */
    int32_t active = -10;
    sp_pj.speex_preprocess_ctl(pre, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &active);
    v->spx_echo = ec;
    v->spx_pre = pre;
    v->kind = SP_EC_SPEEX;
    return 0;
}

static int open_pj_echo(sp_voice *v, int webrtc, int ns)
{
    unsigned options = (webrtc ? PJMEDIA_ECHO_WEBRTC : PJMEDIA_ECHO_SPEEX)
                       | (ns ? PJMEDIA_ECHO_USE_NOISE_SUPPRESSOR : 0);
    pjmedia_echo_state *ec = NULL;
    if (!v->pool)
        v->pool = sp_pj.pjsua_pool_create("sp-voice", 512, 512);
    if (!v->pool)
        return -1;
    pj_status_t st = sp_pj.pjmedia_echo_create2((pj_pool_t *)v->pool, (unsigned)v->rate, 1,
                                                (unsigned)v->samples, (unsigned)v->tail_ms,
                                                (unsigned)v->latency_ms, options, &ec);
    if (st != 0 || !ec)
        return st ? st : -1;
    v->echo = ec;
    v->kind = webrtc ? SP_EC_WEBRTC : SP_EC_PJ_SPEEX;
    return 0;
}

static void open_ns(sp_voice *v, int wideband_ok)
{
    if (!sp_pj.WebRtcNs_Create || !sp_pj.WebRtcNs_Process) {
        snprintf(voice_why, sizeof(voice_why), "the wheel has no noise suppressor");
        return;
    }
    if (!wideband_ok) {
        snprintf(voice_why, sizeof(voice_why), "noise suppression runs at 8 or 16 kHz only "
                 "(the call runs at %d Hz)", v->rate);
        return;
    }
    NsHandle *h = sp_pj.WebRtcNs_Create();
    if (h && sp_pj.WebRtcNs_Init(h, (pj_uint32_t)v->rate) == 0) {
        sp_pj.WebRtcNs_set_policy(h, 1);  /* medium */
        v->ns_sub = v->rate / 100;
        v->ns_buf = (float *)calloc((size_t)(2 * v->ns_sub), sizeof(float));
        if (v->ns_buf) {
            v->ns_handle = h;
            v->ns = 1;
            return;
        }
    }
    if (h)
        sp_pj.WebRtcNs_Free(h);
    snprintf(voice_why, sizeof(voice_why), "the noise suppressor could not start");
}

int sp_voice_open(sp_voice *v, int rate, int samples, int aec, int ns, int agc, int tail_ms,
                  int latency_ms, int webrtc, int duplex)
{
    voice_why[0] = 0;
    v->rate = rate;
    v->samples = samples;
    v->tail_ms = tail_ms;
    v->latency_ms = latency_ms;
    v->sync = duplex;
    v->aec = v->ns = 0;
    v->kind = SP_EC_NONE;
    if ((aec || ns) && (!sp_pj_bound() || sp_pj_thread("sp-audio-dev") != 0)) {
        snprintf(voice_why, sizeof(voice_why), "PJSIP's C API is not available (%s)",
                 sp_pj_error());
        aec = ns = 0;
    }
    int wideband_ok = (rate == 8000 || rate == 16000) && samples % (rate / 100) == 0;
    if (aec) {
        int st = -1;
        if (webrtc && wideband_ok)
            st = open_pj_echo(v, 1, ns);
        if (st != 0)
            st = open_speex(v);
        if (st != 0)
            st = open_pj_echo(v, 0, 0);  /* pjmedia's Speex: its denoiser comes with it */
        if (st == 0) {
            v->aec = 1;
            delay_line_open(v);
            if (v->sync && !v->delay_frames)
                v->sync = 0;  /* no memory for the pairing: the canceller's own buffering */
            if (v->kind == SP_EC_WEBRTC)
                v->ns = ns;
            else if (v->kind == SP_EC_PJ_SPEEX)
                v->ns = 1;
        } else {
            snprintf(voice_why, sizeof(voice_why), "the echo canceller could not start "
                     "(status %d)", st);
        }
    }
    if (ns && !v->ns)
        open_ns(v, wideband_ok);
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
    if (v->spx_pre) {
        sp_pj.speex_preprocess_state_destroy((SpeexPreprocessState *)v->spx_pre);
        v->spx_pre = NULL;
    }
    if (v->spx_echo) {
        sp_pj.speex_echo_state_destroy((SpeexEchoState *)v->spx_echo);
        v->spx_echo = NULL;
    }
    if (v->ns_handle) {
        sp_pj.WebRtcNs_Free((NsHandle *)v->ns_handle);
        v->ns_handle = NULL;
    }
    free(v->ns_buf);
    v->ns_buf = NULL;
    free(v->delay_buf);
    v->delay_buf = NULL;
    v->delay_frames = 0;
    v->aec = v->ns = 0;
    v->kind = SP_EC_NONE;
}

/* Hand the reference to the canceller's own buffering (two streams). */
static void feed_reference(sp_voice *v, int16_t *ref)
{
    if (v->kind == SP_EC_SPEEX) {
        lock(v);
        sp_pj.speex_echo_playback((SpeexEchoState *)v->spx_echo, ref);
        unlock(v);
        return;
    }
    if (sp_pj_thread("sp-portaudio") != 0) {
        v->errors++;
        return;
    }
    lock(v);
    if (sp_pj.pjmedia_echo_playback((pjmedia_echo_state *)v->echo, ref) != 0)
        v->errors++;
    unlock(v);
}

void sp_voice_playback(sp_voice *v, int16_t *frame)
{
    if (!v->aec)
        return;
    v->played++;
    if (v->sync) {  /* the duplex callback: kept for the capture `delay_frames` later */
        memcpy(v->delay_buf + (size_t)(v->delay_pos * v->samples), frame,
               sizeof(int16_t) * (size_t)v->samples);
        v->delay_pos = (v->delay_pos + 1) % v->delay_frames;
        return;
    }
    int16_t *ref = frame;
    if (v->delay_frames) {  /* swap this frame with the one `delay_frames` ago */
        int16_t *slot = v->delay_buf + (size_t)(v->delay_pos * v->samples);
        for (int i = 0; i < v->samples; i++) {
            int16_t t = slot[i];
            slot[i] = frame[i];
            v->delay_out[i] = t;
        }
        v->delay_pos = (v->delay_pos + 1) % v->delay_frames;
        ref = v->delay_out;
    }
    feed_reference(v, ref);
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

static void cancel_echo(sp_voice *v, int16_t *frame)
{
    int16_t *out = v->ec_out;
    if (v->kind == SP_EC_SPEEX) {
        SpeexEchoState *ec = (SpeexEchoState *)v->spx_echo;
        if (v->sync) {
            /* the oldest kept frame: played `delay_frames` periods ago */
            const int16_t *ref = v->delay_buf + (size_t)(v->delay_pos * v->samples);
            sp_pj.speex_echo_cancellation(ec, frame, ref, out);
        } else {
            lock(v);
            sp_pj.speex_echo_capture(ec, frame, out);
            unlock(v);
        }
        sp_pj.speex_preprocess_run((SpeexPreprocessState *)v->spx_pre, out);
        memcpy(frame, out, sizeof(int16_t) * (size_t)v->samples);
        return;
    }
    if (sp_pj_thread("sp-portaudio") != 0) {
        v->errors++;
        return;
    }
    pjmedia_echo_state *ec = (pjmedia_echo_state *)v->echo;
    if (v->sync) {
        const int16_t *ref = v->delay_buf + (size_t)(v->delay_pos * v->samples);
        if (sp_pj.pjmedia_echo_cancel(ec, frame, ref, 0, NULL) != 0)
            v->errors++;
    } else {
        lock(v);
        if (sp_pj.pjmedia_echo_capture(ec, frame, 0) != 0)
            v->errors++;
        unlock(v);
    }
}

void sp_voice_capture(sp_voice *v, int16_t *frame)
{
    v->captured++;
    if (v->aec)
        cancel_echo(v, frame);
    if (v->ns_handle)
        suppress_noise(v, frame);
    if (__atomic_load_n(&v->agc_on, __ATOMIC_RELAXED))
        sp_agc_run(&v->gain, frame, v->samples);
}
