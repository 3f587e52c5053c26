/* resnet trainer: the elementwise activations, ReLU and ELU (alpha 1).
 *
 * Each runs over whole activation tensors (up to ~100 MB) every step, so
 * the loops are branch-free and vectorise; under GCC's default
 * -ftrapping-math a select must not have arithmetic in its arms, hence some
 * roundabout forms. The float build evaluates ELU's expm1 with its own
 * polynomial: libm's expm1f is a scalar call of ~10 ns, twenty times the
 * pass's memory cost. Backward reads the forward's output; y may alias x.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "layers.h"

/* {===== ReLU ===== x, y, dx, dy are (n) */
void PZ_L(relu_forward)(pz_real *y, const pz_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0 ? x[i] : 0;
}

void PZ_L(relu_backward)(pz_real *restrict dx, const pz_real *restrict dy,
                         const pz_real *restrict y, size_t n)
{
    if (!dx)
        return;
    for (size_t i = 0; i < n; i++) {
        pz_real g = dy[i]; /* loaded unconditionally, so the select vectorises */
        dx[i] += y[i] > 0 ? g : 0;
    }
}
/* }===== */

/* {===== ELU ===== */
#ifdef PZ_REAL_DOUBLE
/* expm1(min(x, 0)). The double build runs the gradient checks: libm's
 * expm1 keeps y + 1 the exact derivative the finite differences see. */
static inline double elu_negative(double x) { return expm1(x < 0 ? x : 0); }
#else
static inline uint32_t float_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float bits_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* expm1(min(x, 0)) to about 1 ulp, in operations that vectorise: x =
 * k ln2 + r with |r| <= ln2/2, expm1(x) = 2^k expm1(r) + (2^k - 1), and
 * expm1(r) by its Taylor series to r^7 (the r^8 term is < 2e-8 relative).
 * x below -30, where the float result is already -1, is clamped to -30.
 * Neither clamp is a select: GCC threads a select's constant arm through
 * the polynomial and then cannot vectorise the branch left behind. */
static inline float elu_negative(float x)
{
    const float ln2_hi = 0.693145752f, ln2_lo = 1.42860677e-6f; /* k * ln2_hi is exact */
    const float round_magic = 12582912.0f;                        /* 1.5 * 2^23 */
    uint32_t low = -(uint32_t)(x < -30.0f), high = -(uint32_t)(x > 0.0f);
    /* x, -30 where low, +0 where high; NaN stays NaN */
    float xc = bits_float((float_bits(x) & ~(low | high)) | (float_bits(-30.0f) & low));
    float kf = (xc * 1.44269504f + round_magic) - round_magic; /* round(x / ln2), in [-44, 0] */
    float r = (xc - kf * ln2_hi) - kf * ln2_lo;
    float p = r + r * r * (1.0f / 2 + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
              r * (1.0f / 720 + r * (1.0f / 5040))))));
    float two_k = bits_float((uint32_t)((int32_t)kf + 127) << 23);
    return two_k * p + (two_k - 1.0f);
}
#endif

void PZ_L(elu_forward)(pz_real *y, const pz_real *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* max(x, 0) + expm1(min(x, 0)) is exact for both signs and, unlike
         * a select between x and expm1(x), leaves no arithmetic in a
         * branch that -ftrapping-math would forbid vectorising */
        pz_real v = x[i];
        y[i] = (v > 0 ? v : 0) + elu_negative(v);
    }
}

/* dy/dx = 1 for x > 0, exp(x) = y + 1 below. */
void PZ_L(elu_backward)(pz_real *restrict dx, const pz_real *restrict dy,
                        const pz_real *restrict y, size_t n)
{
    if (!dx)
        return;
    for (size_t i = 0; i < n; i++) {
        pz_real g = dy[i], v = y[i];
        pz_real neg = v < 0 ? v : 0; /* a pure select; g * neg + g vectorises */
        dx[i] += g * neg + g;
    }
}
/* }===== */
