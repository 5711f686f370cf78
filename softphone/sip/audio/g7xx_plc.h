/* Packet loss concealment for G.711 and G.722 (g7xx_plc.c), in the manner of ITU-T G.711
 * Appendix I: the lost audio is rebuilt by repeating the last pitch period, and the first
 * good frame after a loss is overlap-added onto the rebuilt waveform. Works on 8 and 16 kHz
 * (G.722 decodes to 16 kHz). C only (not a cffi declaration: the struct is private to the
 * codecs).
 */
#ifndef SP_G7XX_PLC_H
#define SP_G7XX_PLC_H

#include <stdint.h>

#define SP_PLC_MAX_K 2                       /* 16 kHz: two samples per 8 kHz sample */
#define SP_PLC_PITCH_MAX (120 * SP_PLC_MAX_K) /* 15 ms: 66 Hz */
#define SP_PLC_HIST (280 * SP_PLC_MAX_K)     /* 20 ms matched against up to 15 ms before */

typedef struct sp_plc {
    int k;                   /* samples per 125 µs: 1 at 8 kHz, 2 at 16 kHz */
    int hist_len;            /* samples of history kept (35 ms) */
    float hist[SP_PLC_HIST]; /* what was played last, oldest first (good and rebuilt) */
    int missing;             /* samples rebuilt since the last good frame; 0: no loss now */
    int pitch;               /* the period repeated (samples) */
    int overlap;             /* a quarter period: the cross-fades' length */
    int pos;                 /* read position in `cycle` */
    float cycle[SP_PLC_PITCH_MAX];           /* the period repeated, its wrap smoothed */
    float offset;            /* the step between the last good sample and the cycle's start */
    int offset_left;         /* samples over which `offset` decays to 0 */
    float gain;              /* attenuation of a long loss: 1 for 10 ms, then to 0 at 60 ms */
} sp_plc;

void sp_plc_init(sp_plc *p, unsigned clock_rate);
/* A decoded frame, in place: overlap-added onto the rebuilt waveform when it ends a loss;
 * then kept as history. */
void sp_plc_good(sp_plc *p, int16_t *pcm, int n);
/* `n` samples of a lost frame. */
void sp_plc_conceal(sp_plc *p, int16_t *out, int n);

#endif
