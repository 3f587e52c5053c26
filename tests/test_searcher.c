/* The searcher interface: the registry, option checking, and random
 * search's contract (proposals depend only on seed and trial id, so a
 * resumed study proposes what the uninterrupted one would have). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sample.h"
#include "searcher.h"
#include "script.h"

static pz_script *load_cifar(void)
{
    const char *src = getenv("PZ_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/spaces/cifar100_resnet.lua", src ? src : ".");
    pz_script *s = NULL;
    pz_error err;
    int rc = pz_script_load(&s, path, &err);
    if (rc)
        fprintf(stderr, "%s: %s\n", err.where, err.msg);
    CHECK_EQ(rc, PZ_OK);
    return s;
}

static void test_registry(void)
{
    const pz_searcher_type *const *t = pz_searcher_types();
    int has_random = 0;
    for (size_t i = 0; t[i]; i++) {
        CHECK(t[i]->name && t[i]->summary && t[i]->create && t[i]->suggest);
        has_random |= strcmp(t[i]->name, "random") == 0;
    }
    CHECK(has_random);

    pz_searcher *s = NULL;
    pz_error err;
    CHECK_EQ(pz_searcher_new(&s, "gridd", NULL, &err), PZ_ENOENT);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "unknown search algorithm 'gridd'"));
    CHECK(strstr(err.msg, "random"));

    /* An unknown option is refused, naming it; "name" is always allowed. */
    pz_value *opts = pz_value_map();
    pz_map_set(opts, "name", pz_value_str("random"));
    CHECK_EQ(pz_searcher_new(&s, "random", opts, &err), PZ_OK);
    CHECK(strcmp(pz_searcher_name(s), "random") == 0);
    pz_searcher_free(s);
    pz_map_set(opts, "gamma", pz_value_double(0.25));
    CHECK_EQ(pz_searcher_new(&s, "random", opts, &err), PZ_EINVAL);
    CHECK(strstr(err.msg, "algo.gamma"));
    pz_value_free(opts);

    pz_value *notmap = pz_value_int(3);
    CHECK_EQ(pz_searcher_new(&s, "random", notmap, &err), PZ_EINVAL);
    pz_value_free(notmap);
}

static void test_options(void)
{
    pz_value *o = pz_value_map();
    pz_map_set(o, "gamma", pz_value_double(0.25));
    pz_map_set(o, "n_startup", pz_value_int(20));
    pz_map_set(o, "liar", pz_value_bool(1));
    pz_map_set(o, "width", pz_value_int(2)); /* an integer where a double is wanted */
    pz_error err;
    double g = 0, w = 0, missing = 7;
    int64_t n = 0;
    int liar = 0;
    CHECK_EQ(pz_opt_double(o, "gamma", 0, 1, &g, &err), PZ_OK);
    CHECK_NEAR(g, 0.25, 0);
    CHECK_EQ(pz_opt_double(o, "width", 0, 10, &w, &err), PZ_OK);
    CHECK_NEAR(w, 2, 0);
    CHECK_EQ(pz_opt_double(o, "absent", 0, 10, &missing, &err), PZ_OK);
    CHECK_NEAR(missing, 7, 0);
    CHECK_EQ(pz_opt_double(o, "gamma", 0.5, 1, &g, &err), PZ_EINVAL);
    CHECK(strstr(err.msg, "algo.gamma"));
    CHECK_EQ(pz_opt_int(o, "n_startup", 0, 1000, &n, &err), PZ_OK);
    CHECK_EQ(n, 20);
    CHECK_EQ(pz_opt_int(o, "gamma", 0, 1000, &n, &err), PZ_EINVAL);
    CHECK(strstr(err.msg, "algo.gamma must be an integer"));
    CHECK_EQ(pz_opt_bool(o, "liar", &liar, &err), PZ_OK);
    CHECK_EQ(liar, 1);
    CHECK_EQ(pz_opt_bool(o, "gamma", &liar, &err), PZ_EINVAL);
    pz_value_free(o);
}

/* Random search: trial k's proposal equals the k-th prior draw of the
 * study's seed, whatever history it is shown, and differs between trials. */
static void test_random(void)
{
    pz_script *script = load_cifar();
    const pz_space *space = pz_script_space(script);
    pz_searcher *s = NULL;
    pz_error err;
    CHECK_EQ(pz_searcher_new(&s, "random", NULL, &err), PZ_OK);

    enum { N = 30 };
    pz_value *vals[N];
    pz_trial_view views[N];
    for (size_t k = 0; k < N; k++) {
        pz_suggest_ctx ctx = {space, views, k, 42, k};
        CHECK_EQ(pz_searcher_suggest(s, &ctx, &vals[k], &err), PZ_OK);
        views[k] = (pz_trial_view){k, k % 3 ? PZ_TRIAL_OK : PZ_TRIAL_FAIL, (double)k, vals[k]};

        gsl_rng *r = pz_rng_new(42, k);
        pz_value *prior = NULL;
        CHECK_EQ(pz_space_sample(space, r, &prior, &err), PZ_OK);
        gsl_rng_free(r);
        CHECK(pz_value_equal(prior, vals[k]));
        pz_value_free(prior);

        pz_value *params = NULL;
        CHECK_EQ(pz_space_eval(space, vals[k], &params, &err), PZ_OK);
        pz_value_free(params);
    }
    /* "Resumed": a fresh searcher shown no history at all proposes the same. */
    pz_searcher *again = NULL;
    CHECK_EQ(pz_searcher_new(&again, "random", NULL, &err), PZ_OK);
    size_t distinct = 0;
    for (size_t k = 0; k < N; k++) {
        pz_suggest_ctx ctx = {space, NULL, 0, 42, k};
        pz_value *v = NULL;
        CHECK_EQ(pz_searcher_suggest(again, &ctx, &v, &err), PZ_OK);
        CHECK(pz_value_equal(v, vals[k]));
        pz_value_free(v);
        distinct += k > 0 && !pz_value_equal(vals[k], vals[k - 1]);
    }
    CHECK_EQ(distinct, N - 1);
    /* Another seed, other proposals. */
    pz_suggest_ctx ctx = {space, NULL, 0, 43, 0};
    pz_value *v = NULL;
    CHECK_EQ(pz_searcher_suggest(again, &ctx, &v, &err), PZ_OK);
    CHECK(!pz_value_equal(v, vals[0]));
    pz_value_free(v);

    for (size_t k = 0; k < N; k++)
        pz_value_free(vals[k]);
    pz_searcher_free(again);
    pz_searcher_free(s);
    pz_script_free(script);
}

int main(void)
{
    test_registry();
    test_options();
    test_random();
    puts("test_searcher: ok");
    return 0;
}
