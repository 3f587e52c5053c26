/* parzen: prior sampling and space_eval.
 *
 * vals are what a searcher proposes: a map from each active label to its
 * value (double for the continuous and q-forms, int for randint and
 * uniformint, int option index for choice and pchoice); inactive labels are
 * absent. pz_space_eval turns vals into the params tree the objective sees,
 * exactly as hyperopt's space_eval does.
 *
 * Randomness: every draw comes from a gsl_rng the caller owns. pz_rng_new
 * derives an independent stream from (seed, stream) so that trial t of a
 * study seeded s always uses the same numbers, whatever ran before it.
 */
#ifndef PZ_SAMPLE_H
#define PZ_SAMPLE_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

#include "error.h"
#include "export.h"
#include "space.h"
#include "value.h"

/* A new MT19937 generator seeded from a mix of seed and stream; free with
 * gsl_rng_free. NULL on allocation failure. */
PZ_API gsl_rng *pz_rng_new(uint64_t seed, uint64_t stream);

/* One draw of the label node n from its prior, as a value of the type vals
 * hold (for choice/pchoice, the option index as an int). */
PZ_API pz_value *pz_node_sample(const pz_node *n, gsl_rng *r);

/* Draw vals from the prior of s into *vals (a new map, keys in label
 * order; caller frees). */
PZ_API int pz_space_sample(const pz_space *s, gsl_rng *r, pz_value **vals, pz_error *err);

/* Build params from vals. Every active label must be present with a value
 * of the right type and in range; labels that are not active are ignored.
 * Errors name the label. */
PZ_API int pz_space_eval(const pz_space *s, const pz_value *vals, pz_value **params, pz_error *err);

/* Which labels are active under vals: active[i] (for i < nlabels) is set
 * to 1 or 0. Choice values must be present for every active choice. */
PZ_API int pz_space_active(const pz_space *s, const pz_value *vals, unsigned char *active,
                           pz_error *err);

#endif
