/* resnet trainer tests: the layers around the convolutions (norm.c, act.c,
 * pool.c, ops.c, loss.c).
 *
 * The double build's gradients are checked against central finite
 * differences of L = sum(y * r) (or of the returned loss), on data kept
 * away from ReLU's kink and from max ties; hand-computed cases pin the
 * conventions (padding, averages, the loss, argmax ties); the float build
 * must agree with the double one; dropout's mask is checked for its rate
 * and its determinism; every backward must accumulate.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "layers.h"

/* layers.h declares both precisions: pz_x for float, pz_x_f64 for double. */

/* {===== test data ===== */

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* uniform in [lo, hi) */
static double urand(double lo, double hi)
{
    return lo + (hi - lo) * (double)(rng_next() >> 11) * 0x1p-53;
}

static void fill(double *a, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        a[i] = urand(lo, hi);
}

/* uniform in [-hi, -lo] or [lo, hi]: clear of a kink at 0 */
static void fill_away_from_zero(double *a, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) {
        double v = urand(lo, hi);
        a[i] = rng_next() & 1 ? v : -v;
    }
}

/* A shuffled grid in (-1, 1): no two values closer than 2/n, so a finite
 * difference step never changes which cell wins a max. */
static void fill_distinct(double *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        a[i] = -1.0 + (2.0 * (double)i + 1.0) / (double)n;
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(rng_next() % i);
        double t = a[i - 1];
        a[i - 1] = a[j], a[j] = t;
    }
}

static double *dalloc(size_t n)
{
    double *p = calloc(n ? n : 1, sizeof *p);
    CHECK(p != NULL);
    return p;
}

static float *falloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof *p);
    CHECK(p != NULL);
    return p;
}

static float *to_float(const double *a, size_t n)
{
    float *f = falloc(n);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)a[i];
    return f;
}

/* The double twin of a float tensor, so both builds see identical inputs. */
static double *to_double(const float *a, size_t n)
{
    double *d = dalloc(n);
    for (size_t i = 0; i < n; i++)
        d[i] = a[i];
    return d;
}

static double dot(const double *a, const double *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}
/* }===== */

/* {===== checks ===== */

/* Central differences of loss() in each element of param against grad:
 * |grad - fd| <= 1e-6 max(|grad|, |fd|) + 1e-9 (the absolute part covers
 * gradients near 0, where the difference is rounding noise of L). Returns
 * max |grad - fd| / max |grad| for the summary. */
#define FD_STEP 1e-5
#define FD_RTOL 1e-6
#define FD_ATOL 1e-9

static double check_fd(const char *what, double (*loss)(void *), void *ctx, double *param,
                       const double *grad, size_t n)
{
    double worst = 0.0, big = 0.0;
    for (size_t i = 0; i < n; i++) {
        double saved = param[i];
        param[i] = saved + FD_STEP;
        double lp = loss(ctx);
        param[i] = saved - FD_STEP;
        double lm = loss(ctx);
        param[i] = saved;
        double fd = (lp - lm) / (2 * FD_STEP);
        double scale = fmax(fabs(grad[i]), fabs(fd));
        double err = fabs(grad[i] - fd);
        if (err > FD_RTOL * scale + FD_ATOL) {
            fprintf(stderr, "%s[%zu]: analytic %.12g, finite difference %.12g\n", what, i,
                    grad[i], fd);
            CHECK(err <= FD_RTOL * scale + FD_ATOL);
        }
        worst = fmax(worst, err);
        big = fmax(big, fabs(grad[i]));
    }
    return big > 0.0 ? worst / big : worst;
}

/* The float result f against the double one d on the same inputs:
 * |f - d| <= tol * max|d| elementwise. Returns max|f - d| / max|d|. */
static double check_close(const char *what, const float *f, const double *d, size_t n, double tol)
{
    double big = 0.0, worst = 0.0;
    for (size_t i = 0; i < n; i++)
        big = fmax(big, fabs(d[i]));
    if (big == 0.0)
        big = 1.0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)f[i] - d[i]);
        if (err > tol * big) {
            fprintf(stderr, "%s[%zu]: float %.9g, double %.12g (max |d| %g)\n", what, i,
                    (double)f[i], d[i], big);
            CHECK(err <= tol * big);
        }
        worst = fmax(worst, err / big);
    }
    return worst;
}

/* After a second backward into the same buffers, twice[i] == 2 once[i]. */
static void check_doubled(const char *what, const double *twice, const double *once, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fabs(twice[i] - 2.0 * once[i]) > 1e-12 * (1.0 + fabs(once[i]))) {
            fprintf(stderr, "%s[%zu]: after two backwards %.17g, after one %.17g\n", what, i,
                    twice[i], once[i]);
            CHECK(0);
        }
}
/* }===== */

/* {===== BatchNorm ===== */

typedef struct bn_case {
    size_t M;
    int C;
    double *x, *gamma, *beta, *y, *stats, *r; /* x, y, r (M,C); gamma, beta (C); stats (2C) */
} bn_case;

static double bn_loss(void *p)
{
    bn_case *b = p;
    pz_batchnorm_forward_train_f64(b->y, b->stats, b->x, b->gamma, b->beta, NULL, NULL, b->M,
                                   b->C);
    return dot(b->y, b->r, b->M * (size_t)b->C);
}

static void bn_case_init(bn_case *b, size_t M, int C)
{
    size_t n = M * (size_t)C;
    b->M = M, b->C = C;
    b->x = dalloc(n), b->y = dalloc(n), b->r = dalloc(n);
    b->gamma = dalloc((size_t)C), b->beta = dalloc((size_t)C), b->stats = dalloc(2 * (size_t)C);
    /* per-channel offsets and spreads, so the statistics matter */
    for (size_t m = 0; m < M; m++)
        for (int c = 0; c < C; c++)
            b->x[m * C + c] = 0.5 * (c % 7) - 1.0 + (0.3 + 0.1 * (c % 5)) * urand(-1.0, 1.0);
    fill(b->gamma, (size_t)C, 0.5, 1.5);
    fill(b->beta, (size_t)C, -0.5, 0.5);
    fill(b->r, n, -1.0, 1.0);
}

static void bn_case_free(bn_case *b)
{
    free(b->x), free(b->y), free(b->r), free(b->gamma), free(b->beta), free(b->stats);
}

/* Gradients of training mode (the batch statistics depend on x) and
 * accumulation; M odd and C beyond one accumulator block in the second. */
static void test_batchnorm_grad(size_t M, int C)
{
    bn_case b;
    bn_case_init(&b, M, C);
    size_t n = M * (size_t)C;
    double *dx = dalloc(n), *dgamma = dalloc((size_t)C), *dbeta = dalloc((size_t)C);
    bn_loss(&b);
    pz_batchnorm_backward_f64(dx, dgamma, dbeta, b.r, b.x, b.stats, b.gamma, M, C);
    double ex = check_fd("bn dx", bn_loss, &b, b.x, dx, n);
    double eg = check_fd("bn dgamma", bn_loss, &b, b.gamma, dgamma, (size_t)C);
    double eb = check_fd("bn dbeta", bn_loss, &b, b.beta, dbeta, (size_t)C);

    double *dx2 = dalloc(n), *dg2 = dalloc((size_t)C), *db2 = dalloc((size_t)C);
    bn_loss(&b);
    for (int k = 0; k < 2; k++)
        pz_batchnorm_backward_f64(dx2, dg2, db2, b.r, b.x, b.stats, b.gamma, M, C);
    check_doubled("bn dx", dx2, dx, n);
    check_doubled("bn dgamma", dg2, dgamma, (size_t)C);
    check_doubled("bn dbeta", db2, dbeta, (size_t)C);

    /* a NULL dx still yields the parameter gradients */
    memset(dg2, 0, (size_t)C * sizeof *dg2), memset(db2, 0, (size_t)C * sizeof *db2);
    pz_batchnorm_backward_f64(NULL, dg2, db2, b.r, b.x, b.stats, b.gamma, M, C);
    for (int c = 0; c < C; c++) {
        CHECK_NEAR(dg2[c], dgamma[c], 1e-12);
        CHECK_NEAR(db2[c], dbeta[c], 1e-12);
    }

    printf("batchnorm train M=%zu C=%d: fd rel err dx %.1e dgamma %.1e dbeta %.1e; accumulates\n",
           M, C, ex, eg, eb);
    free(dx), free(dgamma), free(dbeta), free(dx2), free(dg2), free(db2);
    bn_case_free(&b);
}

/* Statistics, running averages and evaluation mode against the formulas. */
static void test_batchnorm_formulas(void)
{
    enum { C = 6 };
    const size_t M = 37;
    bn_case b;
    bn_case_init(&b, M, C);
    for (size_t i = 0; i < M * C; i++)
        b.x[i] += 100.0; /* |mean| >> std: the variance must not cancel away */
    double rm[C], rv[C], rm0[C], rv0[C];
    fill(rm0, C, -1.0, 1.0);
    fill(rv0, C, 0.5, 2.0);
    memcpy(rm, rm0, sizeof rm), memcpy(rv, rv0, sizeof rv);
    pz_batchnorm_forward_train_f64(b.y, b.stats, b.x, b.gamma, b.beta, rm, rv, M, C);
    for (int c = 0; c < C; c++) {
        double mean = 0.0, var = 0.0;
        for (size_t m = 0; m < M; m++)
            mean += b.x[m * C + c];
        mean /= (double)M;
        for (size_t m = 0; m < M; m++)
            var += (b.x[m * C + c] - mean) * (b.x[m * C + c] - mean);
        var /= (double)M; /* biased */
        double invstd = 1.0 / sqrt(var + PZ_BN_EPS);
        CHECK_NEAR(b.stats[c], mean, 1e-12 * fabs(mean));
        CHECK_NEAR(b.stats[C + c], invstd, 1e-9 * invstd);
        /* Keras: run = 0.99 run + 0.01 batch, with the biased variance */
        CHECK_NEAR(rm[c], 0.99 * rm0[c] + 0.01 * mean, 1e-12);
        CHECK_NEAR(rv[c], 0.99 * rv0[c] + 0.01 * var, 1e-12);
        for (size_t m = 0; m < M; m++) {
            double want = b.gamma[c] * (b.x[m * C + c] - mean) * invstd + b.beta[c];
            CHECK_NEAR(b.y[m * C + c], want, 1e-9);
        }
    }

    /* evaluation uses the running statistics, in both builds */
    double *ye = dalloc(M * C);
    pz_batchnorm_forward_eval_f64(ye, b.x, b.gamma, b.beta, rm, rv, M, C);
    float *xf = falloc(M * C), *yf = falloc(M * C);
    float gf[C], bf[C], rmf[C], rvf[C];
    for (size_t i = 0; i < M * C; i++)
        xf[i] = (float)(b.x[i] - 100.0); /* float: keep |x| where float resolves the spread */
    for (int c = 0; c < C; c++)
        gf[c] = (float)b.gamma[c], bf[c] = (float)b.beta[c], rmf[c] = (float)rm[c],
        rvf[c] = (float)rv[c];
    pz_batchnorm_forward_eval(yf, xf, gf, bf, rmf, rvf, M, C);
    for (int c = 0; c < C; c++)
        for (size_t m = 0; m < M; m++) {
            size_t i = m * C + c;
            double want = b.gamma[c] * (b.x[i] - rm[c]) / sqrt(rv[c] + PZ_BN_EPS) + b.beta[c];
            CHECK_NEAR(ye[i], want, 1e-12 * (1.0 + fabs(want)));
            double wantf = (double)gf[c] * ((double)xf[i] - rmf[c]) / sqrt(rvf[c] + PZ_BN_EPS) +
                           bf[c];
            CHECK_NEAR(yf[i], wantf, 1e-5 * (1.0 + fabs(wantf)));
        }

    /* y may alias x */
    memcpy(b.y, b.x, M * C * sizeof *b.y);
    pz_batchnorm_forward_eval_f64(b.y, b.y, b.gamma, b.beta, rm, rv, M, C);
    CHECK(memcmp(b.y, ye, M * C * sizeof *ye) == 0);
    float *yf2 = falloc(M * C);
    memcpy(yf2, xf, M * C * sizeof *xf);
    pz_batchnorm_forward_eval(yf2, yf2, gf, bf, rmf, rvf, M, C);
    CHECK(memcmp(yf2, yf, M * C * sizeof *yf) == 0);
    free(yf2);
    printf("batchnorm: stats, running averages (momentum %.2f, biased var), eval formula, "
           "in place\n",
           PZ_BN_MOMENTUM);
    free(ye), free(xf), free(yf);
    bn_case_free(&b);
}
/* }===== */

/* {===== activations ===== */

typedef struct act_case {
    void (*forward)(double *y, const double *x, size_t n);
    size_t n;
    double *x, *y, *r;
} act_case;

static double act_loss(void *p)
{
    act_case *a = p;
    a->forward(a->y, a->x, a->n);
    return dot(a->y, a->r, a->n);
}

typedef void act_forward_fn(double *y, const double *x, size_t n);
typedef void act_backward_fn(double *dx, const double *dy, const double *y, size_t n);

/* x in [-lo, -0.05 lo] and [0.05 hi, hi]: clear of the kink at 0 */
static void test_activation_grad(const char *name, act_forward_fn *forward,
                                 act_backward_fn *backward, double lo, double hi)
{
    const size_t n = 300;
    act_case a = {forward, n, dalloc(n), dalloc(n), dalloc(n)};
    fill_away_from_zero(a.x, n, 0.05, 1.0);
    for (size_t i = 0; i < n; i++)
        a.x[i] *= a.x[i] < 0 ? lo : hi; /* negatives reach -lo, positives hi */
    fill(a.r, n, -1.0, 1.0);
    double *dx = dalloc(n), *dx2 = dalloc(n);
    act_loss(&a);
    backward(dx, a.r, a.y, n);
    double err = check_fd(name, act_loss, &a, a.x, dx, n);
    backward(dx2, a.r, a.y, n);
    backward(dx2, a.r, a.y, n);
    check_doubled(name, dx2, dx, n);
    /* y may alias x (check_fd left the last element perturbed in y) */
    act_loss(&a);
    double *in = dalloc(n);
    memcpy(in, a.x, n * sizeof *in);
    forward(in, in, n);
    for (size_t i = 0; i < n; i++)
        CHECK(in[i] == a.y[i]);
    printf("%s: fd rel err %.1e; accumulates; in place\n", name, err);
    free(a.x), free(a.y), free(a.r), free(dx), free(dx2), free(in);
}

/* The float ELU has its own expm1: within a few ulp of libm's everywhere,
 * exact where it must be. */
static void test_elu_float(void)
{
    const size_t n = 200001;
    float *x = falloc(n), *y = falloc(n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(-40.0 + 45.0 * (double)i / (double)(n - 1));
    x[0] = -1e30f, x[1] = -1e-30f, x[2] = -1e-7f, x[3] = 0.0f, x[4] = 1e-30f, x[5] = -88.0f;
    x[6] = -INFINITY, x[7] = INFINITY;
    pz_elu_forward(y, x, n);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double want = x[i] > 0 ? (double)x[i] : expm1((double)x[i]);
        if (isinf(want)) {
            CHECK(y[i] == (float)want);
            continue;
        }
        double err = fabs((double)y[i] - want) / fmax(fabs(want), 1e-38);
        if (err > 4.0 * 0x1p-24) {
            fprintf(stderr, "elu(%.9g) = %.9g, expm1 gives %.17g\n", (double)x[i], (double)y[i],
                    want);
            CHECK(err <= 4.0 * 0x1p-24);
        }
        worst = fmax(worst, err);
    }
    CHECK(y[3] == 0.0f);
    CHECK(y[4] == 1e-30f);
    CHECK(y[6] == -1.0f);
    float nan_in = NAN, nan_out;
    pz_elu_forward(&nan_out, &nan_in, 1);
    CHECK(isnan(nan_out));
    printf("elu float: max rel err vs libm expm1 %.2f x 2^-24 over [-40, 5] and extremes\n",
           worst / 0x1p-24);
    free(x), free(y);
}
/* }===== */

/* {===== pooling ===== */

typedef struct pool_case {
    int max; /* 1 max, 0 average */
    pz_pool_shape s;
    double *x, *y, *r; /* x (N,H,W,C); y, r (N,OH,OW,C) */
    int32_t *argmax;
} pool_case;

static size_t pool_in(const pz_pool_shape *s) { return (size_t)s->N * s->H * s->W * s->C; }
static size_t pool_out(const pz_pool_shape *s) { return (size_t)s->N * s->OH * s->OW * s->C; }

static double pool_loss(void *p)
{
    pool_case *c = p;
    if (c->max)
        pz_maxpool_forward_f64(c->y, c->argmax, c->x, &c->s);
    else
        pz_avgpool_forward_f64(c->y, c->x, &c->s);
    return dot(c->y, c->r, pool_out(&c->s));
}

static void test_pool_grad(int max, int N, int H, int W, int C, int K, int stride)
{
    pool_case c = {.max = max};
    pz_pool_shape_init(&c.s, N, H, W, C, K, stride);
    size_t ni = pool_in(&c.s), no = pool_out(&c.s);
    c.x = dalloc(ni), c.y = dalloc(no), c.r = dalloc(no);
    c.argmax = calloc(no, sizeof *c.argmax);
    CHECK(c.argmax != NULL);
    fill_distinct(c.x, ni);
    fill(c.r, no, -1.0, 1.0);
    double *dx = dalloc(ni), *dx2 = dalloc(ni);
    pool_loss(&c);
    if (max)
        pz_maxpool_backward_f64(dx, c.r, c.argmax, &c.s);
    else
        pz_avgpool_backward_f64(dx, c.r, &c.s);
    char name[64];
    snprintf(name, sizeof name, "%s %dx%d s%d on %dx%d", max ? "maxpool" : "avgpool", K, K,
             stride, H, W);
    double err = check_fd(name, pool_loss, &c, c.x, dx, ni);
    for (int k = 0; k < 2; k++)
        if (max)
            pz_maxpool_backward_f64(dx2, c.r, c.argmax, &c.s);
        else
            pz_avgpool_backward_f64(dx2, c.r, &c.s);
    check_doubled(name, dx2, dx, ni);
    printf("%s (OH %d, pad top %d, left %d): fd rel err %.1e; accumulates\n", name, c.s.OH,
           c.s.pad_top, c.s.pad_left, err);
    free(c.x), free(c.y), free(c.r), free(c.argmax), free(dx), free(dx2);
}

/* 3x3 images with values 1..9 (or their negatives), by hand. */
static void test_pool_cases(void)
{
    double x[9], y[4], neg[9], dx[9] = {0};
    int32_t am[4];
    for (int i = 0; i < 9; i++)
        x[i] = i + 1, neg[i] = -(i + 1);
    pz_pool_shape s;

    /* 2x2 stride 2: OH 2, one padding row/column after; windows hold 4, 2, 2, 1 cells */
    pz_pool_shape_init(&s, 1, 3, 3, 1, 2, 2);
    CHECK(s.OH == 2 && s.OW == 2 && s.pad_top == 0 && s.pad_left == 0);
    pz_avgpool_forward_f64(y, x, &s);
    CHECK_NEAR(y[0], (1 + 2 + 4 + 5) / 4.0, 1e-15);
    CHECK_NEAR(y[1], (3 + 6) / 2.0, 1e-15);
    CHECK_NEAR(y[2], (7 + 8) / 2.0, 1e-15);
    CHECK_NEAR(y[3], 9.0, 1e-15);
    double dy[4] = {4, 2, 2, 1};
    pz_avgpool_backward_f64(dx, dy, &s);
    for (int i = 0; i < 9; i++)
        CHECK_NEAR(dx[i], 1.0, 1e-15); /* dy / count reaches every cell once */
    pz_maxpool_forward_f64(y, am, x, &s);
    CHECK(y[0] == 5 && y[1] == 6 && y[2] == 8 && y[3] == 9);
    CHECK(am[0] == 4 && am[1] == 5 && am[2] == 7 && am[3] == 8);
    /* all negative: a padded zero must never win */
    pz_maxpool_forward_f64(y, am, neg, &s);
    CHECK(y[0] == -1 && y[1] == -3 && y[2] == -7 && y[3] == -9);
    CHECK(am[0] == 0 && am[1] == 2 && am[2] == 6 && am[3] == 8);

    /* 3x3 stride 2: OH 2, one padding row/column on each side */
    pz_pool_shape_init(&s, 1, 3, 3, 1, 3, 2);
    CHECK(s.OH == 2 && s.OW == 2 && s.pad_top == 1 && s.pad_left == 1);
    pz_avgpool_forward_f64(y, x, &s);
    CHECK_NEAR(y[0], (1 + 2 + 4 + 5) / 4.0, 1e-15);
    CHECK_NEAR(y[1], (2 + 3 + 5 + 6) / 4.0, 1e-15);
    CHECK_NEAR(y[2], (4 + 5 + 7 + 8) / 4.0, 1e-15);
    CHECK_NEAR(y[3], (5 + 6 + 8 + 9) / 4.0, 1e-15);
    pz_maxpool_forward_f64(y, am, neg, &s);
    CHECK(y[0] == -1 && y[1] == -2 && y[2] == -4 && y[3] == -5);
    /* overlapping windows: the centre wins all four and gets all four gradients */
    double dym[4] = {1, 2, 3, 4};
    memset(dx, 0, sizeof dx);
    x[4] = 10;
    pz_maxpool_forward_f64(y, am, x, &s);
    CHECK(am[0] == 4 && am[1] == 4 && am[2] == 4 && am[3] == 4);
    pz_maxpool_backward_f64(dx, dym, am, &s);
    for (int i = 0; i < 9; i++)
        CHECK(dx[i] == (i == 4 ? 10 : 0));

    /* ties keep the first cell in scan order; channels are independent */
    double t[2 * 2 * 2] = {1, 7, 1, 3, 1, 7, 0, 7}; /* (1,2,2,2) */
    double ty[2];
    int32_t ta[2];
    pz_pool_shape_init(&s, 1, 2, 2, 2, 2, 2);
    pz_maxpool_forward_f64(ty, ta, t, &s);
    CHECK(ty[0] == 1 && ty[1] == 7 && ta[0] == 0 && ta[1] == 1);
    printf("pooling: hand-computed windows, padding never wins, in-image averages, ties\n");
}
/* }===== */

/* {===== dropout, concat, add ===== */

typedef struct drop_case {
    size_t n;
    double p;
    uint64_t seed;
    double *x, *y, *r;
    uint8_t *mask;
} drop_case;

static double drop_loss(void *q)
{
    drop_case *d = q;
    pz_dropout_forward_f64(d->y, d->mask, d->x, d->p, d->seed, d->n);
    return dot(d->y, d->r, d->n);
}

static void test_dropout_grad(void)
{
    const size_t n = 1001;
    drop_case d = {n, 0.4, 12345, dalloc(n), dalloc(n), dalloc(n), malloc(n)};
    CHECK(d.mask != NULL);
    fill(d.x, n, -1.0, 1.0);
    fill(d.r, n, -1.0, 1.0);
    double *dx = dalloc(n), *dx2 = dalloc(n);
    drop_loss(&d);
    pz_dropout_backward_f64(dx, d.r, d.mask, d.p, n);
    double err = check_fd("dropout", drop_loss, &d, d.x, dx, n);
    for (int k = 0; k < 2; k++)
        pz_dropout_backward_f64(dx2, d.r, d.mask, d.p, n);
    check_doubled("dropout", dx2, dx, n);
    drop_loss(&d); /* check_fd left the last element perturbed in y */
    for (size_t i = 0; i < n; i++) {
        CHECK(d.mask[i] == 0 || d.mask[i] == 1);
        CHECK_NEAR(d.y[i], d.mask[i] ? d.x[i] / 0.6 : 0.0, 1e-15);
    }
    /* y may alias x */
    memcpy(dx2, d.x, n * sizeof *dx2);
    pz_dropout_forward_f64(dx2, d.mask, dx2, d.p, d.seed, n);
    CHECK(memcmp(dx2, d.y, n * sizeof *dx2) == 0);
    printf("dropout p=0.4: fd rel err %.1e (fixed seed); accumulates; in place\n", err);
    free(d.x), free(d.y), free(d.r), free(d.mask), free(dx), free(dx2);
}

/* Rate, per 16-bit lane, determinism, and independence from n. */
static void test_dropout_mask(void)
{
    const size_t n = 1000000;
    float *x = falloc(n), *y = falloc(n);
    uint8_t *m1 = malloc(n), *m2 = malloc(n), *m3 = malloc(n), *m4 = malloc(1003);
    CHECK(m1 && m2 && m3 && m4);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(i % 17) - 8.0f;
    pz_dropout_forward(y, m1, x, 0.3, 42, n);
    pz_dropout_forward(y, m2, x, 0.3, 42, n);
    pz_dropout_forward(y, m3, x, 0.3, 43, n);
    /* lane[k]: kept among i = k mod 4 (the 16-bit field of one hash);
     * pair[k]: i and i + 1 both kept, which is 0.49 only if the fields
     * (and consecutive hashes, for k = 3) are independent */
    size_t kept = 0, lane[4] = {0}, pair[4] = {0}, differ = 0;
    for (size_t i = 0; i < n; i++) {
        kept += m1[i], lane[i % 4] += m1[i], differ += m1[i] != m3[i];
        if (i + 1 < n)
            pair[i % 4] += m1[i] & m1[i + 1];
        CHECK(y[i] == (m3[i] ? x[i] * (float)(1.0 / 0.7) : 0.0f));
    }
    double rate = (double)kept / (double)n;
    CHECK(fabs(rate - 0.7) <= 0.003);
    for (int k = 0; k < 4; k++) {
        CHECK(fabs((double)lane[k] / (double)(n / 4) - 0.7) <= 0.006);
        CHECK(fabs((double)pair[k] / (double)(n / 4) - 0.49) <= 0.006);
    }
    CHECK(memcmp(m1, m2, n) == 0);
    /* two independent masks of rate 0.7 differ in 2 * 0.7 * 0.3 = 42% */
    CHECK(fabs((double)differ / (double)n - 0.42) <= 0.005);
    /* a counter-based hash: a shorter tensor gets a prefix of the same mask */
    pz_dropout_forward(y, m4, x, 0.3, 42, 1003);
    CHECK(memcmp(m4, m1, 1003) == 0);
    /* the float and double builds draw the same mask */
    double *xd = to_double(x, 1003), *yd = dalloc(1003);
    pz_dropout_forward_f64(yd, m4, xd, 0.3, 42, 1003);
    CHECK(memcmp(m4, m1, 1003) == 0);
    /* p = 0 copies */
    pz_dropout_forward(y, m1, x, 0.0, 42, n);
    for (size_t i = 0; i < n; i++)
        CHECK(m1[i] == 1 && y[i] == x[i]);
    float dxf[4] = {0}, dyf[4] = {1, 2, 3, 4};
    pz_dropout_backward(dxf, dyf, m1, 0.0, 4);
    CHECK(dxf[0] == 1 && dxf[3] == 4);
    printf("dropout mask p=0.3 on 1e6: kept %.4f (lanes %.3f %.3f %.3f %.3f), "
           "seed 42 repeats, seed 43 differs in %.3f\n",
           rate, (double)lane[0] / (n / 4), (double)lane[1] / (n / 4), (double)lane[2] / (n / 4),
           (double)lane[3] / (n / 4), (double)differ / (double)n);
    free(x), free(y), free(m1), free(m2), free(m3), free(m4), free(xd), free(yd);
}

enum { CAT_M = 6, CAT_PARTS = 3 };
static const int cat_Cs[CAT_PARTS] = {2, 3, 4};

typedef struct cat_case {
    double *parts[CAT_PARTS], *y, *r; /* parts[i] (M, Cs[i]); y, r (M, 9) */
} cat_case;

static double cat_loss(void *p)
{
    cat_case *c = p;
    const double *in[CAT_PARTS] = {c->parts[0], c->parts[1], c->parts[2]};
    pz_concat_forward_f64(c->y, in, cat_Cs, CAT_PARTS, CAT_M);
    return dot(c->y, c->r, CAT_M * 9);
}

static void test_concat_grad(void)
{
    cat_case c;
    double *d[CAT_PARTS], *d2[CAT_PARTS];
    for (int i = 0; i < CAT_PARTS; i++) {
        c.parts[i] = dalloc(CAT_M * cat_Cs[i]);
        fill(c.parts[i], CAT_M * cat_Cs[i], -1.0, 1.0);
        d[i] = dalloc(CAT_M * cat_Cs[i]), d2[i] = dalloc(CAT_M * cat_Cs[i]);
    }
    c.y = dalloc(CAT_M * 9), c.r = dalloc(CAT_M * 9);
    fill(c.r, CAT_M * 9, -1.0, 1.0);
    cat_loss(&c);
    /* row m of y is part 0's row, then part 1's, then part 2's */
    CHECK(c.y[9 * 4 + 0] == c.parts[0][2 * 4 + 0] && c.y[9 * 4 + 2] == c.parts[1][3 * 4] &&
          c.y[9 * 4 + 8] == c.parts[2][4 * 4 + 3]);
    pz_concat_backward_f64(d, c.r, cat_Cs, CAT_PARTS, CAT_M);
    double err = 0.0;
    for (int i = 0; i < CAT_PARTS; i++)
        err = fmax(err, check_fd("concat", cat_loss, &c, c.parts[i], d[i], CAT_M * cat_Cs[i]));
    for (int k = 0; k < 2; k++)
        pz_concat_backward_f64(d2, c.r, cat_Cs, CAT_PARTS, CAT_M);
    for (int i = 0; i < CAT_PARTS; i++)
        check_doubled("concat", d2[i], d[i], CAT_M * cat_Cs[i]);
    printf("concat 2+3+4 channels: fd rel err %.1e; accumulates\n", err);
    for (int i = 0; i < CAT_PARTS; i++)
        free(c.parts[i]), free(d[i]), free(d2[i]);
    free(c.y), free(c.r);
}

typedef struct add_case {
    size_t n;
    double *a, *b, *y, *r;
} add_case;

static double add_loss(void *p)
{
    add_case *c = p;
    pz_add_forward_f64(c->y, c->a, c->b, c->n);
    return dot(c->y, c->r, c->n);
}

static void test_add_grad(void)
{
    const size_t n = 257;
    add_case c = {n, dalloc(n), dalloc(n), dalloc(n), dalloc(n)};
    fill(c.a, n, -1.0, 1.0), fill(c.b, n, -1.0, 1.0), fill(c.r, n, -1.0, 1.0);
    double *da = dalloc(n), *db = dalloc(n);
    add_loss(&c);
    pz_accumulate_f64(da, c.r, n); /* add's backward: da += dy, db += dy */
    pz_accumulate_f64(db, c.r, n);
    double err = fmax(check_fd("add a", add_loss, &c, c.a, da, n),
                      check_fd("add b", add_loss, &c, c.b, db, n));
    pz_accumulate_f64(da, c.r, n);
    for (size_t i = 0; i < n; i++)
        CHECK(da[i] == 2 * c.r[i]);
    /* y may alias a (the residual add in place) */
    add_loss(&c);
    pz_add_forward_f64(c.a, c.a, c.b, n);
    CHECK(memcmp(c.a, c.y, n * sizeof *c.y) == 0);
    printf("add: fd rel err %.1e; accumulate sums; in place\n", err);
    free(c.a), free(c.b), free(c.y), free(c.r), free(da), free(db);
}
/* }===== */

/* {===== loss ===== */

typedef struct xent_case {
    int N, K;
    double *logits;
    int32_t *labels;
} xent_case;

static double xent_loss(void *p)
{
    xent_case *c = p;
    return pz_softmax_xent_f64(NULL, NULL, c->logits, c->labels, c->N, c->K, 0.3);
}

static void test_xent_grad(void)
{
    xent_case c = {5, 7, dalloc(35), calloc(5, sizeof(int32_t))};
    CHECK(c.labels != NULL);
    fill(c.logits, 35, -3.0, 3.0);
    for (int n = 0; n < c.N; n++)
        c.labels[n] = (int32_t)(rng_next() % (uint64_t)c.K);
    double *d = dalloc(35), *d2 = dalloc(35);
    double loss = pz_softmax_xent_f64(d, NULL, c.logits, c.labels, c.N, c.K, 0.3);
    CHECK_NEAR(loss, xent_loss(&c), 1e-15);
    double err = check_fd("softmax_xent", xent_loss, &c, c.logits, d, 35);
    for (int k = 0; k < 2; k++)
        pz_softmax_xent_f64(d2, NULL, c.logits, c.labels, c.N, c.K, 0.3);
    check_doubled("softmax_xent", d2, d, 35);
    printf("softmax_xent weight 0.3: fd rel err %.1e; accumulates\n", err);
    free(c.logits), free(c.labels), free(d), free(d2);
}

static void test_xent_cases(void)
{
    /* row 0 [1,2,3] label 2: log(1 + e^-1 + e^-2), right; row 1 [0,0,0]
     * label 1: log 3, a tie the lowest index (0) wins, so wrong */
    double l[6] = {1, 2, 3, 0, 0, 0};
    int32_t lab[2] = {2, 1};
    int correct = -1;
    double d[6] = {0};
    double want = (log(1 + exp(-1.0) + exp(-2.0)) + log(3.0)) / 2;
    double loss = pz_softmax_xent_f64(d, &correct, l, lab, 2, 3, 1.0);
    CHECK_NEAR(loss, want, 1e-14);
    CHECK_EQ(correct, 1);
    double z = 1 + exp(1.0) + exp(2.0);
    CHECK_NEAR(d[0], (1 / z) / 2, 1e-14);
    CHECK_NEAR(d[2], (exp(2.0) / z - 1) / 2, 1e-14);
    CHECK_NEAR(d[4], (1.0 / 3 - 1) / 2, 1e-14);
    CHECK_NEAR(pz_softmax_xent_f64(NULL, NULL, l, lab, 2, 3, 0.3), 0.3 * want, 1e-14);
    /* a tie won by the label's own index counts */
    int32_t lab0[2] = {2, 0};
    pz_softmax_xent_f64(NULL, &correct, l, lab0, 2, 3, 1.0);
    CHECK_EQ(correct, 2);
    /* huge logits are shifted by the row maximum, in float as well */
    float big[3] = {1000.0f, 1001.0f, 999.0f}, dbig[3] = {0};
    int32_t lb = 0;
    double lf = pz_softmax_xent(dbig, &correct, big, &lb, 1, 3, 1.0);
    CHECK_NEAR(lf, log(1 + exp(1.0) + exp(-1.0)), 1e-6);
    CHECK_EQ(correct, 0);
    CHECK(isfinite(dbig[0]) && isfinite(dbig[1]) && dbig[0] < 0 && dbig[1] > 0);
    printf("softmax_xent: hand-computed loss, gradient, correct count with ties, stable\n");
}
/* }===== */

/* {===== float against double =====
 * The same inputs through both builds: the trainer's float code computes
 * what the finite-difference-checked double code does. */
static void test_float_matches_double(void)
{
    const size_t M = 2 * 5 * 5;
    const int C = 12;
    const size_t n = M * C;
    double worst = 0.0;

    /* BatchNorm forward and backward */
    double *xd = dalloc(n), *gd = dalloc(C), *bd = dalloc(C), *dyd = dalloc(n);
    fill(xd, n, -2.0, 3.0), fill(gd, C, 0.5, 1.5), fill(bd, C, -0.5, 0.5), fill(dyd, n, -1, 1);
    float *xf = to_float(xd, n), *gf = to_float(gd, C), *bf = to_float(bd, C);
    float *dyf = to_float(dyd, n);
    free(xd), free(gd), free(bd), free(dyd);
    xd = to_double(xf, n), gd = to_double(gf, C), bd = to_double(bf, C), dyd = to_double(dyf, n);
    double *yd = dalloc(n), *sd = dalloc(2 * C), *dxd = dalloc(n), *dgd = dalloc(C),
           *dbd = dalloc(C);
    float *yf = falloc(n), *sf = falloc(2 * C), *dxf = falloc(n), *dgf = falloc(C),
          *dbf = falloc(C);
    pz_batchnorm_forward_train_f64(yd, sd, xd, gd, bd, NULL, NULL, M, C);
    pz_batchnorm_forward_train(yf, sf, xf, gf, bf, NULL, NULL, M, C);
    pz_batchnorm_backward_f64(dxd, dgd, dbd, dyd, xd, sd, gd, M, C);
    pz_batchnorm_backward(dxf, dgf, dbf, dyf, xf, sf, gf, M, C);
    worst = fmax(worst, check_close("bn y", yf, yd, n, 1e-5));
    worst = fmax(worst, check_close("bn stats", sf, sd, 2 * C, 1e-5));
    worst = fmax(worst, check_close("bn dx", dxf, dxd, n, 1e-5));
    worst = fmax(worst, check_close("bn dgamma", dgf, dgd, C, 1e-5));
    worst = fmax(worst, check_close("bn dbeta", dbf, dbd, C, 1e-5));

    /* activations: forward, then backward into a nonzero dx */
    memset(dxf, 0, n * sizeof *dxf), memset(dxd, 0, n * sizeof *dxd);
    pz_relu_forward_f64(yd, xd, n), pz_relu_forward(yf, xf, n);
    worst = fmax(worst, check_close("relu y", yf, yd, n, 1e-6));
    pz_relu_backward_f64(dxd, dyd, yd, n), pz_relu_backward(dxf, dyf, yf, n);
    pz_elu_forward_f64(yd, xd, n), pz_elu_forward(yf, xf, n);
    worst = fmax(worst, check_close("elu y", yf, yd, n, 1e-6));
    pz_elu_backward_f64(dxd, dyd, yd, n), pz_elu_backward(dxf, dyf, yf, n);
    worst = fmax(worst, check_close("relu+elu dx", dxf, dxd, n, 1e-6));

    /* pooling over (2,5,5,12), 3x3 stride 2 */
    pz_pool_shape s;
    pz_pool_shape_init(&s, 2, 5, 5, C, 3, 2);
    size_t no = pool_out(&s);
    int32_t *amd = calloc(no, sizeof *amd), *amf = calloc(no, sizeof *amf);
    CHECK(amd && amf);
    memset(dxf, 0, n * sizeof *dxf), memset(dxd, 0, n * sizeof *dxd);
    pz_maxpool_forward_f64(yd, amd, xd, &s), pz_maxpool_forward(yf, amf, xf, &s);
    CHECK(memcmp(amd, amf, no * sizeof *amd) == 0);
    worst = fmax(worst, check_close("maxpool y", yf, yd, no, 1e-6));
    pz_maxpool_backward_f64(dxd, dyd, amd, &s), pz_maxpool_backward(dxf, dyf, amf, &s);
    pz_avgpool_forward_f64(yd, xd, &s), pz_avgpool_forward(yf, xf, &s);
    worst = fmax(worst, check_close("avgpool y", yf, yd, no, 1e-6));
    pz_avgpool_backward_f64(dxd, dyd, &s), pz_avgpool_backward(dxf, dyf, &s);
    worst = fmax(worst, check_close("pool dx", dxf, dxd, n, 1e-6));

    /* dropout, concat (the same tensor three times), add */
    uint8_t *md = malloc(n), *mf = malloc(n);
    CHECK(md && mf);
    pz_dropout_forward_f64(yd, md, xd, 0.25, 7, n), pz_dropout_forward(yf, mf, xf, 0.25, 7, n);
    CHECK(memcmp(md, mf, n) == 0);
    worst = fmax(worst, check_close("dropout y", yf, yd, n, 1e-6));
    memset(dxf, 0, n * sizeof *dxf), memset(dxd, 0, n * sizeof *dxd);
    pz_dropout_backward_f64(dxd, dyd, md, 0.25, n), pz_dropout_backward(dxf, dyf, mf, 0.25, n);
    worst = fmax(worst, check_close("dropout dx", dxf, dxd, n, 1e-6));
    int cs[3] = {C, C, C};
    const double *pd[3] = {xd, dyd, xd};
    const float *pf[3] = {xf, dyf, xf};
    double *cd = dalloc(3 * n);
    float *cf = falloc(3 * n);
    pz_concat_forward_f64(cd, pd, cs, 3, M), pz_concat_forward(cf, pf, cs, 3, M);
    worst = fmax(worst, check_close("concat y", cf, cd, 3 * n, 1e-7));
    pz_add_forward_f64(yd, xd, dyd, n), pz_add_forward(yf, xf, dyf, n);
    worst = fmax(worst, check_close("add y", yf, yd, n, 1e-6));

    /* the loss over (10, 12) logits */
    int32_t lab[10];
    for (int i = 0; i < 10; i++)
        lab[i] = (int32_t)(rng_next() % (uint64_t)C);
    int cd_ok, cf_ok;
    memset(dxf, 0, n * sizeof *dxf), memset(dxd, 0, n * sizeof *dxd);
    double ld = pz_softmax_xent_f64(dxd, &cd_ok, xd, lab, 10, C, 0.3);
    double lf = pz_softmax_xent(dxf, &cf_ok, xf, lab, 10, C, 0.3);
    CHECK_NEAR(lf, ld, 1e-5 * fabs(ld));
    CHECK_EQ(cf_ok, cd_ok);
    worst = fmax(worst, check_close("xent dlogits", dxf, dxd, 10 * (size_t)C, 1e-5));

    printf("float build matches double: max rel diff %.1e over all layers\n", worst);
    free(xd), free(gd), free(bd), free(dyd), free(yd), free(sd), free(dxd), free(dgd), free(dbd);
    free(xf), free(gf), free(bf), free(dyf), free(yf), free(sf), free(dxf), free(dgf), free(dbf);
    free(amd), free(amf), free(md), free(mf), free(cd), free(cf);
}
/* }===== */

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* the summary so far survives an abort */
    test_batchnorm_grad(18, 5);
    test_batchnorm_grad(7, 300); /* two accumulator blocks, odd M */
    test_batchnorm_formulas();
    test_activation_grad("relu", pz_relu_forward_f64, pz_relu_backward_f64, 1.0, 1.0);
    test_activation_grad("elu", pz_elu_forward_f64, pz_elu_backward_f64, 3.0, 2.0);
    test_elu_float();
    test_pool_grad(1, 2, 4, 4, 3, 2, 2);
    test_pool_grad(1, 2, 5, 5, 3, 2, 2);
    test_pool_grad(1, 2, 7, 7, 3, 3, 2);
    test_pool_grad(1, 2, 5, 5, 3, 3, 2);
    test_pool_grad(1, 1, 8, 6, 2, 3, 2);
    test_pool_grad(0, 2, 5, 5, 3, 2, 2);
    test_pool_grad(0, 2, 7, 7, 3, 2, 2);
    test_pool_grad(0, 2, 7, 7, 3, 3, 2);
    test_pool_cases();
    test_dropout_grad();
    test_dropout_mask();
    test_concat_grad();
    test_add_grad();
    test_xent_grad();
    test_xent_cases();
    test_float_matches_double();
    printf("test_layers: all passed\n");
    return 0;
}
