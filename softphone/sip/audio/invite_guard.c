/* New INVITEs over a rate are answered 486 Busy Here before pjsua opens media for them.
 *
 * pjsua opens an incoming call's media sockets (pjsua_call_on_incoming ->
 * pjsua_media_channel_init) before the application hears of the call, and each socket takes
 * one of the 64 keys of an ioqueue that comes back only 500 ms after the socket closed
 * (PJ_IOQUEUE_KEY_FREE_DELAY); pj_ioqueue_register_sock2 asserts on an empty free list. So
 * callers that INVITE and CANCEL faster than that abort the whole phone, and nothing above
 * pjsua can refuse them in time (softphone/sip/media_sockets.py paces our own dials). This
 * pjsip module sits between the UA layer (32: in-dialog requests never get here) and pjsua's
 * application module (64) and lets at most `limit` new INVITEs through per `window_ms`; the
 * others get a stateless 486, as pjsua itself answers when its call slots are full.
 *
 * Runs on the thread that polls PJSIP (the engine's SIP thread), as does every call into it. */
#include "native.h"

#include <stdio.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <time.h>
#endif

#define SP_GUARD_SLOTS 64
#define SP_GUARD_PRIORITY 40   /* after PJSIP_MOD_PRIORITY_UA_PROXY_LAYER (32) */

static int guard_limit, guard_window_ms, installed;
static uint64_t admitted[SP_GUARD_SLOTS];   /* admission times (ms), a ring */
static unsigned ring_head, ring_count;
static uint64_t refused;
static char why[200];

static uint64_t now_ms(void)
{
#ifdef _WIN32
    return (uint64_t)GetTickCount64();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
#endif
}

static int is_invite(pjsip_rx_data *rdata)
{
    /* sip_transport.c get_msg_info(): "Request msg INVITE/cseq=1 (rdata0x...)" */
    static const char prefix[] = "Request msg INVITE/";
    const char *info = sp_pj.pjsip_rx_data_get_info(rdata);
    return info != NULL && strncmp(info, prefix, sizeof prefix - 1) == 0;
}

static pj_bool_t on_rx_request(pjsip_rx_data *rdata)
{
    uint64_t now;
    if (guard_limit <= 0 || !is_invite(rdata))
        return 0;
    now = now_ms();
    while (ring_count > 0) {
        unsigned oldest = (ring_head + SP_GUARD_SLOTS - ring_count) % SP_GUARD_SLOTS;
        if (now - admitted[oldest] < (uint64_t)guard_window_ms)
            break;
        ring_count--;
    }
    if (ring_count < (unsigned)guard_limit) {
        admitted[ring_head] = now;
        ring_head = (ring_head + 1) % SP_GUARD_SLOTS;
        ring_count++;
        return 0;  /* pjsua's to handle */
    }
    refused++;
    sp_pj.pjsip_endpt_respond_stateless(sp_pj.pjsua_get_pjsip_endpt(), rdata, 486, NULL,
                                        NULL, NULL);
    return 1;
}

static pjsip_module guard_module = {
    NULL, NULL, { (char *)"mod-softphone-invite-guard", 26 }, -1, SP_GUARD_PRIORITY,
    NULL, NULL, NULL, NULL, &on_rx_request, NULL, NULL, NULL, NULL,
};

void sp_invite_guard_set(int limit, int window_ms)
{
    guard_limit = limit > SP_GUARD_SLOTS ? SP_GUARD_SLOTS : limit;
    guard_window_ms = window_ms > 0 ? window_ms : 0;
}

int sp_invite_guard_install(int limit, int window_ms)
{
    pj_status_t status;
    sp_invite_guard_set(limit, window_ms);
    if (installed)
        return 0;
    if (!sp_pj_bound()) {
        snprintf(why, sizeof why, "PJSIP's C API is not bound: %s", sp_pj_error());
        return -1;
    }
    if (!sp_pj.pjsua_get_pjsip_endpt || !sp_pj.pjsip_endpt_register_module
            || !sp_pj.pjsip_endpt_respond_stateless || !sp_pj.pjsip_rx_data_get_info) {
        snprintf(why, sizeof why, "the loaded pjsua2 lacks a pjsip function the guard needs");
        return -1;
    }
    if (!sp_pj.pjsua_get_pjsip_endpt()) {
        snprintf(why, sizeof why, "pjsua has no SIP endpoint yet");
        return -1;
    }
    status = sp_pj.pjsip_endpt_register_module(sp_pj.pjsua_get_pjsip_endpt(), &guard_module);
    if (status != 0) {
        snprintf(why, sizeof why, "pjsip_endpt_register_module failed (status %d)", status);
        return -1;
    }
    installed = 1;
    return 0;
}

uint64_t sp_invite_guard_refused(void) { return refused; }
const char *sp_invite_guard_error(void) { return why; }
