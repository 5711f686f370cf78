/* The part of pjproject 2.15.1's C API that the project's C code uses, declared by us.
 *
 * The layouts below are facts of that release (pjlib/include/pj/types.h, pjmedia/frame.h,
 * format.h, port.h, echo.h; pjsua-lib/pjsua.h), written for it and for nothing else:
 * sp_pj_bind() refuses any library whose pj_get_version() is not SP_PJ_VERSION and checks the
 * port layout on a test port before anything uses it.
 *
 * The functions are not linked: the wheel's _pjsua2 module exports them, but Python loads
 * extension modules with RTLD_LOCAL, so they are not visible to another module. sp_pj_bind()
 * dlopen()s the already loaded _pjsua2 (RTLD_NOLOAD) and fills the table `sp_pj` with
 * dlsym(). No link-time dependency on a path inside a venv, no RTLD_GLOBAL promotion of a
 * library that carries its own OpenSSL, and a missing symbol is a clear error, not a failed
 * import.
 *
 * This header is also the cffi declarations (native_build.py strips the '#' lines): keep it
 * to plain typedefs, structs and prototypes. Another C file of the project (a codec) includes
 * it and adds its own symbols to SP_PJ_SYMBOLS in pj_abi.c.
 */
#ifndef SP_PJ_ABI_H
#define SP_PJ_ABI_H
#include <stddef.h>
#include <stdint.h>

#define SP_PJ_VERSION "2.15.1"

/* --- pjlib ------------------------------------------------------------------------------ */
typedef int pj_status_t;
typedef int pj_bool_t;
typedef long pj_ssize_t;
typedef size_t pj_size_t;
typedef int16_t pj_int16_t;
typedef uint16_t pj_uint16_t;
typedef int32_t pj_int32_t;
typedef uint32_t pj_uint32_t;
typedef uint64_t pj_uint64_t;

typedef struct pj_str_t {
    char *ptr;
    pj_ssize_t slen;
} pj_str_t;

typedef union pj_timestamp {
    struct {
        pj_uint32_t lo;
        pj_uint32_t hi;
    } u32;
    pj_uint64_t u64;
} pj_timestamp;

typedef struct pj_pool_t pj_pool_t;            /* opaque */
typedef struct pj_pool_factory pj_pool_factory; /* opaque */
typedef struct pj_thread_t pj_thread_t;        /* opaque */
typedef struct pj_grp_lock_t pj_grp_lock_t;    /* opaque */
typedef long pj_thread_desc[64];               /* PJ_THREAD_DESC_SIZE */

/* --- pjmedia: frames, formats, ports ------------------------------------------------------ */
typedef enum pjmedia_frame_type {
    PJMEDIA_FRAME_TYPE_NONE = 0,
    PJMEDIA_FRAME_TYPE_AUDIO = 1,
    PJMEDIA_FRAME_TYPE_EXTENDED = 2,
    PJMEDIA_FRAME_TYPE_VIDEO = 3
} pjmedia_frame_type;

typedef struct pjmedia_frame {
    pjmedia_frame_type type;
    void *buf;
    pj_size_t size;
    pj_timestamp timestamp;
    pj_uint32_t bit_info;
} pjmedia_frame;

typedef enum pjmedia_type {
    PJMEDIA_TYPE_NONE = 0,
    PJMEDIA_TYPE_AUDIO = 1,
    PJMEDIA_TYPE_VIDEO = 2,
    PJMEDIA_TYPE_APPLICATION = 3,
    PJMEDIA_TYPE_UNKNOWN = 4
} pjmedia_type;

typedef enum pjmedia_dir {
    PJMEDIA_DIR_NONE = 0,
    PJMEDIA_DIR_ENCODING = 1,
    PJMEDIA_DIR_DECODING = 2,
    PJMEDIA_DIR_ENCODING_DECODING = 3
} pjmedia_dir;

typedef enum pjmedia_format_detail_type {
    PJMEDIA_FORMAT_DETAIL_NONE = 0,
    PJMEDIA_FORMAT_DETAIL_AUDIO = 1,
    PJMEDIA_FORMAT_DETAIL_VIDEO = 2,
    PJMEDIA_FORMAT_DETAIL_MAX = 3
} pjmedia_format_detail_type;

typedef struct pjmedia_audio_format_detail {
    unsigned clock_rate;
    unsigned channel_count;
    unsigned frame_time_usec;
    unsigned bits_per_sample;
    pj_uint32_t avg_bps;
    pj_uint32_t max_bps;
} pjmedia_audio_format_detail;

typedef struct pjmedia_rect_size {
    unsigned w;
    unsigned h;
} pjmedia_rect_size;

typedef struct pjmedia_ratio {
    int num;
    int denum;
} pjmedia_ratio;

typedef struct pjmedia_video_format_detail {
    pjmedia_rect_size size;
    pjmedia_ratio fps;
    pj_uint32_t avg_bps;
    pj_uint32_t max_bps;
} pjmedia_video_format_detail;

typedef struct pjmedia_format {
    pj_uint32_t id;
    pjmedia_type type;
    pjmedia_format_detail_type detail_type;
    union {
        pjmedia_audio_format_detail aud;
        pjmedia_video_format_detail vid;
        char user[1];                        /* PJMEDIA_FORMAT_DETAIL_USER_SIZE */
    } det;
} pjmedia_format;

typedef struct pjmedia_port_info {
    pj_str_t name;
    pj_uint32_t signature;
    pjmedia_dir dir;
    pjmedia_format fmt;
} pjmedia_port_info;

typedef struct pjmedia_clock_src pjmedia_clock_src; /* opaque */

typedef struct pjmedia_port {
    pjmedia_port_info info;
    struct {
        void *pdata;
        long ldata;
    } port_data;
    pj_grp_lock_t *grp_lock;                 /* the bridge makes one if the port has none */
    pjmedia_clock_src *(*get_clock_src)(struct pjmedia_port *this_port, pjmedia_dir dir);
    pj_status_t (*put_frame)(struct pjmedia_port *this_port, pjmedia_frame *frame);
    pj_status_t (*get_frame)(struct pjmedia_port *this_port, pjmedia_frame *frame);
    pj_status_t (*on_destroy)(struct pjmedia_port *this_port);
} pjmedia_port;

/* --- pjmedia: echo canceller (echo.h) ------------------------------------------------------ */
typedef struct pjmedia_echo_state pjmedia_echo_state; /* opaque */

typedef enum pjmedia_echo_flag {
    PJMEDIA_ECHO_DEFAULT = 0,
    PJMEDIA_ECHO_SPEEX = 1,
    PJMEDIA_ECHO_SIMPLE = 2,
    PJMEDIA_ECHO_WEBRTC = 3,
    PJMEDIA_ECHO_WEBRTC_AEC3 = 4,
    PJMEDIA_ECHO_ALGO_MASK = 15,
    PJMEDIA_ECHO_NO_LOCK = 16,
    PJMEDIA_ECHO_USE_SIMPLE_FIFO = 32,
    PJMEDIA_ECHO_USE_SW_ECHO = 64,
    PJMEDIA_ECHO_USE_NOISE_SUPPRESSOR = 128,
    PJMEDIA_ECHO_USE_GAIN_CONTROLLER = 256,
    PJMEDIA_ECHO_AGGRESSIVENESS_DEFAULT = 0,
    PJMEDIA_ECHO_AGGRESSIVENESS_CONSERVATIVE = 0x1000,
    PJMEDIA_ECHO_AGGRESSIVENESS_MODERATE = 0x2000,
    PJMEDIA_ECHO_AGGRESSIVENESS_AGGRESSIVE = 0x3000,
    PJMEDIA_ECHO_AGGRESSIVENESS_MASK = 0xF000
} pjmedia_echo_flag;

/* --- codecs (opaque here; a codec's own header declares what it needs) --------------------- */
typedef struct pjmedia_endpt pjmedia_endpt;
typedef struct pjmedia_codec_mgr pjmedia_codec_mgr;
typedef struct pjmedia_codec_factory pjmedia_codec_factory;

/* --- WebRTC's noise suppressor, carried by the wheel for the WebRTC canceller ------------- */
typedef struct NsHandleT NsHandle;

/* --- speexdsp's echo canceller and preprocessor (pjmedia's Speex backend), in the wheel ------
 * (speex_echo.h, speex_preprocess.h: the request numbers are speexdsp's) */
typedef struct SpeexEchoState_ SpeexEchoState;
typedef struct SpeexPreprocessState_ SpeexPreprocessState;
enum {
    SPEEX_ECHO_SET_SAMPLING_RATE = 24,
    SPEEX_PREPROCESS_SET_DENOISE = 0,
    SPEEX_PREPROCESS_SET_AGC = 2,
    SPEEX_PREPROCESS_SET_VAD = 4,
    SPEEX_PREPROCESS_SET_DEREVERB = 8,
    SPEEX_PREPROCESS_SET_NOISE_SUPPRESS = 18,
    SPEEX_PREPROCESS_SET_ECHO_SUPPRESS = 20,
    SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE = 22,
    SPEEX_PREPROCESS_SET_ECHO_STATE = 24
};

/* --- a stream's RTCP session (rtcp.h, stream.h) ---------------------------------------------
 * The session is opaque to us but for the fields rtcp_clock.c corrects, found at run time
 * against a session pjmedia_rtcp_init2() makes (rtcp_clock.c: sp_rtcp_probe). */
typedef struct pjmedia_rtcp_session pjmedia_rtcp_session;   /* opaque */
typedef struct pjmedia_stream pjmedia_stream;               /* opaque */
typedef struct pjmedia_rtcp_session_setting {
    char *name;
    unsigned clock_rate;          /* the clock its timestamps are read in */
    unsigned samples_per_frame;
    unsigned rtp_ts_per_frame;    /* 0: samples_per_frame (the loss periods' unit) */
    pj_uint32_t ssrc;
    pj_uint32_t rtp_ts_base;
} pjmedia_rtcp_session_setting;
typedef struct pjmedia_stream_rtp_sess_info {
    const void *rx_rtp;
    const void *tx_rtp;
    const pjmedia_rtcp_session *rtcp;
} pjmedia_stream_rtp_sess_info;

typedef int pjsua_conf_port_id;

/* --- pjsip: a module of our own on the request path (invite_guard.c) ----------------------
 * pjsip/sip_module.h; the rx/tx data, transactions and events stay opaque. */
typedef struct pjsip_endpoint pjsip_endpoint;       /* opaque */
typedef struct pjsip_rx_data pjsip_rx_data;         /* opaque */
typedef struct pjsip_tx_data pjsip_tx_data;         /* opaque */
typedef struct pjsip_transaction pjsip_transaction; /* opaque */
typedef struct pjsip_event pjsip_event;             /* opaque */
typedef struct pjsip_module {
    void *prev, *next;            /* PJ_DECL_LIST_MEMBER */
    pj_str_t name;
    int id;                       /* -1 before registration */
    int priority;
    pj_status_t (*load)(pjsip_endpoint *endpt);
    pj_status_t (*start)(void);
    pj_status_t (*stop)(void);
    pj_status_t (*unload)(void);
    pj_bool_t (*on_rx_request)(pjsip_rx_data *rdata);
    pj_bool_t (*on_rx_response)(pjsip_rx_data *rdata);
    pj_status_t (*on_tx_request)(pjsip_tx_data *tdata);
    pj_status_t (*on_tx_response)(pjsip_tx_data *tdata);
    void (*on_tsx_state)(pjsip_transaction *tsx, pjsip_event *event);
} pjsip_module;

/* --- the table of functions (filled by sp_pj_bind) ----------------------------------------- */
typedef struct sp_pj_api {
    const char *(*pj_get_version)(void);
    pj_bool_t (*pj_thread_is_registered)(void);
    pj_status_t (*pj_thread_register)(const char *name, pj_thread_desc desc,
                                      pj_thread_t **thread);
    pj_pool_t *(*pjsua_pool_create)(const char *name, pj_size_t init_size,
                                    pj_size_t increment);
    void (*pj_pool_release)(pj_pool_t *pool);
    void *(*pj_pool_alloc)(pj_pool_t *pool, pj_size_t size);
    void *(*pj_pool_calloc)(pj_pool_t *pool, pj_size_t count, pj_size_t elem);

    pj_status_t (*pjmedia_port_info_init)(pjmedia_port_info *info, const pj_str_t *name,
                                          unsigned signature, unsigned clock_rate,
                                          unsigned channel_count, unsigned bits_per_sample,
                                          unsigned samples_per_frame);
    pj_status_t (*pjmedia_port_get_frame)(pjmedia_port *port, pjmedia_frame *frame);
    pj_status_t (*pjmedia_port_put_frame)(pjmedia_port *port, pjmedia_frame *frame);
    pjmedia_clock_src *(*pjmedia_port_get_clock_src)(pjmedia_port *port, pjmedia_dir dir);
    pj_status_t (*pjmedia_port_destroy)(pjmedia_port *port);

    pj_status_t (*pjsua_conf_add_port)(pj_pool_t *pool, pjmedia_port *port,
                                       pjsua_conf_port_id *p_id);
    pj_status_t (*pjsua_conf_remove_port)(pjsua_conf_port_id port_id);
    pj_status_t (*pjsua_conf_connect)(pjsua_conf_port_id source, pjsua_conf_port_id sink);
    pj_status_t (*pjsua_conf_disconnect)(pjsua_conf_port_id source, pjsua_conf_port_id sink);

    pj_status_t (*pjmedia_echo_create2)(pj_pool_t *pool, unsigned clock_rate,
                                        unsigned channel_count, unsigned samples_per_frame,
                                        unsigned tail_ms, unsigned latency_ms,
                                        unsigned options, pjmedia_echo_state **p_echo);
    pj_status_t (*pjmedia_echo_destroy)(pjmedia_echo_state *echo);
    pj_status_t (*pjmedia_echo_reset)(pjmedia_echo_state *echo);
    pj_status_t (*pjmedia_echo_playback)(pjmedia_echo_state *echo, pj_int16_t *play_frm);
    pj_status_t (*pjmedia_echo_capture)(pjmedia_echo_state *echo, pj_int16_t *rec_frm,
                                        unsigned options);
    pj_status_t (*pjmedia_echo_cancel)(pjmedia_echo_state *echo, pj_int16_t *rec_frm,
                                       const pj_int16_t *play_frm, unsigned options,
                                       void *reserved);

    pjmedia_endpt *(*pjsua_get_pjmedia_endpt)(void);
    pjmedia_codec_mgr *(*pjmedia_endpt_get_codec_mgr)(pjmedia_endpt *endpt);
    pj_status_t (*pjmedia_codec_mgr_register_factory)(pjmedia_codec_mgr *mgr,
                                                      pjmedia_codec_factory *factory);
    pj_status_t (*pjmedia_codec_mgr_unregister_factory)(pjmedia_codec_mgr *mgr,
                                                        pjmedia_codec_factory *factory);
    /* optional: a stream's RTCP session (rtcp_clock.c corrects Opus's RTCP clock) */
    pj_status_t (*pjmedia_stream_get_rtp_session_info)(pjmedia_stream *stream,
                                                       pjmedia_stream_rtp_sess_info *info);
    void (*pjmedia_rtcp_session_setting_default)(pjmedia_rtcp_session_setting *settings);
    void (*pjmedia_rtcp_init2)(pjmedia_rtcp_session *session,
                               const pjmedia_rtcp_session_setting *settings);
    void (*pjmedia_rtcp_rx_rtp2)(pjmedia_rtcp_session *session, unsigned seq, unsigned ts,
                                 unsigned payload, pj_bool_t discarded);
    /* optional: the INVITE rate guard (invite_guard.c) */
    pjsip_endpoint *(*pjsua_get_pjsip_endpt)(void);
    pj_status_t (*pjsip_endpt_register_module)(pjsip_endpoint *endpt, pjsip_module *module);
    pj_status_t (*pjsip_endpt_respond_stateless)(pjsip_endpoint *endpt,
                                                 const pjsip_rx_data *rdata, int st_code,
                                                 const pj_str_t *st_text,
                                                 const void *hdr_list, const void *body);
    char *(*pjsip_rx_data_get_info)(pjsip_rx_data *rdata);
    /* PJSIP's log at level 4 (optional: a codec's own notes go to the "pjsip" logger) */
    void (*pj_log_4)(const char *sender, const char *format, ...);

    /* optional (NULL when the wheel lacks them): speexdsp driven directly, and WebRTC's
     * noise suppressor on its own */
    SpeexEchoState *(*speex_echo_state_init)(int frame_size, int filter_length);
    void (*speex_echo_state_destroy)(SpeexEchoState *st);
    void (*speex_echo_cancellation)(SpeexEchoState *st, const int16_t *rec,
                                    const int16_t *play, int16_t *out);
    void (*speex_echo_playback)(SpeexEchoState *st, const int16_t *play);
    void (*speex_echo_capture)(SpeexEchoState *st, const int16_t *rec, int16_t *out);
    int (*speex_echo_ctl)(SpeexEchoState *st, int request, void *ptr);
    SpeexPreprocessState *(*speex_preprocess_state_init)(int frame_size, int sampling_rate);
    void (*speex_preprocess_state_destroy)(SpeexPreprocessState *st);
    int (*speex_preprocess_run)(SpeexPreprocessState *st, int16_t *x);
    int (*speex_preprocess_ctl)(SpeexPreprocessState *st, int request, void *ptr);
    NsHandle *(*WebRtcNs_Create)(void);
    void (*WebRtcNs_Free)(NsHandle *ns);
    int (*WebRtcNs_Init)(NsHandle *ns, pj_uint32_t fs);
    int (*WebRtcNs_set_policy)(NsHandle *ns, int mode);
    void (*WebRtcNs_Analyze)(NsHandle *ns, const float *spframe);
    void (*WebRtcNs_Process)(NsHandle *ns, const float *const *spframe, size_t num_bands,
                             float *const *outframe);
} sp_pj_api;

extern sp_pj_api sp_pj;

/* Bind `sp_pj` to the already loaded library (the path of pjsua2's _pjsua2 module): 0 when
 * usable, else -1 and the reason in sp_pj_error(). Idempotent. */
int sp_pj_bind(const char *library);
const char *sp_pj_error(void);
int sp_pj_bound(void);
/* Registers the calling thread with pjlib once (a thread-local descriptor): 0 or a status. */
int sp_pj_thread(const char *name);
/* Adds a codec factory to the running endpoint's codec manager (after libInit): the manager,
 * or NULL with the reason written to `error` (`size` bytes). */
pjmedia_codec_mgr *sp_pj_register_codec_factory(pjmedia_codec_factory *factory, char *error,
                                                size_t size);
#endif
