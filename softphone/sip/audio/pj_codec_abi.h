/* pjmedia's codec framework as laid out in pjproject 2.15.1 (pjmedia/codec.h), declared by us
 * beside the common declarations of pj_abi.h, whose sp_pj_bind() refuses any other release.
 * tests/integration/sip/test_opus_codec.py checks the offsets below against what the wheel's
 * own pjmedia_codec_mgr_get_default_param writes. Only C includes this header (cffi never
 * sees it: it has bit fields and function-pointer tables Python has no use for).
 */
#ifndef SP_PJ_CODEC_ABI_H
#define SP_PJ_CODEC_ABI_H

#include "pj_abi.h"

#define PJ_SUCCESS 0
#define SP_PJ_EINVAL 70004
#define SP_PJ_ENOMEM 70007
#define SP_PJMEDIA_CODEC_EUNSUP 220080
#define SP_PJMEDIA_CODEC_EFAILED 220081
#define SP_PJMEDIA_CODEC_EFRMTOOSHORT 220082
#define SP_PJMEDIA_TYPE_AUDIO 1
#define SP_PJMEDIA_CODEC_MAX_FMTP_CNT 16

typedef struct pjmedia_codec_info {
    int type;                  /* pjmedia_type */
    unsigned pt;
    pj_str_t encoding_name;
    unsigned clock_rate;
    unsigned channel_cnt;
} pjmedia_codec_info;

typedef struct pjmedia_codec_fmtp {
    uint8_t cnt;
    struct { pj_str_t name, val; } param[SP_PJMEDIA_CODEC_MAX_FMTP_CNT];
} pjmedia_codec_fmtp;

typedef struct pjmedia_codec_param {
    struct {
        unsigned clock_rate;
        unsigned channel_cnt;
        uint32_t avg_bps;
        uint32_t max_bps;
        unsigned max_rx_frame_size;
        uint16_t frm_ptime;
        uint8_t frm_ptime_denum;
        uint16_t enc_ptime;
        uint8_t enc_ptime_denum;
        uint8_t pcm_bits_per_sample;
        uint8_t pt;
        int fmt_id;            /* pjmedia_format_id */
    } info;
    struct {
        uint8_t frm_per_pkt;
        unsigned vad:1;
        unsigned cng:1;
        unsigned penh:1;
        unsigned plc:1;
        unsigned reserved:1;
        pjmedia_codec_fmtp enc_fmtp;
        pjmedia_codec_fmtp dec_fmtp;
        unsigned packet_loss;
        unsigned complexity;
        pj_bool_t cbr;
    } setting;
} pjmedia_codec_param;

typedef struct pjmedia_codec pjmedia_codec;
typedef struct pjmedia_codec_factory pjmedia_codec_factory;

typedef struct pjmedia_codec_op {
    pj_status_t (*init)(pjmedia_codec *codec, pj_pool_t *pool);
    pj_status_t (*open)(pjmedia_codec *codec, pjmedia_codec_param *param);
    pj_status_t (*close)(pjmedia_codec *codec);
    pj_status_t (*modify)(pjmedia_codec *codec, const pjmedia_codec_param *param);
    pj_status_t (*parse)(pjmedia_codec *codec, void *pkt, pj_size_t pkt_size,
                         const pj_timestamp *timestamp, unsigned *frame_cnt,
                         pjmedia_frame frames[]);
    pj_status_t (*encode)(pjmedia_codec *codec, const pjmedia_frame *input,
                          unsigned out_size, pjmedia_frame *output);
    pj_status_t (*decode)(pjmedia_codec *codec, const pjmedia_frame *input,
                          unsigned out_size, pjmedia_frame *output);
    pj_status_t (*recover)(pjmedia_codec *codec, unsigned out_size, pjmedia_frame *output);
} pjmedia_codec_op;

struct pjmedia_codec {
    pjmedia_codec *prev, *next;    /* PJ_DECL_LIST_MEMBER */
    void *codec_data;
    pjmedia_codec_factory *factory;
    pjmedia_codec_op *op;
};

typedef struct pjmedia_codec_factory_op {
    pj_status_t (*test_alloc)(pjmedia_codec_factory *factory, const pjmedia_codec_info *info);
    pj_status_t (*default_attr)(pjmedia_codec_factory *factory, const pjmedia_codec_info *info,
                                pjmedia_codec_param *attr);
    pj_status_t (*enum_info)(pjmedia_codec_factory *factory, unsigned *count,
                             pjmedia_codec_info codecs[]);
    pj_status_t (*alloc_codec)(pjmedia_codec_factory *factory, const pjmedia_codec_info *info,
                               pjmedia_codec **p_codec);
    pj_status_t (*dealloc_codec)(pjmedia_codec_factory *factory, pjmedia_codec *codec);
    pj_status_t (*destroy)(void);
} pjmedia_codec_factory_op;

struct pjmedia_codec_factory {
    pjmedia_codec_factory *prev, *next;    /* PJ_DECL_LIST_MEMBER */
    void *factory_data;
    pjmedia_codec_factory_op *op;
};

#endif
