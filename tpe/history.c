/* parzen: reading a study's history into per-label numbers, for the
 * model-based searchers (see tpe.h). Only this file looks inside the vals
 * maps of past trials. */
#include "tpe.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int pz__label_index(const pz_space *s, const pz_node *node)
{
    if (node->index >= 0 && pz_space_label(s, (size_t)node->index) == node)
        return node->index;
    return pz_space_find(s, node->label);
}

int pz__history_read(const pz_space *s, const pz_trial_view *trials, size_t n, double *out,
                     size_t stride, pz_error *err)
{
    size_t nl = pz_space_nlabels(s);
    /* label strings and lengths: a key is compared by length, then by
     * memcmp (both SIMD in libc, unlike a byte loop) */
    typedef struct named {
        const char *s;
        size_t len;
    } named;
    named small[64], *lab = nl <= 64 ? small : malloc(sizeof *lab * nl);
    if (!lab)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    for (size_t l = 0; l < nl; l++) {
        lab[l].s = pz_space_label(s, l)->label;
        lab[l].len = strlen(lab[l].s);
        for (size_t t = 0; t < n; t++)
            out[l * stride + t] = NAN;
    }
    int rc = PZ_OK;
    for (size_t t = 0; t < n && !rc; t++) {
        const pz_value *vals = trials[t].vals;
        if (!vals || vals->type != PZ_MAP) {
            rc = pz_error_set(err, PZ_ETYPE, "trial %" PRIu64 ": vals must be a map", trials[t].id);
            break;
        }
        size_t next = 0; /* where the next key is expected, in label order */
        for (size_t k = 0; k < vals->u.map.len; k++) {
            const char *key = vals->u.map.keys[k];
            size_t klen = strlen(key);
#define SAME(c) (lab[c].len == klen && memcmp(lab[c].s, key, klen) == 0)
            /* Search from where the previous key was found, wrapping
             * around: a key in label order is found at once, or after the
             * few labels inactive in between. */
            size_t l = next < nl && SAME(next) ? next : nl;
            for (size_t j = 1; j < nl && l == nl; j++) {
                size_t c = next + j < nl ? next + j : next + j - nl;
                if (SAME(c))
                    l = c;
            }
#undef SAME
            if (l == nl)
                continue;
            next = l + 1;
            const pz_value *v = vals->u.map.vals[k];
            if (v->type != PZ_DOUBLE && v->type != PZ_INT) {
                rc = pz_error_set(err, PZ_ETYPE, "trial %" PRIu64 ": label '%s' is a %s, not a number",
                                  trials[t].id, key, pz_type_name(v->type));
                break;
            }
            double d = v->type == PZ_DOUBLE ? v->u.d : (double)v->u.i;
            if (!isfinite(d)) {
                rc = pz_error_set(err, PZ_ERANGE, "trial %" PRIu64 ": label '%s' is not finite",
                                  trials[t].id, key);
                break;
            }
            out[l * stride + t] = d;
        }
    }
    if (lab != small)
        free(lab);
    return rc;
}
