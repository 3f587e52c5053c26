/* parzen: prior sampling, label activity and space_eval (see sample.h).
 *
 * All three walk the space depth-first in the order pz_space_new indexed it
 * (map values in key order, list items in order, only the chosen option of
 * a choice), so the sequence of RNG draws, and with it a trial's vals, is a
 * function of the space and the generator's seed alone.
 */
#include "sample.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>

/* {===== generators ===== */

/* splitmix64's finaliser: a bijection on 64 bits that scatters neighbouring
 * inputs (seed 7 vs 8, trial 3 vs 4) over the whole range, so adjacent
 * streams do not start from correlated MT19937 states. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

gsl_rng *pz_rng_new(uint64_t seed, uint64_t stream)
{
    const uint64_t golden = UINT64_C(0x9e3779b97f4a7c15);
    /* Mixing seed first and then xoring the stream in (rather than hashing
     * seed ^ stream) keeps (s, t) and (t, s) apart, and for one seed every
     * stream gets a different 64-bit value. */
    uint64_t h = mix64(mix64(seed + golden) ^ (stream + 2 * golden));
    /* gsl's mt19937 seeding reads only the low 32 bits of its seed, so fold
     * all 64 in rather than dropping half of the mix. 0 is avoided because
     * gsl silently replaces it by its default seed 4357. Being 32 bits,
     * two streams collide with probability 2^-32 per pair; that is the price
     * of staying with gsl's documented seeding. */
    uint32_t s32 = (uint32_t)(h ^ (h >> 32));
    if (s32 == 0)
        s32 = (uint32_t)(golden >> 32);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return NULL;
    gsl_rng_set(r, s32);
    return r;
}

/* 64 uniform bits. Generators with exactly 32-bit output (MT19937, all that
 * pz_rng_new makes) give two raw draws; any other gsl generator is read a
 * byte at a time, which every one of them can supply without bias. */
static uint64_t draw_u64(gsl_rng *r)
{
    uint64_t u = 0;
    if (gsl_rng_max(r) - gsl_rng_min(r) == 0xffffffffUL) {
        uint64_t hi = gsl_rng_get(r) - gsl_rng_min(r);
        uint64_t lo = gsl_rng_get(r) - gsl_rng_min(r);
        return hi << 32 | lo;
    }
    for (int i = 0; i < 8; i++)
        u = u << 8 | gsl_rng_uniform_int(r, 256);
    return u;
}

/* Uniform on [0, n), n >= 1. gsl_rng_uniform_int serves n up to the
 * generator's range (2^32 - 1 for MT19937) and calls gsl's abort-by-default
 * error handler beyond it, while randint bounds may lie up to 2^54 apart:
 * wider ranges draw 64 bits and reject the 2^64 mod n lowest words, which
 * leaves a multiple of n equally likely words, so no value is favoured. */
static uint64_t draw_below(gsl_rng *r, uint64_t n)
{
    if (n <= gsl_rng_max(r) - gsl_rng_min(r))
        return gsl_rng_uniform_int(r, (unsigned long)n);
    uint64_t reject = (UINT64_C(0) - n) % n;
    uint64_t u;
    do
        u = draw_u64(r);
    while (u < reject);
    return u % n;
}

/* numpy's round, half to even, which nearbyint gives in the default
 * rounding mode (the library never changes it). */
static double quantize(double x, double q) { return nearbyint(x / q) * q; }

static size_t pchoice_draw(const pz_node *n, gsl_rng *r)
{
    /* If rounding leaves the cumulative sum just under u, fall to the last
     * option that can occur at all, never to a zero-probability one. */
    size_t pick = n->n - 1;
    while (pick > 0 && n->probs[pick] == 0)
        pick--;
    double u = gsl_rng_uniform(r), acc = 0;
    for (size_t i = 0; i < n->n; i++) {
        acc += n->probs[i];
        if (u < acc)
            return i;
    }
    return pick;
}

pz_value *pz_node_sample(const pz_node *n, gsl_rng *r)
{
    switch (n->kind) {
    case PZ_NODE_UNIFORM:
        return pz_value_double(gsl_ran_flat(r, n->low, n->high));
    case PZ_NODE_LOGUNIFORM:
        return pz_value_double(exp(gsl_ran_flat(r, n->low, n->high)));
    case PZ_NODE_QUNIFORM:
        return pz_value_double(quantize(gsl_ran_flat(r, n->low, n->high), n->q));
    case PZ_NODE_QLOGUNIFORM:
        return pz_value_double(quantize(exp(gsl_ran_flat(r, n->low, n->high)), n->q));
    case PZ_NODE_NORMAL:
        return pz_value_double(n->mu + gsl_ran_gaussian(r, n->sigma));
    case PZ_NODE_LOGNORMAL:
        return pz_value_double(exp(n->mu + gsl_ran_gaussian(r, n->sigma)));
    case PZ_NODE_QNORMAL:
        return pz_value_double(quantize(n->mu + gsl_ran_gaussian(r, n->sigma), n->q));
    case PZ_NODE_QLOGNORMAL:
        return pz_value_double(quantize(exp(n->mu + gsl_ran_gaussian(r, n->sigma)), n->q));
    case PZ_NODE_RANDINT: {
        /* Bounds are exact integers of at most 2^53 in magnitude (space.c
         * checks), so the casts and the width are exact. */
        int64_t low = (int64_t)n->low;
        uint64_t width = (uint64_t)((int64_t)n->high - low);
        return pz_value_int(low + (int64_t)draw_below(r, width));
    }
    case PZ_NODE_UNIFORMINT:
        /* hyperopt's int(quniform(low, high, 1)): the end points get half
         * the mass of the inner integers. */
        return pz_value_int((int64_t)quantize(gsl_ran_flat(r, n->low, n->high), 1.0));
    case PZ_NODE_CHOICE:
        return pz_value_int((int64_t)draw_below(r, n->n));
    case PZ_NODE_PCHOICE:
        return pz_value_int((int64_t)pchoice_draw(n, r));
    default:
        return NULL; /* not a hyperparameter */
    }
}
/* }===== */

/* {===== tree walks ===== */

/* The node's position in s. node->index is normally it, but a node shared
 * with a second space carries the index of whichever space indexed it last,
 * so it is trusted only when s agrees. */
static int label_index(const pz_space *s, const pz_node *node, pz_error *err)
{
    if (node->index >= 0 && pz_space_label(s, (size_t)node->index) == node)
        return node->index;
    int i = pz_space_find(s, node->label);
    if (i < 0)
        return pz_error_set(err, PZ_EINVAL, "label '%s' is not part of this space", node->label);
    return i;
}

static int check_vals(const pz_value *vals, pz_error *err)
{
    if (!vals || vals->type != PZ_MAP)
        return pz_error_set(err, PZ_ETYPE, "vals must be a map (got %s)",
                            vals ? pz_type_name(vals->type) : "nothing");
    return PZ_OK;
}

static int lookup(const pz_node *node, const pz_value *vals, const pz_value **out, pz_error *err)
{
    *out = pz_map_get(vals, node->label);
    if (!*out)
        return pz_error_set(err, PZ_ENOENT, "vals has no value for active label '%s'", node->label);
    return PZ_OK;
}

/* The option index a choice/pchoice takes under vals. */
static int choice_index(const pz_node *node, const pz_value *vals, size_t *k, pz_error *err)
{
    const pz_value *v;
    int rc = lookup(node, vals, &v, err);
    if (rc)
        return rc;
    if (v->type != PZ_INT)
        return pz_error_set(err, PZ_ETYPE, "label '%s' (%s) needs an int option index, got %s",
                            node->label, pz_node_kind_name(node->kind), pz_type_name(v->type));
    if (v->u.i < 0 || (uint64_t)v->u.i >= node->n)
        return pz_error_set(err, PZ_ERANGE,
                            "label '%s' (%s) has option index %" PRId64 ", outside [0, %zu)",
                            node->label, pz_node_kind_name(node->kind), v->u.i, node->n);
    *k = (size_t)v->u.i;
    return PZ_OK;
}

typedef struct sampler {
    const pz_space *s;
    gsl_rng *r;
    pz_value **drawn; /* per label index, NULL until drawn */
} sampler;

static int sample_node(sampler *w, const pz_node *node, pz_error *err)
{
    if (!pz_node_is_label(node->kind)) {
        for (size_t i = 0; i < node->n; i++) {
            int rc = sample_node(w, node->kids[i], err);
            if (rc)
                return rc;
        }
        return PZ_OK;
    }
    int i = label_index(w->s, node, err);
    if (i < 0)
        return i;
    if (w->drawn[i])
        return PZ_OK; /* a shared node met again: one hyperparameter, one draw,
                       * and a choice's chosen subtree was walked the first time */
    pz_value *v = pz_node_sample(node, w->r);
    if (!v)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    w->drawn[i] = v;
    if (node->kind == PZ_NODE_CHOICE || node->kind == PZ_NODE_PCHOICE)
        return sample_node(w, node->kids[v->u.i], err);
    return PZ_OK;
}

int pz_space_sample(const pz_space *s, gsl_rng *r, pz_value **vals, pz_error *err)
{
    *vals = NULL;
    size_t nl = pz_space_nlabels(s);
    sampler w = {s, r, calloc(nl ? nl : 1, sizeof(pz_value *))};
    pz_value *map = pz_value_map();
    if (!w.drawn || !map) {
        free(w.drawn);
        pz_value_free(map);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    int rc = sample_node(&w, pz_space_root(s), err);
    /* Keys go in label order, not draw order, so vals of one space always
     * list their labels alike whichever branch was taken. */
    for (size_t i = 0; i < nl; i++) {
        pz_value *v = w.drawn[i];
        w.drawn[i] = NULL;
        if (v && !rc && pz_map_set(map, pz_space_label(s, i)->label, v))
            rc = pz_error_set(err, PZ_ENOMEM, NULL);
        else if (rc)
            pz_value_free(v);
    }
    free(w.drawn);
    if (rc) {
        pz_value_free(map);
        return rc;
    }
    *vals = map;
    return PZ_OK;
}

static int active_node(const pz_space *s, const pz_node *node, const pz_value *vals,
                       unsigned char *active, pz_error *err)
{
    if (pz_node_is_label(node->kind)) {
        int i = label_index(s, node, err);
        if (i < 0)
            return i;
        if (active[i])
            return PZ_OK; /* shared node: its subtree is already marked */
        active[i] = 1;
        if (node->kind != PZ_NODE_CHOICE && node->kind != PZ_NODE_PCHOICE)
            return PZ_OK;
        size_t k;
        int rc = choice_index(node, vals, &k, err);
        return rc ? rc : active_node(s, node->kids[k], vals, active, err);
    }
    for (size_t i = 0; i < node->n; i++) {
        int rc = active_node(s, node->kids[i], vals, active, err);
        if (rc)
            return rc;
    }
    return PZ_OK;
}

int pz_space_active(const pz_space *s, const pz_value *vals, unsigned char *active, pz_error *err)
{
    size_t nl = pz_space_nlabels(s);
    for (size_t i = 0; i < nl; i++)
        active[i] = 0;
    int rc = check_vals(vals, err);
    return rc ? rc : active_node(s, pz_space_root(s), vals, active, err);
}

/* The value of a numeric label as params carry it. */
static int eval_label(const pz_node *node, const pz_value *vals, pz_value **out, pz_error *err)
{
    const pz_value *v;
    int rc = lookup(node, vals, &v, err);
    if (rc)
        return rc;
    const char *kind = pz_node_kind_name(node->kind);
    if (node->kind == PZ_NODE_RANDINT || node->kind == PZ_NODE_UNIFORMINT) {
        if (v->type != PZ_INT)
            return pz_error_set(err, PZ_ETYPE, "label '%s' (%s) needs an int, got %s", node->label,
                                kind, pz_type_name(v->type));
        int64_t low = (int64_t)node->low, high = (int64_t)node->high;
        int closed = node->kind == PZ_NODE_UNIFORMINT;
        if (v->u.i < low || v->u.i > high || (!closed && v->u.i == high))
            return pz_error_set(err, PZ_ERANGE,
                                "label '%s' (%s) has %" PRId64 ", outside [%" PRId64 ", %" PRId64
                                "%c",
                                node->label, kind, v->u.i, low, high, closed ? ']' : ')');
        *out = pz_value_int(v->u.i);
    } else {
        double d;
        if (pz_value_number(v, &d) != PZ_OK)
            return pz_error_set(err, PZ_ETYPE, "label '%s' (%s) needs a number, got %s",
                                node->label, kind, pz_type_name(v->type));
        /* Only finiteness is checked: TPE may propose quantised values just
         * outside [low, high], and hyperopt accepts them too. */
        if (!isfinite(d))
            return pz_error_set(err, PZ_ERANGE, "label '%s' (%s) needs a finite number, got %g",
                                node->label, kind, d);
        *out = pz_value_double(d);
    }
    return *out ? PZ_OK : pz_error_set(err, PZ_ENOMEM, NULL);
}

static int eval_node(const pz_node *node, const pz_value *vals, pz_value **out, pz_error *err)
{
    *out = NULL;
    switch (node->kind) {
    case PZ_NODE_CONST:
        *out = pz_value_copy(node->constant);
        return *out ? PZ_OK : pz_error_set(err, PZ_ENOMEM, NULL);
    case PZ_NODE_LIST:
    case PZ_NODE_MAP: {
        pz_value *c = node->kind == PZ_NODE_LIST ? pz_value_list() : pz_value_map();
        if (!c)
            return pz_error_set(err, PZ_ENOMEM, NULL);
        for (size_t i = 0; i < node->n; i++) {
            pz_value *item;
            int rc = eval_node(node->kids[i], vals, &item, err);
            if (!rc && (node->kind == PZ_NODE_LIST ? pz_list_push(c, item)
                                                   : pz_map_set(c, node->keys[i], item)))
                rc = pz_error_set(err, PZ_ENOMEM, NULL);
            if (rc) {
                pz_value_free(c);
                return rc;
            }
        }
        *out = c;
        return PZ_OK;
    }
    case PZ_NODE_CHOICE:
    case PZ_NODE_PCHOICE: {
        size_t k;
        int rc = choice_index(node, vals, &k, err);
        return rc ? rc : eval_node(node->kids[k], vals, out, err);
    }
    default:
        return eval_label(node, vals, out, err);
    }
}

int pz_space_eval(const pz_space *s, const pz_value *vals, pz_value **params, pz_error *err)
{
    *params = NULL;
    int rc = check_vals(vals, err);
    return rc ? rc : eval_node(pz_space_root(s), vals, params, err);
}
/* }===== */
