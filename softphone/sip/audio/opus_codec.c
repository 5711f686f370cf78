/* Opus for PJSIP: a pjmedia codec factory on libopus (RFC 7587), registered with the
 * endpoint's codec manager by softphone/sip/codecs.py on the SIP thread.
 *
 *   SDP:   opus/48000/2, fmtp maxplaybackrate=16000; sprop-maxcapturerate=16000;
 *          useinbandfec=1 (the conference bridge runs at 16 kHz: more would be wasted bits).
 *   Codec: PCM at the rate pjmedia negotiates (the lower of maxplaybackrate and
 *          sprop-maxcapturerate: 16 kHz, the bridge's), mono unless the peer says stereo=1;
 *          encoder in VoIP mode, wideband at most (or less if the peer's maxplaybackrate says
 *          so), VBR, in-band FEC unless the peer says useinbandfec=0, sized to the loss the
 *          far end reports over RTCP (10 % until it has; none while it reports none: FEC
 *          takes bits from the voice itself). 32 kbit/s without FEC, 40 kbit/s while FEC is
 *          on, so that the voice keeps its bits (never over the peer's maxaveragebitrate).
 *   Loss:  the codec keeps its own playout timeline (opus_playout.c): every packet is kept
 *          as it arrives (parse) and each decode or recover call from pjmedia is one tick
 *          that plays the next frame by RTP timestamp, one frame behind the newest packet.
 *          A lost frame is rebuilt from the next packet's in-band FEC (decode_fec=1), or
 *          concealed by the decoder when that packet is missing too or carries none.
 *
 * libopus is loaded with dlopen at the first codec allocation (the first call with Opus),
 * never at start: registering the factory only fills in tables.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opus_codec.h"
#include "opus_playout.h"
#include "pj_codec_abi.h"

/* libopus 1.x's stable API (opus.h, opus_defines.h), declared here so that building the
 * package needs no libopus headers; the library itself is dlopen()ed at the first call. */
typedef struct OpusEncoder OpusEncoder;
typedef struct OpusDecoder OpusDecoder;
typedef int16_t opus_int16;
typedef int32_t opus_int32;
#define OPUS_APPLICATION_VOIP 2048
#define OPUS_SIGNAL_VOICE 3001
#define OPUS_BANDWIDTH_NARROWBAND 1101
#define OPUS_BANDWIDTH_MEDIUMBAND 1102
#define OPUS_BANDWIDTH_WIDEBAND 1103
#define OPUS_SET_BITRATE(x) 4002, (opus_int32)(x)
#define OPUS_SET_MAX_BANDWIDTH(x) 4004, (opus_int32)(x)
#define OPUS_SET_VBR(x) 4006, (opus_int32)(x)
#define OPUS_SET_COMPLEXITY(x) 4010, (opus_int32)(x)
#define OPUS_SET_INBAND_FEC(x) 4012, (opus_int32)(x)
#define OPUS_SET_PACKET_LOSS_PERC(x) 4014, (opus_int32)(x)
#define OPUS_SET_DTX(x) 4016, (opus_int32)(x)
#define OPUS_SET_SIGNAL(x) 4024, (opus_int32)(x)
OpusEncoder *opus_encoder_create(opus_int32 fs, int channels, int application, int *error);
void opus_encoder_destroy(OpusEncoder *st);
int opus_encoder_ctl(OpusEncoder *st, int request, ...);
opus_int32 opus_encode(OpusEncoder *st, const opus_int16 *pcm, int frame_size,
                       unsigned char *data, opus_int32 max_data_bytes);
OpusDecoder *opus_decoder_create(opus_int32 fs, int channels, int *error);
void opus_decoder_destroy(OpusDecoder *st);
int opus_decode(OpusDecoder *st, const unsigned char *data, opus_int32 len, opus_int16 *pcm,
                int frame_size, int decode_fec);
int opus_packet_get_nb_samples(const unsigned char packet[], opus_int32 len, opus_int32 fs);
const char *opus_get_version_string(void);

#define THIS_FILE "opus_codec.c"
#define SP_OPUS_RATE 48000          /* the RTP clock (RFC 7587) */
#define SP_OPUS_PTIME 20
#define SP_OPUS_MAX_SAMPLES (48000 * 120 / 1000)   /* longest Opus packet: 120 ms */
/* The largest packet we take from the network, and what we tell pjmedia (max_rx_frame_size):
 * 1275 bytes, the largest Opus frame (RFC 6716), as pjproject's own wrapper does. pjmedia sizes
 * its jitter-buffer slots by this figure and copies (or zeroes) a whole slot into the stream's
 * receive buffer, which is at most PJMEDIA_MAX_MTU - 20 = 1480 bytes: a figure above that
 * overruns the buffer into the stream's encoder channel, whose payload type becomes 0 (the far
 * end then drops everything we send). */
#define SP_OPUS_MAX_RX_FRAME 1275
#define SP_OPUS_DEFAULT_PT 111

/* --- libopus, loaded at first need ---------------------------------------------------- */
static struct {
    void *handle;
    int tried;
    __typeof__(opus_encoder_create) *encoder_create;
    __typeof__(opus_encoder_destroy) *encoder_destroy;
    __typeof__(opus_encoder_ctl) *encoder_ctl;
    __typeof__(opus_encode) *encode;
    __typeof__(opus_decoder_create) *decoder_create;
    __typeof__(opus_decoder_destroy) *decoder_destroy;
    __typeof__(opus_decode) *decode;
    __typeof__(opus_packet_get_nb_samples) *packet_get_nb_samples;
    __typeof__(opus_get_version_string) *get_version_string;
} op;

static unsigned long long total_fec, total_plc;
static char library_path[1024] = "libopus.so.0";
static char last_error[256];
static int registered;
static unsigned config_bitrate = 32000, config_fec_bitrate = 40000;
static unsigned config_complexity = 10, config_loss = 10;
/* The loss the far end reports for what we send (RTCP), set from Python; -1: none yet. */
static int reported_loss = -1;

static void set_error(const char *what, const char *detail)
{
    snprintf(last_error, sizeof(last_error), "%s%s%s", what, detail ? ": " : "",
             detail ? detail : "");
    if (sp_pj.pj_log_4)
        sp_pj.pj_log_4(THIS_FILE, "%s", last_error);
}

static int load_libopus(void)
{
    if (op.handle)
        return 1;
    if (op.tried)
        return 0;
    op.tried = 1;
    void *h = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        set_error("cannot load libopus", dlerror());
        return 0;
    }
#define SYM(field, name) \
    if (!(op.field = (__typeof__(op.field))dlsym(h, name))) { \
        set_error("libopus lacks " name, NULL); dlclose(h); return 0; }
    SYM(encoder_create, "opus_encoder_create")
    SYM(encoder_destroy, "opus_encoder_destroy")
    SYM(encoder_ctl, "opus_encoder_ctl")
    SYM(encode, "opus_encode")
    SYM(decoder_create, "opus_decoder_create")
    SYM(decoder_destroy, "opus_decoder_destroy")
    SYM(decode, "opus_decode")
    SYM(packet_get_nb_samples, "opus_packet_get_nb_samples")
    SYM(get_version_string, "opus_get_version_string")
#undef SYM
    op.handle = h;
    if (sp_pj.pj_log_4)
        sp_pj.pj_log_4(THIS_FILE, "loaded %s (%s)", library_path, op.get_version_string());
    return 1;
}

/* --- fmtp ---------------------------------------------------------------------------- */
static pj_str_t S(const char *s) { pj_str_t r = { (char *)s, (long)strlen(s) }; return r; }

static int fmtp_find(const pjmedia_codec_fmtp *f, const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < f->cnt && i < SP_PJMEDIA_CODEC_MAX_FMTP_CNT; i++)
        if ((size_t)f->param[i].name.slen == n && strncasecmp(f->param[i].name.ptr, name, n) == 0)
            return i;
    return -1;
}

/* The value of an fmtp parameter as a number, or `absent` when it is not there. */
static long fmtp_number(const pjmedia_codec_fmtp *f, const char *name, long absent)
{
    int i = fmtp_find(f, name);
    if (i < 0)
        return absent;
    char tmp[24];
    long n = f->param[i].val.slen;
    if (n <= 0 || n >= (long)sizeof(tmp))
        return absent;
    memcpy(tmp, f->param[i].val.ptr, (size_t)n);
    tmp[n] = 0;
    char *end;
    long v = strtol(tmp, &end, 10);
    return end == tmp ? absent : v;
}

/* --- codec instance ------------------------------------------------------------------ */

typedef struct sp_opus {
    pjmedia_codec base;
    OpusEncoder *enc;
    OpusDecoder *dec;
    int rate;                  /* PCM rate at the stream: the bridge's, 16 kHz here */
    int channels;              /* PCM channels at the stream (2 if the peer says stereo=1) */
    opus_int16 mono[SP_OPUS_MAX_SAMPLES];            /* the encoder's (stream's thread) */
    opus_int16 unheard[SP_OPUS_MAX_SAMPLES * 2];     /* a frame decoded to be dropped */
    sp_playout playout;        /* what was received, by RTP timestamp (opus_playout.c) */
    sp_play_step step;         /* the bridge's clock thread: what this tick plays */
    int frame_samples;         /* last packet's duration (pjmedia's ptime change signal) */
    int fec;                   /* in-band FEC sent (the peer did not refuse it) */
    int applied_loss;          /* the encoder's expected loss now (%) */
    long peer_max;             /* the peer's maxaveragebitrate (bit/s), 0: none said */
    uint64_t fec_frames, plc_frames;
} sp_opus;

static pjmedia_codec_op codec_op;

static pj_status_t codec_init(pjmedia_codec *codec, pj_pool_t *pool)
{
    (void)codec; (void)pool;
    return PJ_SUCCESS;
}

static int valid_rate(unsigned rate)
{
    return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

/* The encoder's bitrate while its FEC is planned for `loss` %: FEC takes its bits from the
 * voice (libopus 1.3, 32 kbit/s, this bench's speech: PESQ 4.56 with FEC off, 4.40 planned
 * for 3 %, 4.19 for 10 %; at 40 kbit/s 4.57, 4.50, 4.35), so FEC gets bits of its own; never
 * over what the peer takes (its maxaveragebitrate, `peer_max`, 0 when it says nothing). */
static long bitrate_for(int loss, long peer_max)
{
    long bitrate = loss > 0 ? config_fec_bitrate : config_bitrate;
    if (peer_max >= 6000 && peer_max < bitrate)
        bitrate = peer_max;
    return bitrate;
}

/* FEC planned for `loss` % (0: none), and the bitrate that goes with it. */
static void plan_fec(sp_opus *c, int loss)
{
    c->applied_loss = loss;
    op.encoder_ctl(c->enc, OPUS_SET_PACKET_LOSS_PERC(loss));
    op.encoder_ctl(c->enc, OPUS_SET_BITRATE((opus_int32)bitrate_for(loss, c->peer_max)));
}

static int bandwidth_for(long rate)
{
    if (rate <= 8000) return OPUS_BANDWIDTH_NARROWBAND;
    if (rate <= 12000) return OPUS_BANDWIDTH_MEDIUMBAND;
    return OPUS_BANDWIDTH_WIDEBAND;     /* our bridge has nothing above 8 kHz */
}

static void configure_encoder(sp_opus *c, pjmedia_codec_param *attr)
{
    const pjmedia_codec_fmtp *peer = &attr->setting.enc_fmtp;   /* what the peer asked for */
    c->peer_max = fmtp_number(peer, "maxaveragebitrate", 0);
    long playback = fmtp_number(peer, "maxplaybackrate", 48000);
    if (playback > c->rate)
        playback = c->rate;
    int fec = fmtp_number(peer, "useinbandfec", 1) != 0 && attr->setting.plc;
    int cbr = fmtp_number(peer, "cbr", 0) != 0;
    op.encoder_ctl(c->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
    op.encoder_ctl(c->enc, OPUS_SET_MAX_BANDWIDTH(bandwidth_for(playback)));
    op.encoder_ctl(c->enc, OPUS_SET_COMPLEXITY((opus_int32)config_complexity));
    int reported = __atomic_load_n(&reported_loss, __ATOMIC_RELAXED);
    c->fec = fec;
    op.encoder_ctl(c->enc, OPUS_SET_INBAND_FEC(fec));
    plan_fec(c, fec ? (reported >= 0 ? reported : (int)config_loss) : 0);
    op.encoder_ctl(c->enc, OPUS_SET_DTX(0));
    op.encoder_ctl(c->enc, OPUS_SET_VBR(cbr ? 0 : 1));
    attr->info.avg_bps = (uint32_t)bitrate_for(0, c->peer_max);
    if (sp_pj.pj_log_4)
        sp_pj.pj_log_4(THIS_FILE, "Opus encoder: %ld bit/s (%ld with FEC)%s, complexity %u, max "
                    "playback %ld Hz, in-band FEC %s", bitrate_for(0, c->peer_max),
                    bitrate_for(1, c->peer_max), cbr ? " CBR" : "", config_complexity,
                    playback, fec ? "on" : "off");
}

static pj_status_t codec_open(pjmedia_codec *codec, pjmedia_codec_param *attr)
{
    sp_opus *c = (sp_opus *)codec;
    int err = 0;
    if (!load_libopus())
        return SP_PJMEDIA_CODEC_EFAILED;
    if (!valid_rate(attr->info.clock_rate) || attr->info.channel_cnt < 1 ||
        attr->info.channel_cnt > 2) {
        if (sp_pj.pj_log_4)
            sp_pj.pj_log_4(THIS_FILE, "Opus: no codec for %u Hz, %u channels",
                        attr->info.clock_rate, attr->info.channel_cnt);
        return SP_PJMEDIA_CODEC_EUNSUP;
    }
    if (c->rate != (int)attr->info.clock_rate || c->channels != (int)attr->info.channel_cnt) {
        if (c->enc) op.encoder_destroy(c->enc);
        if (c->dec) op.decoder_destroy(c->dec);
        c->enc = NULL;
        c->dec = NULL;
        c->rate = (int)attr->info.clock_rate;
        c->channels = (int)attr->info.channel_cnt;
    }
    if (!c->enc)
        c->enc = op.encoder_create(c->rate, 1, OPUS_APPLICATION_VOIP, &err);
    if (!c->enc) {
        set_error("opus_encoder_create failed", NULL);
        return SP_PJMEDIA_CODEC_EFAILED;
    }
    if (!c->dec)
        c->dec = op.decoder_create(c->rate, c->channels, &err);
    if (!c->dec) {
        set_error("opus_decoder_create failed", NULL);
        return SP_PJMEDIA_CODEC_EFAILED;
    }
    configure_encoder(c, attr);
    c->frame_samples = c->rate * SP_OPUS_PTIME / 1000;
    sp_playout_reset(&c->playout, c->frame_samples * (SP_OPUS_RATE / c->rate));
    return PJ_SUCCESS;
}

static pj_status_t codec_close(pjmedia_codec *codec)
{
    (void)codec;
    return PJ_SUCCESS;
}

static pj_status_t codec_modify(pjmedia_codec *codec, const pjmedia_codec_param *attr)
{
    sp_opus *c = (sp_opus *)codec;
    pjmedia_codec_param copy = *attr;
    if (c->enc)
        configure_encoder(c, &copy);
    return PJ_SUCCESS;
}

/* The RTP receive thread: a packet is one pjmedia frame (the decoder takes Opus packets of any
 * length). A packet whose duration differs from the current one tells the stream so
 * (bit_info 0x10000 | samples), as pjmedia expects from an Opus codec. */
static pj_status_t codec_parse(pjmedia_codec *codec, void *pkt, pj_size_t pkt_size,
                               const pj_timestamp *ts, unsigned *frame_cnt,
                               pjmedia_frame frames[])
{
    sp_opus *c = (sp_opus *)codec;
    if (*frame_cnt < 1)
        return SP_PJ_EINVAL;
    /* A bigger packet would not fit the jitter buffer's slot (see SP_OPUS_MAX_RX_FRAME): the
     * stream counts a packet we refuse here as lost. */
    if (pkt_size > SP_OPUS_MAX_RX_FRAME)
        return SP_PJMEDIA_CODEC_EFAILED;
    int n = pkt_size ? op.packet_get_nb_samples(pkt, (opus_int32)pkt_size, c->rate) : 0;
    if (n <= 0 || n > SP_OPUS_MAX_SAMPLES)
        return SP_PJMEDIA_CODEC_EFAILED;
    frames[0].type = PJMEDIA_FRAME_TYPE_AUDIO;
    frames[0].buf = pkt;
    frames[0].size = pkt_size;
    frames[0].timestamp.u64 = ts->u64;
    frames[0].bit_info = 0;
    /* Our own copy, for the playout timeline (RTP timestamps run at 48 kHz, RFC 7587). */
    sp_playout_put(&c->playout, (uint32_t)ts->u64, n * (SP_OPUS_RATE / c->rate), pkt,
                   (int)pkt_size);
    int current = __atomic_load_n(&c->frame_samples, __ATOMIC_RELAXED);
    if (n != current && n % (c->rate / 1000) == 0) {
        __atomic_store_n(&c->frame_samples, n, __ATOMIC_RELAXED);
        frames[0].bit_info = 0x10000u | (uint32_t)n;
    }
    *frame_cnt = 1;
    return PJ_SUCCESS;
}

static pj_status_t codec_encode(pjmedia_codec *codec, const pjmedia_frame *input,
                                unsigned out_size, pjmedia_frame *output)
{
    sp_opus *c = (sp_opus *)codec;
    int samples = (int)(input->size / 2) / c->channels;
    output->timestamp = input->timestamp;
    if (input->type != PJMEDIA_FRAME_TYPE_AUDIO || samples == 0) {
        output->type = PJMEDIA_FRAME_TYPE_NONE;
        output->size = 0;
        return PJ_SUCCESS;
    }
    /* FEC costs the primary signal bits: sized to the loss the far end reports. */
    int reported = __atomic_load_n(&reported_loss, __ATOMIC_RELAXED);
    if (c->fec && reported >= 0 && reported != c->applied_loss)
        plan_fec(c, reported);
    const opus_int16 *pcm = (const opus_int16 *)input->buf;
    if (c->channels == 2) {
        /* What we send is mono (the bridge is): one channel's worth of bits, not two. */
        if (samples > SP_OPUS_MAX_SAMPLES)
            return SP_PJMEDIA_CODEC_EFAILED;
        for (int i = 0; i < samples; i++)
            c->mono[i] = (opus_int16)(((int)pcm[2 * i] + (int)pcm[2 * i + 1]) / 2);
        pcm = c->mono;
    }
    int n = op.encode(c->enc, pcm, samples, (unsigned char *)output->buf, (opus_int32)out_size);
    if (n < 0)
        return SP_PJMEDIA_CODEC_EFAILED;
    output->type = PJMEDIA_FRAME_TYPE_AUDIO;
    output->size = (pj_size_t)n;
    return PJ_SUCCESS;
}

static pj_status_t silence(sp_opus *c, unsigned out_size, pjmedia_frame *output, int samples)
{
    size_t bytes = (size_t)samples * 2 * (size_t)c->channels;
    if (bytes > out_size)
        bytes = out_size;
    memset(output->buf, 0, bytes);
    output->size = bytes;
    output->type = PJMEDIA_FRAME_TYPE_AUDIO;
    return PJ_SUCCESS;
}

/* One tick of the bridge's clock (a decode or a recover call from pjmedia, whichever it
 * is): the next frame of our own timeline. */
static pj_status_t play_tick(sp_opus *c, unsigned out_size, pjmedia_frame *output)
{
    sp_play_step *st = &c->step;
    sp_playout_tick(&c->playout, st);
    int max = (int)(out_size / 2) / c->channels;
    int want = st->duration / (SP_OPUS_RATE / c->rate);
    if (want <= 0 || want > max)
        want = max < c->frame_samples ? max : c->frame_samples;
    opus_int16 *pcm = (opus_int16 *)output->buf;
    int n;
    if (st->skip_len)
        op.decode(c->dec, st->skip, st->skip_len, c->unheard, SP_OPUS_MAX_SAMPLES, 0);
    switch (st->what) {
    case SP_PLAY_PACKET:
        n = op.decode(c->dec, st->data, st->len, pcm, max, 0);
        break;
    case SP_PLAY_FEC:
        n = op.decode(c->dec, st->data, st->len, pcm, want, 1);
        c->fec_frames++;
        __atomic_add_fetch(&total_fec, 1, __ATOMIC_RELAXED);
        break;
    case SP_PLAY_CONCEAL:
        n = op.decode(c->dec, NULL, 0, pcm, want, 0);
        c->plc_frames++;
        __atomic_add_fetch(&total_plc, 1, __ATOMIC_RELAXED);
        break;
    default:
        return silence(c, out_size, output, want);
    }
    if (n < 0)
        return silence(c, out_size, output, want);
    output->size = (pj_size_t)n * 2 * (pj_size_t)c->channels;
    output->type = PJMEDIA_FRAME_TYPE_AUDIO;
    return PJ_SUCCESS;
}

/* pjmedia's jitter buffer decides when a tick is a decode or a recover, and which frame it
 * hands over: neither matters here, the frame came through parse already. */
static pj_status_t codec_decode(pjmedia_codec *codec, const pjmedia_frame *input,
                                unsigned out_size, pjmedia_frame *output)
{
    output->timestamp = input->timestamp;
    return play_tick((sp_opus *)codec, out_size, output);
}

static pj_status_t codec_recover(pjmedia_codec *codec, unsigned out_size, pjmedia_frame *output)
{
    return play_tick((sp_opus *)codec, out_size, output);
}

static pjmedia_codec_op codec_op = {
    codec_init, codec_open, codec_close, codec_modify, codec_parse, codec_encode,
    codec_decode, codec_recover,
};

/* --- factory ------------------------------------------------------------------------- */
static pj_status_t factory_test_alloc(pjmedia_codec_factory *f, const pjmedia_codec_info *ci)
{
    (void)f;
    /* pjsua asks for Opus at its bridge's rate (the RTP clock stays 48 kHz). */
    if (ci->type != SP_PJMEDIA_TYPE_AUDIO || !valid_rate(ci->clock_rate) ||
        ci->encoding_name.slen != 4 || strncasecmp(ci->encoding_name.ptr, "opus", 4) != 0)
        return SP_PJMEDIA_CODEC_EUNSUP;
    return PJ_SUCCESS;
}

static pj_status_t factory_default_attr(pjmedia_codec_factory *f, const pjmedia_codec_info *ci,
                                        pjmedia_codec_param *attr)
{
    (void)f;
    memset(attr, 0, sizeof(*attr));
    attr->info.clock_rate = valid_rate(ci->clock_rate) ? ci->clock_rate : SP_OPUS_RATE;
    /* RFC 7587 says "2" in SDP whatever is sent; the stream itself is mono. */
    attr->info.channel_cnt = 1;
    attr->info.avg_bps = config_bitrate;
    attr->info.max_bps = 64000;
    attr->info.max_rx_frame_size = SP_OPUS_MAX_RX_FRAME;
    attr->info.frm_ptime = SP_OPUS_PTIME;
    attr->info.pcm_bits_per_sample = 16;
    attr->info.pt = (uint8_t)ci->pt;
    attr->setting.frm_per_pkt = 1;
    attr->setting.plc = 1;
    attr->setting.packet_loss = config_loss;
    attr->setting.complexity = config_complexity;
    pjmedia_codec_fmtp *d = &attr->setting.dec_fmtp;
    d->param[0].name = S("maxplaybackrate");
    d->param[0].val = S("16000");
    d->param[1].name = S("sprop-maxcapturerate");
    d->param[1].val = S("16000");
    d->param[2].name = S("useinbandfec");
    d->param[2].val = S("1");
    d->cnt = 3;
    return PJ_SUCCESS;
}

static pj_status_t factory_enum_info(pjmedia_codec_factory *f, unsigned *count,
                                     pjmedia_codec_info codecs[])
{
    (void)f;
    if (*count < 1)
        return PJ_SUCCESS;
    memset(&codecs[0], 0, sizeof(codecs[0]));
    codecs[0].type = SP_PJMEDIA_TYPE_AUDIO;
    codecs[0].pt = SP_OPUS_DEFAULT_PT;
    codecs[0].encoding_name = S("opus");
    codecs[0].clock_rate = SP_OPUS_RATE;
    codecs[0].channel_cnt = 2;
    *count = 1;
    return PJ_SUCCESS;
}

static pj_status_t factory_alloc_codec(pjmedia_codec_factory *f, const pjmedia_codec_info *ci,
                                       pjmedia_codec **p_codec)
{
    if (factory_test_alloc(f, ci) != PJ_SUCCESS)
        return SP_PJMEDIA_CODEC_EUNSUP;
    if (!load_libopus())
        return SP_PJMEDIA_CODEC_EFAILED;
    sp_opus *c = calloc(1, sizeof(*c));
    if (!c)
        return SP_PJ_ENOMEM;
    c->base.factory = f;
    c->base.op = &codec_op;
    c->base.codec_data = c;
    c->rate = (int)ci->clock_rate;
    c->channels = 1;
    c->frame_samples = c->rate * SP_OPUS_PTIME / 1000;
    sp_playout_init(&c->playout, c->frame_samples * (SP_OPUS_RATE / c->rate));
    *p_codec = &c->base;
    return PJ_SUCCESS;
}

static pj_status_t factory_dealloc_codec(pjmedia_codec_factory *f, pjmedia_codec *codec)
{
    (void)f;
    sp_opus *c = (sp_opus *)codec;
    if (!c)
        return SP_PJ_EINVAL;
    sp_playout *p = &c->playout;
    if (sp_pj.pj_log_4 && (c->fec_frames || c->plc_frames || p->late || p->skips || p->jumps))
        sp_pj.pj_log_4(THIS_FILE, "Opus call: %llu lost frames rebuilt from FEC, %llu concealed; "
                    "%llu packets came after their turn (%llu frames more held back), %llu "
                    "frames dropped to catch up, %llu jumps", (unsigned long long)c->fec_frames,
                    (unsigned long long)c->plc_frames, p->late, p->stalls, p->skips, p->jumps);
    sp_playout_destroy(p);
    if (c->enc)
        op.encoder_destroy(c->enc);
    if (c->dec)
        op.decoder_destroy(c->dec);
    free(c);
    return PJ_SUCCESS;
}

static pj_status_t factory_destroy(void)
{
    /* The codec manager is going away with the endpoint (libDestroy). */
    registered = 0;
    return PJ_SUCCESS;
}

static pjmedia_codec_factory_op factory_op = {
    factory_test_alloc, factory_default_attr, factory_enum_info, factory_alloc_codec,
    factory_dealloc_codec, factory_destroy,
};

static pjmedia_codec_factory factory = { NULL, NULL, NULL, &factory_op };

/* --- the Python side's entry points (opus_codec.h) ------------------------------------- */
const char *sp_opus_error(void) { return last_error; }
int sp_opus_loaded(void) { return op.handle != NULL; }
int sp_opus_registered(void) { return registered; }

void sp_opus_configure(unsigned bitrate, unsigned fec_bitrate, unsigned complexity,
                       unsigned expected_loss)
{
    if (bitrate >= 6000 && bitrate <= 510000)
        config_bitrate = bitrate;
    if (fec_bitrate >= 6000 && fec_bitrate <= 510000)
        config_fec_bitrate = fec_bitrate;
    if (complexity <= 10)
        config_complexity = complexity;
    if (expected_loss <= 100)
        config_loss = expected_loss;
}

int sp_opus_register(const char *pjsua2_library, const char *libopus)
{
    if (registered)
        return 0;
    if (libopus && *libopus)
        snprintf(library_path, sizeof(library_path), "%s", libopus);
    if (sp_pj_bind(pjsua2_library) != 0) {
        snprintf(last_error, sizeof(last_error), "%s", sp_pj_error());
        return -1;
    }
    if (!sp_pj_register_codec_factory(&factory, last_error, sizeof(last_error)))
        return -1;
    registered = 1;
    return 0;
}

void sp_opus_set_reported_loss(int percent)
{
    if (percent > 50)
        percent = 50;
    __atomic_store_n(&reported_loss, percent < 0 ? -1 : percent, __ATOMIC_RELAXED);
}

long sp_opus_bitrate_for(int loss, long peer_max)
{
    return bitrate_for(loss, peer_max);
}

void sp_opus_loss_counts(unsigned long long *fec, unsigned long long *plc)
{
    *fec = __atomic_load_n(&total_fec, __ATOMIC_RELAXED);
    *plc = __atomic_load_n(&total_plc, __ATOMIC_RELAXED);
}

/* Offsets of the declared layout, for the test that checks it against the wheel. */
int sp_opus_abi_offsets(long *out, int n)
{
    long v[] = {
        (long)sizeof(pjmedia_codec_param),
        (long)offsetof(pjmedia_codec_param, info.max_rx_frame_size),
        (long)offsetof(pjmedia_codec_param, info.frm_ptime_denum),
        (long)offsetof(pjmedia_codec_param, info.enc_ptime),
        (long)offsetof(pjmedia_codec_param, info.enc_ptime_denum),
        (long)offsetof(pjmedia_codec_param, info.pt),
        (long)offsetof(pjmedia_codec_param, setting.frm_per_pkt),
        (long)offsetof(pjmedia_codec_param, setting.enc_fmtp),
        (long)offsetof(pjmedia_codec_param, setting.dec_fmtp),
        (long)offsetof(pjmedia_codec_param, setting.packet_loss),
        (long)offsetof(pjmedia_codec_param, setting.complexity),
        (long)offsetof(pjmedia_codec_param, setting.cbr),
        (long)sizeof(pjmedia_codec_info),
        (long)offsetof(pjmedia_codec_info, clock_rate),
        (long)sizeof(pjmedia_frame),
        (long)offsetof(pjmedia_frame, bit_info),
    };
    int count = (int)(sizeof(v) / sizeof(v[0]));
    for (int i = 0; i < n && i < count; i++)
        out[i] = v[i];
    return count;
}
