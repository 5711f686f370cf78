/* Opus for PJSIP (opus_codec.c): what Python calls. Also the module's cffi declarations. */
#ifndef SP_OPUS_CODEC_H
#define SP_OPUS_CODEC_H

/* Register the factory with the running endpoint's codec manager (SIP thread, after
 * libInit). `pjsua2_library`: the loaded _pjsua2 module; `libopus`: the library to load at
 * the first call. 0, or -1 with the reason in sp_opus_error(). */
int sp_opus_register(const char *pjsua2_library, const char *libopus);
/* For later calls: the encoder's bitrate (bit/s) without FEC and while FEC is on, its
 * complexity (0-10) and the loss (%) its FEC is planned for until the far end reports. */
void sp_opus_configure(unsigned bitrate, unsigned fec_bitrate, unsigned complexity,
                       unsigned expected_loss);
/* The encoder's bitrate with FEC planned for `loss` % (0: none) and a peer whose
 * maxaveragebitrate is `peer_max` (0: none). */
long sp_opus_bitrate_for(int loss, long peer_max);
const char *sp_opus_error(void);
int sp_opus_loaded(void);
int sp_opus_registered(void);
/* Offsets of the declared pjmedia_codec_param/_info/frame layout, for a test. */
int sp_opus_abi_offsets(long *out, int n);
/* The loss (%) the far end reports for what we send (RTCP): the encoder's FEC follows it;
 * -1 before any report. */
void sp_opus_set_reported_loss(int percent);
/* Lost frames of calls so far: rebuilt from in-band FEC, concealed by the decoder. */
void sp_opus_loss_counts(unsigned long long *fec, unsigned long long *plc);
/* The codec's playout timeline (opus_playout.c) alone, for tests: packets are known by a
 * one-byte tag; a tick returns what it plays (0 silence, 1 a packet, 2 a lost frame from
 * the FEC of the packet in `tag`, 3 concealment) and the packet dropped before it, or -1. */
void *sp_playout_test_new(int frame);
void sp_playout_test_free(void *p);
int sp_playout_test_put(void *p, unsigned ts, int duration, int tag);
int sp_playout_test_tick(void *p, int *tag, int *skipped_tag);
#endif
