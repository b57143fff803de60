/* init_state.h — the decoder's initial state from the encoder's summary.
 *
 *   s_0 = tanh(W [fwd_last ; bwd_first] + b)
 *
 * init_state_forward / init_state_backward, side by side in init_state.c. */
#ifndef NMT_INIT_STATE_H
#define NMT_INIT_STATE_H

/* W [H][2H], b [H]. */
typedef struct {
    float *W, *b;
    int H;
} InitStateWeights;

/* Multiply-adds for one row (W [H][2H]), for FLOP counts. */
double init_state_madds(int H);

/* s0 [B][H] from summary [B][2H] (encoder_summary_forward). */
void init_state_forward(const InitStateWeights *w, int B, const float *summary, float *s0);

/* Backward given ds0 [B][H], the gradient w.r.t. s0 (overwritten: it
 * becomes the gradient before the tanh). Adds into dw; writes d_summary
 * [B][2H] (overwritten). */
void init_state_backward(const InitStateWeights *w, const InitStateWeights *dw, int B, const float *summary,
                         const float *s0, float *ds0, float *d_summary);

#endif
