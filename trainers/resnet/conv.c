/* resnet trainer: convolution and dense layers as BLIS GEMMs on row-major
 * NHWC buffers, each beside its naive reference.
 *
 * A k x k convolution copies the windows of s->chunk images into an im2col
 * panel (one row per output pixel, columns kh,kw,c) so that the kernel
 * (KH,KW,C,OC) is already the (KH*KW*C, OC) right-hand matrix; a 1x1
 * stride-1 convolution multiplies x itself. Panels live in the caller's
 * workspace (pz_conv_workspace); nothing here allocates or sets threads.
 */
// blis.h needs pthread_barrier_t, which strict C11 hides unless asked for
#define _POSIX_C_SOURCE 200809L
#include <string.h>
#include <time.h>

#include <blis.h>

#include "layers.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* {===== GEMM on packed row-major buffers =====
 * c (m,n) = op(a) op(b) + beta c, where op(a) is (m,k): a is stored (m,k),
 * or (k,m) when ta. Likewise op(b) is (k,n), stored (n,k) when tb. BLIS's
 * typed API takes non-const inputs, hence the casts; it does not write them. */
static void gemm(int ta, int tb, size_t m, size_t n, size_t k, const pz_real *a,
                 const pz_real *b, pz_real beta, pz_real *c)
{
    if (m == 0 || n == 0)
        return;
    pz_real one = 1;
    /* the benchmarks' profile: one branch per call when off */
    int prof = pz_gemm_profile_get()->on && sizeof(pz_real) == sizeof(float);
    double t0 = prof ? now_s() : 0;
    PZ_GEMM(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
            (dim_t)m, (dim_t)n, (dim_t)k, &one, (pz_real *)a, (inc_t)(ta ? m : k), 1,
            (pz_real *)b, (inc_t)(tb ? k : n), 1, &beta, c, (inc_t)n, 1);
    if (prof)
        pz_gemm_profile_record((int)m, (int)n, (int)k, ta, tb, (float)beta, now_s() - t0);
}

// y is (M,C), b is (C)
static void add_bias(pz_real *y, const pz_real *b, size_t M, int C)
{
    for (size_t i = 0; i < M; i++, y += C)
        for (int c = 0; c < C; c++)
            y[c] += b[c];
}

/* db (C) += column sums of dy (M,C). M reaches N*H*W (460800 rows for a
 * batch of 450 at 32x32), too many for a float running sum: accumulate in
 * double, a tile of columns at a time so dy is still read row by row. */
static void add_column_sums(pz_real *db, const pz_real *dy, size_t M, int C)
{
    enum { TILE = 256 };
    for (int c0 = 0; c0 < C; c0 += TILE) {
        int nc = C - c0 < TILE ? C - c0 : TILE;
        double acc[TILE] = {0};
        const pz_real *row = dy + c0;
        for (size_t i = 0; i < M; i++, row += C)
            for (int c = 0; c < nc; c++)
                acc[c] += row[c];
        for (int c = 0; c < nc; c++)
            db[c0 + c] += (pz_real)acc[c];
    }
}
/* }===== */

/* {===== convolution ===== */

static int conv_is_pointwise(const pz_conv_shape *s)
{
    return s->KH == 1 && s->KW == 1 && s->stride == 1;
}

/* The kernel columns [*lo, *hi) of the window starting at input column
 * iw0 that fall inside the image (0 <= iw0 + kw < W); the rest is padding. */
static void window_cols(int iw0, int KW, int W, int *lo, int *hi)
{
    *lo = iw0 < 0 ? -iw0 : 0;
    *hi = W - iw0 < KW ? W - iw0 : KW;
    if (*hi < *lo)
        *hi = *lo;
}

/* panel (nb*OH*OW, KH*KW*C) = the windows of x (nb,H,W,C), padding as 0.
 * In NHWC the in-image part of one kernel row (kh) of a window is a single
 * contiguous run of (hi-lo)*C values, at any stride, so each panel row is
 * built from KH memcpys and the memsets of its padding. */
static void im2col(pz_real *restrict panel, const pz_real *restrict x, int nb,
                   const pz_conv_shape *s)
{
    const int H = s->H, W = s->W, C = s->C, KH = s->KH, KW = s->KW;
    const size_t run = (size_t)KW * C; // one kernel row of a window
    const size_t image = (size_t)H * W * C;
    for (int i = 0; i < nb; i++) {
        const pz_real *img = x + i * image;
        for (int oh = 0; oh < s->OH; oh++) {
            int ih0 = oh * s->stride - s->pad_top;
            for (int ow = 0; ow < s->OW; ow++) {
                int iw0 = ow * s->stride - s->pad_left, lo, hi;
                window_cols(iw0, KW, W, &lo, &hi);
                size_t before = (size_t)lo * C, inside = (size_t)(hi - lo) * C;
                size_t after = run - before - inside;
                for (int kh = 0; kh < KH; kh++, panel += run) {
                    int ih = ih0 + kh;
                    if (ih < 0 || ih >= H) {
                        memset(panel, 0, run * sizeof *panel);
                        continue;
                    }
                    if (before)
                        memset(panel, 0, before * sizeof *panel);
                    memcpy(panel + before, img + ((size_t)ih * W + iw0 + lo) * C,
                           inside * sizeof *panel);
                    if (after)
                        memset(panel + before + inside, 0, after * sizeof *panel);
                }
            }
        }
    }
}

/* dx (nb,H,W,C) += the panel gradient dpanel (nb*OH*OW, KH*KW*C) scattered
 * back to the pixels it was copied from (im2col's transpose); the padding
 * columns have no pixel and are dropped. */
static void col2im_add(pz_real *restrict dx, const pz_real *restrict dpanel, int nb,
                       const pz_conv_shape *s)
{
    const int H = s->H, W = s->W, C = s->C, KH = s->KH, KW = s->KW;
    const size_t run = (size_t)KW * C;
    const size_t image = (size_t)H * W * C;
    for (int i = 0; i < nb; i++) {
        pz_real *img = dx + i * image;
        for (int oh = 0; oh < s->OH; oh++) {
            int ih0 = oh * s->stride - s->pad_top;
            for (int ow = 0; ow < s->OW; ow++) {
                int iw0 = ow * s->stride - s->pad_left, lo, hi;
                window_cols(iw0, KW, W, &lo, &hi);
                size_t before = (size_t)lo * C, inside = (size_t)(hi - lo) * C;
                for (int kh = 0; kh < KH; kh++, dpanel += run) {
                    int ih = ih0 + kh;
                    if (ih < 0 || ih >= H)
                        continue;
                    pz_real *restrict d = img + ((size_t)ih * W + iw0 + lo) * C;
                    const pz_real *restrict g = dpanel + before;
                    for (size_t j = 0; j < inside; j++)
                        d[j] += g[j];
                }
            }
        }
    }
}

// y is (N,OH,OW,OC), x is (N,H,W,C), w is (KH,KW,C,OC), b is (OC),
// ws holds one chunk's panel (chunk*OH*OW, KH*KW*C)
void PZ_L(conv2d_forward)(pz_real *y, const pz_real *x, const pz_real *w, const pz_real *b,
                          const pz_conv_shape *s, pz_real *ws)
{
    const size_t pixels = (size_t)s->OH * s->OW, K = (size_t)s->KH * s->KW * s->C;
    const size_t image = (size_t)s->H * s->W * s->C;
    if (conv_is_pointwise(s)) {
        gemm(0, 0, (size_t)s->N * pixels, s->OC, K, x, w, 0, y);
        if (b)
            add_bias(y, b, (size_t)s->N * pixels, s->OC);
        return;
    }
    for (int n0 = 0; n0 < s->N; n0 += s->chunk) {
        int nb = s->N - n0 < s->chunk ? s->N - n0 : s->chunk;
        pz_real *yc = y + (size_t)n0 * pixels * s->OC;
        im2col(ws, x + n0 * image, nb, s);
        gemm(0, 0, nb * pixels, s->OC, K, ws, w, 0, yc);
        if (b) // while this chunk of y is still in cache
            add_bias(yc, b, nb * pixels, s->OC);
    }
}

// dx is (N,H,W,C), dw is (KH,KW,C,OC), db is (OC), dy is (N,OH,OW,OC);
// ws holds a chunk's panel then its gradient, both (chunk*OH*OW, KH*KW*C)
void PZ_L(conv2d_backward)(pz_real *dx, pz_real *dw, pz_real *db, const pz_real *dy,
                           const pz_real *x, const pz_real *w, const pz_conv_shape *s, pz_real *ws)
{
    const size_t pixels = (size_t)s->OH * s->OW, K = (size_t)s->KH * s->KW * s->C;
    const size_t image = (size_t)s->H * s->W * s->C;
    if (db)
        add_column_sums(db, dy, (size_t)s->N * pixels, s->OC);
    if (conv_is_pointwise(s)) {
        size_t M = (size_t)s->N * pixels;
        gemm(1, 0, K, s->OC, M, x, dy, 1, dw); // dw += x^T dy
        if (dx)
            gemm(0, 1, M, K, s->OC, dy, w, 1, dx); // dx += dy w^T
        return;
    }
    pz_real *panel = ws, *dpanel = ws + (size_t)s->chunk * pixels * K;
    for (int n0 = 0; n0 < s->N; n0 += s->chunk) {
        int nb = s->N - n0 < s->chunk ? s->N - n0 : s->chunk;
        const pz_real *dyc = dy + (size_t)n0 * pixels * s->OC;
        im2col(panel, x + n0 * image, nb, s);
        gemm(1, 0, K, s->OC, nb * pixels, panel, dyc, 1, dw); // dw += panel^T dy
        if (dx) {
            gemm(0, 1, nb * pixels, K, s->OC, dyc, w, 0, dpanel); // dpanel = dy w^T
            col2im_add(dx + n0 * image, dpanel, nb, s);
        }
    }
}

void PZ_L(conv2d_forward_naive)(pz_real *y, const pz_real *x, const pz_real *w, const pz_real *b,
                                const pz_conv_shape *s)
{
    const int H = s->H, W = s->W, C = s->C, OC = s->OC;
    for (int n = 0; n < s->N; n++)
        for (int oh = 0; oh < s->OH; oh++)
            for (int ow = 0; ow < s->OW; ow++) {
                pz_real *out = y + (((size_t)n * s->OH + oh) * s->OW + ow) * OC;
                for (int oc = 0; oc < OC; oc++) {
                    double acc = b ? b[oc] : 0;
                    for (int kh = 0; kh < s->KH; kh++) {
                        int ih = oh * s->stride - s->pad_top + kh;
                        if (ih < 0 || ih >= H)
                            continue;
                        for (int kw = 0; kw < s->KW; kw++) {
                            int iw = ow * s->stride - s->pad_left + kw;
                            if (iw < 0 || iw >= W)
                                continue;
                            const pz_real *px = x + (((size_t)n * H + ih) * W + iw) * C;
                            const pz_real *pw = w + ((size_t)kh * s->KW + kw) * C * OC + oc;
                            for (int c = 0; c < C; c++)
                                acc += (double)px[c] * pw[(size_t)c * OC];
                        }
                    }
                    out[oc] = (pz_real)acc;
                }
            }
}

void PZ_L(conv2d_backward_naive)(pz_real *dx, pz_real *dw, pz_real *db, const pz_real *dy,
                                 const pz_real *x, const pz_real *w, const pz_conv_shape *s)
{
    const int H = s->H, W = s->W, C = s->C, OC = s->OC;
    for (int n = 0; n < s->N; n++)
        for (int oh = 0; oh < s->OH; oh++)
            for (int ow = 0; ow < s->OW; ow++) {
                const pz_real *g = dy + (((size_t)n * s->OH + oh) * s->OW + ow) * OC;
                if (db)
                    for (int oc = 0; oc < OC; oc++)
                        db[oc] += g[oc];
                for (int kh = 0; kh < s->KH; kh++) {
                    int ih = oh * s->stride - s->pad_top + kh;
                    if (ih < 0 || ih >= H)
                        continue;
                    for (int kw = 0; kw < s->KW; kw++) {
                        int iw = ow * s->stride - s->pad_left + kw;
                        if (iw < 0 || iw >= W)
                            continue;
                        size_t at = (((size_t)n * H + ih) * W + iw) * C;
                        size_t wk = ((size_t)kh * s->KW + kw) * C * OC;
                        for (int c = 0; c < C; c++)
                            for (int oc = 0; oc < OC; oc++) {
                                dw[wk + (size_t)c * OC + oc] += x[at + c] * g[oc];
                                if (dx)
                                    dx[at + c] += w[wk + (size_t)c * OC + oc] * g[oc];
                            }
                    }
                }
            }
}
/* }===== */

/* {===== dense ===== */

// y is (N,O), x is (N,I), w is (I,O), b is (O)
void PZ_L(dense_forward)(pz_real *y, const pz_real *x, const pz_real *w, const pz_real *b, int N,
                         int I, int O)
{
    gemm(0, 0, N, O, I, x, w, 0, y);
    if (b)
        add_bias(y, b, N, O);
}

// dx is (N,I), dw is (I,O), db is (O), dy is (N,O)
void PZ_L(dense_backward)(pz_real *dx, pz_real *dw, pz_real *db, const pz_real *dy,
                          const pz_real *x, const pz_real *w, int N, int I, int O)
{
    gemm(1, 0, I, O, N, x, dy, 1, dw); // dw += x^T dy
    if (dx)
        gemm(0, 1, N, I, O, dy, w, 1, dx); // dx += dy w^T
    if (db)
        add_column_sums(db, dy, N, O);
}

void PZ_L(dense_forward_naive)(pz_real *y, const pz_real *x, const pz_real *w, const pz_real *b,
                               int N, int I, int O)
{
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++) {
            double acc = b ? b[o] : 0;
            for (int i = 0; i < I; i++)
                acc += (double)x[(size_t)n * I + i] * w[(size_t)i * O + o];
            y[(size_t)n * O + o] = (pz_real)acc;
        }
}

void PZ_L(dense_backward_naive)(pz_real *dx, pz_real *dw, pz_real *db, const pz_real *dy,
                                const pz_real *x, const pz_real *w, int N, int I, int O)
{
    for (int n = 0; n < N; n++) {
        const pz_real *g = dy + (size_t)n * O;
        for (int i = 0; i < I; i++)
            for (int o = 0; o < O; o++) {
                dw[(size_t)i * O + o] += x[(size_t)n * I + i] * g[o];
                if (dx)
                    dx[(size_t)n * I + i] += w[(size_t)i * O + o] * g[o];
            }
        if (db)
            for (int o = 0; o < O; o++)
                db[o] += g[o];
    }
}
/* }===== */
