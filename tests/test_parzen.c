/* parzen tests: TPE's adaptive Parzen estimators (tpe/parzen.c).
 *
 * Construction is checked against small cases computed by hand (the
 * arithmetic is in the comments); every family's fitted density is
 * integrated (GSL quadrature) or summed over its buckets / categories and
 * must give 1 within 1e-6; the pruned evaluation is compared with a naive
 * sum over all components; and the sampler is checked against the density
 * with a chi-square test on fixed seeds.
 */
#include <math.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>

#include "check.h"
#include "sample.h"
#include "tpe.h"

static pz_error err;
static pz_arena arena;

static pz_node *dist(pz_node_kind kind, size_t nargs, double a, double b, double c)
{
    const double args[3] = {a, b, c};
    pz_node *n;
    if (pz_node_dist(&n, kind, "x", args, nargs, &err) != PZ_OK) {
        fprintf(stderr, "%s: %s\n", pz_node_kind_name(kind), err.msg);
        abort();
    }
    return n;
}

static pz_parzen fit(const pz_node *node, const double *obs, size_t n, double pw, size_t lf)
{
    pz_parzen_prior pr;
    CHECK_OK(pz_parzen_prior_of(node, &pr));
    pz_parzen p;
    CHECK_OK(pz_parzen_fit_values(&p, &arena, &pr, obs, n, pw, lf));
    return p;
}

/* {===== construction by hand ===== */

static void test_construction(void)
{
    /* uniform(0, 10): prior mu 5, sigma 10. Observations 2, 8, 6 sort to
     * 2, 6, 8; the prior goes before 6: mus 2, 5, 6, 8. Raw widths (larger
     * gap to a neighbour; the ends take their one gap): 3, max(3,1)=3,
     * max(1,2)=2, 2. m = 4 components: clip to [10/min(100, 5), 10] =
     * [2, 10], then the prior's is 10: 3, 10, 2, 2. Weights 1 each → 1/4. */
    pz_node *u = dist(PZ_NODE_UNIFORM, 2, 0, 10, 0);
    const double o1[] = {2, 8, 6};
    pz_parzen p = fit(u, o1, 3, 1.0, 25);
    CHECK_EQ(p.n, 4);
    CHECK_EQ(p.prior_pos, 1);
    const double mu1[] = {2, 5, 6, 8}, s1[] = {3, 10, 2, 2};
    for (size_t i = 0; i < 4; i++) {
        CHECK_NEAR(p.mu[i], mu1[i], 0);
        CHECK_NEAR(p.sigma[i], s1[i], 1e-15);
        CHECK_NEAR(p.w[i], 0.25, 1e-15);
    }

    /* One observation, 7 > 5: prior first; widths prior 10, obs 10/2 = 5
     * (inside [10/3, 10]). prior_weight 3: weights 3/4, 1/4. */
    const double o2[] = {7};
    p = fit(u, o2, 1, 3.0, 25);
    CHECK_EQ(p.prior_pos, 0);
    CHECK_NEAR(p.sigma[0], 10, 0);
    CHECK_NEAR(p.sigma[1], 5, 0);
    CHECK_NEAR(p.w[0], 0.75, 1e-15);
    CHECK_NEAR(p.w[1], 0.25, 1e-15);
    /* No observation: the prior alone. */
    p = fit(u, NULL, 0, 1.0, 25);
    CHECK_EQ(p.n, 1);
    CHECK_NEAR(p.mu[0], 5, 0);
    CHECK_NEAR(p.sigma[0], 10, 0);
    CHECK_NEAR(p.w[0], 1, 0);
    pz_node_free(u);

    /* The lower clip: uniform(0, 1), observations .5, .5001, .9. The prior
     * (mu .5) goes before the equal observation (numpy's searchsorted
     * left): mus .5p, .5, .5001, .9; raw widths 0, max(0, 1e-4) = 1e-4,
     * max(1e-4, .3999) = .3999, .3999; clip to [1/5, 1]: prior 1, .2, .3999,
     * .3999. */
    pz_node *u1 = dist(PZ_NODE_UNIFORM, 2, 0, 1, 0);
    const double o3[] = {0.5, 0.5001, 0.9};
    p = fit(u1, o3, 3, 1.0, 25);
    CHECK_EQ(p.prior_pos, 0);
    CHECK_NEAR(p.sigma[0], 1, 0);
    CHECK_NEAR(p.sigma[1], 0.2, 1e-15);
    CHECK_NEAR(p.sigma[2], 0.3999, 1e-12);
    CHECK_NEAR(p.sigma[3], 0.3999, 1e-12);
    pz_node_free(u1);

    /* The upper clip: normal(0, 1), observations -5, 5: mus -5, 0p, 5, raw
     * widths 5, 5, 5 → clipped to sigma 1 (minimum 1/4). */
    pz_node *nn = dist(PZ_NODE_NORMAL, 2, 0, 1, 0);
    const double o4[] = {5, -5};
    p = fit(nn, o4, 2, 1.0, 25);
    CHECK_EQ(p.prior_pos, 1);
    for (size_t i = 0; i < 3; i++)
        CHECK_NEAR(p.sigma[i], 1, 0);
    CHECK(isinf(p.prior.low) && isinf(p.prior.high));
    pz_node_free(nn);

    /* Log space: loguniform(log 1, log 100) fits log(values): one
     * observation e^2 → mus log(100)/2 = 2.302585, 2 → the observation
     * comes first (prior mu > 2). */
    pz_node *lu = dist(PZ_NODE_LOGUNIFORM, 2, 0, log(100), 0);
    const double o5[] = {exp(2.0)};
    p = fit(lu, o5, 1, 1.0, 25);
    CHECK_EQ(p.prior_pos, 1);
    CHECK_NEAR(p.mu[0], 2, 1e-15);
    CHECK_NEAR(p.mu[1], log(100) / 2, 1e-15);
    CHECK_NEAR(p.sigma[0], log(100) / 2, 1e-15);
    pz_node_free(lu);
}

static void test_forgetting(void)
{
    /* linear_forgetting_weights(30, 25): a ramp linspace(1/30, 1, 5) =
     * 1/30 + k (29/30) / 4 for the 5 oldest, then 25 ones. */
    CHECK_NEAR(pz_parzen_forget_weight(0, 30, 25), 1.0 / 30, 1e-15);
    CHECK_NEAR(pz_parzen_forget_weight(2, 30, 25), 1.0 / 30 + 29.0 / 60, 1e-15);
    CHECK_NEAR(pz_parzen_forget_weight(4, 30, 25), 1.0, 1e-15);
    CHECK_NEAR(pz_parzen_forget_weight(5, 30, 25), 1.0, 0);
    /* 26 with lf 25: a ramp of one, linspace(1/26, 1, 1) = [1/26]. */
    CHECK_NEAR(pz_parzen_forget_weight(0, 26, 25), 1.0 / 26, 1e-15);
    CHECK_NEAR(pz_parzen_forget_weight(1, 26, 25), 1.0, 0);
    /* n <= lf, or lf = 0: no forgetting. */
    CHECK_NEAR(pz_parzen_forget_weight(0, 25, 25), 1.0, 0);
    CHECK_NEAR(pz_parzen_forget_weight(0, 100, 0), 1.0, 0);

    /* uniform(0, 100), 27 observations 1, 2, ..., 27 in that order, lf 25:
     * ramp linspace(1/27, 1, 2) = [1/27, 1] for the two oldest. The prior
     * (mu 50) sorts last. Total weight 1/27 + 26 + 1 (prior). */
    pz_node *u = dist(PZ_NODE_UNIFORM, 2, 0, 100, 0);
    double obs[27];
    for (int i = 0; i < 27; i++)
        obs[i] = i + 1;
    pz_parzen p = fit(u, obs, 27, 1.0, 25);
    double total = 1.0 / 27 + 26 + 1;
    CHECK_EQ(p.prior_pos, 27);
    CHECK_NEAR(p.w[0], (1.0 / 27) / total, 1e-15);
    CHECK_NEAR(p.w[1], 1 / total, 1e-15);
    CHECK_NEAR(p.w[27], 1 / total, 1e-15);
    /* widths: neighbours 1 apart → 1, clipped up to 100 / min(100, 29) */
    CHECK_NEAR(p.sigma[5], 100.0 / 29, 1e-12);
    /* Out of chronological order: the oldest observation is 27 now. */
    for (int i = 0; i < 27; i++)
        obs[i] = 27 - i;
    p = fit(u, obs, 27, 1.0, 25);
    CHECK_NEAR(p.w[26], (1.0 / 27) / total, 1e-15); /* value 27, sorted last */
    CHECK_NEAR(p.w[0], 1 / total, 1e-15);
    pz_node_free(u);
}

static pz_node *choice_n(size_t n, const double *probs)
{
    pz_node *opts[8], *c;
    for (size_t i = 0; i < n; i++)
        CHECK_OK(pz_node_const(&opts[i], pz_value_int((int64_t)i), &err));
    if (probs)
        CHECK_OK(pz_node_pchoice(&c, "c", probs, opts, n, &err));
    else
        CHECK_OK(pz_node_choice(&c, "c", opts, n, &err));
    return c;
}

static void test_categorical(void)
{
    /* choice of 3, observations 0, 2, 2, prior weight 1: pseudo-counts
     * [1+1, 0+1, 2+1] / 6. */
    pz_node *c = choice_n(3, NULL);
    const double o1[] = {0, 2, 2};
    pz_parzen p = fit(c, o1, 3, 1.0, 25);
    CHECK_NEAR(pz_parzen_lpdf(&p, 0), log(2.0 / 6), 1e-15);
    CHECK_NEAR(pz_parzen_lpdf(&p, 1), log(1.0 / 6), 1e-15);
    CHECK_NEAR(pz_parzen_lpdf(&p, 2), log(3.0 / 6), 1e-15);
    CHECK(pz_parzen_lpdf(&p, 3) == -HUGE_VAL);
    CHECK(pz_parzen_lpdf(&p, 0.5) == -HUGE_VAL);
    pz_node_free(c);

    /* pchoice (.5, .3, .2), observation 1: counts [0, 1, 0] + 3 * 1 * p
     * = [1.5, 1.9, .6], total 4. */
    const double probs[] = {0.5, 0.3, 0.2};
    c = choice_n(3, probs);
    const double o2[] = {1};
    p = fit(c, o2, 1, 1.0, 25);
    CHECK_NEAR(pz_parzen_lpdf(&p, 0), log(1.5 / 4), 1e-15);
    CHECK_NEAR(pz_parzen_lpdf(&p, 1), log(1.9 / 4), 1e-15);
    CHECK_NEAR(pz_parzen_lpdf(&p, 2), log(0.6 / 4), 1e-15);
    pz_node_free(c);

    /* randint(5, 10), observations 7, 7, 9 with lf 2: ramp
     * linspace(1/3, 1, 1) = [1/3] for the oldest. Counts 7: 1/3 + 1,
     * 9: 1; plus 1 per category: total 7/3 + 5 = 22/3; P(7) = (7/3)/(22/3). */
    pz_node *ri = dist(PZ_NODE_RANDINT, 2, 5, 10, 0);
    const double o3[] = {7, 7, 9};
    p = fit(ri, o3, 3, 1.0, 2);
    CHECK_NEAR(pz_parzen_lpdf(&p, 7), log(7.0 / 22), 1e-15);
    CHECK_NEAR(pz_parzen_lpdf(&p, 9), log(6.0 / 22), 1e-15);
    CHECK_NEAR(pz_parzen_lpdf(&p, 5), log(3.0 / 22), 1e-15);
    CHECK(pz_parzen_lpdf(&p, 10) == -HUGE_VAL);
    /* An observation outside the categories is refused. */
    pz_parzen_prior pr;
    CHECK_OK(pz_parzen_prior_of(ri, &pr));
    const double bad[] = {10};
    CHECK_EQ(pz_parzen_fit_values(&p, &arena, &pr, bad, 1, 1.0, 25), PZ_EINVAL);
    pz_node_free(ri);
}
/* }===== */

/* {===== normalisation ===== */

typedef struct integrand {
    const pz_parzen *p;
} integrand;

/* The value-space density; for the log families integrated over y = log x
 * as f(e^y) e^y, which checks the Jacobian term as well. */
static double density_y(double y, void *arg)
{
    const pz_parzen *p = ((integrand *)arg)->p;
    if (p->prior.logspace) {
        double x = exp(y);
        return exp(pz_parzen_lpdf(p, x)) * x;
    }
    return exp(pz_parzen_lpdf(p, y));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Integral of the continuous estimator over its support in model space,
 * cut at every component mean so that narrow components are not missed. */
static double integrate(const pz_parzen *p)
{
    double smax = 0, lo = HUGE_VAL, hi = -HUGE_VAL;
    for (size_t i = 0; i < p->n; i++) {
        smax = fmax(smax, p->sigma[i]);
        lo = fmin(lo, p->mu[i]);
        hi = fmax(hi, p->mu[i]);
    }
    lo = isfinite(p->prior.low) ? p->prior.low : lo - 40 * smax;
    hi = isfinite(p->prior.high) ? p->prior.high : hi + 40 * smax;
    double *pts = malloc(sizeof *pts * (p->n + 2));
    size_t np = 0;
    pts[np++] = lo;
    for (size_t i = 0; i < p->n; i++)
        if (p->mu[i] > lo && p->mu[i] < hi)
            pts[np++] = p->mu[i];
    pts[np++] = hi;
    qsort(pts, np, sizeof *pts, cmp_double);
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(2000);
    integrand arg = {p};
    gsl_function f = {density_y, &arg};
    double total = 0;
    for (size_t i = 0; i + 1 < np; i++) {
        if (!(pts[i + 1] > pts[i]))
            continue;
        double r, e;
        CHECK_OK(gsl_integration_qags(&f, pts[i], pts[i + 1], 1e-14, 1e-12, 2000, ws, &r, &e));
        total += r;
    }
    gsl_integration_workspace_free(ws);
    free(pts);
    return total;
}

/* Sum of bucket masses over k q for k in [k0, k1]. */
static double sum_buckets(const pz_parzen *p, double q, long k0, long k1)
{
    double total = 0;
    for (long k = k0; k <= k1; k++)
        total += exp(pz_parzen_lpdf(p, (double)k * q));
    return total;
}

/* A fixed pseudo-random history in value space for node. */
static void history(const pz_node *node, double *obs, size_t n, unsigned long seed)
{
    gsl_rng *r = pz_rng_new(seed, 0);
    for (size_t i = 0; i < n; i++) {
        pz_value *v = pz_node_sample(node, r);
        CHECK_OK(pz_value_number(v, &obs[i]));
        pz_value_free(v);
    }
    gsl_rng_free(r);
}

static void test_normalisation(void)
{
    static const size_t sizes[] = {0, 1, 2, 7, 300};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        size_t n = sizes[si];
        double obs[300];
        struct {
            pz_node_kind kind;
            size_t nargs;
            double a, b, c;
        } cont[] = {
            {PZ_NODE_UNIFORM, 2, -2, 3, 0},
            {PZ_NODE_LOGUNIFORM, 2, log(1e-3), 0, 0},
            {PZ_NODE_NORMAL, 2, 1, 2, 0},
            {PZ_NODE_LOGNORMAL, 2, 0, 1, 0},
        };
        for (size_t k = 0; k < 4; k++) {
            pz_node *node = dist(cont[k].kind, cont[k].nargs, cont[k].a, cont[k].b, cont[k].c);
            history(node, obs, n, 11 + k);
            pz_parzen p = fit(node, obs, n, 1.0, 25);
            double total = integrate(&p);
            if (fabs(total - 1) > 1e-6)
                fprintf(stderr, "%s with %zu observations integrates to %.12g\n",
                        pz_node_kind_name(cont[k].kind), n, total);
            CHECK_NEAR(total, 1, 1e-6);
            pz_node_free(node);
        }

        pz_node *qu = dist(PZ_NODE_QUNIFORM, 3, 0.3, 10, 0.5);
        history(qu, obs, n, 21);
        pz_parzen p = fit(qu, obs, n, 1.0, 25);
        CHECK_NEAR(sum_buckets(&p, 0.5, 0, 20), 1, 1e-6);
        pz_node_free(qu);

        pz_node *ui = dist(PZ_NODE_UNIFORMINT, 2, 1, 6, 0);
        history(ui, obs, n, 22);
        p = fit(ui, obs, n, 1.0, 25);
        CHECK_NEAR(sum_buckets(&p, 1, 1, 6), 1, 1e-6);
        pz_node_free(ui);

        pz_node *ql = dist(PZ_NODE_QLOGUNIFORM, 3, 0, log(100), 5);
        history(ql, obs, n, 23);
        p = fit(ql, obs, n, 1.0, 25);
        CHECK_NEAR(sum_buckets(&p, 5, 0, 20), 1, 1e-6);
        pz_node_free(ql);

        pz_node *qn = dist(PZ_NODE_QNORMAL, 3, 0, 3, 1);
        history(qn, obs, n, 24);
        p = fit(qn, obs, n, 1.0, 25);
        CHECK_NEAR(sum_buckets(&p, 1, -200, 200), 1, 1e-6);
        pz_node_free(qn);

        pz_node *qln = dist(PZ_NODE_QLOGNORMAL, 3, 1, 0.5, 0.5);
        history(qln, obs, n, 25);
        p = fit(qln, obs, n, 1.0, 25);
        CHECK_NEAR(sum_buckets(&p, 0.5, 0, 20000), 1, 1e-6);
        pz_node_free(qln);

        const double probs[] = {0.1, 0.6, 0.3};
        pz_node *cats[] = {choice_n(4, NULL), choice_n(3, probs),
                           dist(PZ_NODE_RANDINT, 2, -3, 9, 0)};
        for (size_t k = 0; k < 3; k++) {
            history(cats[k], obs, n, 26 + k);
            p = fit(cats[k], obs, n, 1.0, 25);
            double total = 0;
            for (int x = -5; x < 12; x++)
                total += exp(pz_parzen_lpdf(&p, x));
            CHECK_NEAR(total, 1, 1e-12);
            pz_node_free(cats[k]);
        }
        pz_arena_reset(&arena);
    }
}

/* The pruned evaluation against the plain sum over every component. */
static double naive_lpdf(const pz_parzen *p, double x)
{
    const pz_parzen_prior *pr = &p->prior;
    if (pr->q > 0) {
        double lo = x - pr->q / 2, hi = x + pr->q / 2;
        double vlo = pr->logspace ? exp(pr->low) : pr->low, vhi = pr->logspace ? exp(pr->high) : pr->high;
        lo = fmax(lo, vlo);
        hi = fmin(hi, vhi);
        if (pr->logspace) {
            lo = log(lo);
            hi = log(hi);
        }
        double m = 0;
        for (size_t i = 0; i < p->n; i++)
            m += p->w[i] * (gsl_cdf_gaussian_P(hi - p->mu[i], p->sigma[i]) -
                            gsl_cdf_gaussian_P(lo - p->mu[i], p->sigma[i]));
        return log(m) - p->log_accept;
    }
    double y = pr->logspace ? log(x) : x, d = 0;
    for (size_t i = 0; i < p->n; i++)
        d += p->w[i] * gsl_ran_gaussian_pdf(y - p->mu[i], p->sigma[i]);
    return log(d) - p->log_accept - (pr->logspace ? y : 0);
}

static void test_pruning(void)
{
    const pz_node_kind kinds[] = {PZ_NODE_UNIFORM, PZ_NODE_LOGUNIFORM, PZ_NODE_QUNIFORM};
    for (size_t k = 0; k < 3; k++) {
        pz_node *node = dist(kinds[k], kinds[k] == PZ_NODE_QUNIFORM ? 3 : 2, 0, 5, 0.01);
        static double obs[3000];
        history(node, obs, 3000, 31);
        pz_parzen p = fit(node, obs, 3000, 1.0, 25);
        CHECK_GT(p.nblocks, 30); /* quniform: runs of equal values merged */
        gsl_rng *r = pz_rng_new(5, 5);
        for (int i = 0; i < 2000; i++) {
            double x = pz_parzen_sample(&p, r);
            double a = pz_parzen_lpdf(&p, x), b = naive_lpdf(&p, x);
            if (fabs(a - b) > 1e-9 * (1 + fabs(b)))
                fprintf(stderr, "%s at %.17g: %.17g vs naive %.17g\n",
                        pz_node_kind_name(kinds[k]), x, a, b);
            CHECK_NEAR(a, b, 1e-9 * (1 + fabs(b)));
        }
        gsl_rng_free(r);
        pz_node_free(node);
        pz_arena_reset(&arena);
    }
}
/* }===== */

/* {===== sampling matches the density ===== */

/* Chi-square of n draws against the estimator's mass on nb equal bins of
 * [lo, hi] (model space), the masses from quadrature of the density. */
static void chisq_continuous(const pz_parzen *p, double lo, double hi, unsigned long seed)
{
    enum { NB = 20, N = 40000 };
    double mass[NB], cnt[NB] = {0};
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    integrand arg = {p};
    gsl_function f = {density_y, &arg};
    for (int b = 0; b < NB; b++) {
        double e;
        gsl_integration_qags(&f, lo + (hi - lo) * b / NB, lo + (hi - lo) * (b + 1) / NB, 1e-13,
                             1e-10, 1000, ws, &mass[b], &e);
    }
    gsl_integration_workspace_free(ws);
    gsl_rng *r = pz_rng_new(seed, 1);
    for (int i = 0; i < N; i++) {
        double x = pz_parzen_sample(p, r);
        double y = p->prior.logspace ? log(x) : x;
        int b = (int)((y - lo) / (hi - lo) * NB);
        CHECK(b >= 0 && b <= NB);
        cnt[b < NB ? b : NB - 1] += 1;
    }
    gsl_rng_free(r);
    double chi = 0;
    for (int b = 0; b < NB; b++)
        chi += (cnt[b] - N * mass[b]) * (cnt[b] - N * mass[b]) / (N * mass[b]);
    double pval = gsl_cdf_chisq_Q(chi, NB - 1);
    if (pval < 0.001)
        fprintf(stderr, "chi-square %g, p = %g\n", chi, pval);
    CHECK_GT(pval, 0.001);
}

static void test_sampling(void)
{
    /* Observations crowding the lower bound make truncation matter. */
    pz_node *u = dist(PZ_NODE_UNIFORM, 2, 0, 1, 0);
    const double o1[] = {0.01, 0.02, 0.05, 0.3, 0.99};
    pz_parzen p = fit(u, o1, 5, 1.0, 25);
    chisq_continuous(&p, 0, 1, 1);
    pz_node_free(u);

    pz_node *lu = dist(PZ_NODE_LOGUNIFORM, 2, log(1e-4), log(1), 0);
    const double o2[] = {1.2e-4, 3e-4, 0.9};
    p = fit(lu, o2, 3, 1.0, 25);
    chisq_continuous(&p, log(1e-4), log(1), 2);
    pz_node_free(lu);

    /* A categorical: frequencies against the posterior. */
    const double probs[] = {0.2, 0.5, 0.3};
    pz_node *c = choice_n(3, probs);
    const double o3[] = {0, 0, 2};
    p = fit(c, o3, 3, 1.0, 25);
    double cnt[3] = {0};
    gsl_rng *r = pz_rng_new(3, 3);
    for (int i = 0; i < 30000; i++)
        cnt[(int)pz_parzen_sample(&p, r)] += 1;
    gsl_rng_free(r);
    double chi = 0;
    for (int k = 0; k < 3; k++) {
        double e = 30000 * exp(pz_parzen_lpdf(&p, k));
        chi += (cnt[k] - e) * (cnt[k] - e) / e;
    }
    CHECK_GT(gsl_cdf_chisq_Q(chi, 2), 0.001);
    pz_node_free(c);

    /* q-forms stay on the grid and in range. */
    pz_node *q = dist(PZ_NODE_QLOGUNIFORM, 3, log(2), log(50), 4);
    const double o4[] = {4, 8, 48};
    p = fit(q, o4, 3, 1.0, 25);
    r = pz_rng_new(4, 4);
    for (int i = 0; i < 1000; i++) {
        double x = pz_parzen_sample(&p, r);
        CHECK(x == 4 * nearbyint(x / 4));
        CHECK(x >= 0 && x <= 52);
        CHECK(isfinite(pz_parzen_lpdf(&p, x)));
    }
    gsl_rng_free(r);
    pz_node_free(q);
    pz_arena_reset(&arena);
}
/* }===== */

/* {===== joint estimators ===== */

typedef struct joint_arg {
    const pz_parzen_joint *p;
    double x[3];
    size_t dim;            /* the dimension integrated over */
    gsl_integration_workspace *inner;
} joint_arg;

/* The joint density along dimension dim (model space y; for log labels
 * f(e^y) e^y), the other coordinates fixed in x. */
static double joint_y(double y, void *varg)
{
    joint_arg *a = varg;
    const pz_parzen_prior *pr = &a->p->prior[a->dim];
    double v = pr->logspace ? exp(y) : y;
    a->x[a->dim] = v;
    return exp(pz_parzen_joint_lpdf(a->p, a->x)) * (pr->logspace ? v : 1);
}

static double integrate_dim(joint_arg *a, size_t dim, double lo, double hi,
                            gsl_integration_workspace *ws)
{
    a->dim = dim;
    gsl_function f = {joint_y, a};
    double r, e;
    CHECK_OK(gsl_integration_qags(&f, lo, hi, 1e-13, 1e-11, 1000, ws, &r, &e));
    return r;
}

/* loguniform x normal: the inner integral over dim 0, the outer over 1. */
static double outer_y(double y, void *varg)
{
    joint_arg *a = varg;
    a->x[1] = y;
    double r = integrate_dim(a, 0, a->p->prior[0].low, a->p->prior[0].high, a->inner);
    a->dim = 1;
    return r;
}

static void test_joint(void)
{
    /* Bandwidth by hand: d = 2, 4 observations: 0.2 * 4^(-1/6) * 10 =
     * 1.5874; clip [10 / min(100, 6), 10]: 1.6667 wins. With 64:
     * 0.2 * 64^(-1/6) * 10 = 1, inside [10/66, 10]. */
    pz_node *u = dist(PZ_NODE_UNIFORM, 2, 0, 10, 0);
    pz_node *c = choice_n(3, NULL);
    pz_parzen_prior pr[3];
    CHECK_OK(pz_parzen_prior_of(u, &pr[0]));
    CHECK_OK(pz_parzen_prior_of(c, &pr[1]));
    double obs[2 * 64];
    gsl_rng *r = pz_rng_new(8, 8);
    for (size_t i = 0; i < 64; i++) {
        obs[2 * i] = gsl_ran_flat(r, 0, 10);
        obs[2 * i + 1] = (double)gsl_rng_uniform_int(r, 3);
    }
    pz_parzen_joint p;
    CHECK_OK(pz_parzen_joint_fit(&p, &arena, pr, 2, obs, 4, 1.0, 25));
    CHECK_NEAR(p.sigma[0], 10.0 / 6, 1e-12);
    CHECK_NEAR(p.sigma[1], 10, 0); /* the prior kernel */
    CHECK_NEAR(p.w[4], 0.2, 1e-15); /* 4 observations and the prior, weight 1 each */
    CHECK_OK(pz_parzen_joint_fit(&p, &arena, pr, 2, obs, 64, 1.0, 0));
    CHECK_NEAR(p.sigma[0], 1.0, 1e-12);

    /* uniform x choice: sum over categories of the integral over x */
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    for (size_t nobs = 0; nobs <= 64; nobs += 16) {
        CHECK_OK(pz_parzen_joint_fit(&p, &arena, pr, 2, obs, nobs, 1.0, 25));
        joint_arg a = {&p, {0, 0, 0}, 0, NULL};
        double total = 0;
        for (int k = 0; k < 3; k++) {
            a.x[1] = k;
            total += integrate_dim(&a, 0, 0, 10, ws);
        }
        CHECK_NEAR(total, 1, 1e-6);
    }
    pz_node_free(u);
    pz_node_free(c);

    /* quniform x randint x pchoice: a triple sum */
    const double probs[] = {0.3, 0.7};
    pz_node *qu = dist(PZ_NODE_QUNIFORM, 3, 0, 4, 0.5), *ri = dist(PZ_NODE_RANDINT, 2, 2, 6, 0);
    pz_node *pc = choice_n(2, probs);
    CHECK_OK(pz_parzen_prior_of(qu, &pr[0]));
    CHECK_OK(pz_parzen_prior_of(ri, &pr[1]));
    CHECK_OK(pz_parzen_prior_of(pc, &pr[2]));
    double o3[3 * 10];
    for (size_t i = 0; i < 10; i++) {
        o3[3 * i] = 0.5 * (double)gsl_rng_uniform_int(r, 9);
        o3[3 * i + 1] = 2 + (double)gsl_rng_uniform_int(r, 4);
        o3[3 * i + 2] = (double)gsl_rng_uniform_int(r, 2);
    }
    CHECK_OK(pz_parzen_joint_fit(&p, &arena, pr, 3, o3, 10, 1.0, 25));
    double total = 0;
    for (int i = 0; i <= 8; i++)
        for (int j = 2; j < 6; j++)
            for (int k = 0; k < 2; k++) {
                double x[3] = {0.5 * i, j, k};
                total += exp(pz_parzen_joint_lpdf(&p, x));
            }
    CHECK_NEAR(total, 1, 1e-9);
    /* draws are on the grid and in range */
    for (int i = 0; i < 200; i++) {
        double x[3];
        pz_parzen_joint_sample(&p, r, x);
        CHECK(x[0] == 0.5 * nearbyint(2 * x[0]) && x[0] >= 0 && x[0] <= 4);
        CHECK(x[1] >= 2 && x[1] < 6 && x[2] >= 0 && x[2] < 2);
        CHECK(isfinite(pz_parzen_joint_lpdf(&p, x)));
    }
    pz_node_free(qu);
    pz_node_free(ri);
    pz_node_free(pc);

    /* loguniform x normal: a double integral */
    pz_node *lu = dist(PZ_NODE_LOGUNIFORM, 2, log(0.1), log(10), 0);
    pz_node *nn = dist(PZ_NODE_NORMAL, 2, 1, 2, 0);
    CHECK_OK(pz_parzen_prior_of(lu, &pr[0]));
    CHECK_OK(pz_parzen_prior_of(nn, &pr[1]));
    double o2[2 * 6];
    for (size_t i = 0; i < 6; i++) {
        o2[2 * i] = gsl_ran_flat(r, log(0.1), log(10));
        o2[2 * i + 1] = 1 + gsl_ran_gaussian(r, 2);
    }
    CHECK_OK(pz_parzen_joint_fit(&p, &arena, pr, 2, o2, 6, 1.0, 25));
    gsl_integration_workspace *inner = gsl_integration_workspace_alloc(1000);
    joint_arg a = {&p, {0, 0, 0}, 1, inner};
    gsl_function f = {outer_y, &a};
    double res, e;
    CHECK_OK(gsl_integration_qags(&f, 1 - 60, 1 + 60, 1e-11, 1e-9, 1000, ws, &res, &e));
    CHECK_NEAR(res, 1, 1e-6);
    gsl_integration_workspace_free(inner);
    gsl_integration_workspace_free(ws);
    pz_node_free(lu);
    pz_node_free(nn);
    gsl_rng_free(r);
    pz_arena_reset(&arena);
}
/* }===== */

int main(void)
{
    pz_arena_init(&arena);
    test_construction();
    test_forgetting();
    test_categorical();
    test_normalisation();
    test_pruning();
    test_sampling();
    test_joint();
    pz_arena_destroy(&arena);
    puts("test_parzen: ok");
    return 0;
}
