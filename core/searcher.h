/* parzen: the searcher interface every search strategy implements.
 *
 * A searcher proposes vals (one value per active label, as sample.h
 * describes) for a new trial from: the space, every trial created before
 * it (finished, failed or still pending), the trial's id and the study
 * seed. The proposal must depend on nothing else: searchers draw from
 * pz_rng_new(seed, trial_id) and may cache derived data between calls
 * (sorted observations, say) only when that cannot change the answer. So a
 * study that is killed and resumed proposes exactly what the uninterrupted
 * one would have.
 *
 * Ownership: the trial views and their vals are borrowed for the call;
 * *vals is a new map the caller frees.
 */
#ifndef PZ_SEARCHER_H
#define PZ_SEARCHER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "space.h"
#include "value.h"

typedef enum pz_trial_status {
    PZ_TRIAL_PENDING = 0, /* created or running: no loss yet */
    PZ_TRIAL_OK,          /* finished with a finite loss */
    PZ_TRIAL_FAIL         /* finished without a usable loss */
} pz_trial_status;

/* What a searcher sees of one trial. */
typedef struct pz_trial_view {
    uint64_t id;            /* trial id, 0-based, in creation order */
    pz_trial_status status;
    double loss;            /* meaningful only when status == PZ_TRIAL_OK */
    const pz_value *vals;   /* the trial's vals (borrowed) */
} pz_trial_view;

typedef struct pz_suggest_ctx {
    const pz_space *space;
    const pz_trial_view *trials; /* every earlier trial, ordered by id */
    size_t ntrials;
    uint64_t seed;               /* study seed */
    uint64_t trial_id;           /* id of the trial being proposed */
} pz_suggest_ctx;

/* A strategy: a name and three functions. options is the study's `algo`
 * table (a map, possibly empty; never NULL); create refuses unknown or bad
 * options naming the field. */
typedef struct pz_searcher_type {
    const char *name;
    const char *summary;
    int (*create)(void **state, const pz_value *options, pz_error *err);
    int (*suggest)(void *state, const pz_suggest_ctx *ctx, pz_value **vals, pz_error *err);
    void (*destroy)(void *state);
} pz_searcher_type;

typedef struct pz_searcher pz_searcher;

/* A searcher by name ("random", "tpe", ...), configured by options (a map
 * or NULL; its "name" key, if any, is ignored). PZ_ENOENT for an unknown
 * name, listing the known ones. */
PZ_API int pz_searcher_new(pz_searcher **out, const char *name, const pz_value *options,
                           pz_error *err);
PZ_API int pz_searcher_suggest(pz_searcher *s, const pz_suggest_ctx *ctx, pz_value **vals,
                               pz_error *err);
PZ_API const char *pz_searcher_name(const pz_searcher *s);
PZ_API void pz_searcher_free(pz_searcher *s);

/* The registered strategies, NULL-terminated. */
PZ_API const pz_searcher_type *const *pz_searcher_types(void);

/* {===== helpers for strategies =====
 * Read an option of options (a map; absent → *out unchanged). Wrong type
 * or range → PZ_EINVAL naming "algo.<key>". */
PZ_API int pz_opt_double(const pz_value *options, const char *key, double lo, double hi,
                         double *out, pz_error *err);
PZ_API int pz_opt_int(const pz_value *options, const char *key, int64_t lo, int64_t hi,
                      int64_t *out, pz_error *err);
PZ_API int pz_opt_bool(const pz_value *options, const char *key, int *out, pz_error *err);
/* Refuse keys of options not in known (NULL-terminated), naming the first. */
PZ_API int pz_opt_check_keys(const pz_value *options, const char *searcher,
                             const char *const *known, pz_error *err);
/* }===== */

/* The strategies built in (defined in their own files). */
extern const pz_searcher_type pz_searcher_random;
extern const pz_searcher_type pz_searcher_tpe;    /* tpe/tpe.c */
extern const pz_searcher_type pz_searcher_anneal; /* core/search_anneal.c */

#endif
