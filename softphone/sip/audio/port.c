/* The call audio's own media port in PJSIP's conference bridge.
 *
 * A pjmedia_port (pj_abi.h) with our get_frame/put_frame, added with pjsua_conf_add_port and
 * connected to calls by slot. PJSIP's clock thread calls get_frame (the microphone frame the
 * PortAudio callback queued) and put_frame (what the calls say, queued for the speaker); both
 * only touch the lock-free queues of native.c.
 *
 * Lifetime: the bridge gives the port a group lock when it is added (it has none) and holds a
 * reference; pjsua_conf_remove_port gives the bridge's back (on the clock thread, at its next
 * tick) and pjmedia_port_destroy ours. The last one calls on_destroy, which marks the state
 * `gone`: only then may Python free it (sp_port_free), since until then the clock thread may
 * still call in. All sp_port_* and sp_conf_* functions run on a thread that may call pjsua
 * (the SIP thread) and register it with pjlib otherwise.
 */
#include "native.h"

#include <stdlib.h>
#include <string.h>

#define SP_SIGNATURE 0x53504850u /* 'SPHP' */

typedef struct sp_owned {
    pjmedia_port port;
    pj_pool_t *pool;
    char name[40];
} sp_owned;

static pj_status_t port_get(pjmedia_port *this_port, pjmedia_frame *frame)
{
    sp_port *p = (sp_port *)this_port->port_data.pdata;
    if (!p || !p->mic) {
        frame->type = PJMEDIA_FRAME_TYPE_NONE;  /* a speaker-only port sends nothing */
        frame->size = 0;
        return 0;
    }
    p->gets++;
    size_t want = frame->size, fb = (size_t)p->frame_bytes;
    char *buf = (char *)frame->buf;
    if (want == fb) {
        if (!sp_queue_get(p->mic, buf) || __atomic_load_n(&p->muted, __ATOMIC_RELAXED))
            memset(buf, 0, fb);
    } else {  /* not the size the port was made for: never expected */
        char tmp[fb];
        if (!sp_queue_get(p->mic, tmp) || __atomic_load_n(&p->muted, __ATOMIC_RELAXED))
            memset(tmp, 0, fb);
        size_t k = want < fb ? want : fb;
        memcpy(buf, tmp, k);
        if (want > k)
            memset(buf + k, 0, want - k);
    }
    frame->type = PJMEDIA_FRAME_TYPE_AUDIO;
    return 0;
}

static pj_status_t port_put(pjmedia_port *this_port, pjmedia_frame *frame)
{
    sp_port *p = (sp_port *)this_port->port_data.pdata;
    if (!p || !p->spk)
        return 0;
    p->puts++;
    if (frame->type == PJMEDIA_FRAME_TYPE_AUDIO && frame->size == (size_t)p->spk->frame_bytes)
        sp_queue_put(p->spk, (const char *)frame->buf);
    else  /* nobody transmits to us: the bridge's heartbeat */
        sp_queue_put(p->spk, p->silence);
    return 0;
}

static pj_status_t port_destroyed(pjmedia_port *this_port)
{
    sp_port *p = (sp_port *)this_port->port_data.pdata;
    if (p)
        __atomic_store_n(&p->gone, 1, __ATOMIC_RELEASE);
    return 0;
}

/* Create the port and add it to the bridge: its slot, or a negative pj status. */
int sp_port_open(sp_port *p, const char *name, unsigned clock_rate, unsigned samples)
{
    if (!sp_pj_bound())
        return -1;
    int st = sp_pj_thread("sp-sip");
    if (st != 0)
        return -st;
    sp_owned *o = (sp_owned *)calloc(1, sizeof(sp_owned));
    if (!o)
        return -1;
    strncpy(o->name, name, sizeof(o->name) - 1);
    pj_str_t pname = { o->name, (pj_ssize_t)strlen(o->name) };
    st = sp_pj.pjmedia_port_info_init(&o->port.info, &pname, SP_SIGNATURE, clock_rate, 1, 16,
                                      samples);
    if (st != 0) {
        free(o);
        return -st;
    }
    o->port.port_data.pdata = p;
    o->port.get_frame = port_get;
    o->port.put_frame = port_put;
    o->port.on_destroy = port_destroyed;  /* required by the bridge's group lock */
    o->pool = sp_pj.pjsua_pool_create(o->name, 512, 512);
    if (!o->pool) {
        free(o);
        return -1;
    }
    p->slot = -1;
    p->gone = 0;
    p->owned = o;
    pjsua_conf_port_id slot = -1;
    st = sp_pj.pjsua_conf_add_port(o->pool, &o->port, &slot);
    if (st != 0) {
        p->owned = NULL;
        sp_pj.pj_pool_release(o->pool);
        free(o);
        return -st;
    }
    p->slot = slot;
    return slot;
}

/* Take the port out of the bridge and drop our reference (idempotent). */
int sp_port_close(sp_port *p)
{
    sp_owned *o = (sp_owned *)p->owned;
    if (!o || p->slot < 0)
        return 0;
    int st = sp_pj_thread("sp-sip");
    if (st != 0)
        return -st;
    int slot = p->slot;
    p->slot = -1;
    st = sp_pj.pjsua_conf_remove_port(slot);
    sp_pj.pjmedia_port_destroy(&o->port);
    return st ? -st : 0;
}

/* Free the port's memory once PJSIP is done with it: 1 freed, 0 not yet. */
int sp_port_free(sp_port *p)
{
    sp_owned *o = (sp_owned *)p->owned;
    if (!o)
        return 1;
    if (p->slot >= 0 || !__atomic_load_n(&p->gone, __ATOMIC_ACQUIRE))
        return 0;
    /* The pool stays: the bridge may have made the port's group lock from it, and that lock
     * is still being torn down when on_destroy runs. pjsua releases it at libDestroy. */
    p->owned = NULL;
    free(o);
    return 1;
}

int sp_conf_connect(int source, int sink)
{
    int st = sp_pj_bound() ? sp_pj_thread("sp-sip") : -1;
    return st ? st : sp_pj.pjsua_conf_connect(source, sink);
}

int sp_conf_disconnect(int source, int sink)
{
    int st = sp_pj_bound() ? sp_pj_thread("sp-sip") : -1;
    return st ? st : sp_pj.pjsua_conf_disconnect(source, sink);
}
