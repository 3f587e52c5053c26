/* parzen: random search, the baseline strategy: every trial is a fresh
 * draw from the prior on the trial's own stream, so it ignores history
 * entirely (hyperopt's rand.suggest). */
#include <stdlib.h>

#include "sample.h"
#include "searcher.h"

static int random_create(void **state, const pz_value *options, pz_error *err)
{
    static const char *const known[] = {NULL};
    *state = NULL;
    return pz_opt_check_keys(options, "random", known, err);
}

static int random_suggest(void *state, const pz_suggest_ctx *ctx, pz_value **vals, pz_error *err)
{
    (void)state;
    gsl_rng *r = pz_rng_new(ctx->seed, ctx->trial_id);
    if (!r)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    int rc = pz_space_sample(ctx->space, r, vals, err);
    gsl_rng_free(r);
    return rc;
}

const pz_searcher_type pz_searcher_random = {
    .name = "random",
    .summary = "independent draws from the prior (hyperopt's rand.suggest)",
    .create = random_create,
    .suggest = random_suggest,
    .destroy = NULL,
};
