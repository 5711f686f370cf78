/* The project's call-audio C API: what native.c, port.c and voice.c define and what Python
 * sees through cffi (native_build.py reads this file as the cffi declarations after pj_abi.h,
 * dropping the '#' lines; keep it to plain typedefs, structs and prototypes). */
#ifndef SP_NATIVE_H
#define SP_NATIVE_H
#include "pj_abi.h"

/* --- native.c: the frame queue, the FIR resampler, the PortAudio callback ------------------- */
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
    int span, step, out, block;  /* block: input samples per run */
    const float *coef;
    float *buf;                  /* span - 1 samples of history, then the block */
} sp_fir;
void sp_fir_run(sp_fir *f, const int16_t *x, int16_t *y);

typedef struct sp_voice sp_voice;

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
    sp_voice *voice;             /* echo canceller, noise suppressor, gain (NULL: none) */
} sp_stream;
int sp_pa_callback(const void *input, void *output, unsigned long n, const void *time_info,
                   unsigned long status, void *user);
void *sp_pa_callback_ptr(void);
int sp_take_peaks(sp_stream *st);

/* --- port.c: the media port the project owns in PJSIP's conference bridge ------------------ */
typedef struct sp_port {
    sp_queue *mic, *spk;         /* NULL: that direction is another port's */
    int muted;
    int frame_bytes;
    const char *silence;
    uint64_t gets, puts;
    int slot;                    /* conference slot; -1 when not in the bridge */
    int gone;                    /* PJSIP has destroyed the port: the state may be freed */
    void *owned;                 /* the pjmedia_port and its pool (C heap) */
} sp_port;
int sp_port_open(sp_port *p, const char *name, unsigned clock_rate, unsigned samples);
int sp_port_close(sp_port *p);
int sp_port_free(sp_port *p);
int sp_conf_connect(int source, int sink);
int sp_conf_disconnect(int source, int sink);

/* --- voice.c: echo canceller, noise suppressor, automatic gain per call stream -------------- */
typedef struct sp_agc {
    float gain_db;               /* applied now */
    float level_db;              /* speech level estimate (dBFS) */
    float noise_db;              /* noise floor estimate (dBFS) */
    float target_db, max_gain_db, min_gain_db;
    uint64_t speech_frames;
} sp_agc;
void sp_agc_init(sp_agc *g);
void sp_agc_run(sp_agc *g, int16_t *x, int n);

struct sp_voice {
    int rate, samples;           /* one 20 ms frame */
    int aec, ns, agc;            /* what runs (after sp_voice_open) */
    int tail_ms, latency_ms;
    int kind;                    /* SP_EC_SPEEX (speexdsp direct), SP_EC_WEBRTC, SP_EC_PJ_SPEEX */
    void *echo;                  /* pjmedia_echo_state (WebRTC, or Speex through pjmedia) */
    void *pool;
    void *spx_echo, *spx_pre;    /* SpeexEchoState, SpeexPreprocessState */
    void *ns_handle;             /* NsHandle: WebRTC's suppressor, called directly */
    int ns_sub;                  /* samples per 10 ms */
    float *ns_buf;               /* 2 * ns_sub */
    int agc_on;                  /* flips while running */
    sp_agc gain;
    int lock;                    /* playback and capture may come from two stream threads */
    int sync;                    /* one duplex callback feeds both: we pair the frames */
    int16_t *delay_buf;          /* delay_frames frames of the speaker signal */
    int delay_frames, delay_pos;
    int16_t delay_out[960];      /* the delayed frame handed to the canceller */
    int16_t ec_out[960];         /* the canceller's output (Speex) */
    uint64_t captured, played, errors;
};
enum { SP_EC_NONE = 0, SP_EC_SPEEX = 1, SP_EC_WEBRTC = 2, SP_EC_PJ_SPEEX = 3 };
int sp_voice_open(sp_voice *v, int rate, int samples, int aec, int ns, int agc, int tail_ms,
                  int latency_ms, int webrtc, int duplex);
void sp_voice_close(sp_voice *v);
void sp_voice_playback(sp_voice *v, int16_t *frame);
void sp_voice_capture(sp_voice *v, int16_t *frame);
const char *sp_voice_error(void);

/* --- rtcp_clock.c: a stream's RTCP session on its RTP clock (Opus: 48 kHz) ----------------- */
/* 1 corrected, 0 already right, -1 refused (sp_rtcp_error() says why). stream: pjmedia_stream* */
int sp_rtcp_set_clock(void *stream, unsigned rtp_clock);
int sp_rtcp_session_set_clock(void *session, unsigned rtp_clock);  /* a pjmedia_rtcp_session* */
const char *sp_rtcp_error(void);

/* --- invite_guard.c: new INVITEs over a rate answered 486 before pjsua opens their media --- */
/* Installs once (the SIP thread, after libStart): 0, or -1 and sp_invite_guard_error(). */
int sp_invite_guard_install(int limit, int window_ms);
void sp_invite_guard_set(int limit, int window_ms);  /* limit <= 0: let every INVITE in */
uint64_t sp_invite_guard_refused(void);
const char *sp_invite_guard_error(void);
#endif
