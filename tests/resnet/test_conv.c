/* resnet trainer tests: convolution and dense layers (conv.c).
 *
 * The BLIS paths (im2col + GEMM, the 1x1 GEMM on the input, dense) are
 * compared with the naive loops in float and in double, on shapes that
 * cover every kernel size of the seed network, both strides, odd and even
 * images, several im2col chunks and the NULL dx / db / b paths; backward
 * must accumulate. The double build's gradients are then checked against
 * central finite differences of a scalar loss L = sum(y * r).
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

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

// uniform in [-1, 1)
static double uniform(void)
{
    return (double)(splitmix64() >> 11) * 0x1p-52 - 1.0;
}

static double *random_vec(size_t n)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    CHECK(v);
    for (size_t i = 0; i < n; i++)
        v[i] = uniform();
    return v;
}

static double *zeros(size_t n)
{
    double *v = calloc(n ? n : 1, sizeof *v);
    CHECK(v);
    return v;
}
/* }===== */

/* {===== one precision behind void pointers =====
 * So that each comparison is written once for both builds. */
typedef struct prec {
    const char *name;
    size_t size; // sizeof(pz_real) of that build
    double atol, rtol;
    void (*conv_fwd)(void *y, const void *x, const void *w, const void *b, const pz_conv_shape *s,
                     void *ws);
    void (*conv_bwd)(void *dx, void *dw, void *db, const void *dy, const void *x, const void *w,
                     const pz_conv_shape *s, void *ws);
    void (*conv_fwd_ref)(void *y, const void *x, const void *w, const void *b,
                         const pz_conv_shape *s);
    void (*conv_bwd_ref)(void *dx, void *dw, void *db, const void *dy, const void *x,
                         const void *w, const pz_conv_shape *s);
    void (*dense_fwd)(void *y, const void *x, const void *w, const void *b, int N, int I, int O);
    void (*dense_bwd)(void *dx, void *dw, void *db, const void *dy, const void *x, const void *w,
                      int N, int I, int O);
    void (*dense_fwd_ref)(void *y, const void *x, const void *w, const void *b, int N, int I,
                          int O);
    void (*dense_bwd_ref)(void *dx, void *dw, void *db, const void *dy, const void *x,
                          const void *w, int N, int I, int O);
} prec;

#define PREC_WRAPPERS(SUF)                                                                      \
    static void conv_fwd##SUF(void *y, const void *x, const void *w, const void *b,           \
                              const pz_conv_shape *s, void *ws)                                \
    {                                                                                          \
        pz_conv2d_forward##SUF(y, x, w, b, s, ws);                                             \
    }                                                                                          \
    static void conv_bwd##SUF(void *dx, void *dw, void *db, const void *dy, const void *x,    \
                              const void *w, const pz_conv_shape *s, void *ws)                 \
    {                                                                                          \
        pz_conv2d_backward##SUF(dx, dw, db, dy, x, w, s, ws);                                  \
    }                                                                                          \
    static void conv_fwd_ref##SUF(void *y, const void *x, const void *w, const void *b,       \
                                  const pz_conv_shape *s)                                      \
    {                                                                                          \
        pz_conv2d_forward_naive##SUF(y, x, w, b, s);                                           \
    }                                                                                          \
    static void conv_bwd_ref##SUF(void *dx, void *dw, void *db, const void *dy, const void *x,\
                                  const void *w, const pz_conv_shape *s)                       \
    {                                                                                          \
        pz_conv2d_backward_naive##SUF(dx, dw, db, dy, x, w, s);                                \
    }                                                                                          \
    static void dense_fwd##SUF(void *y, const void *x, const void *w, const void *b, int N,   \
                               int I, int O)                                                   \
    {                                                                                          \
        pz_dense_forward##SUF(y, x, w, b, N, I, O);                                            \
    }                                                                                          \
    static void dense_bwd##SUF(void *dx, void *dw, void *db, const void *dy, const void *x,   \
                               const void *w, int N, int I, int O)                             \
    {                                                                                          \
        pz_dense_backward##SUF(dx, dw, db, dy, x, w, N, I, O);                                 \
    }                                                                                          \
    static void dense_fwd_ref##SUF(void *y, const void *x, const void *w, const void *b,      \
                                   int N, int I, int O)                                        \
    {                                                                                          \
        pz_dense_forward_naive##SUF(y, x, w, b, N, I, O);                                      \
    }                                                                                          \
    static void dense_bwd_ref##SUF(void *dx, void *dw, void *db, const void *dy,              \
                                   const void *x, const void *w, int N, int I, int O)          \
    {                                                                                          \
        pz_dense_backward_naive##SUF(dx, dw, db, dy, x, w, N, I, O);                           \
    }

PREC_WRAPPERS()
PREC_WRAPPERS(_f64)

static const prec prec_float = {
    "float", sizeof(float), 1e-4, 1e-4,
    conv_fwd, conv_bwd, conv_fwd_ref, conv_bwd_ref,
    dense_fwd, dense_bwd, dense_fwd_ref, dense_bwd_ref,
};
static const prec prec_double = {
    "double", sizeof(double), 1e-10, 1e-10,
    conv_fwd_f64, conv_bwd_f64, conv_fwd_ref_f64, conv_bwd_ref_f64,
    dense_fwd_f64, dense_bwd_f64, dense_fwd_ref_f64, dense_bwd_ref_f64,
};

// a buffer of n values of p's type holding src (n doubles), or NaN when src is NULL
static void *make(const prec *p, const double *src, size_t n)
{
    void *v = malloc((n ? n : 1) * p->size);
    CHECK(v);
    for (size_t i = 0; i < n; i++) {
        double x = src ? src[i] : NAN;
        if (p->size == sizeof(float))
            ((float *)v)[i] = (float)x;
        else
            ((double *)v)[i] = x;
    }
    return v;
}

static double get(const prec *p, const void *v, size_t i)
{
    return p->size == sizeof(float) ? ((const float *)v)[i] : ((const double *)v)[i];
}

/* Max |a - scale*ref| over n values; aborts naming the element when one
 * misses |a - r| <= atol + rtol |r| (NaN misses too). */
static double compare(const prec *p, const char *what, const char *shape, const void *a,
                      const void *ref, double scale, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double va = get(p, a, i), vr = scale * get(p, ref, i), d = fabs(va - vr);
        int ok = d <= p->atol + p->rtol * fabs(vr);
        if (!ok)
            fprintf(stderr, "%s %s: %s[%zu] = %.10g, reference %.10g\n", p->name, shape, what, i,
                    va, vr);
        CHECK(ok);
        if (d > worst)
            worst = d;
    }
    return worst;
}

static double max2(double a, double b)
{
    return a > b ? a : b;
}
/* }===== */

/* {===== convolution against the naive loops ===== */

typedef struct conv_case {
    int N, H, W, C, OC, KH, KW, stride;
    int multi_chunk; // the case is meant to run several im2col chunks
} conv_case;

static const conv_case conv_cases[] = {
    {2, 5, 5, 3, 4, 1, 1, 1, 0},  // 1x1 stride 1: the GEMM on x
    {3, 6, 7, 2, 3, 1, 1, 1, 0},
    {2, 6, 7, 2, 3, 1, 1, 2, 0},  // 1x1 stride 2 goes through im2col
    {2, 5, 5, 3, 4, 2, 2, 1, 0},  // even kernels: the extra padding after
    {2, 6, 7, 1, 1, 2, 2, 2, 0},
    {2, 6, 7, 4, 5, 3, 3, 1, 0},
    {2, 8, 8, 4, 3, 3, 3, 2, 0},
    {1, 7, 5, 2, 6, 3, 3, 2, 0},
    {1, 8, 8, 5, 7, 4, 4, 1, 0},
    {2, 7, 6, 3, 2, 4, 4, 2, 0},
    {2, 8, 8, 3, 2, 5, 5, 1, 0},
    {2, 6, 6, 2, 2, 5, 5, 2, 0},
    {2, 7, 6, 2, 3, 1, 3, 1, 0},  // non-square kernels
    {2, 9, 8, 3, 4, 3, 2, 2, 0},
    {2, 2, 3, 3, 2, 5, 5, 1, 0},  // kernel wider than the image
    {1, 1, 1, 2, 3, 3, 3, 2, 0},
    {3, 40, 40, 2, 3, 3, 3, 1, 1}, // chunk 2 of 3 images
    {3, 40, 40, 2, 3, 1, 1, 1, 0},
    {5, 70, 70, 1, 2, 3, 3, 2, 1}, // 35x35 out: chunk 3 of 5
    {2, 70, 70, 1, 2, 4, 4, 1, 1}, // 70x70 out: one image a chunk
};

typedef struct conv_diffs {
    double y, dx, dw, db;
} conv_diffs;

static void conv_vs_naive(const prec *p, const conv_case *c, conv_diffs *worst)
{
    pz_conv_shape s;
    pz_conv_shape_init(&s, c->N, c->H, c->W, c->C, c->OC, c->KH, c->KW, c->stride);
    if (c->multi_chunk)
        CHECK(s.chunk < s.N);
    char shape[96];
    snprintf(shape, sizeof shape, "N=%d %dx%dx%d->%d k%dx%d s%d", c->N, c->H, c->W, c->C, c->OC,
             c->KH, c->KW, c->stride);
    size_t nx = (size_t)s.N * s.H * s.W * s.C, nw = (size_t)s.KH * s.KW * s.C * s.OC;
    size_t ny = (size_t)s.N * s.OH * s.OW * s.OC, nws = pz_conv_workspace(&s);

    double *xd = random_vec(nx), *wd = random_vec(nw), *bd = random_vec(s.OC);
    double *dyd = random_vec(ny), *zx = zeros(nx), *zw = zeros(nw), *zb = zeros(s.OC);
    void *x = make(p, xd, nx), *w = make(p, wd, nw), *b = make(p, bd, s.OC);
    void *dy = make(p, dyd, ny);
    // NaN everywhere an output or the workspace starts: every cell must be written
    void *y = make(p, NULL, ny), *yref = make(p, NULL, ny);
    void *ws = nws ? make(p, NULL, nws) : NULL;

    p->conv_fwd(y, x, w, b, &s, ws);
    p->conv_fwd_ref(yref, x, w, b, &s);
    worst->y = max2(worst->y, compare(p, "y", shape, y, yref, 1, ny));
    p->conv_fwd(y, x, w, NULL, &s, ws);
    p->conv_fwd_ref(yref, x, w, NULL, &s);
    worst->y = max2(worst->y, compare(p, "y (no bias)", shape, y, yref, 1, ny));

    void *dx = make(p, zx, nx), *dw = make(p, zw, nw), *db = make(p, zb, s.OC);
    void *dxr = make(p, zx, nx), *dwr = make(p, zw, nw), *dbr = make(p, zb, s.OC);
    p->conv_bwd(dx, dw, db, dy, x, w, &s, ws);
    p->conv_bwd_ref(dxr, dwr, dbr, dy, x, w, &s);
    worst->dx = max2(worst->dx, compare(p, "dx", shape, dx, dxr, 1, nx));
    worst->dw = max2(worst->dw, compare(p, "dw", shape, dw, dwr, 1, nw));
    worst->db = max2(worst->db, compare(p, "db", shape, db, dbr, 1, s.OC));
    // the same buffers again: backward accumulates, so every gradient doubles
    p->conv_bwd(dx, dw, db, dy, x, w, &s, ws);
    worst->dx = max2(worst->dx, compare(p, "dx (twice)", shape, dx, dxr, 2, nx));
    worst->dw = max2(worst->dw, compare(p, "dw (twice)", shape, dw, dwr, 2, nw));
    worst->db = max2(worst->db, compare(p, "db (twice)", shape, db, dbr, 2, s.OC));

    // no dx, no db (a first layer without bias): dw alone, from zero
    free(dw), free(dwr);
    dw = make(p, zw, nw), dwr = make(p, zw, nw);
    p->conv_bwd(NULL, dw, NULL, dy, x, w, &s, ws);
    p->conv_bwd_ref(NULL, dwr, NULL, dy, x, w, &s);
    worst->dw = max2(worst->dw, compare(p, "dw (no dx, db)", shape, dw, dwr, 1, nw));

    free(xd), free(wd), free(bd), free(dyd), free(zx), free(zw), free(zb);
    free(x), free(w), free(b), free(dy), free(y), free(yref), free(ws);
    free(dx), free(dw), free(db), free(dxr), free(dwr), free(dbr);
}

static void test_conv_vs_naive(const prec *p)
{
    conv_diffs worst = {0};
    size_t n = sizeof conv_cases / sizeof conv_cases[0];
    for (size_t i = 0; i < n; i++)
        conv_vs_naive(p, &conv_cases[i], &worst);
    printf("conv2d vs naive, %-6s: %zu shapes, max |diff| y %.2g dx %.2g dw %.2g db %.2g\n",
           p->name, n, worst.y, worst.dx, worst.dw, worst.db);
}
/* }===== */

/* The naive loops and the GEMM path share pz_conv_shape's padding, so pin
 * TensorFlow's "same" by hand: the extra row/column goes after. */
static void test_same_padding(void)
{
    pz_conv_shape s;
    // 2x2 kernel over [1 10; 100 1000]: padded below and to the right only
    const float x2[4] = {1, 10, 100, 1000}, w2[4] = {1, 2, 3, 4};
    float y2[4], ws2[2 * 4 * 4];
    pz_conv_shape_init(&s, 1, 2, 2, 1, 1, 2, 2, 1);
    CHECK_EQ(s.pad_top, 0);
    CHECK_EQ(s.pad_left, 0);
    CHECK_EQ(pz_conv_workspace(&s), sizeof ws2 / sizeof ws2[0]);
    pz_conv2d_forward(y2, x2, w2, NULL, &s, ws2);
    CHECK_NEAR(y2[0], 1 + 20 + 300 + 4000, 0);
    CHECK_NEAR(y2[1], 10 + 3000, 0);
    CHECK_NEAR(y2[2], 100 + 2000, 0);
    CHECK_NEAR(y2[3], 1000, 0);
    // 3x3 stride 2 over 4x4 ones: windows at rows/cols 0..2 and 2..4, 4 is padding
    float x4[16], w3[9], y4[4], ws4[2 * 4 * 9];
    for (int i = 0; i < 16; i++)
        x4[i] = 1;
    for (int i = 0; i < 9; i++)
        w3[i] = 1;
    pz_conv_shape_init(&s, 1, 4, 4, 1, 1, 3, 3, 2);
    CHECK_EQ(s.OH, 2);
    CHECK_EQ(s.pad_top, 0);
    CHECK_EQ(pz_conv_workspace(&s), sizeof ws4 / sizeof ws4[0]);
    pz_conv2d_forward(y4, x4, w3, NULL, &s, ws4);
    CHECK_NEAR(y4[0], 9, 0);
    CHECK_NEAR(y4[1], 6, 0);
    CHECK_NEAR(y4[2], 6, 0);
    CHECK_NEAR(y4[3], 4, 0);
    printf("conv2d same padding: ok\n");
}

/* {===== dense against the naive loops ===== */

static const int dense_cases[][3] = {{1, 1, 1}, {3, 5, 4}, {7, 13, 9}, {33, 70, 10}, {64, 3, 50}};

static void dense_vs_naive(const prec *p, int N, int I, int O, conv_diffs *worst)
{
    char shape[64];
    snprintf(shape, sizeof shape, "dense N=%d %d->%d", N, I, O);
    size_t nx = (size_t)N * I, nw = (size_t)I * O, ny = (size_t)N * O;
    double *xd = random_vec(nx), *wd = random_vec(nw), *bd = random_vec(O), *dyd = random_vec(ny);
    double *zx = zeros(nx), *zw = zeros(nw), *zb = zeros(O);
    void *x = make(p, xd, nx), *w = make(p, wd, nw), *b = make(p, bd, O), *dy = make(p, dyd, ny);
    void *y = make(p, NULL, ny), *yref = make(p, NULL, ny);

    p->dense_fwd(y, x, w, b, N, I, O);
    p->dense_fwd_ref(yref, x, w, b, N, I, O);
    worst->y = max2(worst->y, compare(p, "y", shape, y, yref, 1, ny));
    p->dense_fwd(y, x, w, NULL, N, I, O);
    p->dense_fwd_ref(yref, x, w, NULL, N, I, O);
    worst->y = max2(worst->y, compare(p, "y (no bias)", shape, y, yref, 1, ny));

    void *dx = make(p, zx, nx), *dw = make(p, zw, nw), *db = make(p, zb, O);
    void *dxr = make(p, zx, nx), *dwr = make(p, zw, nw), *dbr = make(p, zb, O);
    p->dense_bwd(dx, dw, db, dy, x, w, N, I, O);
    p->dense_bwd_ref(dxr, dwr, dbr, dy, x, w, N, I, O);
    worst->dx = max2(worst->dx, compare(p, "dx", shape, dx, dxr, 1, nx));
    worst->dw = max2(worst->dw, compare(p, "dw", shape, dw, dwr, 1, nw));
    worst->db = max2(worst->db, compare(p, "db", shape, db, dbr, 1, O));
    p->dense_bwd(dx, dw, db, dy, x, w, N, I, O);
    worst->dx = max2(worst->dx, compare(p, "dx (twice)", shape, dx, dxr, 2, nx));
    worst->dw = max2(worst->dw, compare(p, "dw (twice)", shape, dw, dwr, 2, nw));
    worst->db = max2(worst->db, compare(p, "db (twice)", shape, db, dbr, 2, O));

    free(dw), free(dwr);
    dw = make(p, zw, nw), dwr = make(p, zw, nw);
    p->dense_bwd(NULL, dw, NULL, dy, x, w, N, I, O);
    p->dense_bwd_ref(NULL, dwr, NULL, dy, x, w, N, I, O);
    worst->dw = max2(worst->dw, compare(p, "dw (no dx, db)", shape, dw, dwr, 1, nw));

    free(xd), free(wd), free(bd), free(dyd), free(zx), free(zw), free(zb);
    free(x), free(w), free(b), free(dy), free(y), free(yref);
    free(dx), free(dw), free(db), free(dxr), free(dwr), free(dbr);
}

static void test_dense_vs_naive(const prec *p)
{
    conv_diffs worst = {0};
    size_t n = sizeof dense_cases / sizeof dense_cases[0];
    for (size_t i = 0; i < n; i++)
        dense_vs_naive(p, dense_cases[i][0], dense_cases[i][1], dense_cases[i][2], &worst);
    printf("dense vs naive,  %-6s: %zu shapes, max |diff| y %.2g dx %.2g dw %.2g db %.2g\n",
           p->name, n, worst.y, worst.dx, worst.dw, worst.db);
}
/* }===== */

/* {===== finite differences (double) =====
 * L = sum(y * r) for a fixed random r, so dL/dy = r is what backward gets;
 * every element of every input and parameter is perturbed by +-h. L is
 * linear in each one, so the central difference is exact up to rounding
 * and the tolerance can be tight. */
#define FD_H 1e-5
#define FD_TOL 1e-6

typedef struct fd_problem {
    int is_conv;
    pz_conv_shape s;  // conv
    int N, I, O;      // dense
    double *x, *w, *b, *r, *y, *ws;
    size_t nx, nw, nb, ny;
} fd_problem;

static double fd_loss(const fd_problem *f)
{
    if (f->is_conv)
        pz_conv2d_forward_f64(f->y, f->x, f->w, f->b, &f->s, f->ws);
    else
        pz_dense_forward_f64(f->y, f->x, f->w, f->b, f->N, f->I, f->O);
    double L = 0;
    for (size_t i = 0; i < f->ny; i++)
        L += f->y[i] * f->r[i];
    return L;
}

// max relative error of the analytic grad (n) against differences in param
static double fd_compare(const fd_problem *f, const char *what, const char *shape, double *param,
                         const double *grad, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double v = param[i];
        param[i] = v + FD_H;
        double lp = fd_loss(f);
        param[i] = v - FD_H;
        double lm = fd_loss(f);
        param[i] = v;
        double fd = (lp - lm) / (2 * FD_H);
        double err = fabs(grad[i] - fd) / max2(1, fabs(grad[i]) + fabs(fd));
        if (!(err <= FD_TOL))
            fprintf(stderr, "fd %s: %s[%zu] analytic %.12g, difference %.12g\n", shape, what, i,
                    grad[i], fd);
        CHECK(err <= FD_TOL);
        worst = max2(worst, err);
    }
    return worst;
}

static double fd_check(fd_problem *f, const char *shape)
{
    f->x = random_vec(f->nx), f->w = random_vec(f->nw), f->b = random_vec(f->nb);
    f->r = random_vec(f->ny), f->y = zeros(f->ny);
    double *dx = zeros(f->nx), *dw = zeros(f->nw), *db = zeros(f->nb);
    if (f->is_conv)
        pz_conv2d_backward_f64(dx, dw, db, f->r, f->x, f->w, &f->s, f->ws);
    else
        pz_dense_backward_f64(dx, dw, db, f->r, f->x, f->w, f->N, f->I, f->O);
    double worst = fd_compare(f, "dx", shape, f->x, dx, f->nx);
    worst = max2(worst, fd_compare(f, "dw", shape, f->w, dw, f->nw));
    worst = max2(worst, fd_compare(f, "db", shape, f->b, db, f->nb));
    free(f->x), free(f->w), free(f->b), free(f->r), free(f->y);
    free(dx), free(dw), free(db);
    return worst;
}

static const conv_case fd_conv_cases[] = {
    {2, 4, 4, 3, 2, 1, 1, 1, 0}, {1, 5, 4, 2, 2, 1, 1, 2, 0}, {2, 5, 5, 2, 3, 2, 2, 1, 0},
    {1, 6, 5, 2, 2, 2, 2, 2, 0}, {2, 5, 6, 2, 3, 3, 3, 1, 0}, {2, 7, 6, 2, 2, 3, 3, 2, 0},
    {1, 6, 6, 2, 2, 4, 4, 1, 0}, {1, 7, 7, 2, 2, 4, 4, 2, 0}, {1, 5, 5, 1, 2, 5, 5, 1, 0},
    {1, 6, 5, 2, 2, 1, 3, 1, 0},
};

static void test_conv_fd(void)
{
    double worst = 0;
    size_t n = sizeof fd_conv_cases / sizeof fd_conv_cases[0];
    for (size_t i = 0; i < n; i++) {
        const conv_case *c = &fd_conv_cases[i];
        fd_problem f = {.is_conv = 1};
        pz_conv_shape_init(&f.s, c->N, c->H, c->W, c->C, c->OC, c->KH, c->KW, c->stride);
        f.nx = (size_t)c->N * c->H * c->W * c->C, f.nw = (size_t)c->KH * c->KW * c->C * c->OC;
        f.nb = c->OC, f.ny = (size_t)c->N * f.s.OH * f.s.OW * c->OC;
        size_t nws = pz_conv_workspace(&f.s);
        f.ws = nws ? zeros(nws) : NULL;
        char shape[96];
        snprintf(shape, sizeof shape, "conv N=%d %dx%dx%d->%d k%dx%d s%d", c->N, c->H, c->W,
                 c->C, c->OC, c->KH, c->KW, c->stride);
        worst = max2(worst, fd_check(&f, shape));
        free(f.ws);
    }
    printf("conv2d finite differences, double: %zu shapes, max rel err %.2g\n", n, worst);
}

static void test_dense_fd(void)
{
    static const int cases[][3] = {{1, 1, 1}, {3, 5, 4}, {2, 7, 3}};
    double worst = 0;
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        fd_problem f = {.N = cases[i][0], .I = cases[i][1], .O = cases[i][2]};
        f.nx = (size_t)f.N * f.I, f.nw = (size_t)f.I * f.O, f.nb = f.O, f.ny = (size_t)f.N * f.O;
        char shape[64];
        snprintf(shape, sizeof shape, "dense N=%d %d->%d", f.N, f.I, f.O);
        worst = max2(worst, fd_check(&f, shape));
    }
    printf("dense finite differences, double:  %zu shapes, max rel err %.2g\n", n, worst);
}
/* }===== */

int main(void)
{
    test_same_padding();
    test_conv_vs_naive(&prec_float);
    test_conv_vs_naive(&prec_double);
    test_dense_vs_naive(&prec_float);
    test_dense_vs_naive(&prec_double);
    test_conv_fd();
    test_dense_fd();
    printf("test_conv: ok\n");
    return 0;
}
