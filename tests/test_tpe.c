/* parzen tests: the "tpe" searcher (tpe/tpe.c).
 *
 * Options are checked and refused by name; the startup trials are random
 * search's draws; proposals are valid on the CIFAR-100 space and on a
 * space with nested choices and every family (every active label present,
 * no inactive one, the right value types); a proposal depends only on
 * (space, history, seed, trial id), so a fresh searcher shown a history
 * proposes what the one that lived through it proposed; the split and the
 * per-label observations are checked through the estimators TPE fits; and
 * TPE beats random search on a quadratic and on Branin with fixed seeds.
 */
#include <math.h>
#include <stdarg.h>

#include <gsl/gsl_math.h>

#include "check.h"
#include "sample.h"
#include "script.h"
#include "searcher.h"
#include "tpe.h"

static pz_error err;

/* {===== spaces ===== */

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

static pz_node *konst(int64_t i)
{
    pz_node *n;
    CHECK_OK(pz_node_const(&n, pz_value_int(i), &err));
    return n;
}

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

static pz_space *space_of(pz_node *root)
{
    pz_space *s;
    CHECK_OK(pz_space_new(&s, root, &err));
    return s;
}

/* Every family, nested three choices deep. */
static pz_space *nested_space(void)
{
    const double probs[] = {0.2, 0.5, 0.3};
    pz_node *popts[] = {konst(0), dist(PZ_NODE_QLOGUNIFORM, "ql", 3, 0, log(100), 5),
                        map(2, "d", dist(PZ_NODE_QNORMAL, "qn", 3, 0, 2, 0.5), "e",
                            choice("deep", 2, konst(7), dist(PZ_NODE_QLOGNORMAL, "qln", 3, 1, 0.5, 1)))};
    pz_node *pc;
    CHECK_OK(pz_node_pchoice(&pc, "p", probs, popts, 3, &err));
    pz_node *root = map(
        5, "a",
        choice("a", 3, map(1, "x", dist(PZ_NODE_UNIFORM, "x", 2, -1, 1, 0)),
               map(2, "b",
                   choice("b", 2, konst(1),
                          map(2, "y", dist(PZ_NODE_LOGUNIFORM, "y", 2, -3, 0, 0), "z",
                              dist(PZ_NODE_QUNIFORM, "z", 3, 0, 10, 2))),
                   "r", dist(PZ_NODE_RANDINT, "r", 2, 2, 7, 0)),
               pc),
        "n", dist(PZ_NODE_NORMAL, "n", 2, 0, 1, 0), "ln", dist(PZ_NODE_LOGNORMAL, "ln", 2, 0, 1, 0),
        "ui", dist(PZ_NODE_UNIFORMINT, "ui", 2, 1, 6, 0), "big",
        dist(PZ_NODE_RANDINT, "big", 2, -1e15, 1e15, 0));
    return space_of(root);
}

static pz_script *load_cifar(void)
{
    const char *src = getenv("PZ_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/spaces/cifar100_resnet.lua", src ? src : ".");
    pz_script *s = NULL;
    CHECK_OK(pz_script_load(&s, path, &err));
    return s;
}
/* }===== */

/* {===== a study loop ===== */

/* A deterministic loss of vals: each number's distance to 0.3 (choices
 * and ints by their index), plus a per-trial wobble. */
static double toy_loss(const pz_value *vals, size_t k)
{
    double loss = 0.01 * (double)(k % 5);
    for (size_t i = 0; i < vals->u.map.len; i++) {
        double d;
        CHECK_OK(pz_value_number(vals->u.map.vals[i], &d));
        loss += fabs(tanh(d) - 0.3);
    }
    return loss;
}

/* Every active label present with the type of its kind, nothing else,
 * and space_eval accepts it. */
static void check_valid(const pz_space *s, const pz_value *vals)
{
    size_t nl = pz_space_nlabels(s);
    unsigned char active[64];
    CHECK(nl <= 64);
    CHECK_OK(pz_space_active(s, vals, active, &err));
    size_t nactive = 0;
    for (size_t i = 0; i < nl; i++) {
        const pz_node *node = pz_space_label(s, i);
        const pz_value *v = pz_map_get(vals, node->label);
        CHECK_EQ(v != NULL, active[i]);
        nactive += active[i];
        if (!v)
            continue;
        int want_int = node->kind == PZ_NODE_CHOICE || node->kind == PZ_NODE_PCHOICE ||
                       node->kind == PZ_NODE_RANDINT || node->kind == PZ_NODE_UNIFORMINT;
        CHECK_EQ(v->type, want_int ? PZ_INT : PZ_DOUBLE);
        if (node->kind == PZ_NODE_UNIFORM || node->kind == PZ_NODE_LOGUNIFORM)
            CHECK(v->u.d >= (node->kind == PZ_NODE_UNIFORM ? node->low : exp(node->low)) &&
                  v->u.d <= (node->kind == PZ_NODE_UNIFORM ? node->high : exp(node->high)));
        if (node->kind == PZ_NODE_UNIFORMINT || node->kind == PZ_NODE_RANDINT)
            CHECK(v->u.i >= (int64_t)node->low && v->u.i <= (int64_t)node->high);
    }
    CHECK_EQ(pz_value_len(vals), nactive);
    pz_value *params = NULL;
    int rc = pz_space_eval(s, vals, &params, &err);
    if (rc)
        fprintf(stderr, "space_eval: %s\n", err.msg);
    CHECK_OK(rc);
    pz_value_free(params);
}

typedef struct study {
    size_t n;
    pz_value *vals[200];
    pz_trial_view views[200];
} study;

/* Run n trials of searcher s on space: every 7th fails, the last two stay
 * pending. */
static void run(study *st, pz_searcher *s, const pz_space *space, size_t n, uint64_t seed)
{
    st->n = 0;
    for (size_t k = 0; k < n; k++) {
        pz_suggest_ctx ctx = {space, st->views, k, seed, k};
        int rc = pz_searcher_suggest(s, &ctx, &st->vals[k], &err);
        if (rc)
            fprintf(stderr, "suggest %zu: %s\n", k, err.msg);
        CHECK_OK(rc);
        check_valid(space, st->vals[k]);
        pz_trial_status status = k % 7 == 3 ? PZ_TRIAL_FAIL : PZ_TRIAL_OK;
        if (k + 2 >= n)
            status = PZ_TRIAL_PENDING;
        st->views[k] = (pz_trial_view){k, status, toy_loss(st->vals[k], k), st->vals[k]};
        st->n++;
    }
}

static void free_study(study *st)
{
    for (size_t k = 0; k < st->n; k++)
        pz_value_free(st->vals[k]);
    st->n = 0;
}
/* }===== */

static pz_value *opts(const char *key, pz_value *v)
{
    pz_value *o = pz_value_map();
    if (key)
        pz_map_set(o, key, v);
    return o;
}

static void test_options(void)
{
    pz_searcher *s = NULL;
    pz_value *o = pz_value_map();
    pz_map_set(o, "gamma", pz_value_double(0.3));
    pz_map_set(o, "n_startup_trials", pz_value_int(5));
    pz_map_set(o, "n_ei_candidates", pz_value_int(48));
    pz_map_set(o, "prior_weight", pz_value_double(2));
    pz_map_set(o, "linear_forgetting", pz_value_int(0));
    pz_map_set(o, "liar", pz_value_str("worst"));
    pz_map_set(o, "preset", pz_value_str("optuna"));
    pz_map_set(o, "gamma_cap", pz_value_int(10));
    pz_map_set(o, "multivariate", pz_value_bool(1));
    CHECK_OK(pz_searcher_new(&s, "tpe", o, &err));
    CHECK_STR(pz_searcher_name(s), "tpe");
    pz_searcher_free(s);
    pz_value_free(o);

    struct {
        const char *key;
        pz_value *v;
        const char *msg;
    } bad[] = {
        {"gama", pz_value_double(0.3), "unknown option algo.gama"},
        {"gamma", pz_value_double(1.5), "algo.gamma"},
        {"gamma", pz_value_str("x"), "algo.gamma"},
        {"prior_weight", pz_value_double(0), "algo.prior_weight must be > 0"},
        {"n_ei_candidates", pz_value_int(0), "algo.n_ei_candidates"},
        {"liar", pz_value_str("zero"), "algo.liar must be one of"},
        {"preset", pz_value_int(1), "algo.preset must be one of"},
        {"linear_forgetting", pz_value_double(2.5), "algo.linear_forgetting"},
        {"multivariate", pz_value_int(1), "algo.multivariate must be true or false"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        o = opts(bad[i].key, bad[i].v);
        CHECK_EQ(pz_searcher_new(&s, "tpe", o, &err), PZ_EINVAL);
        CHECK(s == NULL);
        CHECK_CONTAINS(err.msg, bad[i].msg);
        pz_value_free(o);
    }
    o = opts("shrink", pz_value_double(1));
    CHECK_EQ(pz_searcher_new(&s, "anneal", o, &err), PZ_EINVAL);
    CHECK_CONTAINS(err.msg, "algo.shrink");
    pz_value_free(o);
}

/* Before n_startup_trials trials, TPE is random search, draw for draw. */
static void test_startup(void)
{
    pz_script *script = load_cifar();
    const pz_space *space = pz_script_space(script);
    pz_searcher *tpe, *rnd;
    CHECK_OK(pz_searcher_new(&tpe, "tpe", NULL, &err));
    CHECK_OK(pz_searcher_new(&rnd, "random", NULL, &err));
    study st;
    run(&st, tpe, space, 22, 9);
    for (size_t k = 0; k < 22; k++) {
        pz_suggest_ctx ctx = {space, st.views, k, 9, k};
        pz_value *v;
        CHECK_OK(pz_searcher_suggest(rnd, &ctx, &v, &err));
        CHECK_EQ(pz_value_equal(v, st.vals[k]), k < 20);
        pz_value_free(v);
    }
    free_study(&st);
    pz_searcher_free(tpe);
    pz_searcher_free(rnd);
    pz_script_free(script);
}

/* Proposals depend only on (space, history, seed, trial id). */
static void check_resume(const pz_space *space, const char *name, pz_value *options, size_t n)
{
    pz_searcher *s, *fresh;
    CHECK_OK(pz_searcher_new(&s, name, options, &err));
    study st;
    run(&st, s, space, n, 77);
    static const size_t at[] = {0, 1, 20, 21, 33, 50, 79, 119};
    for (size_t j = 0; j < sizeof at / sizeof *at; j++) {
        size_t k = at[j];
        if (k >= n)
            continue;
        CHECK_OK(pz_searcher_new(&fresh, name, options, &err));
        pz_suggest_ctx ctx = {space, st.views, k, 77, k};
        pz_value *v;
        CHECK_OK(pz_searcher_suggest(fresh, &ctx, &v, &err));
        CHECK(pz_value_equal(v, st.vals[k]));
        pz_value_free(v);
        /* the long-lived searcher, shown the shorter history again */
        CHECK_OK(pz_searcher_suggest(s, &ctx, &v, &err));
        CHECK(pz_value_equal(v, st.vals[k]));
        pz_value_free(v);
        pz_searcher_free(fresh);
    }
    /* Another seed, another proposal. */
    pz_suggest_ctx ctx = {space, st.views, n - 1, 78, n - 1};
    pz_value *v;
    CHECK_OK(pz_searcher_suggest(s, &ctx, &v, &err));
    CHECK(!pz_value_equal(v, st.vals[n - 1]));
    pz_value_free(v);

    /* A history changed in the past (one value of trial 5) must not be
     * answered from the cache: the long-lived searcher agrees with a fresh
     * one on it. */
    pz_value *old = NULL;
    for (size_t i = 0; i < st.vals[5]->u.map.len && !old; i++)
        if (st.vals[5]->u.map.vals[i]->type == PZ_DOUBLE)
            old = st.vals[5]->u.map.vals[i];
    CHECK(old);
    old->u.d *= 0.5;
    ctx = (pz_suggest_ctx){space, st.views, n - 1, 77, n - 1};
    pz_value *a, *b;
    CHECK_OK(pz_searcher_suggest(s, &ctx, &a, &err));
    CHECK_OK(pz_searcher_new(&fresh, name, options, &err));
    CHECK_OK(pz_searcher_suggest(fresh, &ctx, &b, &err));
    CHECK(pz_value_equal(a, b));
    pz_value_free(a);
    pz_value_free(b);
    pz_searcher_free(fresh);
    free_study(&st);
    pz_searcher_free(s);
}

static void test_resume_and_validity(void)
{
    pz_script *script = load_cifar();
    check_resume(pz_script_space(script), "tpe", NULL, 120);
    pz_value *o = opts("liar", pz_value_str("worst"));
    pz_map_set(o, "preset", pz_value_str("optuna"));
    check_resume(pz_script_space(script), "tpe", o, 60);
    pz_value_free(o);
    check_resume(pz_script_space(script), "anneal", NULL, 60);
    o = opts("multivariate", pz_value_bool(1));
    check_resume(pz_script_space(script), "tpe", o, 80);
    pz_value_free(o);
    pz_script_free(script);

    pz_space *nested = nested_space();
    check_resume(nested, "tpe", NULL, 120);
    o = opts("n_startup_trials", pz_value_int(3));
    check_resume(nested, "tpe", o, 60);
    pz_value_free(o);
    check_resume(nested, "anneal", NULL, 60);
    o = opts("multivariate", pz_value_bool(1));
    check_resume(nested, "tpe", o, 120);
    pz_value_free(o);
    pz_space_free(nested);
}

/* The split and what each label sees, through the estimators TPE fits. */
static void test_split(void)
{
    /* c = choice(x ~ U(0,1), y ~ U(0,1)). 36 trials: even ids take
     * branch x with loss id/100, odd ids branch y with loss 10 + id; trial
     * 4 failed, trial 6 is pending. n_below = ceil(.25 sqrt(36)) = 2: the
     * best two are trials 0 and 2 (4 and 6 count as +inf). */
    pz_space *s = space_of(map(1, "c",
                               choice("c", 2, dist(PZ_NODE_UNIFORM, "x", 2, 0, 1, 0),
                                      dist(PZ_NODE_UNIFORM, "y", 2, 0, 1, 0))));
    enum { N = 36 };
    pz_value *vals[N];
    pz_trial_view views[N];
    for (size_t k = 0; k < N; k++) {
        vals[k] = pz_value_map();
        pz_map_set(vals[k], "c", pz_value_int(k % 2));
        pz_map_set(vals[k], k % 2 ? "y" : "x", pz_value_double(0.01 * (double)k));
        views[k] = (pz_trial_view){k, PZ_TRIAL_OK, k % 2 ? 10.0 + (double)k : (double)k / 100,
                                   vals[k]};
    }
    views[4].status = PZ_TRIAL_FAIL;
    views[6].status = PZ_TRIAL_PENDING;
    pz_suggest_ctx ctx = {s, views, N, 1, N};
    pz_arena a;
    pz_arena_init(&a);
    pz_parzen below, above;
    /* x: below 0 and .02 (trials 0, 2); above the 16 other even trials. */
    CHECK_OK(pz__tpe_models(NULL, &ctx, 1, &a, &below, &above, &err));
    CHECK_STR(pz_space_label(s, 1)->label, "x");
    CHECK_EQ(below.n, 3);
    CHECK_NEAR(below.mu[0], 0, 0);
    CHECK_NEAR(below.mu[1], 0.02, 0);
    CHECK_NEAR(below.mu[2], 0.5, 0); /* the prior */
    CHECK_EQ(above.n, 17);
    /* y: active in no below trial → l(y) is the prior alone. */
    CHECK_OK(pz__tpe_models(NULL, &ctx, 2, &a, &below, &above, &err));
    CHECK_EQ(below.n, 1);
    CHECK_NEAR(below.mu[0], 0.5, 0);
    CHECK_NEAR(below.sigma[0], 1, 0);
    CHECK_NEAR(below.w[0], 1, 0);
    CHECK_EQ(above.n, 19);
    /* c: below counts [2, 0] + 1 each → P(0) = 3/4. Above: 34 trials
     * (1, 3, 4, ..., 35) > 25, so the forgetting ramp linspace(1/34, 1, 9)
     * weighs the 9 oldest, rank r getting 1/34 + (33/34) r / 8: odd trials
     * 1, 3, 5, 7, 9 have ranks 0, 1, 3, 5, 7 (sum 5/34 + (33/34) 16/8 =
     * 71/34), even 4, 6, 8, 10 ranks 2, 4, 6, 8 (4/34 + (33/34) 20/8 =
     * 86.5/34); then 13 odd and 12 even with weight 1. Plus 1 per option:
     * P(1) = (71/34 + 14) / (157.5/34 + 27) = 547 / 1075.5. */
    CHECK_OK(pz__tpe_models(NULL, &ctx, 0, &a, &below, &above, &err));
    CHECK_NEAR(exp(pz_parzen_lpdf(&below, 0)), 3.0 / 4, 1e-15);
    CHECK_NEAR(exp(pz_parzen_lpdf(&above, 1)), 547 / 1075.5, 1e-15);

    /* The Optuna preset: n_below = ceil(.1 * 36) = 4: trials 0, 2, 8, 10
     * (4 failed and 6 pending count as +inf); x's l: 0, .02, .08, .1 and
     * the prior. */
    pz_value *o = opts("preset", pz_value_str("optuna"));
    CHECK_OK(pz__tpe_models(o, &ctx, 1, &a, &below, &above, &err));
    CHECK_EQ(below.n, 5);
    CHECK_NEAR(below.mu[2], 0.08, 1e-15);
    CHECK_NEAR(below.mu[3], 0.1, 1e-15);
    pz_value_free(o);

    /* The liar. Let every odd trial fail: the finished trials are the 16
     * even ones but 4 and 6, the worst of them 34 (loss .34). With the
     * Optuna split and gamma .5, n_below = 18.
     *  - liar "inf": the 16 finished, then the +inf trials by id: 1 and 3
     *    (branch y); x sees 16 below observations.
     *  - liar "worst": pending 6 takes .34, ties with 34 and precedes it
     *    by id: the 15 finished below .34, then 6 and 34, then 1; x sees
     *    17. */
    for (size_t k = 1; k < N; k += 2)
        views[k].status = PZ_TRIAL_FAIL;
    o = opts("preset", pz_value_str("optuna"));
    pz_map_set(o, "gamma", pz_value_double(0.5));
    CHECK_OK(pz__tpe_models(o, &ctx, 1, &a, &below, &above, &err));
    CHECK_EQ(below.n, 16 + 1);
    pz_map_set(o, "liar", pz_value_str("worst"));
    CHECK_OK(pz__tpe_models(o, &ctx, 1, &a, &below, &above, &err));
    CHECK_EQ(below.n, 17 + 1);
    pz_value_free(o);

    pz_arena_destroy(&a);
    for (size_t k = 0; k < N; k++)
        pz_value_free(vals[k]);
    pz_space_free(s);
}

/* {===== quality ===== */

typedef double (*objective)(const pz_value *vals);

static double num(const pz_value *vals, const char *key)
{
    double d;
    CHECK_OK(pz_value_number(pz_map_get(vals, key), &d));
    return d;
}

static double quadratic(const pz_value *vals)
{
    double x = num(vals, "x"), y = num(vals, "y");
    return (x - 1.5) * (x - 1.5) + (y + 0.5) * (y + 0.5);
}

static double branin(const pz_value *vals)
{
    double x = num(vals, "x"), y = num(vals, "y");
    const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
    double u = y - b * x * x + c * x - 6;
    return u * u + 10 * (1 - t) * cos(x) + 10;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median over seeds of the best loss after n evaluations. */
static double median_best(const char *name, const pz_value *options, const pz_space *space,
                          objective f, size_t n, size_t nseeds)
{
    double best[32];
    for (size_t seed = 0; seed < nseeds; seed++) {
        pz_searcher *s;
        CHECK_OK(pz_searcher_new(&s, name, options, &err));
        pz_value *vals[100];
        pz_trial_view views[100];
        best[seed] = HUGE_VAL;
        for (size_t k = 0; k < n; k++) {
            pz_suggest_ctx ctx = {space, views, k, 1000 + seed, k};
            CHECK_OK(pz_searcher_suggest(s, &ctx, &vals[k], &err));
            double loss = f(vals[k]);
            views[k] = (pz_trial_view){k, PZ_TRIAL_OK, loss, vals[k]};
            best[seed] = fmin(best[seed], loss);
        }
        for (size_t k = 0; k < n; k++)
            pz_value_free(vals[k]);
        pz_searcher_free(s);
    }
    qsort(best, nseeds, sizeof *best, cmp_double);
    return nseeds % 2 ? best[nseeds / 2] : 0.5 * (best[nseeds / 2 - 1] + best[nseeds / 2]);
}

static void test_quality(void)
{
    pz_space *quad = space_of(map(2, "x", dist(PZ_NODE_UNIFORM, "x", 2, -5, 5, 0), "y",
                                  dist(PZ_NODE_UNIFORM, "y", 2, -5, 5, 0)));
    pz_space *bran = space_of(map(2, "x", dist(PZ_NODE_UNIFORM, "x", 2, -5, 10, 0), "y",
                                  dist(PZ_NODE_UNIFORM, "y", 2, 0, 15, 0)));
    struct {
        const char *name;
        pz_space *s;
        objective f;
    } probs[] = {{"quadratic", quad, quadratic}, {"branin", bran, branin}};
    for (size_t i = 0; i < 2; i++) {
        pz_value *mv = opts("multivariate", pz_value_bool(1));
        double r = median_best("random", NULL, probs[i].s, probs[i].f, 60, 10);
        double t = median_best("tpe", NULL, probs[i].s, probs[i].f, 60, 10);
        double a = median_best("anneal", NULL, probs[i].s, probs[i].f, 60, 10);
        double m = median_best("tpe", mv, probs[i].s, probs[i].f, 60, 10);
        pz_value_free(mv);
        printf("%-10s median best of 10 seeds x 60 evals: random %.5f  tpe %.5f  anneal %.5f  "
               "tpe multivariate %.5f\n",
               probs[i].name, r, t, a, m);
        CHECK_LT(t, r);
        CHECK_LT(a, r);
        CHECK_LT(m, r);
    }
    pz_space_free(quad);
    pz_space_free(bran);
}
/* }===== */

int main(void)
{
    test_options();
    test_startup();
    test_resume_and_validity();
    test_split();
    test_quality();
    puts("test_tpe: ok");
    return 0;
}
