/* G.722 and G.711 with our own loss concealment (g7xx_codecs.c, g7xx_plc.c): what Python
 * calls. Also the module's cffi declarations. */
#ifndef SP_G7XX_CODECS_H
#define SP_G7XX_CODECS_H

/* Put a factory first in the running endpoint's codec manager (SIP thread, after libInit)
 * that wraps pjproject's own G.722, PCMA and PCMU with our concealment. 0, or -1 with the
 * reason in sp_g7xx_error(). */
int sp_g7xx_register(const char *pjsua2_library);
const char *sp_g7xx_error(void);
int sp_g7xx_registered(void);
/* Frames (10 ms) concealed by the wrapped codecs so far. */
unsigned long long sp_g7xx_concealed(void);
/* The concealment alone, for tests: a good (decoded) frame is changed in place when it
 * ends a loss; a lost frame is written to `out`. */
void *sp_plc_test_new(unsigned clock_rate);
void sp_plc_test_free(void *p);
void sp_plc_test_good(void *p, short *pcm, int n);
void sp_plc_test_conceal(void *p, short *out, int n);
#endif
