/* parzen: the "anneal" searcher, hyperopt's anneal.suggest.
 *
 * Walking the space as prior sampling does, each active label with T
 * observations (trials where it was active, whatever their status) takes
 * a reference trial and samples near that trial's value:
 *  - the reference is the first of the trials already chosen for earlier
 *    labels of this proposal in which the label was active; failing that,
 *    a new one: the label's trials sorted by (loss, id), failed and pending
 *    ones at +inf, indexed by geometric(1 / avg_best_idx) - 1, clipped to
 *    the last;
 *  - the width shrinks as 1 / (1 + T * shrink_coef): uniform families draw
 *    uniformly from a window of that fraction of [low, high] centred on
 *    the reference (in log space for the log forms), shifted to fit inside;
 *    normal families from the prior's sigma times that fraction around it;
 *    choices, pchoices and randints keep the reference's value with
 *    probability 1 - shrink and redraw from the prior otherwise.
 * A label never observed is drawn from its prior. Every draw comes from
 * pz_rng_new(seed, trial_id).
 *
 * Knowing differences from hyperopt: loss ties are ordered by trial id
 * (numpy's argsort is not stable); a NaN loss counts as +inf; the
 * categorical mixture (1 - shrink) * onehot + shrink * prior is drawn as
 * "keep, else redraw from the prior", which is the same distribution
 * consumed differently from the random stream.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "../tpe/tpe.h"
#include "sample.h"
#include "searcher.h"

typedef struct anneal {
    double avg_best_idx;
    double shrink_coef;
} anneal;

static int anneal_create(void **state, const pz_value *options, pz_error *err)
{
    static const char *const known[] = {"avg_best_idx", "shrink_coef", NULL};
    *state = NULL;
    int rc = pz_opt_check_keys(options, "anneal", known, err);
    if (rc)
        return rc;
    anneal *a = malloc(sizeof *a);
    if (!a)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    a->avg_best_idx = 2.0; /* hyperopt's defaults */
    a->shrink_coef = 0.1;
    if ((rc = pz_opt_double(options, "avg_best_idx", 1.0, 1e6, &a->avg_best_idx, err)) ||
        (rc = pz_opt_double(options, "shrink_coef", 0.0, 1e6, &a->shrink_coef, err))) {
        free(a);
        return rc;
    }
    *state = a;
    return PZ_OK;
}

typedef struct ranked {
    double loss;
    size_t i;
} ranked;

static int cmp_ranked(const void *pa, const void *pb)
{
    const ranked *x = pa, *y = pb;
    if (x->loss != y->loss)
        return x->loss < y->loss ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

typedef struct walk {
    const anneal *a;
    const pz_suggest_ctx *ctx;
    gsl_rng *r;
    size_t n;
    const double *vals;   /* label x trial, NaN inactive */
    const size_t *count;  /* per label: trials where active */
    const ranked *order;  /* all trials by (loss, id) */
    size_t *chosen;       /* reference trials chosen so far, in order */
    size_t nchosen;
    pz_value **out;
} walk;

static double quantize(double x, double q) { return nearbyint(x / q) * q; }

/* A new value for label node near ref, narrowed by shrink. */
static pz_value *near(const pz_node *node, double ref, double shrink, gsl_rng *r)
{
    switch (node->kind) {
    case PZ_NODE_UNIFORM:
    case PZ_NODE_QUNIFORM:
    case PZ_NODE_UNIFORMINT:
    case PZ_NODE_LOGUNIFORM:
    case PZ_NODE_QLOGUNIFORM: {
        int lg = pz_node_is_log(node->kind);
        double mid = lg ? log(ref) : ref; /* log(0) = -inf is clipped below */
        double half = 0.5 * (node->high - node->low) * shrink;
        mid = fmin(fmax(mid, node->low + half), node->high - half);
        double y = gsl_ran_flat(r, mid - half, mid + half);
        double x = lg ? exp(y) : y;
        if (node->kind == PZ_NODE_UNIFORMINT)
            return pz_value_int((int64_t)quantize(x, 1.0));
        return pz_value_double(pz_node_is_quantized(node->kind) ? quantize(x, node->q) : x);
    }
    case PZ_NODE_NORMAL:
        return pz_value_double(ref + gsl_ran_gaussian(r, node->sigma * shrink));
    case PZ_NODE_QNORMAL:
        return pz_value_double(quantize(ref + gsl_ran_gaussian(r, node->sigma * shrink), node->q));
    case PZ_NODE_LOGNORMAL:
        return pz_value_double(exp(log(ref) + gsl_ran_gaussian(r, node->sigma * shrink)));
    case PZ_NODE_QLOGNORMAL: /* hyperopt's 1e-16 keeps log(0) away */
        return pz_value_double(
            quantize(exp(log(1e-16 + ref) + gsl_ran_gaussian(r, node->sigma * shrink)), node->q));
    case PZ_NODE_RANDINT:
    case PZ_NODE_CHOICE:
    case PZ_NODE_PCHOICE:
        if (gsl_rng_uniform(r) < 1.0 - shrink)
            return pz_value_int((int64_t)ref);
        return pz_node_sample(node, r);
    default:
        return NULL;
    }
}

static int propose_label(walk *w, size_t l, const pz_node *node, pz_value **out)
{
    size_t T = w->count[l];
    if (T == 0) {
        *out = pz_node_sample(node, w->r);
        return *out ? PZ_OK : PZ_ENOMEM;
    }
    const double *row = w->vals + l * w->n;
    size_t ref = SIZE_MAX;
    for (size_t j = 0; j < w->nchosen && ref == SIZE_MAX; j++)
        if (!isnan(row[w->chosen[j]]))
            ref = w->chosen[j];
    if (ref == SIZE_MAX) {
        size_t g = gsl_ran_geometric(w->r, 1.0 / w->a->avg_best_idx) - 1;
        if (g > T - 1)
            g = T - 1;
        for (size_t j = 0; j < w->n; j++) {
            if (isnan(row[w->order[j].i]))
                continue;
            if (g-- == 0) {
                ref = w->order[j].i;
                break;
            }
        }
        w->chosen[w->nchosen++] = ref;
    }
    double shrink = 1.0 / (1.0 + (double)T * w->a->shrink_coef);
    *out = near(node, row[ref], shrink, w->r);
    return *out ? PZ_OK : PZ_ENOMEM;
}

static int walk_node(walk *w, const pz_node *node, pz_error *err)
{
    if (!pz_node_is_label(node->kind)) {
        for (size_t i = 0; i < node->n; i++) {
            int rc = walk_node(w, node->kids[i], err);
            if (rc)
                return rc;
        }
        return PZ_OK;
    }
    int l = pz__label_index(w->ctx->space, node);
    if (l < 0)
        return pz_error_set(err, PZ_EINVAL, "label '%s' is not part of this space", node->label);
    if (w->out[l])
        return PZ_OK;
    if (propose_label(w, (size_t)l, node, &w->out[l]))
        return pz_error_set(err, PZ_ENOMEM, NULL);
    if (node->kind != PZ_NODE_CHOICE && node->kind != PZ_NODE_PCHOICE)
        return PZ_OK;
    int64_t k = w->out[l]->u.i;
    if (k < 0 || (uint64_t)k >= node->n)
        return pz_error_set(err, PZ_ERANGE, "label '%s': earlier trial has option %lld of %zu",
                            node->label, (long long)k, node->n);
    return walk_node(w, node->kids[k], err);
}

static int anneal_suggest(void *state, const pz_suggest_ctx *ctx, pz_value **vals, pz_error *err)
{
    const pz_space *s = ctx->space;
    size_t n = ctx->ntrials, nl = pz_space_nlabels(s);
    double *hist = malloc(sizeof *hist * (nl * n + 1));
    size_t *count = calloc(nl + 1, sizeof *count);
    size_t *chosen = malloc(sizeof *chosen * (nl + 1));
    ranked *order = malloc(sizeof *order * (n + 1));
    pz_value **out = calloc(nl + 1, sizeof *out);
    gsl_rng *r = pz_rng_new(ctx->seed, ctx->trial_id);
    pz_value *map = pz_value_map();
    int rc = PZ_OK;
    if (!hist || !count || !chosen || !order || !out || !r || !map)
        rc = pz_error_set(err, PZ_ENOMEM, NULL);
    if (!rc)
        rc = pz__history_read(s, ctx->trials, n, hist, n, err);
    if (!rc) {
        for (size_t l = 0; l < nl; l++)
            for (size_t i = 0; i < n; i++)
                count[l] += !isnan(hist[l * n + i]);
        for (size_t i = 0; i < n; i++) {
            const pz_trial_view *t = &ctx->trials[i];
            double loss = t->status == PZ_TRIAL_OK && !isnan(t->loss) ? t->loss : HUGE_VAL;
            order[i] = (ranked){loss, i};
        }
        qsort(order, n, sizeof *order, cmp_ranked);
        walk w = {state, ctx, r, n, hist, count, order, chosen, 0, out};
        rc = walk_node(&w, pz_space_root(s), err);
    }
    for (size_t l = 0; out && l < nl; l++) {
        if (!out[l])
            continue;
        if (!rc && pz_map_set(map, pz_space_label(s, l)->label, out[l]))
            rc = pz_error_set(err, PZ_ENOMEM, NULL);
        else if (rc)
            pz_value_free(out[l]);
    }
    free(hist);
    free(count);
    free(chosen);
    free(order);
    free(out);
    if (r)
        gsl_rng_free(r);
    if (rc) {
        pz_value_free(map);
        return rc;
    }
    *vals = map;
    return PZ_OK;
}

const pz_searcher_type pz_searcher_anneal = {
    .name = "anneal",
    .summary = "annealing around good earlier trials (hyperopt's anneal.suggest)",
    .create = anneal_create,
    .suggest = anneal_suggest,
    .destroy = free,
};
