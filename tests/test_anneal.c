/* parzen tests: the "anneal" searcher (core/search_anneal.c).
 *
 * The window narrows as 1 / (1 + T shrink_coef) around the reference
 * trial's value and is shifted inside the bounds; choices keep the
 * reference's option with probability 1 - shrink; the reference is one
 * trial for all labels of a proposal; a never-observed label is drawn from
 * its prior; proposals are deterministic. (Validity on the CIFAR-100 space
 * and nested choices, and resumption, are checked in test_tpe.)
 */
#include <math.h>

#include "check.h"
#include "sample.h"
#include "searcher.h"

static pz_error err;

static pz_space *one(pz_node_kind kind, size_t nargs, double a, double b, double c)
{
    const double args[3] = {a, b, c};
    pz_node *n, *m;
    CHECK_OK(pz_node_dist(&n, kind, "x", args, nargs, &err));
    const char *key = "x";
    CHECK_OK(pz_node_map(&m, &key, &n, 1, &err));
    pz_space *s;
    CHECK_OK(pz_space_new(&s, m, &err));
    return s;
}

typedef struct hist {
    size_t n;
    pz_value *vals[400];
    pz_trial_view views[400];
} hist;

/* n trials all with x = v (an int when iv), losses 1, 2, 3, ... */
static void constant_history(hist *h, size_t n, double v, int iv)
{
    h->n = n;
    for (size_t k = 0; k < n; k++) {
        h->vals[k] = pz_value_map();
        pz_map_set(h->vals[k], "x", iv ? pz_value_int((int64_t)v) : pz_value_double(v));
        h->views[k] = (pz_trial_view){k, PZ_TRIAL_OK, (double)k + 1, h->vals[k]};
    }
}

static void free_history(hist *h)
{
    for (size_t k = 0; k < h->n; k++)
        pz_value_free(h->vals[k]);
}

static double propose_x(pz_searcher *s, const pz_space *space, const hist *h, uint64_t id)
{
    pz_suggest_ctx ctx = {space, h->views, h->n, 5, id};
    pz_value *v;
    CHECK_OK(pz_searcher_suggest(s, &ctx, &v, &err));
    double x;
    CHECK_OK(pz_value_number(pz_map_get(v, "x"), &x));
    /* deterministic: the same call again proposes the same */
    pz_value *again;
    CHECK_OK(pz_searcher_suggest(s, &ctx, &again, &err));
    CHECK(pz_value_equal(v, again));
    pz_value_free(again);
    pz_value_free(v);
    return x;
}

/* Proposals lie in [lo, hi] and come within 5% of both ends. */
static void check_window(pz_searcher *s, const pz_space *space, const hist *h, double lo,
                         double hi, int logscale)
{
    double mn = HUGE_VAL, mx = -HUGE_VAL;
    for (uint64_t id = 0; id < 300; id++) {
        double x = propose_x(s, space, h, 1000 + id);
        if (logscale)
            x = log(x);
        mn = fmin(mn, x);
        mx = fmax(mx, x);
    }
    double tol = 1e-12 * (1 + fabs(lo) + fabs(hi));
    CHECK_GE(mn, lo - tol);
    CHECK_LE(mx, hi + tol);
    CHECK_LT(mn, lo + 0.05 * (hi - lo));
    CHECK_GT(mx, hi - 0.05 * (hi - lo));
}

static void test_shrink(void)
{
    pz_searcher *s;
    CHECK_OK(pz_searcher_new(&s, "anneal", NULL, &err));
    pz_space *u = one(PZ_NODE_UNIFORM, 2, 0, 1, 0);
    hist h;
    /* T = 10: half-width .5 / (1 + 10 * .1) = .25 around .4 */
    constant_history(&h, 10, 0.4, 0);
    check_window(s, u, &h, 0.15, 0.65, 0);
    free_history(&h);
    /* T = 190: .5 / 20 = .025 */
    constant_history(&h, 190, 0.4, 0);
    check_window(s, u, &h, 0.375, 0.425, 0);
    free_history(&h);
    /* near the edge the window is shifted inside: .99 with half .25 →
     * centre .75 */
    constant_history(&h, 10, 0.99, 0);
    check_window(s, u, &h, 0.5, 1.0, 0);
    free_history(&h);
    pz_space_free(u);

    /* loguniform(-3, 0): in log space, half 1.5 / 2 = .75 around -2 */
    pz_space *lu = one(PZ_NODE_LOGUNIFORM, 2, -3, 0, 0);
    constant_history(&h, 10, exp(-2.0), 0);
    check_window(s, lu, &h, -2.75, -1.25, 1);
    free_history(&h);
    pz_space_free(lu);

    /* normal(0, 2): sigma 2 / (1 + 30 * .1) = .5 around 3 */
    pz_space *nn = one(PZ_NODE_NORMAL, 2, 0, 2, 0);
    constant_history(&h, 30, 3.0, 0);
    double sum = 0, sum2 = 0;
    for (uint64_t id = 0; id < 4000; id++) {
        double x = propose_x(s, nn, &h, id);
        sum += x;
        sum2 += x * x;
    }
    double mean = sum / 4000, sd = sqrt(sum2 / 4000 - mean * mean);
    CHECK_NEAR(mean, 3.0, 4 * 0.5 / sqrt(4000));
    CHECK_NEAR(sd, 0.5, 0.03);
    free_history(&h);
    pz_space_free(nn);

    /* quniform: on the grid and in the window (rounded) */
    pz_space *qu = one(PZ_NODE_QUNIFORM, 3, 0, 100, 5);
    constant_history(&h, 40, 50, 0);
    for (uint64_t id = 0; id < 200; id++) {
        double x = propose_x(s, qu, &h, id);
        CHECK(x == 5 * nearbyint(x / 5));
        CHECK(x >= 50 - 10 && x <= 50 + 10); /* half 50 / 5 = 10 */
    }
    free_history(&h);
    pz_space_free(qu);
    pz_searcher_free(s);
}

static void test_categorical(void)
{
    pz_searcher *s;
    CHECK_OK(pz_searcher_new(&s, "anneal", NULL, &err));
    /* choice of 4 with every trial at option 2, T = 10: keep with
     * probability 1 - 1/2, else redraw uniformly: P(2) = .5 + .5 / 4. */
    pz_node *opts[4], *c, *m;
    for (int i = 0; i < 4; i++)
        CHECK_OK(pz_node_const(&opts[i], pz_value_int(i), &err));
    CHECK_OK(pz_node_choice(&c, "x", opts, 4, &err));
    const char *key = "x";
    CHECK_OK(pz_node_map(&m, &key, &c, 1, &err));
    pz_space *space;
    CHECK_OK(pz_space_new(&space, m, &err));
    hist h;
    constant_history(&h, 10, 2, 1);
    int hits = 0;
    for (uint64_t id = 0; id < 4000; id++)
        hits += propose_x(s, space, &h, id) == 2;
    double p = hits / 4000.0, sd = sqrt(0.625 * 0.375 / 4000);
    CHECK_NEAR(p, 0.625, 4 * sd);
    free_history(&h);
    pz_space_free(space);

    /* randint(0, 1000): the same rule, P(kept 7) = 1 - 1/3 (T = 20) */
    pz_space *ri = one(PZ_NODE_RANDINT, 2, 0, 1000, 0);
    constant_history(&h, 20, 7, 1);
    hits = 0;
    for (uint64_t id = 0; id < 4000; id++)
        hits += propose_x(s, ri, &h, id) == 7;
    p = hits / 4000.0;
    CHECK_NEAR(p, 2.0 / 3 + 1.0 / 3000, 4 * sqrt(2.0 / 9 / 4000));
    free_history(&h);
    pz_space_free(ri);
    pz_searcher_free(s);
}

/* One reference trial for all labels of a proposal; avg_best_idx = 1
 * always picks the best. */
static void test_reference(void)
{
    const double args[2] = {0, 1};
    pz_node *x, *y, *m;
    CHECK_OK(pz_node_dist(&x, PZ_NODE_UNIFORM, "x", args, 2, &err));
    CHECK_OK(pz_node_dist(&y, PZ_NODE_UNIFORM, "y", args, 2, &err));
    const char *keys[] = {"x", "y"};
    pz_node *vals[] = {x, y};
    CHECK_OK(pz_node_map(&m, keys, vals, 2, &err));
    pz_space *space;
    CHECK_OK(pz_space_new(&space, m, &err));
    enum { N = 50 };
    pz_value *tv[N];
    pz_trial_view views[N];
    for (size_t k = 0; k < N; k++) {
        tv[k] = pz_value_map();
        pz_map_set(tv[k], "x", pz_value_double(0.01 + 0.019 * (double)k));
        pz_map_set(tv[k], "y", pz_value_double(0.99 - 0.019 * (double)((k * 7) % N)));
        /* trial 17 is the best; 3 failed */
        views[k] = (pz_trial_view){k, k == 3 ? PZ_TRIAL_FAIL : PZ_TRIAL_OK,
                                   k == 17 ? -1.0 : (double)((k * 13) % N), tv[k]};
    }
    pz_value *o = pz_value_map();
    pz_map_set(o, "shrink_coef", pz_value_double(1e6)); /* windows of ~1e-8 */
    pz_map_set(o, "avg_best_idx", pz_value_double(1));
    pz_searcher *s;
    CHECK_OK(pz_searcher_new(&s, "anneal", o, &err));
    for (uint64_t id = 0; id < 20; id++) {
        pz_suggest_ctx ctx = {space, views, N, 3, 100 + id};
        pz_value *v;
        CHECK_OK(pz_searcher_suggest(s, &ctx, &v, &err));
        CHECK_NEAR(pz_map_get(v, "x")->u.d, pz_map_get(tv[17], "x")->u.d, 1e-6);
        CHECK_NEAR(pz_map_get(v, "y")->u.d, pz_map_get(tv[17], "y")->u.d, 1e-6);
        pz_value_free(v);
    }
    pz_searcher_free(s);
    /* avg_best_idx 20: various references, but x and y from the same one */
    pz_map_set(o, "avg_best_idx", pz_value_double(20));
    CHECK_OK(pz_searcher_new(&s, "anneal", o, &err));
    size_t distinct = 0, last = N;
    for (uint64_t id = 0; id < 40; id++) {
        pz_suggest_ctx ctx = {space, views, N, 3, 100 + id};
        pz_value *v;
        CHECK_OK(pz_searcher_suggest(s, &ctx, &v, &err));
        size_t found = N;
        for (size_t k = 0; k < N; k++)
            if (fabs(pz_map_get(v, "x")->u.d - pz_map_get(tv[k], "x")->u.d) < 1e-6 &&
                fabs(pz_map_get(v, "y")->u.d - pz_map_get(tv[k], "y")->u.d) < 1e-6)
                found = k;
        CHECK(found < N);
        distinct += found != last;
        last = found;
        pz_value_free(v);
    }
    CHECK_GT(distinct, 10);
    pz_searcher_free(s);
    pz_value_free(o);

    /* No history: prior draws, i.e. random search's values differ only in
     * stream use; all in range. */
    CHECK_OK(pz_searcher_new(&s, "anneal", NULL, &err));
    pz_suggest_ctx ctx = {space, NULL, 0, 3, 0};
    pz_value *v;
    CHECK_OK(pz_searcher_suggest(s, &ctx, &v, &err));
    CHECK_EQ(pz_value_len(v), 2);
    CHECK(pz_map_get(v, "x")->u.d >= 0 && pz_map_get(v, "x")->u.d <= 1);
    pz_value_free(v);
    pz_searcher_free(s);
    for (size_t k = 0; k < N; k++)
        pz_value_free(tv[k]);
    pz_space_free(space);
}

int main(void)
{
    test_shrink();
    test_categorical();
    test_reference();
    puts("test_anneal: ok");
    return 0;
}
