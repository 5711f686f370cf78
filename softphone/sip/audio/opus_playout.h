/* The playout timeline of an Opus stream, kept by our codec itself (opus_playout.c). Included
 * by C only (opus_codec.c); Python reaches it through the sp_playout_test_* functions of
 * opus_codec.h. */
#ifndef SP_OPUS_PLAYOUT_H
#define SP_OPUS_PLAYOUT_H

#include <pthread.h>
#include <stdint.h>

#define SP_PLAYOUT_SLOTS 16           /* packets kept: 320 ms of 20 ms packets */
#define SP_PLAYOUT_MAX_PACKET 1275    /* the largest Opus frame (RFC 6716) */
#define SP_PLAYOUT_MAX_TARGET 6       /* frames held back at most (120 ms at 20 ms) */
#define SP_PLAYOUT_CALM_TICKS 1500    /* ticks without a late packet before the target falls */
#define SP_PLAYOUT_OVER_TICKS 50      /* ticks over the target before a frame is dropped */
#define SP_PLAYOUT_JUMP_FRAMES 15     /* this far behind the newest packet: jump */
#define SP_PLAYOUT_RESYNC_FRAMES 100  /* a timestamp this far off: the far end started anew */
#define SP_PLAYOUT_LATE_RESYNC 25     /* this many late packets in a row: start anew */

enum sp_play { SP_PLAY_SILENCE, SP_PLAY_PACKET, SP_PLAY_FEC, SP_PLAY_CONCEAL };
enum sp_put { SP_PUT_STORED, SP_PUT_LATE, SP_PUT_DUPLICATE, SP_PUT_REFUSED };

typedef struct sp_playout_packet {
    int used;
    uint32_t ts;                     /* RTP timestamp */
    int duration;                    /* RTP clock units */
    int len;
    unsigned char data[SP_PLAYOUT_MAX_PACKET];
} sp_playout_packet;

typedef struct sp_playout {
    pthread_mutex_t lock;            /* put (RTP thread) against tick (the bridge's clock) */
    sp_playout_packet slot[SP_PLAYOUT_SLOTS];
    int started;                     /* the timeline runs (from the first tick with a packet) */
    int have_newest;
    uint32_t next_ts;                /* where the next tick plays */
    uint32_t newest_ts;
    int frame;                       /* the newest packet's duration: the size of a gap */
    int target;                      /* frames held back beyond the one playing (>= 1: FEC) */
    int late_pending;                /* a packet came after its turn: hold back one more */
    sp_playout_packet late_packet;   /* that packet, if it is the one just concealed */
    int calm_ticks, over_ticks;
    int late_run;                    /* late packets in a row */
    unsigned long long late, stalls, skips, jumps;
} sp_playout;

/* What one tick plays: silence, a packet, a lost frame from the in-band FEC of the packet in
 * `data`, or concealment; `skip` (skip_len > 0) is to be decoded first and thrown away. */
typedef struct sp_play_step {
    int what;                        /* enum sp_play */
    int duration;                    /* RTP clock units this tick covers */
    int len, skip_len;
    unsigned char data[SP_PLAYOUT_MAX_PACKET];
    unsigned char skip[SP_PLAYOUT_MAX_PACKET];
} sp_play_step;

void sp_playout_init(sp_playout *p, int frame);
void sp_playout_destroy(sp_playout *p);
/* Forget every packet and start again (the codec was opened anew). */
void sp_playout_reset(sp_playout *p, int frame);
/* A packet as it arrives (RTP thread): enum sp_put. */
int sp_playout_put(sp_playout *p, uint32_t ts, int duration, const void *data, int len);
/* The next frame to play (the bridge's clock: each decode or recover call is one tick). */
void sp_playout_tick(sp_playout *p, sp_play_step *step);

#endif
