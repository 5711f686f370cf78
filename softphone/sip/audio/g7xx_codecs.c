/* G.722, G.711 A-law and µ-law with our own loss concealment (g7xx_plc.c).
 *
 * pjproject's codecs stay (their encoders and decoders are used as they are); a factory of
 * ours, first in the codec manager's list, hands pjmedia a thin codec around each, whose
 * `decode` keeps the decoded audio as history (and fades it in after a loss) and whose
 * `recover`, which pjmedia's stream calls for each lost or missing 10 ms frame, rebuilds the
 * frame from that history instead of pjmedia's WSOLA concealment (which the wrapped codec is
 * opened without, so it does not spend time on it). Our factory lists no codec of its own
 * (SDP, priorities and default parameters stay the built-in ones'): it only answers
 * test_alloc and alloc_codec for what it wraps, ahead of the built-in factories.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "g7xx_codecs.h"
#include "g7xx_plc.h"
#include "pj_codec_abi.h"

#define THIS_FILE "g7xx_codecs.c"
#define SP_G7_MAX_WRAPPED 8
#define SP_G7_MAX_INFOS 64
#define SP_G7_MAX_LIST 256            /* factories walked at most (a broken list stops here) */

static const char *const wrapped_names[] = {"G722", "PCMA", "PCMU"};

static struct {
    pjmedia_codec_info info;
    pjmedia_codec_factory *factory;   /* the built-in factory that makes it */
} wrapped[SP_G7_MAX_WRAPPED];
static int wrapped_cnt;
static int g7_registered;
static char g7_error[256];
static uint64_t total_concealed;

/* pjproject 2.15.1's G.722 (pjmedia-codec/g722/g722_enc.h, g722_dec.h, g722.c), declared by
 * us: the encoder's and the decoder's state begin with the same two ADPCM bands (45 ints
 * each: s, det, sp, sz, r[3], a[3], ap[3], p[3], d[7], b[7], bp[7], sg[7], nb), then the
 * QMF history (the encoder's x[24], newest sample first); the codec's private data begins
 * with an encoder and a decoder, then the level adjustment (16-bit PCM divided by a factor
 * is what the codec codes), which pjproject has laid out two ways: `unsigned pcm_shift;
 * int16 pcm_clip_mask` (older), `int16 pcm_shift_val (the factor), pcm_min, pcm_max`
 * (newer); g722_factor() tells them apart and refuses anything else. g722_enc_encode and
 * g722_dec_decode are exported by the wheel's _pjsua2. */
#define SP_G722_BAND_INTS 90
typedef struct sp_g722_enc { int band[SP_G722_BAND_INTS]; int x[24]; } sp_g722_enc;
typedef struct sp_g722_dec { int band[SP_G722_BAND_INTS]; int xd[12], xs[12]; } sp_g722_dec;
typedef struct sp_g722_data {
    sp_g722_enc encoder;
    sp_g722_dec decoder;
    union {
        struct { uint32_t shift; int16_t clip_mask; } older;
        struct { int16_t factor, min, max; } newer;
    } level;
} sp_g722_data;
#define SP_G722_DETLOW 1               /* band[] index of detlow; dethigh is 45 + 1 */
typedef pj_status_t (*sp_g722_encode_fn)(sp_g722_enc *enc, int16_t in[], pj_size_t nsamples,
                                         void *out, pj_size_t *out_size);
typedef pj_status_t (*sp_g722_decode_fn)(sp_g722_dec *dec, void *in, pj_size_t in_size,
                                         int16_t out[], pj_size_t *nsamples);
static sp_g722_encode_fn g722_encode;
static sp_g722_decode_fn g722_decode;

/* The level factor of an opened G.722 (1, 2, 4, ...), or 0 when the layout is not known. */
static int g722_factor(const sp_g722_data *d)
{
    int f = d->level.newer.factor;
    if (f >= 1 && f <= 16 && (f & (f - 1)) == 0 && d->level.newer.max == 0x7FFF / f
        && d->level.newer.min == -0x7FFF / f - 1)
        return f;
    uint32_t shift = d->level.older.shift;
    if (shift <= 4 && d->level.older.clip_mask == (int16_t)(((1 << shift) - 1) << (16 - shift)))
        return 1 << shift;
    return 0;
}

typedef struct sp_g7_codec {
    pjmedia_codec base;
    pjmedia_codec *inner;
    pjmedia_codec_factory *inner_factory;
    int frame_samples;         /* one frame's PCM samples (10 ms) */
    uint64_t concealed;
    int is_g722;
    sp_g722_data *g722;        /* the wrapped decoder's state, once its layout checked out */
    sp_plc plc;
} sp_g7_codec;

static int same_info(const pjmedia_codec_info *a, const pjmedia_codec_info *b)
{
    return a->encoding_name.slen == b->encoding_name.slen
        && strncasecmp(a->encoding_name.ptr, b->encoding_name.ptr,
                       (size_t)a->encoding_name.slen) == 0
        && a->clock_rate == b->clock_rate && a->channel_cnt == b->channel_cnt;
}

static int find_wrapped(const pjmedia_codec_info *info)
{
    for (int i = 0; i < wrapped_cnt; i++)
        if (same_info(&wrapped[i].info, info))
            return i;
    return -1;
}

/* --- the codec: pjmedia's own, with our concealment ------------------------------------- */
static pj_status_t g7_init(pjmedia_codec *codec, pj_pool_t *pool)
{
    sp_g7_codec *c = (sp_g7_codec *)codec;
    return c->inner->op->init(c->inner, pool);
}

static pj_status_t g7_open(pjmedia_codec *codec, pjmedia_codec_param *param)
{
    sp_g7_codec *c = (sp_g7_codec *)codec;
    pjmedia_codec_param inner_param = *param;
    inner_param.setting.plc = 0;     /* ours replaces it: the stream asks us, by param->plc */
    pj_status_t st = c->inner->op->open(c->inner, &inner_param);
    if (st != PJ_SUCCESS)
        return st;
    unsigned denum = param->info.frm_ptime_denum ? param->info.frm_ptime_denum : 1;
    unsigned samples = param->info.clock_rate * param->info.frm_ptime / denum / 1000
                       * (param->info.channel_cnt ? param->info.channel_cnt : 1);
    c->frame_samples = samples ? (int)samples : (int)param->info.clock_rate / 100;
    sp_plc_init(&c->plc, param->info.clock_rate);
    /* The wrapped G.722 has just initialised its encoder and decoder (detlow 32, dethigh 8,
     * G.722's start values): only then is its state ours to move along a concealed frame. */
    c->g722 = NULL;
    if (c->is_g722 && g722_encode && g722_decode && c->inner->codec_data) {
        sp_g722_data *d = c->inner->codec_data;
        if (d->decoder.band[SP_G722_DETLOW] == 32 && d->decoder.band[45 + SP_G722_DETLOW] == 8
            && d->encoder.band[SP_G722_DETLOW] == 32
            && d->encoder.band[45 + SP_G722_DETLOW] == 8 && g722_factor(d))
            c->g722 = d;
        else if (sp_pj.pj_log_4)
            sp_pj.pj_log_4(THIS_FILE, "G.722's state is not laid out as expected: its decoder "
                           "will not follow concealed frames");
    }
    return PJ_SUCCESS;
}

static pj_status_t g7_close(pjmedia_codec *codec)
{
    sp_g7_codec *c = (sp_g7_codec *)codec;
    return c->inner->op->close(c->inner);
}

static pj_status_t g7_modify(pjmedia_codec *codec, const pjmedia_codec_param *param)
{
    sp_g7_codec *c = (sp_g7_codec *)codec;
    pjmedia_codec_param inner_param = *param;
    inner_param.setting.plc = 0;
    return c->inner->op->modify(c->inner, &inner_param);
}

static pj_status_t g7_parse(pjmedia_codec *codec, void *pkt, pj_size_t pkt_size,
                            const pj_timestamp *ts, unsigned *frame_cnt, pjmedia_frame frames[])
{
    sp_g7_codec *c = (sp_g7_codec *)codec;
    return c->inner->op->parse(c->inner, pkt, pkt_size, ts, frame_cnt, frames);
}

static pj_status_t g7_encode(pjmedia_codec *codec, const pjmedia_frame *input, unsigned out_size,
                             pjmedia_frame *output)
{
    sp_g7_codec *c = (sp_g7_codec *)codec;
    return c->inner->op->encode(c->inner, input, out_size, output);
}

/* G.722 is ADPCM: its decoder adapts step sizes and predictors to what it decodes, so after
 * frames it never saw it decodes the next ones from a stale state (the far encoder's moved
 * on with the lost audio). Coding the concealed frame with an encoder that starts from the
 * decoder's state, and decoding that, moves the decoder along the concealed audio instead,
 * which is nearer to where the far encoder is. */
static void g722_follow(sp_g7_codec *c, const int16_t *pcm, int n)
{
    sp_g722_data *d = c->g722;
    if (n > 320 || n % 2)
        return;
    int factor = g722_factor(d);   /* older pjproject sets it to 1 after clipping */
    if (!factor)
        return;
    sp_g722_enc enc;
    memcpy(enc.band, d->decoder.band, sizeof(enc.band));
    /* The QMF history: what was played before this frame, newest first. */
    const float *hist = c->plc.hist + c->plc.hist_len - n;
    for (int j = 0; j < 24; j++)
        enc.x[j] = (int)lrintf(hist[-1 - j]) / factor;
    int16_t in[320], out[320];
    unsigned char bits[160];
    for (int i = 0; i < n; i++)
        in[i] = (int16_t)(pcm[i] / factor);
    pj_size_t len = sizeof(bits), samples = (pj_size_t)n;
    if (g722_encode(&enc, in, (pj_size_t)n, bits, &len) == PJ_SUCCESS)
        g722_decode(&d->decoder, bits, len, out, &samples);
}

static pj_status_t g7_conceal(sp_g7_codec *c, unsigned out_size, pjmedia_frame *output)
{
    int n = c->frame_samples;
    if ((unsigned)n * 2 > out_size)
        return SP_PJMEDIA_CODEC_EFRMTOOSHORT;
    sp_plc_conceal(&c->plc, (int16_t *)output->buf, n);
    if (c->g722)
        g722_follow(c, (const int16_t *)output->buf, n);
    output->size = (pj_size_t)n * 2;
    output->type = PJMEDIA_FRAME_TYPE_AUDIO;
    c->concealed++;
    __atomic_add_fetch(&total_concealed, 1, __ATOMIC_RELAXED);
    return PJ_SUCCESS;
}

static pj_status_t g7_play(sp_g7_codec *c, const pjmedia_frame *input, unsigned out_size,
                           pjmedia_frame *output)
{
    pj_status_t st = c->inner->op->decode(c->inner, input, out_size, output);
    if (st != PJ_SUCCESS)
        return g7_conceal(c, out_size, output);
    if (output->type == PJMEDIA_FRAME_TYPE_AUDIO && output->size >= 2)
        sp_plc_good(&c->plc, (int16_t *)output->buf, (int)(output->size / 2));
    return PJ_SUCCESS;
}

static pj_status_t g7_decode(pjmedia_codec *codec, const pjmedia_frame *input, unsigned out_size,
                             pjmedia_frame *output)
{
    return g7_play((sp_g7_codec *)codec, input, out_size, output);
}

static pj_status_t g7_recover(pjmedia_codec *codec, unsigned out_size, pjmedia_frame *output)
{
    return g7_conceal((sp_g7_codec *)codec, out_size, output);
}

static pjmedia_codec_op g7_codec_op = {
    g7_init, g7_open, g7_close, g7_modify, g7_parse, g7_encode, g7_decode, g7_recover,
};

/* --- the factory: first in the manager's list, no codec of its own ----------------------- */
static pj_status_t g7_test_alloc(pjmedia_codec_factory *f, const pjmedia_codec_info *info)
{
    (void)f;
    int i = find_wrapped(info);
    if (i < 0)
        return SP_PJMEDIA_CODEC_EUNSUP;
    return wrapped[i].factory->op->test_alloc(wrapped[i].factory, info);
}

static pj_status_t g7_default_attr(pjmedia_codec_factory *f, const pjmedia_codec_info *info,
                                   pjmedia_codec_param *attr)
{
    (void)f;
    int i = find_wrapped(info);
    if (i < 0)
        return SP_PJMEDIA_CODEC_EUNSUP;
    return wrapped[i].factory->op->default_attr(wrapped[i].factory, info, attr);
}

static pj_status_t g7_enum_info(pjmedia_codec_factory *f, unsigned *count,
                                pjmedia_codec_info codecs[])
{
    (void)f;
    (void)codecs;
    *count = 0;                 /* the built-in factories list them (SDP, priorities) */
    return PJ_SUCCESS;
}

static pj_status_t g7_alloc_codec(pjmedia_codec_factory *f, const pjmedia_codec_info *info,
                                  pjmedia_codec **p_codec)
{
    int i = find_wrapped(info);
    if (i < 0)
        return SP_PJMEDIA_CODEC_EUNSUP;
    sp_g7_codec *c = calloc(1, sizeof(*c));
    if (!c)
        return SP_PJ_ENOMEM;
    pjmedia_codec_factory *inner_factory = wrapped[i].factory;
    pj_status_t st = inner_factory->op->alloc_codec(inner_factory, info, &c->inner);
    if (st != PJ_SUCCESS) {
        free(c);
        return st;
    }
    c->inner_factory = inner_factory;
    c->base.factory = f;
    c->base.op = &g7_codec_op;
    c->base.codec_data = c;
    c->frame_samples = (int)info->clock_rate / 100;
    c->is_g722 = strncasecmp(info->encoding_name.ptr, "G722", 4) == 0;
    sp_plc_init(&c->plc, info->clock_rate);
    *p_codec = &c->base;
    return PJ_SUCCESS;
}

static pj_status_t g7_dealloc_codec(pjmedia_codec_factory *f, pjmedia_codec *codec)
{
    (void)f;
    sp_g7_codec *c = (sp_g7_codec *)codec;
    if (!c)
        return SP_PJ_EINVAL;
    if (sp_pj.pj_log_4 && c->concealed)
        sp_pj.pj_log_4(THIS_FILE, "call: %llu frames of 10 ms concealed",
                       (unsigned long long)c->concealed);
    pj_status_t st = c->inner_factory->op->dealloc_codec(c->inner_factory, c->inner);
    free(c);
    return st;
}

static pj_status_t g7_destroy(void)
{
    /* The codec manager is going away with the endpoint (libDestroy). */
    g7_registered = 0;
    wrapped_cnt = 0;
    return PJ_SUCCESS;
}

static pjmedia_codec_factory_op g7_factory_op = {
    g7_test_alloc, g7_default_attr, g7_enum_info, g7_alloc_codec, g7_dealloc_codec, g7_destroy,
};

static pjmedia_codec_factory g7_factory = { NULL, NULL, NULL, &g7_factory_op };

static int wanted(const pjmedia_codec_info *info)
{
    for (size_t i = 0; i < sizeof(wrapped_names) / sizeof(wrapped_names[0]); i++) {
        size_t len = strlen(wrapped_names[i]);
        if ((size_t)info->encoding_name.slen == len
            && strncasecmp(info->encoding_name.ptr, wrapped_names[i], len) == 0
            && info->channel_cnt == 1 && info->clock_rate <= 8000 * SP_PLC_MAX_K)
            return 1;
    }
    return 0;
}

const char *sp_g7xx_error(void) { return g7_error; }
int sp_g7xx_registered(void) { return g7_registered; }
unsigned long long sp_g7xx_concealed(void)
{
    return __atomic_load_n(&total_concealed, __ATOMIC_RELAXED);
}

int sp_g7xx_register(const char *pjsua2_library)
{
    if (g7_registered)
        return 0;
    if (sp_pj_bind(pjsua2_library) != 0) {
        snprintf(g7_error, sizeof(g7_error), "%s", sp_pj_error());
        return -1;
    }
    void *lib = dlopen(pjsua2_library, RTLD_NOW | RTLD_NOLOAD);
    if (lib) {
        g722_encode = (sp_g722_encode_fn)dlsym(lib, "g722_enc_encode");
        g722_decode = (sp_g722_decode_fn)dlsym(lib, "g722_dec_decode");
        dlclose(lib);           /* NOLOAD: only our reference goes; the module stays */
    }
    pjmedia_codec_mgr *mgr = sp_pj_register_codec_factory(&g7_factory, g7_error,
                                                           sizeof(g7_error));
    if (!mgr)
        return -1;
    /* Our factory is last in the manager's circular list, whose head (in the manager) is a
     * factory-shaped member the manager zeroed: no op table. Walk back to it, noting which
     * built-in factory makes each codec we wrap. */
    wrapped_cnt = 0;
    pjmedia_codec_factory *f = g7_factory.prev;
    int steps = 0;
    for (; f && f != &g7_factory && f->op && steps < SP_G7_MAX_LIST; f = f->prev, steps++) {
        pjmedia_codec_info infos[SP_G7_MAX_INFOS];
        unsigned cnt = SP_G7_MAX_INFOS;
        if (!f->op->enum_info || f->op->enum_info(f, &cnt, infos) != PJ_SUCCESS)
            continue;
        for (unsigned i = 0; i < cnt && wrapped_cnt < SP_G7_MAX_WRAPPED; i++) {
            if (infos[i].type == SP_PJMEDIA_TYPE_AUDIO && wanted(&infos[i])
                && find_wrapped(&infos[i]) < 0) {
                wrapped[wrapped_cnt].info = infos[i];
                wrapped[wrapped_cnt].factory = f;
                wrapped_cnt++;
            }
        }
    }
    pjmedia_codec_factory *head = f;
    if (!head || head == &g7_factory || head->op || wrapped_cnt == 0) {
        sp_pj.pjmedia_codec_mgr_unregister_factory(mgr, &g7_factory);
        snprintf(g7_error, sizeof(g7_error), wrapped_cnt ? "the codec manager's factory list "
                 "is not as expected" : "no G.722 or G.711 codec to wrap");
        wrapped_cnt = 0;
        return -1;
    }
    /* First in the list: pjmedia_codec_mgr_alloc_codec asks the factories in order. The
     * SIP thread does this before any call; nothing else walks the list meanwhile. */
    g7_factory.prev->next = g7_factory.next;
    g7_factory.next->prev = g7_factory.prev;
    g7_factory.next = head->next;
    g7_factory.prev = head;
    head->next->prev = &g7_factory;
    head->next = &g7_factory;
    g7_registered = 1;
    return 0;
}

/* --- the concealment alone, for tests ---------------------------------------------------- */
void *sp_plc_test_new(unsigned clock_rate)
{
    sp_plc *p = malloc(sizeof(*p));
    if (p)
        sp_plc_init(p, clock_rate);
    return p;
}

void sp_plc_test_free(void *p) { free(p); }
void sp_plc_test_good(void *p, short *pcm, int n) { sp_plc_good(p, pcm, n); }
void sp_plc_test_conceal(void *p, short *out, int n) { sp_plc_conceal(p, out, n); }
