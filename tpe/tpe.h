/* parzen: the Tree-structured Parzen Estimator (hyperopt's tpe.suggest).
 *
 * This module owns the adaptive Parzen estimators of TPE (one 1-D density
 * per label and side of the split: a truncated Gaussian mixture, in log
 * space for the log families, scored by bucket mass for the q-forms, or a
 * categorical posterior with prior pseudo-counts), their log-densities and
 * samplers, and the scratch arena a suggestion lives in. The searcher built
 * on them is registered as "tpe" (searcher.h); core/search_anneal.c, the
 * "anneal" searcher, shares the history reader declared at the end.
 *
 * Values: a pz_parzen takes and returns values as vals hold them (the
 * "value space": exp of the model space for the log families; option
 * index or integer for the categoricals, carried in a double, exact up to
 * 2^53). Model space is where the Gaussians live: log(value) for the log
 * families, the value itself otherwise.
 *
 * Ownership: every array of a pz_parzen lives in the arena it was fitted
 * in and dies with the arena's next reset; pz_parzen itself is a plain
 * struct the caller owns.
 */
#ifndef PZ_TPE_H
#define PZ_TPE_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "error.h"
#include "export.h"
#include "searcher.h"
#include "space.h"

/* {===== scratch arena =====
 * A bump allocator: allocations are 16-byte aligned and never move; reset
 * frees them all at once but keeps the largest block, so a searcher that
 * suggests repeatedly reaches a steady state with no malloc at all. */
typedef struct pz__arena_block pz__arena_block;
typedef struct pz_arena {
    pz__arena_block *head; /* newest block first */
} pz_arena;

PZ_API void pz_arena_init(pz_arena *a);
/* NULL when out of memory. Zero bytes gives a valid unique pointer. */
PZ_API void *pz_arena_alloc(pz_arena *a, size_t bytes);
PZ_API void pz_arena_reset(pz_arena *a);
PZ_API void pz_arena_destroy(pz_arena *a);
/* }===== */

/* {===== adaptive Parzen estimators ===== */
typedef enum pz_parzen_kind {
    PZ_PARZEN_GMM = 0, /* Gaussian mixture (uniform, normal and log families) */
    PZ_PARZEN_CAT      /* categorical (choice, pchoice, randint) */
} pz_parzen_kind;

/* The prior a label's estimator starts from (pz_parzen_prior_of). */
typedef struct pz_parzen_prior {
    pz_parzen_kind kind;
    /* GMM: the prior component and the truncation, in model space;
     * low = -HUGE_VAL, high = HUGE_VAL for the normal families. */
    double mu, sigma, low, high;
    double q;       /* quantum in value space; 0 for continuous labels */
    int logspace;   /* model space is log(value) */
    /* CAT: categories cat_low .. cat_low + ncat - 1 with prior
     * probabilities probs (NULL: uniform); probs is borrowed. */
    int64_t cat_low;
    uint64_t ncat;
    const double *probs;
} pz_parzen_prior;

/* hyperopt's adaptive_parzen_normal and ap_*_sampler priors for a label
 * node: uniform families mu = (low + high) / 2, sigma = high - low (in log
 * space for the log forms), truncated to [low, high]; normal families
 * their own mu and sigma, untruncated; uniformint as quniform with q = 1;
 * choice, pchoice and randint categorical. PZ_EINVAL for a non-label node. */
PZ_API int pz_parzen_prior_of(const pz_node *node, pz_parzen_prior *out);

/* Map an observed value to model space: log for the log families, with
 * hyperopt's floors (qloguniform: max(v, exp(low), 1e-12); the other log
 * forms: max(v, 1e-12)); the value itself otherwise. */
PZ_API double pz_parzen_to_model(const pz_parzen_prior *pr, double v);

typedef struct pz_parzen {
    pz_parzen_prior prior;
    double prior_weight;
    /* GMM: n components sorted by mu (ties keep observation order, the
     * prior before observations equal to its mean), the prior component
     * at prior_pos; w sums to 1. Neighbours with equal mean and width are
     * merged into one component of their summed weight (the same mixture:
     * quantised and repeated values make long runs of them). */
    size_t n, prior_pos;
    double *w, *mu, *sigma;
    double log_accept;  /* log of the mixture's mass on [low, high] */
    double *ws;         /* w / sigma per component */
    double *cum;        /* cumulative w * acceptance, for sampling */
    size_t nblocks;     /* blocks of PZ_PARZEN_BLOCK components, for pruning:
                         * mean range, largest sigma, log(count x max ws),
                         * log(sum w) */
    double *blk_lo, *blk_hi, *blk_smax, *blk_cmax, *blk_lw;
    /* CAT: nuniq observed categories (ascending) with their weighted
     * counts; the posterior of category k is
     * (count_k + prior_weight * ncat * p_k) / total. */
    size_t nuniq;
    double *cat_val, *cat_cnt;
    double cnt_total, total;
} pz_parzen;

#define PZ_PARZEN_BLOCK 16

/* hyperopt's linear_forgetting_weights(n, lf)[rank]: 1 for the lf most
 * recent observations, a linear ramp from 1/n for the older ones (rank 0
 * is the oldest). lf = 0 disables forgetting. */
PZ_API double pz_parzen_forget_weight(size_t rank, size_t n, size_t lf);

/* Fit the estimator of prior pr to n observations given in model space,
 * sorted ascending (ties in chronological order), rank[i] being the
 * chronological position of sorted[i] (0 = oldest; may be NULL when no
 * forgetting applies, i.e. lf == 0 or n <= lf). CAT observations are the
 * category values as doubles. PZ_ENOMEM, or PZ_EINVAL for a category
 * outside the prior's range. */
PZ_API int pz_parzen_fit(pz_parzen *p, pz_arena *a, const pz_parzen_prior *pr,
                         const double *sorted, const uint32_t *rank, size_t n,
                         double prior_weight, size_t lf);
/* The same from observations in chronological order (oldest first), in
 * value space: maps them to model space and sorts them (tests, tools). */
PZ_API int pz_parzen_fit_values(pz_parzen *p, pz_arena *a, const pz_parzen_prior *pr,
                                const double *values, size_t n, double prior_weight,
                                size_t lf);
/* Log density at value x (continuous: w.r.t. dx in value space; q-forms:
 * log of the mass of x's bucket [x - q/2, x + q/2] clipped to the bounds;
 * CAT: log probability). -HUGE_VAL where the estimator puts no mass. */
PZ_API double pz_parzen_lpdf(const pz_parzen *p, double x);
/* One draw in value space (quantised for the q-forms). */
PZ_API double pz_parzen_sample(const pz_parzen *p, gsl_rng *r);
/* }===== */

/* {===== joint estimators (tpe's "multivariate" option) =====
 * One estimator over d labels that are active together, after Optuna's
 * multivariate TPE: a mixture of product kernels, one per observation
 * (a row of d model-space values) plus the prior's. Each dimension's
 * kernel: for GMM labels a Gaussian truncated to the label's bounds on its
 * own (its mass there divides it), width Optuna's
 * 0.2 n^(-1/(d+4)) prior_sigma clipped like hyperopt's to
 * [prior_sigma / min(100, n + 2), prior_sigma], the prior kernel
 * prior_sigma wide; q-forms score bucket masses. For categorical labels
 * Optuna's kernel: the observed category gets 1 and every category
 * prior_weight / (n + 1) times ncat times its prior probability,
 * normalised; the prior kernel is the prior. Weights as the univariate
 * estimator's (forgetting ramp, prior_weight). */
typedef struct pz_parzen_joint {
    size_t d;                     /* dimensions */
    const pz_parzen_prior *prior; /* d priors (borrowed) */
    size_t n;                     /* kernels: the observations, then the prior's */
    double *w, *logw;             /* n, normalised */
    double *mu;                   /* n x d: model-space means, or categories */
    double *sigma, *logsig;       /* d x 2: observation kernels' and prior kernel's width */
    double *logz;                 /* n x d: log of a GMM kernel's mass on [low, high] */
    double fill;                  /* categorical pseudo-mass prior_weight / n */
    double *rest;                 /* d + 1: bound on the log kernel terms of dims j.. */
} pz_parzen_joint;

/* obs: nobs rows of d model-space values, oldest first. */
PZ_API int pz_parzen_joint_fit(pz_parzen_joint *p, pz_arena *a, const pz_parzen_prior *prior,
                               size_t d, const double *obs, size_t nobs, double prior_weight,
                               size_t lf);
/* Log density (mass for q-forms and categories) of the point x, d values
 * in value space. */
PZ_API double pz_parzen_joint_lpdf(const pz_parzen_joint *p, const double *x);
/* One draw into x (d values, value space). */
PZ_API void pz_parzen_joint_sample(const pz_parzen_joint *p, gsl_rng *r, double *x);
/* }===== */

/* Internal helpers shared by the univariate and joint estimators: one
 * draw of a Gaussian kernel (model-space mean mu, width s) truncated to
 * pr's bounds, returned in value space (quantised for q-forms); a draw
 * from a categorical prior; P(za < Z < zb) for a standard Gaussian. */
double pz__draw_gmm(const pz_parzen_prior *pr, double mu, double s, gsl_rng *r);
double pz__draw_prior_cat(const pz_parzen_prior *pr, gsl_rng *r);
double pz__gauss_mass(double za, double zb);

/* {===== history reading (shared by tpe and anneal) =====
 * Resolve the vals of trials[0..n) into out[label * stride + trial]: the
 * label's value as a double (ints exactly up to 2^53), NaN where the label
 * is absent (inactive). Keys that are not labels of s are ignored. A value
 * that is not a number, or not finite, is PZ_ETYPE/PZ_ERANGE naming the
 * trial and label. Keys listed in label order (as every searcher writes
 * them) cost one string comparison each. */
int pz__history_read(const pz_space *s, const pz_trial_view *trials, size_t n,
                            double *out, size_t stride, pz_error *err);
/* The label index of node in s, or -1. */
int pz__label_index(const pz_space *s, const pz_node *node);
/* }===== */

/* Test hook: the two estimators l(x) (below) and g(x) (above) that the
 * "tpe" searcher configured by options fits for label l on ctx's history,
 * by the code path of a suggestion. Their memory replaces whatever *a held
 * and lives until *a is reset or destroyed. */
int pz__tpe_models(const pz_value *options, const pz_suggest_ctx *ctx, size_t l, pz_arena *a,
                   pz_parzen *below, pz_parzen *above, pz_error *err);

#endif
