/* Packet loss concealment for G.711 and G.722, in the manner of ITU-T G.711 Appendix I
 * (see g7xx_plc.h). pjmedia's own concealment for these codecs (WSOLA over 10 ms frames)
 * scored under baresip's in bench/bench_voice.py. Choices (bench/README.md has the figures):
 * - the pitch is found once per loss by normalised cross-correlation of the last 20 ms
 *   against the 5-15 ms before it;
 * - the last period is repeated, its own wrap smoothed by a cross-fade over a quarter period
 *   into what preceded it. The Appendix goes on to cycle the last two, then three periods
 *   after 10 and 20 ms of loss: offline (this speech, the bench's loss pattern, 16 kHz,
 *   10 % loss) that scored 2.19-2.21 PESQ against 2.32 for one period, so one it is;
 * - the first rebuilt samples carry the step from the last good sample away over a quarter
 *   period (no output delay is added, unlike the Appendix's 3.75 ms);
 * - no attenuation for 10 ms, then 20 % per 10 ms, silence after 60 ms;
 * - the first good frame after a loss fades in over the rebuilt waveform for a quarter
 *   period (the Appendix adds 4 ms per further 10 ms of loss: offline 0.05-0.1 lower).
 */
#include <math.h>
#include <string.h>

#include "g7xx_plc.h"

#define MS10(k) (80 * (k))           /* 10 ms in samples */
#define ATTENUATION 0.2f             /* per 10 ms, from 10 ms into a loss */

void sp_plc_init(sp_plc *p, unsigned clock_rate)
{
    memset(p, 0, sizeof(*p));
    int k = (int)(clock_rate / 8000);
    p->k = k < 1 ? 1 : k > SP_PLC_MAX_K ? SP_PLC_MAX_K : k;
    p->hist_len = 280 * p->k;
    p->pitch = 40 * p->k;
    p->overlap = p->pitch / 4;
    p->gain = 1.0f;
}

static int16_t to_pcm(float s)
{
    if (s > 32767.0f)
        return 32767;
    if (s < -32768.0f)
        return -32768;
    return (int16_t)lrintf(s);
}

static void push_history(sp_plc *p, const int16_t *x, int n)
{
    int h = p->hist_len;
    if (n >= h) {
        for (int i = 0; i < h; i++)
            p->hist[i] = x[n - h + i];
        return;
    }
    memmove(p->hist, p->hist + n, (size_t)(h - n) * sizeof(p->hist[0]));
    for (int i = 0; i < n; i++)
        p->hist[h - n + i] = x[i];
}

/* The lag (5-15 ms) whose past best matches the last 20 ms, by normalised correlation. */
static int find_pitch(const sp_plc *p)
{
    int k = p->k, pmin = 40 * k, pmax = 120 * k, span = 160 * k;
    const float *x = p->hist + p->hist_len - span;
    double best = -1.0;
    int best_lag = pmin;
    for (int lag = pmin; lag <= pmax; lag++) {
        double c = 0.0, e = 0.0;
        for (int i = 0; i < span; i++) {
            c += (double)x[i] * x[i - lag];
            e += (double)x[i - lag] * x[i - lag];
        }
        if (c <= 0.0 || e <= 0.0)
            continue;
        double score = c / sqrt(e);
        if (score > best) {
            best = score;
            best_lag = lag;
        }
    }
    return best_lag;
}

static void start_loss(sp_plc *p)
{
    int h = p->hist_len;
    p->pitch = find_pitch(p);
    p->overlap = p->pitch / 4;
    p->pos = 0;
    /* The last period, its end cross-faded into what came just before its start, so that
     * repeating it has no step at the wrap. */
    int len = p->pitch, ov = p->overlap;
    const float *seg = p->hist + h - len;
    memcpy(p->cycle, seg, (size_t)len * sizeof(p->cycle[0]));
    for (int i = 0; i < ov; i++) {
        float w = (float)(i + 1) / (float)(ov + 1);
        p->cycle[len - ov + i] = (1.0f - w) * seg[len - ov + i] + w * seg[i - ov];
    }
    /* The cycle starts one period back; what preceded that sample was hist[h - pitch - 1],
     * what was played last is hist[h - 1]: carry the difference away smoothly. */
    p->offset = p->hist[h - 1] - p->hist[h - p->pitch - 1];
    p->offset_left = p->overlap;
    p->gain = 1.0f;
}

static float next_sample(sp_plc *p)
{
    int k = p->k, m = p->missing;
    float s = p->cycle[p->pos];
    if (++p->pos >= p->pitch)
        p->pos = 0;
    if (p->offset_left > 0) {
        s += p->offset * (float)p->offset_left / (float)(p->overlap + 1);
        p->offset_left--;
    }
    if (m >= MS10(k)) {
        p->gain = 1.0f - ATTENUATION * (float)(m - MS10(k)) / (float)MS10(k);
        if (p->gain < 0.0f)
            p->gain = 0.0f;
    }
    p->missing = m + 1;
    return s * p->gain;
}

void sp_plc_conceal(sp_plc *p, int16_t *out, int n)
{
    if (p->missing == 0)
        start_loss(p);
    for (int i = 0; i < n; i++)
        out[i] = to_pcm(next_sample(p));
    push_history(p, out, n);
}

void sp_plc_good(sp_plc *p, int16_t *pcm, int n)
{
    if (p->missing > 0) {
        int ola = p->overlap < n ? p->overlap : n;
        for (int i = 0; i < ola; i++) {
            float w = (float)(i + 1) / (float)(ola + 1);
            float s = next_sample(p);
            pcm[i] = to_pcm((1.0f - w) * s + w * (float)pcm[i]);
        }
        p->missing = 0;
        p->offset_left = 0;
        p->gain = 1.0f;
    }
    push_history(p, pcm, n);
}
