/* resnet trainer: BatchNorm over the rows of an (M, C) NHWC buffer.
 *
 * The passes stream tensors of up to ~100 MB, so every loop runs rows
 * outer and channels inner over contiguous channel vectors, with the
 * per-channel accumulators in a stack block of BN_BLOCK channels (layers
 * allocate nothing). Sums are kept in double even in the float build: a
 * float sum over 300k rows would lose the statistics' low digits.
 */
#include <math.h>

#include "layers.h"

/* Channels per pass: bounds the stack accumulators; wider layers make a
 * second pass over the rows, each reading contiguous 1 KB+ row segments. */
#define BN_BLOCK 256

static int min_int(int a, int b) { return a < b ? a : b; }

/* {===== forward =====
 * x, y are (M, C) and y may alias x; gamma, beta, run_mean, run_var are
 * (C); stats is (2*C): mean, then 1/sqrt(var + eps). */

/* s1 (nc) = sum of (x - shift), s2 (nc) = sum of (x - shift)^2 over the M
 * rows of channels [c0, c0 + nc). Shifting by one sample of each channel
 * keeps s2/M - (s1/M)^2 free of cancellation when |mean| >> std. Two rows
 * per step halve the accumulators' loads and stores per element. */
static void channel_moments(double *restrict s1, double *restrict s2,
                            const double *restrict shift, const pz_real *restrict x, size_t M,
                            int C, int c0, int nc)
{
    for (int c = 0; c < nc; c++)
        s1[c] = 0.0, s2[c] = 0.0;
    size_t r = 0;
    for (; r + 2 <= M; r += 2) {
        const pz_real *x0 = x + r * C + c0;
        const pz_real *x1 = x0 + C;
        for (int c = 0; c < nc; c++) {
            double d0 = (double)x0[c] - shift[c];
            double d1 = (double)x1[c] - shift[c];
            s1[c] += d0 + d1;
            s2[c] += d0 * d0 + d1 * d1;
        }
    }
    for (; r < M; r++) {
        const pz_real *xr = x + r * C + c0;
        for (int c = 0; c < nc; c++) {
            double d = (double)xr[c] - shift[c];
            s1[c] += d;
            s2[c] += d * d;
        }
    }
}

/* y = (x - mean) * scale + beta for channels [c0, c0 + nc): the affine
 * pass both forwards share. Computed as (x - mean) * scale rather than
 * x * scale + offset so a large mean does not cancel digits away. y may
 * alias x (in-place evaluation), hence no restrict on those two. */
static void channel_affine(pz_real *y, const pz_real *x,
                           const pz_real *restrict mean, const pz_real *restrict scale,
                           const pz_real *restrict beta, size_t M, int C, int c0, int nc)
{
    for (size_t r = 0; r < M; r++) {
        const pz_real *xr = x + r * C + c0;
        pz_real *yr = y + r * C + c0;
        for (int c = 0; c < nc; c++)
            yr[c] = (xr[c] - mean[c]) * scale[c] + beta[c];
    }
}

void PZ_L(batchnorm_forward_train)(pz_real *y, pz_real *restrict stats, const pz_real *x,
                                   const pz_real *restrict gamma,
                                   const pz_real *restrict beta, pz_real *restrict run_mean,
                                   pz_real *restrict run_var, size_t M, int C)
{
    pz_real *smean = stats, *sinvstd = stats + C;
    for (int c0 = 0; c0 < C; c0 += BN_BLOCK) {
        int nc = min_int(BN_BLOCK, C - c0);
        double shift[BN_BLOCK], s1[BN_BLOCK], s2[BN_BLOCK];
        pz_real scale[BN_BLOCK];
        for (int c = 0; c < nc; c++)
            shift[c] = M > 0 ? (double)x[c0 + c] : 0.0;
        channel_moments(s1, s2, shift, x, M, C, c0, nc);
        double inv_m = M > 0 ? 1.0 / (double)M : 0.0;
        for (int c = 0; c < nc; c++) {
            double dmean = s1[c] * inv_m;
            double var = s2[c] * inv_m - dmean * dmean;
            if (var < 0.0) /* rounding of an all-equal channel */
                var = 0.0;
            double mean = shift[c] + dmean;
            double invstd = 1.0 / sqrt(var + PZ_BN_EPS);
            smean[c0 + c] = (pz_real)mean;
            sinvstd[c0 + c] = (pz_real)invstd;
            scale[c] = (pz_real)(gamma[c0 + c] * invstd);
            if (M == 0) /* no batch, nothing to average in */
                continue;
            if (run_mean)
                run_mean[c0 + c] = (pz_real)(PZ_BN_MOMENTUM * run_mean[c0 + c] +
                                             (1.0 - PZ_BN_MOMENTUM) * mean);
            if (run_var)
                run_var[c0 + c] = (pz_real)(PZ_BN_MOMENTUM * run_var[c0 + c] +
                                            (1.0 - PZ_BN_MOMENTUM) * var);
        }
        channel_affine(y, x, smean + c0, scale, beta + c0, M, C, c0, nc);
    }
}

void PZ_L(batchnorm_forward_eval)(pz_real *y, const pz_real *x, const pz_real *restrict gamma,
                                  const pz_real *restrict beta,
                                  const pz_real *restrict run_mean,
                                  const pz_real *restrict run_var, size_t M, int C)
{
    for (int c0 = 0; c0 < C; c0 += BN_BLOCK) {
        int nc = min_int(BN_BLOCK, C - c0);
        pz_real scale[BN_BLOCK];
        for (int c = 0; c < nc; c++)
            scale[c] = (pz_real)(gamma[c0 + c] / sqrt((double)run_var[c0 + c] + PZ_BN_EPS));
        channel_affine(y, x, run_mean + c0, scale, beta + c0, M, C, c0, nc);
    }
}
/* }===== */

/* {===== backward ===== */

/* sdy (nc) = sum of dy, sdyx (nc) = sum of dy (x - mean) over the M rows
 * of channels [c0, c0 + nc), two rows per step as in channel_moments. */
static void grad_sums(double *restrict sdy, double *restrict sdyx, const pz_real *restrict dy,
                      const pz_real *restrict x, const pz_real *restrict mean, size_t M, int C,
                      int c0, int nc)
{
    for (int c = 0; c < nc; c++)
        sdy[c] = 0.0, sdyx[c] = 0.0;
    size_t r = 0;
    for (; r + 2 <= M; r += 2) {
        const pz_real *x0 = x + r * C + c0, *dy0 = dy + r * C + c0;
        const pz_real *x1 = x0 + C, *dy1 = dy0 + C;
        for (int c = 0; c < nc; c++) {
            double g0 = dy0[c], g1 = dy1[c], m = mean[c];
            sdy[c] += g0 + g1;
            sdyx[c] += g0 * ((double)x0[c] - m) + g1 * ((double)x1[c] - m);
        }
    }
    for (; r < M; r++) {
        const pz_real *xr = x + r * C + c0, *dyr = dy + r * C + c0;
        for (int c = 0; c < nc; c++) {
            double g = dyr[c];
            sdy[c] += g;
            sdyx[c] += g * ((double)xr[c] - mean[c]);
        }
    }
}

/* With xhat = (x - mean) * invstd and dxhat = dy * gamma, the batch
 * statistics' own dependence on x gives
 *   dx = invstd/M * (M dxhat - sum(dxhat) - xhat sum(dxhat xhat))
 *      = gamma invstd * (dy - sum(dy)/M - (x - mean) * invstd^2 sum(dy (x - mean))/M),
 * so one pass sums dy and dy (x - mean) per channel and a second applies
 * three per-channel constants. */
void PZ_L(batchnorm_backward)(pz_real *restrict dx, pz_real *restrict dgamma,
                              pz_real *restrict dbeta, const pz_real *restrict dy,
                              const pz_real *restrict x, const pz_real *restrict stats,
                              const pz_real *restrict gamma, size_t M, int C)
{
    const pz_real *smean = stats, *sinvstd = stats + C;
    for (int c0 = 0; c0 < C; c0 += BN_BLOCK) {
        int nc = min_int(BN_BLOCK, C - c0);
        const pz_real *mean = smean + c0;
        double sdy[BN_BLOCK], sdyx[BN_BLOCK]; /* sum dy, sum dy (x - mean) */
        grad_sums(sdy, sdyx, dy, x, mean, M, C, c0, nc);
        for (int c = 0; c < nc; c++) {
            double invstd = sinvstd[c0 + c];
            if (dgamma)
                dgamma[c0 + c] += (pz_real)(sdyx[c] * invstd);
            if (dbeta)
                dbeta[c0 + c] += (pz_real)sdy[c];
        }
        if (!dx || M == 0)
            continue;
        pz_real k_dy[BN_BLOCK], k_mdy[BN_BLOCK], k_x[BN_BLOCK];
        double inv_m = 1.0 / (double)M;
        for (int c = 0; c < nc; c++) {
            double invstd = sinvstd[c0 + c];
            k_dy[c] = (pz_real)(gamma[c0 + c] * invstd);
            k_mdy[c] = (pz_real)(sdy[c] * inv_m);
            k_x[c] = (pz_real)(sdyx[c] * inv_m * invstd * invstd);
        }
        for (size_t r = 0; r < M; r++) {
            const pz_real *xr = x + r * C + c0, *dyr = dy + r * C + c0;
            pz_real *dxr = dx + r * C + c0;
            for (int c = 0; c < nc; c++)
                dxr[c] += k_dy[c] * (dyr[c] - k_mdy[c] - (xr[c] - mean[c]) * k_x[c]);
        }
    }
}
/* }===== */
