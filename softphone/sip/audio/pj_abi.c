/* Binds the table of pjproject functions (pj_abi.h) to the loaded _pjsua2 module, refuses any
 * other pjproject release and checks the declared port layout on a test port. */
#include "pj_abi.h"

#include <stdio.h>
#include <string.h>
#ifdef _WIN32
/* The Windows wheel exports no C symbols from its .pyd: the Python path runs there. */
#else
#include <dlfcn.h>
#endif

sp_pj_api sp_pj;

static int bound;          /* 1 bound and checked, -1 refused */
static char why[256];

#define SYM(name, required) { #name, offsetof(sp_pj_api, name), required }
static const struct { const char *name; size_t offset; int required; } SP_PJ_SYMBOLS[] = {
    SYM(pj_get_version, 1),
    SYM(pj_thread_is_registered, 1),
    SYM(pj_thread_register, 1),
    SYM(pjsua_pool_create, 1),
    SYM(pj_pool_release, 1),
    SYM(pj_pool_alloc, 1),
    SYM(pj_pool_calloc, 1),
    SYM(pjmedia_port_info_init, 1),
    SYM(pjmedia_port_get_frame, 1),
    SYM(pjmedia_port_put_frame, 1),
    SYM(pjmedia_port_get_clock_src, 1),
    SYM(pjmedia_port_destroy, 1),
    SYM(pjsua_conf_add_port, 1),
    SYM(pjsua_conf_remove_port, 1),
    SYM(pjsua_conf_connect, 1),
    SYM(pjsua_conf_disconnect, 1),
    SYM(pjmedia_echo_create2, 1),
    SYM(pjmedia_echo_destroy, 1),
    SYM(pjmedia_echo_reset, 1),
    SYM(pjmedia_echo_playback, 1),
    SYM(pjmedia_echo_capture, 1),
    SYM(pjmedia_echo_cancel, 1),
    SYM(pjsua_get_pjmedia_endpt, 1),
    SYM(pjmedia_endpt_get_codec_mgr, 1),
    SYM(pjmedia_codec_mgr_register_factory, 1),
    SYM(pjmedia_codec_mgr_unregister_factory, 1),
    SYM(pjmedia_stream_get_rtp_session_info, 0),
    SYM(pjmedia_rtcp_session_setting_default, 0),
    SYM(pjmedia_rtcp_init2, 0),
    SYM(pjmedia_rtcp_rx_rtp2, 0),
    SYM(pjsua_get_pjsip_endpt, 0),
    SYM(pjsip_endpt_register_module, 0),
    SYM(pjsip_endpt_respond_stateless, 0),
    SYM(pjsip_rx_data_get_info, 0),
    SYM(pj_log_4, 0),
    SYM(speex_echo_state_init, 0),
    SYM(speex_echo_state_destroy, 0),
    SYM(speex_echo_cancellation, 0),
    SYM(speex_echo_playback, 0),
    SYM(speex_echo_capture, 0),
    SYM(speex_echo_ctl, 0),
    SYM(speex_preprocess_state_init, 0),
    SYM(speex_preprocess_state_destroy, 0),
    SYM(speex_preprocess_run, 0),
    SYM(speex_preprocess_ctl, 0),
    SYM(WebRtcNs_Create, 0),
    SYM(WebRtcNs_Free, 0),
    SYM(WebRtcNs_Init, 0),
    SYM(WebRtcNs_set_policy, 0),
    SYM(WebRtcNs_Analyze, 0),
    SYM(WebRtcNs_Process, 0),
};
#undef SYM

const char *sp_pj_error(void) { return why; }
int sp_pj_bound(void) { return bound == 1; }

pjmedia_codec_mgr *sp_pj_register_codec_factory(pjmedia_codec_factory *factory, char *error,
                                                size_t size)
{
    pjmedia_endpt *endpt = sp_pj.pjsua_get_pjmedia_endpt();
    pjmedia_codec_mgr *mgr = endpt ? sp_pj.pjmedia_endpt_get_codec_mgr(endpt) : NULL;
    if (!mgr) {
        snprintf(error, size, "no media endpoint yet (register after libInit)");
        return NULL;
    }
    pj_status_t st = sp_pj.pjmedia_codec_mgr_register_factory(mgr, factory);
    if (st != 0) {              /* PJ_SUCCESS */
        snprintf(error, size, "pjmedia_codec_mgr_register_factory: %d", st);
        return NULL;
    }
    return mgr;
}

/* --- the layout check: a port whose four callbacks say which one pjmedia called ------------ */
static int called;
static pjmedia_clock_src *check_clock(pjmedia_port *p, pjmedia_dir d)
{
    (void)p; (void)d; called = 1; return (pjmedia_clock_src *)&called;
}
static pj_status_t check_put(pjmedia_port *p, pjmedia_frame *f) { (void)p; (void)f; called = 2; return 0; }
static pj_status_t check_get(pjmedia_port *p, pjmedia_frame *f) { (void)p; (void)f; called = 3; return 0; }
static pj_status_t check_destroy(pjmedia_port *p) { (void)p; called = 4; return 0; }

static int check_layout(void)
{
    struct { pjmedia_port port; long canary[4]; } t;
    char name[] = "sp-check";
    pj_str_t pname = { name, 8 };
    memset(&t, 0, sizeof(t));
    t.canary[0] = t.canary[3] = 0x5a5a5a5aL;
    t.port.get_clock_src = check_clock;
    t.port.put_frame = check_put;
    t.port.get_frame = check_get;
    t.port.on_destroy = check_destroy;
    if (sp_pj.pjmedia_port_info_init(&t.port.info, &pname, 0x53504348u, 16000, 1, 16, 320)
            != 0) {
        snprintf(why, sizeof(why), "pjmedia_port_info_init failed on a test port");
        return -1;
    }
    const pjmedia_port_info *i = &t.port.info;
    const pjmedia_audio_format_detail *a = &i->fmt.det.aud;
    if (i->name.ptr != name || i->name.slen != 8 || i->signature != 0x53504348u
            || i->dir != PJMEDIA_DIR_ENCODING_DECODING || i->fmt.type != PJMEDIA_TYPE_AUDIO
            || i->fmt.detail_type != PJMEDIA_FORMAT_DETAIL_AUDIO || a->clock_rate != 16000
            || a->channel_count != 1 || a->bits_per_sample != 16
            || a->frame_time_usec != 20000 || a->avg_bps != 256000
            || t.port.port_data.pdata != NULL || t.port.get_frame != check_get
            || t.canary[0] != 0x5a5a5a5aL || t.canary[3] != 0x5a5a5a5aL) {
        snprintf(why, sizeof(why), "pjmedia_port_info differs from the declared layout");
        return -1;
    }
    pjmedia_frame f;
    memset(&f, 0, sizeof(f));
    called = 0;
    sp_pj.pjmedia_port_get_frame(&t.port, &f);
    int get_ok = called == 3;
    called = 0;
    sp_pj.pjmedia_port_put_frame(&t.port, &f);
    int put_ok = called == 2;
    called = 0;
    int clock_ok = sp_pj.pjmedia_port_get_clock_src(&t.port, PJMEDIA_DIR_ENCODING) ==
                   (pjmedia_clock_src *)&called && called == 1;
    called = 0;
    if (get_ok && put_ok && clock_ok)
        sp_pj.pjmedia_port_destroy(&t.port);  /* no group lock: calls on_destroy */
    if (!(get_ok && put_ok && clock_ok && called == 4)) {
        snprintf(why, sizeof(why), "pjmedia_port's callbacks are not where they are declared");
        return -1;
    }
    return 0;
}

int sp_pj_bind(const char *library)
{
    if (bound)
        return bound == 1 ? 0 : -1;
    bound = -1;
#ifdef _WIN32
    (void)library;
    snprintf(why, sizeof(why), "pjsua2's module exports no C functions on Windows");
    return -1;
#else
    void *h = dlopen(library, RTLD_NOW | RTLD_NOLOAD);
    if (!h) {
        snprintf(why, sizeof(why), "pjsua2's module is not loaded (%s)", library);
        return -1;
    }
    /* the release first: another one may lack or change anything below */
    const char *(*get_version)(void) = (const char *(*)(void))dlsym(h, "pj_get_version");
    const char *version = get_version ? get_version() : NULL;
    if (!version || strcmp(version, SP_PJ_VERSION) != 0) {
        snprintf(why, sizeof(why), "pjproject %s is not %s, the release the declarations "
                 "were written for", version ? version : "(no pj_get_version)", SP_PJ_VERSION);
        return -1;
    }
    for (size_t k = 0; k < sizeof(SP_PJ_SYMBOLS) / sizeof(SP_PJ_SYMBOLS[0]); k++) {
        void *fn = dlsym(h, SP_PJ_SYMBOLS[k].name);
        if (!fn && SP_PJ_SYMBOLS[k].required) {
            snprintf(why, sizeof(why), "pjsua2's module does not export %s",
                     SP_PJ_SYMBOLS[k].name);
            memset(&sp_pj, 0, sizeof(sp_pj));
            return -1;  /* the handle stays open: the module is loaded for good anyway */
        }
        memcpy((char *)&sp_pj + SP_PJ_SYMBOLS[k].offset, &fn, sizeof(fn));
    }
    if (check_layout() != 0) {
        memset(&sp_pj, 0, sizeof(sp_pj));
        return -1;
    }
    bound = 1;
    why[0] = 0;
    return 0;
#endif
}

static __thread pj_thread_desc thread_desc;
static __thread int thread_known;

int sp_pj_thread(const char *name)
{
    if (thread_known)
        return 0;
    if (bound != 1)
        return -1;
    if (!sp_pj.pj_thread_is_registered()) {
        pj_thread_t *t = NULL;
        memset(thread_desc, 0, sizeof(thread_desc));
        pj_status_t st = sp_pj.pj_thread_register(name, thread_desc, &t);
        if (st != 0)
            return st;
    }
    thread_known = 1;
    return 0;
}
