/* parzen: reading a study's history into per-label numbers, for the
 * model-based searchers (see tpe.h). Only this file looks inside the vals
 * maps of past trials. */
#include "tpe.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

int pz__label_index(const pz_space *s, const pz_node *node)
{
    if (node->index >= 0 && pz_space_label(s, (size_t)node->index) == node)
        return node->index;
    return pz_space_find(s, node->label);
}

/* strcmp(a, b) == 0 for the short strings labels are, without a call. */
static int same(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

int pz__history_read(const pz_space *s, const pz_trial_view *trials, size_t n, double *out,
                     size_t stride, pz_error *err)
{
    size_t nl = pz_space_nlabels(s);
    for (size_t l = 0; l < nl; l++)
        for (size_t t = 0; t < n; t++)
            out[l * stride + t] = NAN;
    for (size_t t = 0; t < n; t++) {
        const pz_value *vals = trials[t].vals;
        if (!vals || vals->type != PZ_MAP)
            return pz_error_set(err, PZ_ETYPE, "trial %" PRIu64 ": vals must be a map",
                                trials[t].id);
        size_t next = 0; /* where the next key is expected, in label order */
        for (size_t k = 0; k < vals->u.map.len; k++) {
            const char *key = vals->u.map.keys[k];
            /* Search from where the previous key was found, wrapping
             * around: a key in label order is found at once, or after the
             * few labels inactive in between. */
            size_t l = nl;
            for (size_t j = 0; j < nl && l == nl; j++) {
                size_t c = next + j < nl ? next + j : next + j - nl;
                if (same(pz_space_label(s, c)->label, key))
                    l = c;
            }
            if (l == nl)
                continue;
            next = l + 1;
            const pz_value *v = vals->u.map.vals[k];
            double d = v->type == PZ_DOUBLE ? v->u.d : (double)v->u.i;
            if (v->type != PZ_DOUBLE && v->type != PZ_INT)
                return pz_error_set(err, PZ_ETYPE, "trial %" PRIu64 ": label '%s' is a %s, not a number",
                                    trials[t].id, key, pz_type_name(vals->u.map.vals[k]->type));
            if (!isfinite(d))
                return pz_error_set(err, PZ_ERANGE, "trial %" PRIu64 ": label '%s' is not finite",
                                    trials[t].id, key);
            out[l * stride + t] = d;
        }
    }
    return PZ_OK;
}
