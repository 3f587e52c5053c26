/* resnet trainer: dropout, channel concatenation, the residual add.
 *
 * Dropout was a quarter of a training step in the Keras seed (DESIGN.md),
 * so its mask is a counter-based hash, not a generator: element i takes
 * 16 bits of splitmix64's output number i/4 from a state derived from the
 * seed, giving one 64-bit mix per 4 elements, no state and no libm. The
 * draws are made block by block into a stack buffer, then compared and
 * applied by branch-free loops. All tensors are NHWC rows of M pixels.
 */
#include <string.h>

#include "layers.h"

/* {===== dropout ===== x, y, dx, dy, mask are (n) */

/* Elements per block: the hash loop fills DROP_BLOCK 16-bit draws, then
 * the compare and apply loops run over them while they are in L1. */
#define DROP_BLOCK 1024

#define GOLDEN 0x9e3779b97f4a7c15u

/* splitmix64's output function (Steele, Lea, Flood 2014). */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* draw (count) = the 16-bit fields of splitmix64 outputs first/4 + 1, ...
 * (field k of output j is element 4j + k), first a multiple of 4. GCC
 * vectorises even this loop, emulating the 64-bit multiplies. */
static void draw16(uint16_t *restrict draw, uint64_t state, size_t first, size_t count)
{
    uint64_t j0 = first / 4 + 1;
    for (size_t j = 0; j < (count + 3) / 4; j++) {
        uint64_t h = mix64(state + (j0 + j) * GOLDEN);
        draw[4 * j] = (uint16_t)h;
        draw[4 * j + 1] = (uint16_t)(h >> 16);
        draw[4 * j + 2] = (uint16_t)(h >> 32);
        draw[4 * j + 3] = (uint16_t)(h >> 48);
    }
}

/* y may alias x. */
void PZ_L(dropout_forward)(pz_real *y, uint8_t *restrict mask, const pz_real *x, double p,
                           uint64_t seed, size_t n)
{
    if (p <= 0.0) {
        memset(mask, 1, n);
        memmove(y, x, n * sizeof *y);
        return;
    }
    /* a 16-bit draw u keeps with probability P(u >= t) = 1 - t/65536; t
     * is capped at 65535, so p within 2^-17 of 1 still keeps 1/65536 */
    uint32_t t = (uint32_t)(p * 65536.0 + 0.5);
    uint16_t threshold = (uint16_t)(t > 65535 ? 65535 : t);
    pz_real scale = (pz_real)(1.0 / (1.0 - p));
    /* mixing the seed once decorrelates consecutive seeds' streams */
    uint64_t state = mix64(seed ^ GOLDEN);
    uint16_t draw[DROP_BLOCK + 3]; /* + 3: the last hash's spare fields */
    for (size_t i0 = 0; i0 < n; i0 += DROP_BLOCK) {
        size_t count = n - i0 < DROP_BLOCK ? n - i0 : DROP_BLOCK;
        draw16(draw, state, i0, count);
        uint8_t *m = mask + i0;
        for (size_t i = 0; i < count; i++)
            m[i] = draw[i] >= threshold;
        /* a product, not a select: GCC will not vectorise a select with
         * arithmetic in an arm (-ftrapping-math). Only a non-finite x
         * differs, giving NaN instead of 0 where dropped. */
        const pz_real *xb = x + i0;
        pz_real *yb = y + i0;
        for (size_t i = 0; i < count; i++)
            yb[i] = xb[i] * ((pz_real)m[i] * scale);
    }
}

void PZ_L(dropout_backward)(pz_real *restrict dx, const pz_real *restrict dy,
                            const uint8_t *restrict mask, double p, size_t n)
{
    if (!dx)
        return;
    pz_real scale = (pz_real)(p > 0.0 ? 1.0 / (1.0 - p) : 1.0);
    for (size_t i = 0; i < n; i++)
        dx[i] += dy[i] * ((pz_real)mask[i] * scale);
}
/* }===== */

/* {===== concat ===== parts[i], dparts[i] are (M, Cs[i]); y, dy are (M, sum Cs) */
void PZ_L(concat_forward)(pz_real *restrict y, const pz_real *const *parts, const int *Cs,
                          int nparts, size_t M)
{
    int Ct = 0;
    for (int i = 0; i < nparts; i++)
        Ct += Cs[i];
    for (size_t r = 0; r < M; r++) {
        pz_real *yr = y + r * Ct;
        for (int i = 0; i < nparts; i++) {
            memcpy(yr, parts[i] + r * Cs[i], (size_t)Cs[i] * sizeof *yr);
            yr += Cs[i];
        }
    }
}

/* A NULL dparts[i] skips that part. */
void PZ_L(concat_backward)(pz_real *const *dparts, const pz_real *restrict dy, const int *Cs,
                           int nparts, size_t M)
{
    int Ct = 0;
    for (int i = 0; i < nparts; i++)
        Ct += Cs[i];
    int off = 0;
    for (int i = 0; i < nparts; off += Cs[i], i++) {
        pz_real *restrict d = dparts[i];
        if (!d)
            continue;
        const int Ci = Cs[i];
        for (size_t r = 0; r < M; r++) {
            const pz_real *dyr = dy + r * Ct + off;
            pz_real *dr = d + r * Ci;
            for (int c = 0; c < Ci; c++)
                dr[c] += dyr[c];
        }
    }
}
/* }===== */

/* {===== add ===== y, a, b, dst, src are (n); y may alias a or b */
void PZ_L(add_forward)(pz_real *y, const pz_real *a, const pz_real *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = a[i] + b[i];
}

void PZ_L(accumulate)(pz_real *restrict dst, const pz_real *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] += src[i];
}
/* }===== */
