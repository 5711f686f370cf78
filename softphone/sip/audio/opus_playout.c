/* The playout timeline of an Opus stream, kept by our codec (opus_codec.c) rather than left to
 * pjmedia's jitter buffer.
 *
 * pjmedia hands the codec one frame per tick of the conference bridge, or asks it to conceal
 * one (recover) when its buffer is empty. With nothing buffered ahead (its default), a packet
 * that comes a few ms after the tick it was due for (scheduling jitter does that when packets
 * arrive close to the bridge's tick) has its slot concealed, and is then played anyway at the
 * next tick: from there on the audio is a frame late, until the next lost packet is skipped
 * without concealment to catch up. Both cut into words (PESQ at 10 % loss fell from ~3.6 to
 * ~3.0 in the calls where it happened). So the codec keeps its own copy of every packet as it
 * arrives (parse, on the RTP thread) and takes each decode or recover call as a tick only: the
 * tick plays the codec's own next frame by RTP timestamp: the packet, else the in-band FEC of
 * the packet after it, else the decoder's concealment. A packet that comes after its turn is
 * dropped.
 *
 * Delay: one frame is held back (a lost frame's FEC is in the next packet). A packet that
 * comes after its turn holds back one frame more (a concealed frame is inserted), up to
 * SP_PLAYOUT_MAX_TARGET; after SP_PLAYOUT_CALM_TICKS ticks without one, one less. Staying two
 * frames over the target for SP_PLAYOUT_OVER_TICKS (the far end's clock runs faster, or the
 * target fell) drops a frame; far behind the newest packet (pjmedia stopped asking during a
 * hold or an outage) the timeline jumps ahead; SP_PLAYOUT_LATE_RESYNC late packets in a row
 * (a far end that paused and went on with the timestamps where it stopped) start it anew.
 */
#include <string.h>

#include "opus_playout.h"

static int32_t ts_diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }

static void reset_locked(sp_playout *p, int frame)
{
    for (int i = 0; i < SP_PLAYOUT_SLOTS; i++)
        p->slot[i].used = 0;
    p->late_packet.used = 0;
    p->started = 0;
    p->have_newest = 0;
    p->next_ts = p->newest_ts = 0;
    p->frame = frame > 0 ? frame : 960;
    p->target = 1;
    p->late_pending = 0;
    p->calm_ticks = p->over_ticks = 0;
    p->late_run = 0;
}

void sp_playout_init(sp_playout *p, int frame)
{
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    reset_locked(p, frame);
}

void sp_playout_destroy(sp_playout *p)
{
    pthread_mutex_destroy(&p->lock);
}

void sp_playout_reset(sp_playout *p, int frame)
{
    pthread_mutex_lock(&p->lock);
    reset_locked(p, frame);
    pthread_mutex_unlock(&p->lock);
}

int sp_playout_put(sp_playout *p, uint32_t ts, int duration, const void *data, int len)
{
    if (len <= 0 || len > SP_PLAYOUT_MAX_PACKET || duration <= 0)
        return SP_PUT_REFUSED;
    pthread_mutex_lock(&p->lock);
    if (p->started) {
        int32_t d = ts_diff(ts, p->next_ts);
        int32_t far = SP_PLAYOUT_RESYNC_FRAMES * p->frame;
        if (d < -far || d > far || (d < 0 && p->late_run + 1 >= SP_PLAYOUT_LATE_RESYNC)) {
            /* new timestamps (the far end started anew), or a far end that paused and went on
             * where it was (every packet behind the ticks that went by meanwhile) */
            reset_locked(p, duration);
        } else if (d < 0) {
            p->late_run++;
            p->late++;
            p->late_pending = 1;
            if (d >= -2 * p->frame && !p->late_packet.used) {
                /* The frame just concealed: the tick that holds back one more plays it. */
                sp_playout_packet *s = &p->late_packet;
                s->used = 1;
                s->ts = ts;
                s->duration = duration;
                s->len = len;
                memcpy(s->data, data, (size_t)len);
            }
            pthread_mutex_unlock(&p->lock);
            return SP_PUT_LATE;
        }
    }
    int free_i = -1, oldest_i = -1;
    for (int i = 0; i < SP_PLAYOUT_SLOTS; i++) {
        sp_playout_packet *s = &p->slot[i];
        if (!s->used) {
            if (free_i < 0)
                free_i = i;
        } else if (s->ts == ts) {
            pthread_mutex_unlock(&p->lock);
            return SP_PUT_DUPLICATE;
        } else if (oldest_i < 0 || ts_diff(s->ts, p->slot[oldest_i].ts) < 0) {
            oldest_i = i;
        }
    }
    int i = free_i;
    if (i < 0) {                             /* full: the oldest makes room for a newer one */
        if (ts_diff(ts, p->slot[oldest_i].ts) < 0) {
            pthread_mutex_unlock(&p->lock);
            return SP_PUT_REFUSED;
        }
        i = oldest_i;
    }
    sp_playout_packet *s = &p->slot[i];
    p->late_run = 0;
    s->used = 1;
    s->ts = ts;
    s->duration = duration;
    s->len = len;
    memcpy(s->data, data, (size_t)len);
    if (!p->have_newest || ts_diff(ts, p->newest_ts) > 0) {
        p->newest_ts = ts;
        p->have_newest = 1;
        p->frame = duration;
    }
    pthread_mutex_unlock(&p->lock);
    return SP_PUT_STORED;
}

/* The stored packet that starts within half a frame of `ts` (the earliest such), or -1. */
static int find_at(sp_playout *p, uint32_t ts)
{
    int best = -1;
    int32_t half = p->frame / 2;
    for (int i = 0; i < SP_PLAYOUT_SLOTS; i++) {
        sp_playout_packet *s = &p->slot[i];
        if (!s->used)
            continue;
        int32_t d = ts_diff(s->ts, ts);
        if (d > -half && d < half && (best < 0 || ts_diff(s->ts, p->slot[best].ts) < 0))
            best = i;
    }
    return best;
}

/* Drop what the timeline has passed (a packet more than half played). */
static void drop_stale(sp_playout *p)
{
    for (int i = 0; i < SP_PLAYOUT_SLOTS; i++) {
        sp_playout_packet *s = &p->slot[i];
        if (s->used && ts_diff(s->ts + (uint32_t)(s->duration / 2), p->next_ts) < 0)
            s->used = 0;
    }
}

static void take(sp_playout_packet *s, unsigned char *to, int *len)
{
    memcpy(to, s->data, (size_t)s->len);
    *len = s->len;
    s->used = 0;
}

void sp_playout_tick(sp_playout *p, sp_play_step *st)
{
    st->what = SP_PLAY_SILENCE;
    st->len = st->skip_len = 0;
    pthread_mutex_lock(&p->lock);
    int f = p->frame;
    st->duration = f;
    if (!p->started) {
        if (p->have_newest) {
            /* Start at the newest packet, and play nothing this tick: the frame held back. */
            p->started = 1;
            p->next_ts = p->newest_ts - (uint32_t)((p->target - 1) * f);
            drop_stale(p);
        }
        pthread_mutex_unlock(&p->lock);
        return;
    }
    if (p->late_pending) {
        p->late_pending = 0;
        p->calm_ticks = 0;
        if (p->target < SP_PLAYOUT_MAX_TARGET) {
            /* Hold back one frame more: this tick plays the late packet if it was the frame
             * just concealed (better than concealing twice), else conceals; the timeline
             * stays. */
            p->target++;
            p->stalls++;
            if (p->late_packet.used) {
                st->what = SP_PLAY_PACKET;
                st->duration = p->late_packet.duration;
                take(&p->late_packet, st->data, &st->len);
            } else {
                st->what = SP_PLAY_CONCEAL;
            }
            pthread_mutex_unlock(&p->lock);
            return;
        }
        p->late_packet.used = 0;
    }
    if (++p->calm_ticks >= SP_PLAYOUT_CALM_TICKS) {
        p->calm_ticks = 0;
        if (p->target > 1)
            p->target--;
    }
    int32_t ahead = p->have_newest ? ts_diff(p->newest_ts, p->next_ts) : 0;
    if (ahead > SP_PLAYOUT_JUMP_FRAMES * f) {
        p->next_ts = p->newest_ts - (uint32_t)(p->target * f);
        p->jumps++;
        ahead = p->target * f;
    }
    drop_stale(p);
    int skip = 0;
    if (ahead >= (p->target + 1) * f) {
        if (++p->over_ticks >= SP_PLAYOUT_OVER_TICKS) {
            p->over_ticks = 0;
            skip = 1;
        }
    } else {
        p->over_ticks = 0;
    }
    int cur = find_at(p, p->next_ts);
    if (skip && cur >= 0) {
        /* One frame too many held back: decode it unheard, play the one after it. */
        int after = find_at(p, p->slot[cur].ts + (uint32_t)p->slot[cur].duration);
        if (after >= 0) {
            p->next_ts = p->slot[cur].ts + (uint32_t)p->slot[cur].duration;
            take(&p->slot[cur], st->skip, &st->skip_len);
            cur = after;
            p->skips++;
        }
    }
    if (cur >= 0) {
        st->what = SP_PLAY_PACKET;
        st->duration = p->slot[cur].duration;
        p->next_ts = p->slot[cur].ts;
        take(&p->slot[cur], st->data, &st->len);
    } else {
        int next = find_at(p, p->next_ts + (uint32_t)f);
        if (next >= 0) {
            st->what = SP_PLAY_FEC;      /* the packet stays for its own turn */
            memcpy(st->data, p->slot[next].data, (size_t)p->slot[next].len);
            st->len = p->slot[next].len;
        } else {
            st->what = SP_PLAY_CONCEAL;
        }
    }
    p->next_ts += (uint32_t)st->duration;
    pthread_mutex_unlock(&p->lock);
}

/* --- for tests (opus_codec.h): the timeline alone, packets known by a one-byte tag ----- */
#include <stdlib.h>

void *sp_playout_test_new(int frame)
{
    sp_playout *p = malloc(sizeof(*p));
    if (p)
        sp_playout_init(p, frame);
    return p;
}

void sp_playout_test_free(void *p)
{
    if (p) {
        sp_playout_destroy(p);
        free(p);
    }
}

int sp_playout_test_put(void *p, unsigned ts, int duration, int tag)
{
    unsigned char b = (unsigned char)tag;
    return sp_playout_put(p, ts, duration, &b, 1);
}

int sp_playout_test_tick(void *p, int *tag, int *skipped_tag)
{
    static sp_play_step st;     /* tests only: one thread */
    sp_playout_tick(p, &st);
    *tag = st.len ? st.data[0] : -1;
    *skipped_tag = st.skip_len ? st.skip[0] : -1;
    return st.what;
}
