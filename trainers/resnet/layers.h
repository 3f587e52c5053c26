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

/* }===== */

/* {===== BatchNorm (norm.c) =====
 * Over the M = N*H*W rows of an (M, C) buffer, per channel; Keras'
 * defaults: epsilon 1e-3, running averages with momentum 0.99
 * (run = 0.99 run + 0.01 batch), variance biased (divide by M).
 * stats (2*C) is the cache training forward fills for backward: mean, then
 * 1/sqrt(var + eps). */
#define PZ_BN_EPS 1e-3
#define PZ_BN_MOMENTUM 0.99
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

/* {===== the layer functions, for both precisions =====
 * layers_typed.h declares them once for float (pz_conv2d_forward, ...)
 * and once for double (pz_conv2d_forward_f64, ...), so each build's
 * definitions are checked against their declarations and a test can call
 * both. */
#define PZ_LT float
#define PZ_LN(name) pz_##name
#include "layers_typed.h"
#undef PZ_LT
#undef PZ_LN
#define PZ_LT double
#define PZ_LN(name) pz_##name##_f64
#include "layers_typed.h"
#undef PZ_LT
#undef PZ_LN
/* }===== */

#endif
