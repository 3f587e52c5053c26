/* parzen: the searcher registry and option helpers (see searcher.h).
 * Strategies register here by name; the study driver only ever sees the
 * pz_searcher handle. */
#define _POSIX_C_SOURCE 200809L
#include "searcher.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct pz_searcher {
    const pz_searcher_type *type;
    void *state;
};

static const pz_searcher_type *const types[] = {
    &pz_searcher_random,
    &pz_searcher_tpe,
    &pz_searcher_anneal,
    NULL,
};

const pz_searcher_type *const *pz_searcher_types(void) { return types; }

int pz_searcher_new(pz_searcher **out, const char *name, const pz_value *options, pz_error *err)
{
    *out = NULL;
    const pz_searcher_type *t = NULL;
    for (size_t i = 0; types[i]; i++)
        if (strcmp(types[i]->name, name) == 0)
            t = types[i];
    if (!t) {
        char known[256] = "";
        for (size_t i = 0; types[i]; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, types[i]->name, sizeof known - strlen(known) - 1);
        }
        return pz_error_set(err, PZ_ENOENT, "unknown search algorithm '%s' (known: %s)", name, known);
    }
    if (options && options->type != PZ_MAP)
        return pz_error_set(err, PZ_EINVAL, "algo options must be a table");
    pz_value *empty = NULL;
    if (!options && !(options = empty = pz_value_map()))
        return pz_error_set(err, PZ_ENOMEM, NULL);
    pz_searcher *s = calloc(1, sizeof *s);
    int rc = s ? t->create(&s->state, options, err) : pz_error_set(err, PZ_ENOMEM, NULL);
    pz_value_free(empty);
    if (rc) {
        free(s);
        return rc;
    }
    s->type = t;
    *out = s;
    return PZ_OK;
}

int pz_searcher_suggest(pz_searcher *s, const pz_suggest_ctx *ctx, pz_value **vals, pz_error *err)
{
    *vals = NULL;
    return s->type->suggest(s->state, ctx, vals, err);
}

const char *pz_searcher_name(const pz_searcher *s) { return s->type->name; }

void pz_searcher_free(pz_searcher *s)
{
    if (!s)
        return;
    if (s->type->destroy)
        s->type->destroy(s->state);
    free(s);
}

/* {===== option helpers ===== */

int pz_opt_double(const pz_value *options, const char *key, double lo, double hi, double *out,
                  pz_error *err)
{
    const pz_value *v = pz_map_get(options, key);
    if (!v)
        return PZ_OK;
    double d;
    if (pz_value_number(v, &d) || !(d >= lo && d <= hi))
        return pz_error_set(err, PZ_EINVAL, "algo.%s must be a number in [%g, %g]", key, lo, hi);
    *out = d;
    return PZ_OK;
}

int pz_opt_int(const pz_value *options, const char *key, int64_t lo, int64_t hi, int64_t *out,
               pz_error *err)
{
    const pz_value *v = pz_map_get(options, key);
    if (!v)
        return PZ_OK;
    if (v->type != PZ_INT || v->u.i < lo || v->u.i > hi)
        return pz_error_set(err, PZ_EINVAL, "algo.%s must be an integer in [%lld, %lld]", key,
                            (long long)lo, (long long)hi);
    *out = v->u.i;
    return PZ_OK;
}

int pz_opt_bool(const pz_value *options, const char *key, int *out, pz_error *err)
{
    const pz_value *v = pz_map_get(options, key);
    if (!v)
        return PZ_OK;
    if (v->type != PZ_BOOL)
        return pz_error_set(err, PZ_EINVAL, "algo.%s must be true or false", key);
    *out = v->u.b;
    return PZ_OK;
}

int pz_opt_check_keys(const pz_value *options, const char *searcher, const char *const *known,
                      pz_error *err)
{
    if (!options || options->type != PZ_MAP)
        return PZ_OK;
    for (size_t i = 0; i < options->u.map.len; i++) {
        const char *k = options->u.map.keys[i];
        int ok = strcmp(k, "name") == 0;
        for (size_t j = 0; !ok && known[j]; j++)
            ok = strcmp(k, known[j]) == 0;
        if (!ok) {
            pz_buf b;
            pz_buf_init(&b);
            for (size_t j = 0; known[j]; j++)
                pz_buf_printf(&b, "%s%s", j ? ", " : "", known[j]);
            pz_error_set(err, PZ_EINVAL, "unknown option algo.%s for %s (known: %s)", k, searcher,
                         b.data ? b.data : "none");
            pz_buf_destroy(&b);
            return PZ_EINVAL;
        }
    }
    return PZ_OK;
}
/* }===== */
