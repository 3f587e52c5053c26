/* parzen tests: prior sampling, label activity and space_eval (core/sample.c).
 *
 * The samplers are checked with real statistics on fixed seeds: one-sample
 * Kolmogorov-Smirnov against the exact CDF for the continuous families, and
 * chi-square against bucket masses computed from that CDF for the q-forms,
 * the integer kinds and the choices. A negative control shows that the KS
 * code does reject a wrong distribution.
 */
#include <math.h>
#include <stdarg.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "check.h"
#include "sample.h"

#define N 20000     /* draws per distribution */
#define P_MIN 0.001 /* a sound sampler fails a test this often by chance */

static pz_error err;

/* {===== building spaces ===== */

static pz_node *dist(pz_node_kind kind, const char *label, size_t nargs, double a, double b,
                     double c)
{
    const double args[3] = {a, b, c};
    pz_node *n;
    if (pz_node_dist(&n, kind, label, args, nargs, &err) != PZ_OK) {
        fprintf(stderr, "%s '%s': %s\n", pz_node_kind_name(kind), label, err.msg);
        abort();
    }
    return n;
}

static pz_node *konst(pz_value *v)
{
    pz_node *n;
    CHECK_OK(pz_node_const(&n, v, &err));
    return n;
}

/* choice(label, n, option...) */
static pz_node *choice(const char *label, size_t n, ...)
{
    pz_node *opts[16], *c;
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        opts[i] = va_arg(ap, pz_node *);
    va_end(ap);
    CHECK_OK(pz_node_choice(&c, label, opts, n, &err));
    return c;
}

/* pchoice(label, probs, n, option...) */
static pz_node *pchoice(const char *label, const double *probs, size_t n, ...)
{
    pz_node *opts[16], *c;
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        opts[i] = va_arg(ap, pz_node *);
    va_end(ap);
    CHECK_OK(pz_node_pchoice(&c, label, probs, opts, n, &err));
    return c;
}

/* map(n, key, node, key, node, ...) */
static pz_node *map(size_t n, ...)
{
    const char *keys[16];
    pz_node *vals[16], *m;
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        keys[i] = va_arg(ap, const char *);
        vals[i] = va_arg(ap, pz_node *);
    }
    va_end(ap);
    CHECK_OK(pz_node_map(&m, keys, vals, n, &err));
    return m;
}

static pz_node *list(size_t n, ...)
{
    pz_node *items[16], *l;
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        items[i] = va_arg(ap, pz_node *);
    va_end(ap);
    CHECK_OK(pz_node_list(&l, items, n, &err));
    return l;
}

static pz_space *space_of(pz_node *root)
{
    pz_space *s;
    CHECK_OK(pz_space_new(&s, root, &err));
    return s;
}

/* The same helpers for value trees: vmap(n, key, value, ...). */
static pz_value *vmap(size_t n, ...)
{
    pz_value *m = pz_value_map();
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++) {
        const char *key = va_arg(ap, const char *);
        CHECK_OK(pz_map_set(m, key, va_arg(ap, pz_value *)));
    }
    va_end(ap);
    return m;
}

static pz_value *vlist(size_t n, ...)
{
    pz_value *l = pz_value_list();
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        CHECK_OK(pz_list_push(l, va_arg(ap, pz_value *)));
    va_end(ap);
    return l;
}

/* JSON text of v in a static buffer, for messages and exact comparisons. */
static const char *json(const pz_value *v)
{
    static char text[1024];
    pz_buf b;
    pz_buf_init(&b);
    CHECK_OK(pz_value_to_json(v, &b));
    snprintf(text, sizeof text, "%s", b.data);
    pz_buf_destroy(&b);
    return text;
}
/* }===== */

/* {===== statistics ===== */

typedef double (*cdf_fn)(double x, const double *p);

static double cdf_flat(double x, const double *p) { return gsl_cdf_flat_P(x, p[0], p[1]); }
static double cdf_gauss(double x, const double *p) { return gsl_cdf_gaussian_P(x - p[0], p[1]); }

static double cdf_logflat(double x, const double *p)
{
    if (x <= 0)
        return 0;
    double u = (log(x) - p[0]) / (p[1] - p[0]);
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

static double cdf_lognormal(double x, const double *p)
{
    return x <= 0 ? 0 : gsl_cdf_lognormal_P(x, p[0], p[1]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Kolmogorov's limiting survival function Q(l) = 2 sum (-1)^(k-1)
 * exp(-2 k^2 l^2). Below l = 0.1 the sum is 1 to double precision. */
static double kolmogorov_q(double l)
{
    if (l < 0.1)
        return 1;
    double sum = 0, sign = 1;
    for (int k = 1; k <= 200; k++) {
        double term = exp(-2.0 * k * k * l * l);
        sum += sign * term;
        sign = -sign;
        if (term < 1e-18)
            break;
    }
    sum *= 2;
    return sum < 0 ? 0 : sum > 1 ? 1 : sum;
}

/* One-sample KS test of x[0..n) (sorted in place) against F; returns the
 * p-value with Stephens' small-sample correction of the statistic. */
static double ks_test(const char *name, double *x, size_t n, cdf_fn F, const double *p)
{
    qsort(x, n, sizeof *x, cmp_double);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double f = F(x[i], p);
        double lo = f - (double)i / (double)n, hi = (double)(i + 1) / (double)n - f;
        if (lo > d)
            d = lo;
        if (hi > d)
            d = hi;
    }
    double rn = sqrt((double)n);
    double pv = kolmogorov_q((rn + 0.12 + 0.11 / rn) * d);
    printf("  KS  %-34s n=%zu D=%.5f p=%.4g\n", name, n, d, pv);
    return pv;
}

/* Chi-square goodness of fit of counts obs[] to probabilities prob[] over
 * nb bins that together cover every outcome. Neighbouring bins are merged
 * left to right until each expects at least 5; a short remainder joins the
 * last bin. Returns the p-value. */
static double chisq_test(const char *name, const double *prob, const long *obs, size_t nb, long n)
{
    double total = 0, chi2 = 0, acc_e = 0, last_e = 0;
    long acc_o = 0, last_o = 0, seen = 0;
    size_t bins = 0;
    for (size_t i = 0; i < nb; i++) {
        total += prob[i];
        seen += obs[i];
        /* an outcome the model calls impossible must not occur at all */
        if (prob[i] == 0)
            CHECK_EQ(obs[i], 0);
    }
    CHECK_NEAR(total, 1.0, 1e-9);
    CHECK_EQ(seen, n);
    for (size_t i = 0; i < nb; i++) {
        acc_e += prob[i] * (double)n;
        acc_o += obs[i];
        if (acc_e >= 5) {
            if (bins)
                chi2 += ((double)last_o - last_e) * ((double)last_o - last_e) / last_e;
            last_e = acc_e, last_o = acc_o, bins++;
            acc_e = 0, acc_o = 0;
        }
    }
    last_e += acc_e, last_o += acc_o;
    chi2 += ((double)last_o - last_e) * ((double)last_o - last_e) / last_e;
    CHECK_GE((double)bins, 2);
    double df = (double)bins - 1, pv = gsl_cdf_chisq_Q(chi2, df);
    printf("  chi %-34s bins=%zu chi2=%.2f df=%.0f p=%.4g\n", name, bins, chi2, df, pv);
    return pv;
}
/* }===== */

/* n prior draws of the single hyperparameter of s through pz_space_sample,
 * as doubles (ints convert exactly: they stay within 2^53). vals must hold
 * exactly that label, with a value of type want. */
static double *draw(pz_node *node, pz_type want, uint64_t seed, size_t n)
{
    pz_space *s = space_of(node);
    gsl_rng *r = pz_rng_new(seed, 0);
    double *x = malloc(n * sizeof *x);
    CHECK(r && x);
    const char *label = pz_space_label(s, 0)->label;
    for (size_t i = 0; i < n; i++) {
        pz_value *vals;
        CHECK_OK(pz_space_sample(s, r, &vals, &err));
        CHECK_EQ(pz_value_len(vals), 1);
        const pz_value *v = pz_map_get(vals, label);
        CHECK(v && v->type == want);
        x[i] = want == PZ_INT ? (double)v->u.i : v->u.d;
        pz_value_free(vals);
    }
    gsl_rng_free(r);
    pz_space_free(s);
    return x;
}

static void test_continuous(void)
{
    static const struct {
        const char *name;
        pz_node_kind kind;
        double a, b;
        cdf_fn F;
    } fam[] = {
        {"uniform(-2, 3)", PZ_NODE_UNIFORM, -2, 3, cdf_flat},
        {"loguniform(-3, 2)", PZ_NODE_LOGUNIFORM, -3, 2, cdf_logflat},
        {"normal(1.5, 2)", PZ_NODE_NORMAL, 1.5, 2, cdf_gauss},
        {"lognormal(0.5, 0.75)", PZ_NODE_LOGNORMAL, 0.5, 0.75, cdf_lognormal},
    };
    for (size_t f = 0; f < sizeof fam / sizeof fam[0]; f++) {
        double *x = draw(dist(fam[f].kind, "h", 2, fam[f].a, fam[f].b, 0), PZ_DOUBLE, 100 + f, N);
        const double p[2] = {fam[f].a, fam[f].b};
        if (fam[f].kind == PZ_NODE_UNIFORM || fam[f].kind == PZ_NODE_LOGUNIFORM)
            for (size_t i = 0; i < N; i++) {
                double lo = fam[f].a, hi = fam[f].b;
                if (fam[f].kind == PZ_NODE_LOGUNIFORM)
                    lo = exp(lo), hi = exp(hi);
                CHECK(x[i] >= lo && x[i] <= hi);
            }
        CHECK_GT(ks_test(fam[f].name, x, N, fam[f].F, p), P_MIN);
        free(x);
    }

    /* Negative control: the same code must reject uniform(0, 1) draws
     * judged against uniform(0, 1.05), a 5% stretch. */
    double *x = draw(dist(PZ_NODE_UNIFORM, "h", 2, 0, 1, 0), PZ_DOUBLE, 199, N);
    const double wrong[2] = {0, 1.05};
    CHECK_LT(ks_test("uniform(0,1) vs U(0,1.05) [control]", x, N, cdf_flat, wrong), 1e-6);
    free(x);
}

/* Draws of a q-form (or uniformint, q = 1) are fixed points of the
 * quantiser, and bucket k (the value k*q) has the mass of
 * [(k-0.5)q, (k+0.5)q] under the unquantised CDF F, so end buckets of a
 * bounded support get only what lies inside it. Buckets outside
 * [kmin, kmax] are pooled into two tails. */
static void check_quantized(const char *name, pz_node *node, cdf_fn F, const double *p,
                            int64_t kmin, int64_t kmax, uint64_t seed)
{
    double q = node->q;
    int is_int = node->kind == PZ_NODE_UNIFORMINT;
    int mant_exp;
    int dyadic = frexp(q, &mant_exp) == 0.5; /* a power of two: k*q is exact */
    size_t nb = (size_t)(kmax - kmin + 1) + 2;
    double *prob = calloc(nb, sizeof *prob);
    long *obs = calloc(nb, sizeof *obs);
    CHECK(prob && obs);
    prob[0] = F(((double)kmin - 0.5) * q, p);
    for (int64_t k = kmin; k <= kmax; k++)
        prob[k - kmin + 1] = F(((double)k + 0.5) * q, p) - F(((double)k - 0.5) * q, p);
    prob[nb - 1] = 1 - F(((double)kmax + 0.5) * q, p);

    double *x = draw(node, is_int ? PZ_INT : PZ_DOUBLE, seed, N);
    for (size_t i = 0; i < N; i++) {
        double k = nearbyint(x[i] / q);
        CHECK(k * q == x[i]);
        if (dyadic)
            CHECK(fmod(x[i], q) == 0 && x[i] / q == k);
        size_t bin = k < (double)kmin ? 0 : k > (double)kmax ? nb - 1 : (size_t)(k - (double)kmin) + 1;
        obs[bin]++;
    }
    CHECK_GT(chisq_test(name, prob, obs, nb, N), P_MIN);
    free(x);
    free(prob);
    free(obs);
}

static void test_quantized(void)
{
    /* quniform(0.501, 4.499, 1): values 1..4, the end ones a hair lighter */
    {
        const double p[2] = {0.501, 4.499};
        CHECK_NEAR(cdf_flat(1.5, p) - cdf_flat(0.5, p), 0.999 / 3.998, 1e-12);
        check_quantized("quniform(0.501, 4.499, 1)",
                        dist(PZ_NODE_QUNIFORM, "h", 3, 0.501, 4.499, 1), cdf_flat, p, 0, 5, 200);
    }
    {
        const double p[2] = {-3, 7};
        check_quantized("quniform(-3, 7, 0.5)", dist(PZ_NODE_QUNIFORM, "h", 3, -3, 7, 0.5),
                        cdf_flat, p, -7, 15, 201);
    }
    {
        /* q = 0.1 is not a power of two: only the fixed-point property holds */
        const double p[2] = {0, 1};
        check_quantized("quniform(0, 1, 0.1)", dist(PZ_NODE_QUNIFORM, "h", 3, 0, 1, 0.1),
                        cdf_flat, p, 0, 10, 202);
    }
    {
        const double p[2] = {0, log(100)};
        check_quantized("qloguniform(0, log 100, 4)",
                        dist(PZ_NODE_QLOGUNIFORM, "h", 3, 0, log(100), 4), cdf_logflat, p, 0, 26,
                        203);
    }
    {
        const double p[2] = {2, 3};
        check_quantized("qnormal(2, 3, 0.5)", dist(PZ_NODE_QNORMAL, "h", 3, 2, 3, 0.5), cdf_gauss,
                        p, -20, 28, 204);
    }
    {
        const double p[2] = {0.5, 0.8};
        check_quantized("qlognormal(0.5, 0.8, 0.25)",
                        dist(PZ_NODE_QLOGNORMAL, "h", 3, 0.5, 0.8, 0.25), cdf_lognormal, p, 0, 60,
                        205);
    }
    {
        /* int(quniform(-3, 5, 1)): -3 and 5 get half the mass of the rest */
        const double p[2] = {-3, 5};
        check_quantized("uniformint(-3, 5)", dist(PZ_NODE_UNIFORMINT, "h", 2, -3, 5, 0), cdf_flat,
                        p, -4, 6, 206);
    }
}

/* Counts of integer draws in [low, low + nb) against prob[]. */
static void check_ints(const char *name, pz_node *node, int64_t low, const double *prob, size_t nb,
                       uint64_t seed)
{
    long obs[64] = {0};
    double *x = draw(node, PZ_INT, seed, N);
    for (size_t i = 0; i < N; i++) {
        CHECK(x[i] >= (double)low && x[i] < (double)low + (double)nb);
        obs[(size_t)(x[i] - (double)low)]++;
    }
    CHECK_GT(chisq_test(name, prob, obs, nb, N), P_MIN);
    free(x);
}

static void test_discrete(void)
{
    double flat[8];
    for (size_t i = 0; i < 8; i++)
        flat[i] = 1.0 / 5;
    check_ints("choice(5 options)",
               choice("h", 5, konst(pz_value_int(10)), konst(pz_value_str("b")),
                      konst(pz_value_none()), konst(pz_value_double(0.5)),
                      konst(pz_value_bool(1))),
               0, flat, 5, 300);

    const double pp[3] = {0.1, 0.2, 0.7};
    check_ints("pchoice(0.1, 0.2, 0.7)",
               pchoice("h", pp, 3, konst(pz_value_int(1)), konst(pz_value_int(2)),
                       konst(pz_value_int(3))),
               0, pp, 3, 301);

    /* a zero-probability option is never drawn (chisq_test checks it) */
    const double pz[4] = {0.5, 0, 0.5, 0};
    check_ints("pchoice(0.5, 0, 0.5, 0)",
               pchoice("h", pz, 4, konst(pz_value_int(1)), konst(pz_value_int(2)),
                       konst(pz_value_int(3)), konst(pz_value_int(4))),
               0, pz, 4, 302);

    for (size_t i = 0; i < 8; i++)
        flat[i] = 1.0 / 7;
    check_ints("randint(7)", dist(PZ_NODE_RANDINT, "h", 1, 7, 0, 0), 0, flat, 7, 303);
    for (size_t i = 0; i < 8; i++)
        flat[i] = 1.0 / 8;
    check_ints("randint(-5, 3)", dist(PZ_NODE_RANDINT, "h", 2, -5, 3, 0), -5, flat, 8, 304);

    /* Ranges wider than one 32-bit MT output take the two-draw path: the
     * top and bottom three bits must each be uniform. */
    static const struct { const char *name; double low, high; int shift; } wide[] = {
        {"randint(0, 2^40)", 0, 0x1p40, 37},
        {"randint(-2^53, 2^53)", -0x1p53, 0x1p53, 51},
    };
    for (size_t w = 0; w < 2; w++) {
        double *x = draw(dist(PZ_NODE_RANDINT, "h", 2, wide[w].low, wide[w].high, 0), PZ_INT,
                         305 + w, N);
        long top[8] = {0}, bottom[8] = {0};
        for (size_t i = 0; i < N; i++) {
            CHECK(x[i] >= wide[w].low && x[i] < wide[w].high);
            uint64_t off = (uint64_t)((int64_t)x[i] - (int64_t)wide[w].low);
            top[off >> wide[w].shift]++;
            bottom[off & 7]++;
        }
        char name[64];
        snprintf(name, sizeof name, "%s top bits", wide[w].name);
        CHECK_GT(chisq_test(name, flat, top, 8, N), P_MIN);
        snprintf(name, sizeof name, "%s low bits", wide[w].name);
        CHECK_GT(chisq_test(name, flat, bottom, 8, N), P_MIN);
        free(x);
    }

    /* the index draw is also reachable through pz_node_sample */
    gsl_rng *r = pz_rng_new(1, 1);
    pz_node *c = choice("c", 2, konst(pz_value_int(1)), konst(pz_value_int(2)));
    pz_value *v = pz_node_sample(c, r);
    CHECK(v && v->type == PZ_INT && v->u.i >= 0 && v->u.i < 2);
    pz_value_free(v);
    CHECK(pz_node_sample(c->kids[0], r) == NULL); /* a constant is no hyperparameter */
    pz_node_free(c);
    gsl_rng_free(r);
}

/* {a = choice("a", {none, choice("b", {3, 4}),
 *                   {x = uniform("x", 0, 1), c = pchoice("c", {.25, .75}, {"p", "q"})}})} */
static pz_space *nested_space(void)
{
    const double pc[2] = {0.25, 0.75};
    return space_of(map(
        1, "a",
        choice("a", 3, konst(pz_value_none()),
               choice("b", 2, konst(pz_value_int(3)), konst(pz_value_int(4))),
               map(2, "x", dist(PZ_NODE_UNIFORM, "x", 2, 0, 1, 0), "c",
                   pchoice("c", pc, 2, konst(pz_value_str("p")), konst(pz_value_str("q")))))));
}

static void test_nested(void)
{
    pz_space *s = nested_space();
    static const char *const labels[4] = {"a", "b", "x", "c"};
    CHECK_EQ(pz_space_nlabels(s), 4);
    for (size_t i = 0; i < 4; i++)
        CHECK_STR(pz_space_label(s, i)->label, labels[i]);

    /* the joint outcomes and the label sets (in label order) they activate */
    static const char *const keys[5] = {"a", "a b", "a b", "a x c", "a x c"};
    const double prob[5] = {1.0 / 3, 1.0 / 6, 1.0 / 6, 1.0 / 12, 1.0 / 4};
    long obs[5] = {0};
    double *xs = malloc(N * sizeof *xs);
    size_t nx = 0;
    gsl_rng *r = pz_rng_new(400, 0);
    for (size_t i = 0; i < N; i++) {
        pz_value *vals, *params;
        CHECK_OK(pz_space_sample(s, r, &vals, &err));
        int64_t a = pz_map_get(vals, "a")->u.i;
        size_t cat = a == 0 ? 0 : a == 1 ? 1 + (size_t)pz_map_get(vals, "b")->u.i
                                         : 3 + (size_t)pz_map_get(vals, "c")->u.i;
        obs[cat]++;
        char got[32] = "";
        for (size_t k = 0; k < vals->u.map.len; k++) {
            if (k)
                strcat(got, " ");
            strcat(got, vals->u.map.keys[k]);
        }
        CHECK_STR(got, keys[cat]);

        unsigned char active[4];
        CHECK_OK(pz_space_active(s, vals, active, &err));
        for (size_t k = 0; k < 4; k++)
            CHECK_EQ(active[k], pz_map_get(vals, labels[k]) != NULL);

        CHECK_OK(pz_space_eval(s, vals, &params, &err));
        const pz_value *pa = pz_map_get(params, "a");
        if (cat == 0) {
            CHECK_EQ(pa->type, PZ_NONE);
        } else if (cat <= 2) {
            CHECK(pa->type == PZ_INT && pa->u.i == (int64_t)cat + 2);
        } else {
            double x = pz_map_get(vals, "x")->u.d;
            CHECK(pz_map_get(pa, "x")->u.d == x);
            CHECK_STR(pz_map_get(pa, "c")->u.s.ptr, cat == 3 ? "p" : "q");
            xs[nx++] = x;
        }
        pz_value_free(vals);
        pz_value_free(params);
    }
    gsl_rng_free(r);
    CHECK_GT(chisq_test("nested joint (a; b | a=1; c | a=2)", prob, obs, 5, N), P_MIN);
    /* x, drawn only under a = 2, is still uniform(0, 1) */
    const double p01[2] = {0, 1};
    CHECK_GT(ks_test("nested x | a=2", xs, nx, cdf_flat, p01), P_MIN);
    free(xs);
    pz_space_free(s);
}

/* eval of vals must give exactly want (ownership of vals and want taken) */
static void eval_is(const pz_space *s, pz_value *vals, pz_value *want, const char *want_json)
{
    pz_value *params = (pz_value *)&err;
    CHECK_OK(pz_space_eval(s, vals, &params, &err));
    if (!pz_value_equal(params, want))
        fprintf(stderr, "got %s\n", json(params));
    CHECK(pz_value_equal(params, want));
    CHECK_STR(json(params), want_json);
    printf("  eval %s", json(vals));
    printf(" -> %s\n", json(params));
    pz_value_free(params);
    pz_value_free(vals);
    pz_value_free(want);
}

static void eval_fails(const pz_space *s, pz_value *vals, int code, const char *text)
{
    pz_value *params = (pz_value *)&err;
    pz_error_clear(&err);
    CHECK_EQ(pz_space_eval(s, vals, &params, &err), code);
    CHECK(params == NULL);
    CHECK_EQ(err.code, code);
    CHECK_CONTAINS(err.msg, text);
    pz_value_free(vals);
}

static void test_eval(void)
{
    pz_space *s = nested_space();
    eval_is(s, vmap(1, "a", pz_value_int(0)), vmap(1, "a", pz_value_none()), "{\"a\":null}");
    eval_is(s, vmap(2, "a", pz_value_int(1), "b", pz_value_int(1)), vmap(1, "a", pz_value_int(4)),
            "{\"a\":4}");
    eval_is(s, vmap(3, "a", pz_value_int(2), "x", pz_value_double(0.25), "c", pz_value_int(1)),
            vmap(1, "a", vmap(2, "x", pz_value_double(0.25), "c", pz_value_str("q"))),
            "{\"a\":{\"x\":0.25,\"c\":\"q\"}}");
    /* an int for a continuous label becomes a double; values outside
     * [low, high] pass (TPE's quantised proposals may land there) */
    eval_is(s, vmap(3, "c", pz_value_int(0), "x", pz_value_int(7), "a", pz_value_int(2)),
            vmap(1, "a", vmap(2, "x", pz_value_double(7), "c", pz_value_str("p"))),
            "{\"a\":{\"x\":7.0,\"c\":\"p\"}}");
    /* inactive labels are ignored whatever they hold */
    eval_is(s, vmap(3, "a", pz_value_int(0), "x", pz_value_str("junk"), "b", pz_value_int(99)),
            vmap(1, "a", pz_value_none()), "{\"a\":null}");

    eval_fails(s, vmap(2, "a", pz_value_int(2), "c", pz_value_int(0)), PZ_ENOENT,
               "vals has no value for active label 'x'");
    eval_fails(s, vmap(1, "a", pz_value_int(1)), PZ_ENOENT, "active label 'b'");
    eval_fails(s, vmap(0), PZ_ENOENT, "active label 'a'");
    eval_fails(s, vmap(1, "a", pz_value_int(3)), PZ_ERANGE, "label 'a'");
    eval_fails(s, vmap(1, "a", pz_value_int(-1)), PZ_ERANGE, "label 'a'");
    eval_fails(s, vmap(1, "a", pz_value_double(1)), PZ_ETYPE, "label 'a' (choice) needs an int");
    eval_fails(s, vmap(3, "a", pz_value_int(2), "x", pz_value_str("0.5"), "c", pz_value_int(0)),
               PZ_ETYPE, "label 'x' (uniform) needs a number, got string");
    eval_fails(s, vmap(3, "a", pz_value_int(2), "x", pz_value_double(NAN), "c", pz_value_int(0)),
               PZ_ERANGE, "label 'x' (uniform) needs a finite number");
    eval_fails(s, vmap(3, "a", pz_value_int(2), "x", pz_value_double(0.5), "c", pz_value_int(2)),
               PZ_ERANGE, "label 'c' (pchoice)");
    eval_fails(s, vlist(0), PZ_ETYPE, "vals must be a map");

    unsigned char active[4];
    pz_value *vals = vmap(2, "a", pz_value_int(2), "c", pz_value_int(1));
    CHECK_OK(pz_space_active(s, vals, active, &err)); /* only choices are needed */
    CHECK(active[0] && !active[1] && active[2] && active[3]);
    pz_value_free(vals);
    vals = vmap(1, "a", pz_value_int(1));
    CHECK_EQ(pz_space_active(s, vals, active, &err), PZ_ENOENT);
    CHECK_CONTAINS(err.msg, "'b'");
    pz_value_free(vals);
    pz_space_free(s);

    /* integer kinds: int only, randint's high open, uniformint's closed */
    s = space_of(map(3, "r", dist(PZ_NODE_RANDINT, "r", 2, -2, 3, 0), "u",
                     dist(PZ_NODE_UNIFORMINT, "u", 2, 1, 4, 0), "k",
                     list(2, konst(pz_value_str("s")), konst(pz_value_bool(0)))));
    eval_is(s, vmap(2, "r", pz_value_int(-2), "u", pz_value_int(4)),
            vmap(3, "r", pz_value_int(-2), "u", pz_value_int(4), "k",
                 vlist(2, pz_value_str("s"), pz_value_bool(0))),
            "{\"r\":-2,\"u\":4,\"k\":[\"s\",false]}");
    eval_fails(s, vmap(2, "r", pz_value_int(3), "u", pz_value_int(1)), PZ_ERANGE,
               "label 'r' (randint) has 3, outside [-2, 3)");
    eval_fails(s, vmap(2, "r", pz_value_int(0), "u", pz_value_int(5)), PZ_ERANGE,
               "label 'u' (uniformint) has 5, outside [1, 4]");
    eval_fails(s, vmap(2, "r", pz_value_int(0), "u", pz_value_int(0)), PZ_ERANGE, "label 'u'");
    eval_fails(s, vmap(2, "r", pz_value_double(1), "u", pz_value_int(1)), PZ_ETYPE,
               "label 'r' (randint) needs an int, got double");
    pz_space_free(s);
}

/* One node at three places: one label, one draw, one value everywhere. */
static void test_shared(void)
{
    pz_node *lr = dist(PZ_NODE_LOGUNIFORM, "lr", 2, -5, 0, 0);
    pz_space *s = space_of(map(2, "p", lr, "q",
                               list(2, pz_node_ref(lr),
                                    choice("c", 2, pz_node_ref(lr), konst(pz_value_none())))));
    CHECK_EQ(pz_space_nlabels(s), 2);
    gsl_rng *r = pz_rng_new(500, 0), *twin = pz_rng_new(500, 0);
    for (int i = 0; i < 200; i++) {
        pz_value *vals, *params;
        CHECK_OK(pz_space_sample(s, r, &vals, &err));
        CHECK_EQ(pz_value_len(vals), 2);
        CHECK_STR(vals->u.map.keys[0], "lr");
        CHECK_STR(vals->u.map.keys[1], "c");
        /* exactly two draws were made: lr, then c's index */
        double lr_twin = exp(gsl_ran_flat(twin, -5, 0));
        CHECK(pz_map_get(vals, "lr")->u.d == lr_twin);
        CHECK_EQ(pz_map_get(vals, "c")->u.i, (int64_t)gsl_rng_uniform_int(twin, 2));
        CHECK_OK(pz_space_eval(s, vals, &params, &err));
        const pz_value *q = pz_map_get(params, "q");
        CHECK(pz_value_equal(pz_map_get(params, "p"), pz_map_get(vals, "lr")));
        CHECK(pz_value_equal(q->u.list.items[0], pz_map_get(vals, "lr")));
        if (pz_map_get(vals, "c")->u.i == 0)
            CHECK(pz_value_equal(q->u.list.items[1], pz_map_get(vals, "lr")));
        else
            CHECK_EQ(q->u.list.items[1]->type, PZ_NONE);
        pz_value_free(vals);
        pz_value_free(params);
    }
    gsl_rng_free(r);
    gsl_rng_free(twin);
    pz_space_free(s);
}

/* How many of 100 successive vals agree between streams (s1, t1), (s2, t2). */
static int same_vals(const pz_space *s, uint64_t s1, uint64_t t1, uint64_t s2, uint64_t t2)
{
    gsl_rng *r1 = pz_rng_new(s1, t1), *r2 = pz_rng_new(s2, t2);
    int same = 0;
    for (int i = 0; i < 100; i++) {
        pz_value *v1, *v2;
        CHECK_OK(pz_space_sample(s, r1, &v1, &err));
        CHECK_OK(pz_space_sample(s, r2, &v2, &err));
        same += pz_value_equal(v1, v2);
        pz_value_free(v1);
        pz_value_free(v2);
    }
    gsl_rng_free(r1);
    gsl_rng_free(r2);
    return same;
}

static void test_determinism(void)
{
    pz_space *s = nested_space();
    CHECK_EQ(same_vals(s, 7, 3, 7, 3), 100);
    pz_space_free(s);
    /* a space where every draw is continuous cannot agree by chance */
    s = space_of(map(2, "u", dist(PZ_NODE_UNIFORM, "u", 2, 0, 1, 0), "n",
                     dist(PZ_NODE_NORMAL, "n", 2, 0, 1, 0)));
    CHECK_EQ(same_vals(s, 7, 3, 7, 3), 100);
    CHECK_EQ(same_vals(s, 7, 3, 7, 4), 0);
    CHECK_EQ(same_vals(s, 7, 3, 8, 3), 0);
    CHECK_EQ(same_vals(s, 3, 7, 7, 3), 0);
    CHECK_EQ(same_vals(s, 0, 0, 0, 1), 0);
    pz_space_free(s);
}

int main(void)
{
    test_continuous();
    test_quantized();
    test_discrete();
    test_nested();
    test_eval();
    test_shared();
    test_determinism();
    printf("test_sample: ok\n");
    return 0;
}
