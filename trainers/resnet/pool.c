/* resnet trainer: max and average pooling, K x K windows with TensorFlow
 * "same" padding (pz_pool_shape, shapes.c).
 *
 * Windows are clipped to the image once per output pixel, so padded cells
 * are never visited: they cannot win a max and do not count in an average.
 * The inner loops run over the C contiguous channels of one pixel (NHWC).
 * argmax holds flat indices into x as int32: x must have < 2^31 elements.
 */
#include "layers.h"

/* The in-image part [*lo, *hi) of the window of output coordinate o. */
static void window(int *lo, int *hi, int o, int stride, int pad, int K, int in)
{
    int start = o * stride - pad;
    *lo = start < 0 ? 0 : start;
    *hi = start + K > in ? in : start + K;
}

/* {===== max ===== x is (N,H,W,C); y, argmax are (N,OH,OW,C) */
void PZ_L(maxpool_forward)(pz_real *restrict y, int32_t *restrict argmax,
                           const pz_real *restrict x, const pz_pool_shape *s)
{
    const int C = s->C;
    for (int n = 0; n < s->N; n++)
        for (int oh = 0; oh < s->OH; oh++) {
            int h0, h1;
            window(&h0, &h1, oh, s->stride, s->pad_top, s->K, s->H);
            for (int ow = 0; ow < s->OW; ow++) {
                int w0, w1;
                window(&w0, &w1, ow, s->stride, s->pad_left, s->K, s->W);
                size_t o = (((size_t)n * s->OH + oh) * s->OW + ow) * C;
                pz_real *yo = y + o;
                int32_t *ao = argmax + o;
                int first = 1;
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) {
                        size_t base = (((size_t)n * s->H + h) * s->W + w) * C;
                        const pz_real *xi = x + base;
                        if (first) {
                            for (int c = 0; c < C; c++) {
                                yo[c] = xi[c];
                                ao[c] = (int32_t)base + c;
                            }
                            first = 0;
                            continue;
                        }
                        /* strict >: a tie keeps the earlier cell. The index
                         * is blended through a bit mask: GCC does not
                         * vectorise a second select on a float compare. */
                        int32_t ibase = (int32_t)base;
                        for (int c = 0; c < C; c++) {
                            pz_real v = xi[c], best = yo[c];
                            int32_t take = -(int32_t)(v > best);
                            yo[c] = v > best ? v : best;
                            ao[c] = (ao[c] & ~take) | ((ibase + c) & take);
                        }
                    }
            }
        }
}

void PZ_L(maxpool_backward)(pz_real *restrict dx, const pz_real *restrict dy,
                            const int32_t *restrict argmax, const pz_pool_shape *s)
{
    if (!dx)
        return;
    size_t n = (size_t)s->N * s->OH * s->OW * s->C;
    /* overlapping windows (3x3 stride 2) may route several dy to one cell */
    for (size_t i = 0; i < n; i++)
        dx[argmax[i]] += dy[i];
}
/* }===== */

/* {===== average ===== x, dx are (N,H,W,C); y, dy are (N,OH,OW,C) */
void PZ_L(avgpool_forward)(pz_real *restrict y, const pz_real *restrict x, const pz_pool_shape *s)
{
    const int C = s->C;
    for (int n = 0; n < s->N; n++)
        for (int oh = 0; oh < s->OH; oh++) {
            int h0, h1;
            window(&h0, &h1, oh, s->stride, s->pad_top, s->K, s->H);
            for (int ow = 0; ow < s->OW; ow++) {
                int w0, w1;
                window(&w0, &w1, ow, s->stride, s->pad_left, s->K, s->W);
                pz_real *yo = y + (((size_t)n * s->OH + oh) * s->OW + ow) * C;
                for (int c = 0; c < C; c++)
                    yo[c] = 0;
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) {
                        const pz_real *xi = x + (((size_t)n * s->H + h) * s->W + w) * C;
                        for (int c = 0; c < C; c++)
                            yo[c] += xi[c];
                    }
                pz_real inv_count = (pz_real)1 / (pz_real)((h1 - h0) * (w1 - w0));
                for (int c = 0; c < C; c++)
                    yo[c] *= inv_count;
            }
        }
}

void PZ_L(avgpool_backward)(pz_real *restrict dx, const pz_real *restrict dy,
                            const pz_pool_shape *s)
{
    if (!dx)
        return;
    const int C = s->C;
    for (int n = 0; n < s->N; n++)
        for (int oh = 0; oh < s->OH; oh++) {
            int h0, h1;
            window(&h0, &h1, oh, s->stride, s->pad_top, s->K, s->H);
            for (int ow = 0; ow < s->OW; ow++) {
                int w0, w1;
                window(&w0, &w1, ow, s->stride, s->pad_left, s->K, s->W);
                const pz_real *dyo = dy + (((size_t)n * s->OH + oh) * s->OW + ow) * C;
                pz_real inv_count = (pz_real)1 / (pz_real)((h1 - h0) * (w1 - w0));
                for (int h = h0; h < h1; h++)
                    for (int w = w0; w < w1; w++) {
                        pz_real *dxi = dx + (((size_t)n * s->H + h) * s->W + w) * C;
                        for (int c = 0; c < C; c++)
                            dxi[c] += dyo[c] * inv_count;
                    }
            }
        }
}
/* }===== */
