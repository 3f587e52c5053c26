/* resnet trainer: the layers of the seed network family, forward and
 * backward side by side (llm.c's shape).
 *
 * Layout is NHWC everywhere: a k x k convolution over NHWC is one GEMM of
 * an im2col panel (rows = output pixels, columns = kh,kw,c) by the kernel
 * (KH*KW*C, OC), a 1x1 stride-1 convolution is that GEMM on the input
 * itself with no copy, and a dense layer is the same GEMM again; BatchNorm
 * and the elementwise passes then run over contiguous channel vectors.
 *
 * Conventions (all layers):
 * - Arguments go outputs first, then inputs, then weights, then shapes.
 * - Every buffer is owned by the caller; no layer allocates. Buffers a
 *   layer needs beyond its inputs and outputs (im2col panels, BatchNorm
 *   statistics, pooling argmax, dropout masks) are passed in, sized by the
 *   *_floats / *_size helpers.
 * - Backward ACCUMULATES (+=) into dx and into parameter gradients, so a
 *   tensor read by two layers gets the sum of both; the caller zeroes
 *   gradients before a backward pass. A NULL dx skips the input gradient
 *   (the first layer).
 * - Forward overwrites its output.
 * - GEMMs go through BLIS's typed API (PZ_GEMM) on row-major buffers; the
 *   naive loops beside them are the reference the tests compare against.
 */
#ifndef PZ_RESNET_LAYERS_H
#define PZ_RESNET_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "real.h"

/* {===== convolution and dense (conv.c) =====
 * "same" padding with TensorFlow's rule: OH = ceil(H / stride), the total
 * padding max((OH - 1) * stride + KH - H, 0) split with the smaller half
 * on top (the extra row/column of an even kernel goes after). */
typedef struct pz_conv_shape {
    int N, H, W, C;        /* input (N,H,W,C) */
    int OC, KH, KW, stride;
    int OH, OW;            /* output (N,OH,OW,OC) */
    int pad_top, pad_left;
    int chunk;             /* images per GEMM (im2col panel of chunk*OH*OW rows) */
} pz_conv_shape;

/* Fill s for the given dims (stride 1 or 2, kernels of any size >= 1). */
void pz_conv_shape_init(pz_conv_shape *s, int N, int H, int W, int C, int OC, int KH, int KW,
                        int stride);
/* Workspace (in pz_real elements) that forward and backward need: the
 * im2col panel of one chunk and, for backward, the panel's gradient. 0 for
 * a 1x1 stride-1 convolution. Same for both precisions. */
size_t pz_conv_workspace(const pz_conv_shape *s);

/* y (N,OH,OW,OC) = conv(x (N,H,W,C), w (KH,KW,C,OC)) + b (OC). b may be NULL. */
void PZ_L(conv2d_forward)(pz_real *y, const pz_real *x, const pz_real *w, const pz_real *b,
                          const pz_conv_shape *s, pz_real *ws);
/* dx (N,H,W,C) += ..., dw (KH,KW,C,OC) += ..., db (OC) += ... given dy
 * (N,OH,OW,OC). dx and db may be NULL. */
void PZ_L(conv2d_backward)(pz_real *dx, pz_real *dw, pz_real *db, const pz_real *dy,
                           const pz_real *x, const pz_real *w, const pz_conv_shape *s, pz_real *ws);
/* The reference: direct loops, no BLIS, no workspace. */
void PZ_L(conv2d_forward_naive)(pz_real *y, const pz_real *x, const pz_real *w, const pz_real *b,
                                const pz_conv_shape *s);
void PZ_L(conv2d_backward_naive)(pz_real *dx, pz_real *dw, pz_real *db, const pz_real *dy,
                                 const pz_real *x, const pz_real *w, const pz_conv_shape *s);

/* y (N,O) = x (N,I) w (I,O) + b (O). b may be NULL. */
void PZ_L(dense_forward)(pz_real *y, const pz_real *x, const pz_real *w, const pz_real *b, int N,
                         int I, int O);
/* dx (N,I) += dy w^T, dw (I,O) += x^T dy, db (O) += sum_n dy. dx, db may be NULL. */
void PZ_L(dense_backward)(pz_real *dx, pz_real *dw, pz_real *db, const pz_real *dy,
                          const pz_real *x, const pz_real *w, int N, int I, int O);
void PZ_L(dense_forward_naive)(pz_real *y, const pz_real *x, const pz_real *w, const pz_real *b,
                               int N, int I, int O);
void PZ_L(dense_backward_naive)(pz_real *dx, pz_real *dw, pz_real *db, const pz_real *dy,
                                const pz_real *x, const pz_real *w, int N, int I, int O);
/* }===== */

/* {===== BatchNorm (norm.c) =====
 * Over the M = N*H*W rows of an (M, C) buffer, per channel; Keras'
 * defaults: epsilon 1e-3, running averages with momentum 0.99
 * (run = 0.99 run + 0.01 batch), variance biased (divide by M).
 * stats (2*C) is the cache training forward fills for backward: mean, then
 * 1/sqrt(var + eps). */
#define PZ_BN_EPS 1e-3
#define PZ_BN_MOMENTUM 0.99
/* Training: batch statistics; updates run_mean/run_var (may be NULL to
 * leave them, as the gradient tests do). */
void PZ_L(batchnorm_forward_train)(pz_real *y, pz_real *stats, const pz_real *x,
                                   const pz_real *gamma, const pz_real *beta, pz_real *run_mean,
                                   pz_real *run_var, size_t M, int C);
/* Evaluation: running statistics. */
void PZ_L(batchnorm_forward_eval)(pz_real *y, const pz_real *x, const pz_real *gamma,
                                  const pz_real *beta, const pz_real *run_mean,
                                  const pz_real *run_var, size_t M, int C);
/* dx += ..., dgamma += ..., dbeta += ..., from the training forward's
 * stats. */
void PZ_L(batchnorm_backward)(pz_real *dx, pz_real *dgamma, pz_real *dbeta, const pz_real *dy,
                              const pz_real *x, const pz_real *stats, const pz_real *gamma,
                              size_t M, int C);
/* }===== */

/* {===== activations (act.c) =====
 * Backward reads the forward's output y (ReLU: y > 0; ELU with alpha 1:
 * dy/dx = y + 1 where y < 0). y may alias x in forward. */
void PZ_L(relu_forward)(pz_real *y, const pz_real *x, size_t n);
void PZ_L(relu_backward)(pz_real *dx, const pz_real *dy, const pz_real *y, size_t n);
void PZ_L(elu_forward)(pz_real *y, const pz_real *x, size_t n);
void PZ_L(elu_backward)(pz_real *dx, const pz_real *dy, const pz_real *y, size_t n);
/* }===== */

/* {===== pooling (pool.c) =====
 * Windows k x k with stride s and TensorFlow "same" padding (OH =
 * ceil(H/s), extra padding after); padded cells never win a max and are not
 * counted in an average. The seed network uses 2x2 stride 2 (max, avg)
 * and 3x3 stride 2 (max, in the inception reduction). */
typedef struct pz_pool_shape {
    int N, H, W, C, K, stride;
    int OH, OW, pad_top, pad_left;
} pz_pool_shape;
void pz_pool_shape_init(pz_pool_shape *s, int N, int H, int W, int C, int K, int stride);
/* argmax (N,OH,OW,C): index into x of each window's maximum, kept for
 * backward. */
void PZ_L(maxpool_forward)(pz_real *y, int32_t *argmax, const pz_real *x, const pz_pool_shape *s);
void PZ_L(maxpool_backward)(pz_real *dx, const pz_real *dy, const int32_t *argmax,
                            const pz_pool_shape *s);
void PZ_L(avgpool_forward)(pz_real *y, const pz_real *x, const pz_pool_shape *s);
void PZ_L(avgpool_backward)(pz_real *dx, const pz_real *dy, const pz_pool_shape *s);
/* }===== */

/* {===== shape and mixing ops (ops.c) ===== */
/* Inverted dropout with drop probability p: mask[i] = 1 to keep; kept
 * values are scaled by 1/(1-p). The mask comes from a counter-based hash
 * of (seed, i), so it costs no generator state and a given seed always
 * gives the same mask. p = 0 copies. */
void PZ_L(dropout_forward)(pz_real *y, uint8_t *mask, const pz_real *x, double p, uint64_t seed,
                           size_t n);
void PZ_L(dropout_backward)(pz_real *dx, const pz_real *dy, const uint8_t *mask, double p,
                            size_t n);
/* y (M, C0+C1+...) = channel concatenation of parts[i] (M, Cs[i]). */
void PZ_L(concat_forward)(pz_real *y, const pz_real *const *parts, const int *Cs, int nparts,
                          size_t M);
/* dparts[i] += the matching channel slice of dy. */
void PZ_L(concat_backward)(pz_real *const *dparts, const pz_real *dy, const int *Cs, int nparts,
                           size_t M);
/* y = a + b (the residual add). Backward is da += dy, db += dy: use
 * pz_accumulate for each. */
void PZ_L(add_forward)(pz_real *y, const pz_real *a, const pz_real *b, size_t n);
/* dst += src */
void PZ_L(accumulate)(pz_real *dst, const pz_real *src, size_t n);
/* }===== */

/* {===== loss (loss.c) =====
 * Softmax cross-entropy, mean over the batch, scaled by weight. logits
 * (N,K), labels (N) in [0,K). Returns weight * mean CE; dlogits (N,K) +=
 * weight * (softmax - onehot) / N (dlogits may be NULL in evaluation).
 * *correct (may be NULL) receives the number of rows whose argmax is the
 * label (ties: the lowest index). Numerically stable (max subtracted). */
double PZ_L(softmax_xent)(pz_real *dlogits, int *correct, const pz_real *logits,
                          const int32_t *labels, int N, int K, double weight);
/* }===== */

/* {===== GEMM profile (shapes.c) =====
 * For the benchmarks: while on, every float GEMM of conv.c is timed and
 * its shape recorded (process-wide; the trainer's GEMMs are issued by one
 * thread). Off by default, when it costs one branch per GEMM. */
typedef struct pz_gemm_shape {
    int m, n, k, transa, transb;
    float beta;
    long calls;
} pz_gemm_shape;
#define PZ_GEMM_PROFILE_MAX 512
typedef struct pz_gemm_profile {
    int on;
    double seconds, flops;   /* summed over calls */
    int n;                   /* distinct shapes (the rest are counted, not kept) */
    pz_gemm_shape shapes[PZ_GEMM_PROFILE_MAX];
} pz_gemm_profile;
pz_gemm_profile *pz_gemm_profile_get(void);
/* Clear the profile and switch it on or off. */
void pz_gemm_profile_reset(int on);
/* Add one call of seconds. */
void pz_gemm_profile_record(int m, int n, int k, int transa, int transb, float beta,
                            double seconds);
/* }===== */

#endif
