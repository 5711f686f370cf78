/* Gives a stream's RTCP session the RTP clock its packets carry.
 *
 * pjmedia 2.15.1 (stream.c, pjmedia_stream_create) initialises a stream's RTCP session with
 * info->fmt.clock_rate. For Opus that is the decode rate stream_info.c negotiates
 * (get_opus_channels_and_clock_rate: the lower of the peer's maxplaybackrate and our
 * sprop-maxcapturerate, 8 to 48 kHz), while Opus's RTP timestamps always count 48 kHz
 * (RFC 7587). rtcp.c (pjmedia_rtcp_rx_rtp2) converts each packet's arrival time to
 * sess->clock_rate units and subtracts its 48 kHz timestamp, so at 16 kHz every 20 ms packet
 * looks 40 ms late: ~35 ms of "jitter" on a quiet LAN, in our statistics and in the RTCP
 * receiver reports we send; the peer's reports (48 kHz units) are misread the same way.
 * pjmedia corrects G.722 in the same place (RTCP at 8 kHz) but not Opus.
 *
 * sp_rtcp_set_clock() is called when pjsua has created a stream (before it joins the bridge)
 * and sets the session's clock and its frame lengths (scaled alike) to the RTP clock. The
 * session's layout is pjmedia's private struct: the offsets below are 2.15.1's (the release
 * pj_abi.c binds to) and are checked once against a session pjmedia_rtcp_init2() makes and
 * feeds, so another layout is refused instead of written into.
 *
 * Races: the stream's receive path updates the session on the media thread without a lock we
 * could take (and its sender reads the clock for an SR's RTP timestamp: one report at most
 * mixes the two clocks). Each field is written whole (atomic stores). Before PJMEDIA_RTCP_IGNORE_FIRST_PACKETS packets (25) pjmedia only records each
 * packet's transit time, so a correction made then (the normal case: pjsua calls us before
 * the stream is in the bridge) leaves nothing computed with the old clock. A later one (a
 * stream created while we were busy) also restarts the jitter estimate and its statistics;
 * a packet handled in the same microseconds could then leave one outlier in them. */
#include "native.h"

#include <stdio.h>
#include <string.h>

/* pjmedia_rtcp_session in 2.15.1 (rtcp.h), x86-64/aarch64 LP64: */
enum {
    OFF_CLOCK_RATE = 0x80,     /* unsigned clock_rate */
    OFF_PKT_SIZE = 0x84,       /* unsigned pkt_size (samples per frame) */
    OFF_TS_PER_FRAME = 0x88,   /* unsigned: RTP timestamp units per frame (loss periods) */
    OFF_RECEIVED = 0x8c,       /* unsigned received (good packets) */
    OFF_TRANSIT = 0x98,        /* pj_int32_t transit (of the last packet) */
    OFF_JITTER = 0x9c,         /* pj_uint32_t jitter (estimate, samples << 4) */
    OFF_RX_JITTER_STAT = 0x1b8,/* pj_math_stat stat.rx.jitter: n, max, min, last, mean, ... */
    SIZE_MATH_STAT = 0x20,
    SESSION_MAX = 0x2b0,       /* sizeof(pjmedia_rtcp_session) in 2.15.1 (no RTCP XR) */
    IGNORE_FIRST = 25,         /* PJMEDIA_RTCP_IGNORE_FIRST_PACKETS */
};

static int probed;            /* 1 layout confirmed, -1 refused */
static char why[200];

static unsigned get_u32(const char *s, int off)
{
    return __atomic_load_n((const unsigned *)(s + off), __ATOMIC_ACQUIRE);
}

static void set_u32(char *s, int off, unsigned v)
{
    __atomic_store_n((unsigned *)(s + off), v, __ATOMIC_RELEASE);
}

/* A session made and fed by pjmedia itself must show its figures where we read them. */
static int probe(void)
{
    if (probed)
        return probed == 1 ? 0 : -1;
    probed = -1;
    if (!sp_pj_bound() || !sp_pj.pjmedia_stream_get_rtp_session_info ||
            !sp_pj.pjmedia_rtcp_session_setting_default || !sp_pj.pjmedia_rtcp_init2 ||
            !sp_pj.pjmedia_rtcp_rx_rtp2) {
        snprintf(why, sizeof(why), "pjsua2's module lacks pjmedia's RTCP functions");
        return -1;
    }
    /* room to spare: a bigger session than declared must not write past the buffer */
    static _Alignas(16) char session[4 * SESSION_MAX];
    memset(session, 0xa5, sizeof(session));
    pjmedia_rtcp_session_setting st;
    sp_pj.pjmedia_rtcp_session_setting_default(&st);
    st.name = (char *)"sp-rtcp-probe";
    st.clock_rate = 11111;
    st.samples_per_frame = 222;
    st.rtp_ts_per_frame = 333;
    st.ssrc = 0x5eed;
    pjmedia_rtcp_session *sess = (pjmedia_rtcp_session *)session;
    sp_pj.pjmedia_rtcp_init2(sess, &st);
    int ok = get_u32(session, OFF_CLOCK_RATE) == 11111 && get_u32(session, OFF_PKT_SIZE) == 222
             && get_u32(session, OFF_TS_PER_FRAME) == 333 && get_u32(session, OFF_RECEIVED) == 0
             && get_u32(session, OFF_JITTER) == 0
             && get_u32(session, OFF_RX_JITTER_STAT) == 0
             && (unsigned char)session[SESSION_MAX] == 0xa5;
    /* 30 packets at once whose timestamps say 30 ms apart: ~30 ms of jitter each, counted
     * from the IGNORE_FIRST-th good packet (the first two are the sequence's probation) */
    const unsigned fed = IGNORE_FIRST + 5;
    for (unsigned k = 1; ok && k <= fed; k++)
        sp_pj.pjmedia_rtcp_rx_rtp2(sess, 1000 + k, 333 * k, 40, 0);
    unsigned good = get_u32(session, OFF_RECEIVED);
    ok = ok && good + 2 >= fed && good <= fed && get_u32(session, OFF_JITTER) > 0
         && get_u32(session, OFF_RX_JITTER_STAT) == good - IGNORE_FIRST + 1
         && get_u32(session, OFF_RX_JITTER_STAT + 12) > 0;  /* last, in usec */
    if (!ok) {
        snprintf(why, sizeof(why), "pjmedia_rtcp_session differs from the declared layout");
        return -1;
    }
    probed = 1;
    why[0] = 0;
    return 0;
}

int sp_rtcp_session_set_clock(void *session, unsigned rtp_clock)
{
    if (probe() != 0)
        return -1;
    char *s = (char *)session;
    unsigned clock = get_u32(s, OFF_CLOCK_RATE);
    if (clock == rtp_clock)
        return 0;
    if (clock == 0 || clock > rtp_clock || rtp_clock % clock != 0) {
        snprintf(why, sizeof(why), "the RTCP clock %u Hz is no divisor of %u Hz", clock,
                 rtp_clock);
        return -1;
    }
    unsigned factor = rtp_clock / clock;
    set_u32(s, OFF_PKT_SIZE, get_u32(s, OFF_PKT_SIZE) * factor);
    set_u32(s, OFF_TS_PER_FRAME, get_u32(s, OFF_TS_PER_FRAME) * factor);
    set_u32(s, OFF_CLOCK_RATE, rtp_clock);
    if (get_u32(s, OFF_RECEIVED) + 1 >= IGNORE_FIRST) {
        /* late: jitter was computed with the old clock. A zero transit makes the next packet
         * start the estimate again (and reset the statistics' minimum). */
        set_u32(s, OFF_TRANSIT, 0);
        set_u32(s, OFF_JITTER, 0);
        memset(s + OFF_RX_JITTER_STAT, 0, SIZE_MATH_STAT);
    }
    return 1;
}

int sp_rtcp_set_clock(void *stream, unsigned rtp_clock)
{
    if (!stream || !rtp_clock) {
        snprintf(why, sizeof(why), "no stream");
        return -1;
    }
    if (probe() != 0)
        return -1;
    pjmedia_stream_rtp_sess_info info;
    memset(&info, 0, sizeof(info));
    if (sp_pj.pjmedia_stream_get_rtp_session_info((pjmedia_stream *)stream, &info) != 0 ||
            !info.rtcp) {
        snprintf(why, sizeof(why), "the stream has no RTCP session");
        return -1;
    }
    return sp_rtcp_session_set_clock((void *)info.rtcp, rtp_clock);
}

const char *sp_rtcp_error(void) { return why; }
