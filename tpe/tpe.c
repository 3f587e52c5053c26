/* parzen: the "tpe" searcher, hyperopt's tpe.suggest (see tpe.h).
 *
 * One suggestion: fewer than n_startup_trials trials in the history → the
 * prior draw random search makes for this trial id. Otherwise every trial
 * gets a loss (failed and pending ones +inf, or pending ones the worst
 * finished loss with liar = "worst"); the n_below lowest (ties by trial
 * id) form the "below" set, the rest "above". Walking the space as prior
 * sampling does, each active label fits l(x) to its values in the below
 * trials where it was active and g(x) to those in the above trials, draws
 * n_ei_candidates from l, and keeps the first with the largest
 * log l(x) - log g(x). All randomness comes from pz_rng_new(seed, trial_id).
 *
 * Cost: O(N) to read the history (plus O(N log N) the first time), then
 * per label O(N) to split its sorted observations and fit, and
 * O(candidates x (N / PZ_PARZEN_BLOCK + a few blocks)) to score. The
 * sorted observations of each label are cached between calls; the cache
 * is used only when the values it was built from are bitwise those of the
 * history shown now, so it can never change an answer.
 *
 * Knowing differences from hyperopt (besides those of parzen.c):
 *  - Losses that tie are ordered by trial id (numpy's argsort is not
 *    stable, so hyperopt's split of tied losses is arbitrary).
 *  - Only labels active in the proposal are fitted and drawn (hyperopt
 *    draws every label's candidates and discards the inactive ones), so
 *    the random stream is consumed in the walk order of the space.
 *  - A finished trial whose loss is NaN counts as +inf.
 *  - Options beyond hyperopt: liar, preset = "optuna", gamma_cap, and
 *    multivariate: labels active in exactly the same trials form a group
 *    (Optuna's group decomposition) proposed jointly from the joint
 *    estimators of multi.c; a group proposes all its labels when the walk
 *    meets its first one, and those the proposal's own choices leave
 *    unvisited are dropped at the end.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "searcher.h"
#include "tpe.h"

/* {===== options ===== */

typedef enum split_rule { SPLIT_SQRT, SPLIT_LINEAR } split_rule;
typedef enum liar_rule { LIAR_INF, LIAR_WORST } liar_rule;

typedef struct tpe_opts {
    double gamma;
    int64_t gamma_cap;
    int64_t n_startup;
    int64_t n_cand;
    double prior_weight;
    int64_t lf;
    split_rule split;
    liar_rule liar;
    int multivariate;
} tpe_opts;

typedef struct tpe {
    tpe_opts o;
    pz_arena arena;  /* one suggestion's scratch */
    pz_arena label;  /* one label's scratch within it */
    /* Cache: for trials [0, ncached), each label's values as read (NaN:
     * inactive), in model space, and its active trials sorted by (model
     * value, index); valid while the values read and each label's prior
     * (which maps them to model space) are unchanged. */
    size_t nlabels, ncached, cap;
    double *raw;            /* nlabels x cap */
    double *obs;            /* nlabels x cap */
    uint32_t *sorted;       /* nlabels x cap */
    size_t *nsorted;        /* nlabels */
    pz_parzen_prior *prior; /* nlabels */
} tpe;

/* A string option among allowed (NULL-terminated): *out is its index. */
static int opt_choice(const pz_value *options, const char *key, const char *const *allowed,
                      int *out, pz_error *err)
{
    const pz_value *v = pz_map_get(options, key);
    if (!v)
        return PZ_OK;
    for (int i = 0; v->type == PZ_STR && allowed[i]; i++)
        if (strcmp(v->u.s.ptr, allowed[i]) == 0) {
            *out = i;
            return PZ_OK;
        }
    return pz_error_set(err, PZ_EINVAL, "algo.%s must be one of \"%s\", \"%s\"", key, allowed[0],
                        allowed[1]);
}

static int parse_options(tpe_opts *o, const pz_value *options, pz_error *err)
{
    static const char *const known[] = {
        "preset", "gamma", "gamma_cap", "n_startup_trials", "n_startup_jobs", "n_ei_candidates",
        "n_EI_candidates", "prior_weight", "linear_forgetting", "liar", "multivariate", NULL};
    static const char *const presets[] = {"hyperopt", "optuna", NULL};
    static const char *const liars[] = {"inf", "worst", NULL};
    int rc = pz_opt_check_keys(options, "tpe", known, err);
    if (rc)
        return rc;
    /* hyperopt 0.2's defaults */
    *o = (tpe_opts){.gamma = 0.25, .gamma_cap = 25, .n_startup = 20, .n_cand = 24,
                    .prior_weight = 1.0, .lf = 25, .split = SPLIT_SQRT, .liar = LIAR_INF};
    int preset = 0, liar = 0;
    if ((rc = opt_choice(options, "preset", presets, &preset, err)))
        return rc;
    if (preset == 1) { /* Optuna's split: 10 startup trials, min(ceil(0.1 N), 25) below */
        o->n_startup = 10;
        o->gamma = 0.1;
        o->split = SPLIT_LINEAR;
    }
    if ((rc = pz_opt_double(options, "gamma", 1e-9, 1.0, &o->gamma, err)) ||
        (rc = pz_opt_int(options, "gamma_cap", 1, INT32_MAX, &o->gamma_cap, err)) ||
        (rc = pz_opt_int(options, "n_startup_jobs", 0, INT32_MAX, &o->n_startup, err)) ||
        (rc = pz_opt_int(options, "n_startup_trials", 0, INT32_MAX, &o->n_startup, err)) ||
        (rc = pz_opt_int(options, "n_EI_candidates", 1, 1 << 20, &o->n_cand, err)) ||
        (rc = pz_opt_int(options, "n_ei_candidates", 1, 1 << 20, &o->n_cand, err)) ||
        (rc = pz_opt_double(options, "prior_weight", 0, 1e9, &o->prior_weight, err)) ||
        (rc = pz_opt_int(options, "linear_forgetting", 0, INT32_MAX, &o->lf, err)) ||
        (rc = opt_choice(options, "liar", liars, &liar, err)) ||
        (rc = pz_opt_bool(options, "multivariate", &o->multivariate, err)))
        return rc;
    if (!(o->prior_weight > 0))
        return pz_error_set(err, PZ_EINVAL, "algo.prior_weight must be > 0");
    o->liar = liar ? LIAR_WORST : LIAR_INF;
    return PZ_OK;
}
/* }===== */

/* {===== the cache of sorted observations ===== */

typedef struct obs_ix {
    double v;
    uint32_t i;
} obs_ix;

static int cmp_obs_ix(const void *pa, const void *pb)
{
    const obs_ix *x = pa, *y = pb;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

static void cache_free(tpe *t)
{
    free(t->raw);
    free(t->obs);
    free(t->sorted);
    free(t->nsorted);
    free(t->prior);
    t->raw = t->obs = NULL;
    t->sorted = NULL;
    t->nsorted = NULL;
    t->prior = NULL;
    t->cap = t->ncached = t->nlabels = 0;
}

static int cache_grow(tpe *t, size_t nl, size_t n)
{
    if (t->nlabels != nl || !t->nsorted) {
        cache_free(t);
        t->nsorted = calloc(nl + 1, sizeof *t->nsorted);
        t->prior = calloc(nl + 1, sizeof *t->prior);
        if (!t->nsorted || !t->prior)
            return PZ_ENOMEM;
        t->nlabels = nl;
    }
    if (n <= t->cap)
        return PZ_OK;
    size_t cap = t->cap ? t->cap : 64;
    while (cap < n)
        cap *= 2;
    double *raw = malloc(sizeof *raw * nl * cap + 1);
    double *obs = malloc(sizeof *obs * nl * cap + 1);
    uint32_t *sorted = malloc(sizeof *sorted * nl * cap + 1);
    if (!raw || !obs || !sorted) {
        free(raw);
        free(obs);
        free(sorted);
        return PZ_ENOMEM;
    }
    for (size_t l = 0; l < nl; l++) {
        if (t->ncached) {
            memcpy(raw + l * cap, t->raw + l * t->cap, sizeof *raw * t->ncached);
            memcpy(obs + l * cap, t->obs + l * t->cap, sizeof *obs * t->ncached);
        }
        if (t->nsorted[l])
            memcpy(sorted + l * cap, t->sorted + l * t->cap, sizeof *sorted * t->nsorted[l]);
    }
    free(t->raw);
    free(t->obs);
    free(t->sorted);
    t->raw = raw;
    t->obs = obs;
    t->sorted = sorted;
    t->cap = cap;
    return PZ_OK;
}

/* What maps a label's values to model space (and checks them). */
static int same_mapping(const pz_parzen_prior *a, const pz_parzen_prior *b)
{
    return a->kind == b->kind && a->logspace == b->logspace && a->q == b->q && a->low == b->low &&
           a->cat_low == b->cat_low && a->ncat == b->ncat;
}

/* Bring the cache to the history cur (nl x n values as read, label-major):
 * keep what still matches bit for bit, map the rest to model space
 * (checking categories), sort it and merge it in. */
static int cache_update(tpe *t, const pz_suggest_ctx *ctx, const double *cur, size_t n,
                        size_t nl, pz_error *err)
{
    const pz_space *space = ctx->space;
    int keep = t->nlabels == nl && t->nsorted && t->ncached <= n;
    for (size_t l = 0; keep && l < nl; l++) {
        pz_parzen_prior pr;
        pz_parzen_prior_of(pz_space_label(space, l), &pr);
        keep = same_mapping(&pr, &t->prior[l]) &&
               (!t->ncached ||
                memcmp(t->raw + l * t->cap, cur + l * n, sizeof *cur * t->ncached) == 0);
    }
    if (!keep) {
        t->ncached = 0;
        if (t->nsorted)
            memset(t->nsorted, 0, sizeof *t->nsorted * t->nlabels);
    }
    if (cache_grow(t, nl, n))
        return pz_error_set(err, PZ_ENOMEM, NULL);
    size_t old = t->ncached;
    pz_arena_reset(&t->label);
    obs_ix *fresh = pz_arena_alloc(&t->label, sizeof *fresh * (n - old + 1));
    uint32_t *merged = pz_arena_alloc(&t->label, sizeof *merged * (n + 1));
    if (!fresh || !merged)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    for (size_t l = 0; l < nl; l++) {
        const pz_node *node = pz_space_label(space, l);
        pz_parzen_prior *pr = &t->prior[l];
        pz_parzen_prior_of(node, pr);
        double *raw = t->raw + l * t->cap, *obs = t->obs + l * t->cap;
        uint32_t *srt = t->sorted + l * t->cap;
        memcpy(raw + old, cur + l * n + old, sizeof *raw * (n - old));
        size_t k = 0;
        for (size_t i = old; i < n; i++) {
            double v = raw[i];
            obs[i] = v;
            if (isnan(v))
                continue;
            if (pr->kind == PZ_PARZEN_CAT) {
                double c = v - (double)pr->cat_low;
                if (!(c >= 0 && c < (double)pr->ncat) || v != floor(v)) {
                    t->ncached = 0; /* this history is not cached */
                    memset(t->nsorted, 0, sizeof *t->nsorted * nl);
                    return pz_error_set(err, PZ_ERANGE,
                                        "trial %llu: label '%s' (%s) has %g, not one of its %llu "
                                        "categories",
                                        (unsigned long long)ctx->trials[i].id, node->label,
                                        pz_node_kind_name(node->kind), v,
                                        (unsigned long long)pr->ncat);
                }
            }
            obs[i] = pz_parzen_to_model(pr, v);
            fresh[k++] = (obs_ix){obs[i], (uint32_t)i};
        }
        if (!k)
            continue;
        qsort(fresh, k, sizeof *fresh, cmp_obs_ix);
        /* Merge; on equal values the older trial (smaller index) first. */
        size_t a = 0, b = 0, m = 0, na = t->nsorted[l];
        while (a < na || b < k) {
            if (b == k || (a < na && obs[srt[a]] <= fresh[b].v))
                merged[m++] = srt[a++];
            else
                merged[m++] = fresh[b++].i;
        }
        memcpy(srt, merged, sizeof *srt * m);
        t->nsorted[l] = m;
    }
    t->ncached = n;
    return PZ_OK;
}
/* }===== */

/* {===== one suggestion ===== */

typedef struct walk {
    tpe *t;
    const pz_suggest_ctx *ctx;
    gsl_rng *r;
    size_t n;                    /* trials */
    const unsigned char *below;  /* below[i]: trial i is in the below set */
    const uint32_t *below_ids;   /* the below trials, ascending */
    size_t nbelow;
    uint32_t *rank_of;           /* n scratch */
    pz_value **out;              /* per label, NULL until proposed */
    unsigned char *visited;      /* per label: met by the walk */
    const size_t *group;         /* multivariate: per label, its group's first label */
} walk;

/* Fit l(x) (below) and g(x) (above) of label l (node) in t->label. */
static int fit_label(walk *w, size_t l, const pz_node *node, pz_parzen *below,
                     pz_parzen *above, pz_error *err)
{
    tpe *t = w->t;
    const tpe_opts *o = &t->o;
    size_t lf = (size_t)o->lf;
    pz_parzen_prior pr;
    if (pz_parzen_prior_of(node, &pr))
        return pz_error_set(err, PZ_EINVAL, "label '%s' is not a hyperparameter", node->label);
    const double *obs = t->obs + l * t->cap;
    const uint32_t *srt = t->sorted + l * t->cap;
    size_t ns = t->nsorted[l];

    pz_arena_reset(&t->label);
    double *bv = pz_arena_alloc(&t->label, sizeof *bv * (w->nbelow + 1));
    uint32_t *br = pz_arena_alloc(&t->label, sizeof *br * (w->nbelow + 1));
    double *av = pz_arena_alloc(&t->label, sizeof *av * (ns + 1));
    uint32_t *ar = pz_arena_alloc(&t->label, sizeof *ar * (ns + 1));
    if (!bv || !br || !av || !ar)
        return pz_error_set(err, PZ_ENOMEM, NULL);

    /* below: chronological, then insertion-sorted by (value, age) */
    size_t nb = 0;
    for (size_t j = 0; j < w->nbelow; j++) {
        double v = obs[w->below_ids[j]];
        if (isnan(v))
            continue;
        size_t at = nb++;
        while (at > 0 && bv[at - 1] > v) {
            bv[at] = bv[at - 1];
            br[at] = br[at - 1];
            at--;
        }
        bv[at] = v;
        br[at] = (uint32_t)(nb - 1);
    }
    /* above: the cached order minus the below trials */
    size_t na = 0;
    for (size_t j = 0; j < ns; j++)
        if (!w->below[srt[j]])
            av[na++] = obs[srt[j]];
    const uint32_t *arank = NULL;
    if (lf > 0 && na > lf) {
        uint32_t r = 0;
        for (size_t i = 0; i < w->n; i++)
            if (!isnan(obs[i]) && !w->below[i])
                w->rank_of[i] = r++;
        for (size_t j = 0, k = 0; j < ns; j++)
            if (!w->below[srt[j]])
                ar[k++] = w->rank_of[srt[j]];
        arank = ar;
    }

    int rc = pz_parzen_fit(below, &t->label, &pr, bv, br, nb, o->prior_weight, lf);
    if (!rc)
        rc = pz_parzen_fit(above, &t->label, &pr, av, arank, na, o->prior_weight, lf);
    if (rc == PZ_ENOMEM)
        return pz_error_set(err, rc, NULL);
    if (rc)
        return pz_error_set(err, rc, "label '%s': an observed value is not one of its categories",
                            node->label);
    return PZ_OK;
}

/* Propose label l (node): the best of n_ei_candidates draws from l(x). */
static int propose_label(walk *w, size_t l, const pz_node *node, pz_value **out, pz_error *err)
{
    const tpe_opts *o = &w->t->o;
    pz_parzen below, above;
    int rc = fit_label(w, l, node, &below, &above, err);
    if (rc)
        return rc;

    double best = NAN, best_score = -HUGE_VAL;
    for (int64_t c = 0; c < o->n_cand; c++) {
        double x = pz_parzen_sample(&below, w->r);
        double s = pz_parzen_lpdf(&below, x) - pz_parzen_lpdf(&above, x);
        if (isnan(s))
            s = -HUGE_VAL;
        if (c == 0 || s > best_score) { /* first of the best, as numpy's argmax */
            best = x;
            best_score = s;
        }
    }
    if (below.prior.kind == PZ_PARZEN_CAT || node->kind == PZ_NODE_UNIFORMINT)
        *out = pz_value_int((int64_t)best);
    else
        *out = pz_value_double(best);
    return *out ? PZ_OK : pz_error_set(err, PZ_ENOMEM, NULL);
}

/* {== multivariate ==} */

/* Labels are grouped when they were active in exactly the same trials
 * (Optuna's group decomposition): group[l] is the first label of l's
 * group. Hash first, compare on equal hashes. */
static int make_groups(tpe *t, size_t n, size_t nl, size_t *group)
{
    uint64_t *h = pz_arena_alloc(&t->arena, sizeof *h * (nl + 1));
    if (!h)
        return PZ_ENOMEM;
    for (size_t l = 0; l < nl; l++) {
        const double *row = t->obs + l * t->cap;
        uint64_t x = UINT64_C(1469598103934665603);
        for (size_t i = 0; i < n; i++)
            if (!isnan(row[i]))
                x = (x ^ i) * UINT64_C(1099511628211);
        h[l] = x;
        group[l] = l;
        for (size_t k = 0; k < l; k++) {
            if (group[k] != k || h[k] != h[l])
                continue;
            const double *other = t->obs + k * t->cap;
            size_t i = 0;
            while (i < n && isnan(row[i]) == isnan(other[i]))
                i++;
            if (i == n) {
                group[l] = k;
                break;
            }
        }
    }
    return PZ_OK;
}

/* Propose every label of group g (g is its first label) jointly, or label
 * g alone when the group has one label. */
static int propose_group(walk *w, size_t g, pz_error *err)
{
    tpe *t = w->t;
    const pz_space *space = w->ctx->space;
    size_t nl = pz_space_nlabels(space), d = 0;
    for (size_t l = g; l < nl; l++)
        d += w->group[l] == g;
    if (d == 1)
        return propose_label(w, g, pz_space_label(space, g), &w->out[g], err);
    pz_arena_reset(&t->label);
    size_t *lab = pz_arena_alloc(&t->label, sizeof *lab * d);
    pz_parzen_prior *pr = pz_arena_alloc(&t->label, sizeof *pr * d);
    double *bo = pz_arena_alloc(&t->label, sizeof *bo * d * (w->nbelow + 1));
    double *ao = pz_arena_alloc(&t->label, sizeof *ao * d * (w->n + 1));
    double *x = pz_arena_alloc(&t->label, sizeof *x * d);
    double *best = pz_arena_alloc(&t->label, sizeof *best * d);
    if (!lab || !pr || !bo || !ao || !x || !best)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    for (size_t l = g, k = 0; l < nl; l++)
        if (w->group[l] == g) {
            lab[k] = l;
            pz_parzen_prior_of(pz_space_label(space, l), &pr[k++]);
        }
    /* rows of the trials where the group was active, oldest first */
    const double *first = t->obs + g * t->cap;
    size_t nb = 0, na = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (isnan(first[i]))
            continue;
        double *row = w->below[i] ? bo + d * nb++ : ao + d * na++;
        for (size_t k = 0; k < d; k++)
            row[k] = t->obs[lab[k] * t->cap + i];
    }
    pz_parzen_joint below, above;
    size_t lf = (size_t)t->o.lf;
    if (pz_parzen_joint_fit(&below, &t->label, pr, d, bo, nb, t->o.prior_weight, lf) ||
        pz_parzen_joint_fit(&above, &t->label, pr, d, ao, na, t->o.prior_weight, lf))
        return pz_error_set(err, PZ_ENOMEM, NULL);
    double best_score = -HUGE_VAL;
    for (int64_t c = 0; c < t->o.n_cand; c++) {
        pz_parzen_joint_sample(&below, w->r, x);
        double s = pz_parzen_joint_lpdf(&below, x) - pz_parzen_joint_lpdf(&above, x);
        if (isnan(s))
            s = -HUGE_VAL;
        if (c == 0 || s > best_score) {
            memcpy(best, x, sizeof *x * d);
            best_score = s;
        }
    }
    for (size_t k = 0; k < d; k++) {
        const pz_node *node = pz_space_label(space, lab[k]);
        pz_value *v = pr[k].kind == PZ_PARZEN_CAT || node->kind == PZ_NODE_UNIFORMINT
                          ? pz_value_int((int64_t)best[k])
                          : pz_value_double(best[k]);
        if (!v)
            return pz_error_set(err, PZ_ENOMEM, NULL);
        w->out[lab[k]] = v;
    }
    return PZ_OK;
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
    if (w->visited[l])
        return PZ_OK; /* a shared node met again */
    w->visited[l] = 1;
    int rc = PZ_OK;
    if (!w->out[l]) /* (a multivariate group may have proposed it already) */
        rc = w->group ? propose_group(w, w->group[l], err)
                      : propose_label(w, (size_t)l, node, &w->out[l], err);
    if (rc)
        return rc;
    if (node->kind == PZ_NODE_CHOICE || node->kind == PZ_NODE_PCHOICE)
        return walk_node(w, node->kids[w->out[l]->u.i], err);
    return PZ_OK;
}

/* Is trial a better (lower loss, then lower index) than trial b? */
static int better(const double *loss, uint32_t a, uint32_t b)
{
    return loss[a] < loss[b] || (loss[a] == loss[b] && a < b);
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return (a > b) - (a < b);
}

/* Read the history, update the cache and make the split: fills w (but
 * for r and out). */
static int prepare(tpe *t, const pz_suggest_ctx *ctx, walk *w, pz_error *err)
{
    const pz_space *space = ctx->space;
    size_t n = ctx->ntrials, nl = pz_space_nlabels(space);
    if (n > UINT32_MAX)
        return pz_error_set(err, PZ_ERANGE, "too many trials for tpe");
    pz_arena *a = &t->arena;
    double *cur = pz_arena_alloc(a, sizeof *cur * (nl * n + 1));
    double *loss = pz_arena_alloc(a, sizeof *loss * (n + 1));
    unsigned char *below = pz_arena_alloc(a, n + 1);
    uint32_t *order = pz_arena_alloc(a, sizeof *order * (n + 1));
    uint32_t *rank_of = pz_arena_alloc(a, sizeof *rank_of * (n + 1));
    if (!cur || !loss || !below || !order || !rank_of)
        return pz_error_set(err, PZ_ENOMEM, NULL);

    /* {== the history, in model space ==} */
    int rc = pz__history_read(space, ctx->trials, n, cur, n, err);
    if (rc || (rc = cache_update(t, ctx, cur, n, nl, err)))
        return rc;

    /* {== losses and the split ==} */
    double worst = -HUGE_VAL;
    for (size_t i = 0; i < n; i++)
        if (ctx->trials[i].status == PZ_TRIAL_OK && isfinite(ctx->trials[i].loss) &&
            ctx->trials[i].loss > worst)
            worst = ctx->trials[i].loss;
    for (size_t i = 0; i < n; i++) {
        const pz_trial_view *tv = &ctx->trials[i];
        if (tv->status == PZ_TRIAL_OK)
            loss[i] = isnan(tv->loss) ? HUGE_VAL : tv->loss;
        else if (tv->status == PZ_TRIAL_PENDING && t->o.liar == LIAR_WORST && worst > -HUGE_VAL)
            loss[i] = worst;
        else
            loss[i] = HUGE_VAL;
    }
    double want = t->o.split == SPLIT_SQRT ? ceil(t->o.gamma * sqrt((double)n))
                                           : ceil(t->o.gamma * (double)n);
    size_t nbelow = want < (double)t->o.gamma_cap ? (size_t)want : (size_t)t->o.gamma_cap;
    if (nbelow > n)
        nbelow = n;
    if (nbelow <= 64) { /* the nbelow best by insertion: O(n) for a typical history */
        size_t k = 0;
        for (uint32_t i = 0; i < n && nbelow; i++) {
            if (k == nbelow && !better(loss, i, order[k - 1]))
                continue;
            size_t at = k < nbelow ? k++ : k - 1;
            while (at > 0 && better(loss, i, order[at - 1])) {
                order[at] = order[at - 1];
                at--;
            }
            order[at] = i;
        }
    } else {
        obs_ix *all = pz_arena_alloc(a, sizeof *all * n);
        if (!all)
            return pz_error_set(err, PZ_ENOMEM, NULL);
        for (uint32_t i = 0; i < n; i++)
            all[i] = (obs_ix){loss[i], i}; /* (loss, id) order, as better() */
        qsort(all, n, sizeof *all, cmp_obs_ix);
        for (size_t j = 0; j < nbelow; j++)
            order[j] = all[j].i;
    }
    memset(below, 0, n);
    for (size_t j = 0; j < nbelow; j++)
        below[order[j]] = 1;
    qsort(order, nbelow, sizeof *order, cmp_u32); /* chronological, for the ramp */
    *w = (walk){t, ctx, NULL, n, below, order, nbelow, rank_of, NULL, NULL, NULL};
    return PZ_OK;
}

static int propose(tpe *t, const pz_suggest_ctx *ctx, gsl_rng *r, pz_value **vals, pz_error *err)
{
    const pz_space *space = ctx->space;
    size_t nl = pz_space_nlabels(space);
    walk w;
    int rc = prepare(t, ctx, &w, err);
    if (rc)
        return rc;
    pz_value **out = pz_arena_alloc(&t->arena, sizeof *out * (nl + 1));
    if (!out)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    unsigned char *visited = pz_arena_alloc(&t->arena, nl + 1);
    size_t *group = t->o.multivariate ? pz_arena_alloc(&t->arena, sizeof *group * (nl + 1)) : NULL;
    if (!visited || (t->o.multivariate && (!group || make_groups(t, w.n, nl, group))))
        return pz_error_set(err, PZ_ENOMEM, NULL);
    memset(out, 0, sizeof *out * nl);
    memset(visited, 0, nl);
    w.r = r;
    w.out = out;
    w.visited = visited;
    w.group = group;
    rc = walk_node(&w, pz_space_root(space), err);
    /* A group proposes all its labels; drop those the proposal's own
     * choices leave inactive (only multivariate proposes unvisited ones). */
    for (size_t l = 0; l < nl; l++)
        if (out[l] && !visited[l]) {
            pz_value_free(out[l]);
            out[l] = NULL;
        }
    pz_value *map = rc ? NULL : pz_value_map();
    if (!rc && !map)
        rc = pz_error_set(err, PZ_ENOMEM, NULL);
    for (size_t l = 0; l < nl; l++) {
        if (!out[l])
            continue;
        if (!rc && pz_map_set(map, pz_space_label(space, l)->label, out[l]))
            rc = pz_error_set(err, PZ_ENOMEM, NULL);
        else if (rc)
            pz_value_free(out[l]);
    }
    if (rc) {
        pz_value_free(map);
        return rc;
    }
    *vals = map;
    return PZ_OK;
}
/* }===== */

/* {===== the searcher table ===== */

static int tpe_create(void **state, const pz_value *options, pz_error *err)
{
    *state = NULL;
    tpe *t = calloc(1, sizeof *t);
    if (!t)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    int rc = parse_options(&t->o, options, err);
    if (rc) {
        free(t);
        return rc;
    }
    pz_arena_init(&t->arena);
    pz_arena_init(&t->label);
    *state = t;
    return PZ_OK;
}

static int tpe_suggest(void *state, const pz_suggest_ctx *ctx, pz_value **vals, pz_error *err)
{
    tpe *t = state;
    gsl_rng *r = pz_rng_new(ctx->seed, ctx->trial_id);
    if (!r)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    int rc;
    if (ctx->ntrials < (uint64_t)t->o.n_startup) {
        rc = pz_space_sample(ctx->space, r, vals, err); /* random search's draw */
    } else {
        pz_arena_reset(&t->arena);
        rc = propose(t, ctx, r, vals, err);
    }
    gsl_rng_free(r);
    return rc;
}

static void tpe_destroy(void *state)
{
    tpe *t = state;
    if (!t)
        return;
    pz_arena_destroy(&t->arena);
    pz_arena_destroy(&t->label);
    cache_free(t);
    free(t);
}

int pz__tpe_models(const pz_value *options, const pz_suggest_ctx *ctx, size_t l, pz_arena *a,
                   pz_parzen *below, pz_parzen *above, pz_error *err)
{
    const pz_node *node = pz_space_label(ctx->space, l);
    if (!node)
        return pz_error_set(err, PZ_EINVAL, "no label %zu", l);
    void *state;
    int rc = tpe_create(&state, options, err);
    if (rc)
        return rc;
    tpe *t = state;
    walk w;
    rc = prepare(t, ctx, &w, err);
    if (!rc)
        rc = fit_label(&w, l, node, below, above, err);
    if (!rc) { /* hand the estimators' memory over to the caller */
        pz_arena_destroy(a);
        *a = t->label;
        pz_arena_init(&t->label);
    }
    tpe_destroy(t);
    return rc;
}

const pz_searcher_type pz_searcher_tpe = {
    .name = "tpe",
    .summary = "Tree-structured Parzen Estimator (hyperopt's tpe.suggest)",
    .create = tpe_create,
    .suggest = tpe_suggest,
    .destroy = tpe_destroy,
};
/* }===== */
