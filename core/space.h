/* parzen: the search-space model.
 *
 * A space is a tree of pz_node: hyperparameter nodes (a distribution with a
 * unique label), and structure nodes (constants, lists, maps). Choices hold
 * options that are themselves nodes, so conditional spaces nest to any
 * depth. Meanings follow hyperopt's hp.* exactly:
 *
 *   uniform(low, high)          double in [low, high]
 *   loguniform(low, high)       exp(uniform(low, high)), bounds in log space
 *   quniform(low, high, q)      round(uniform(low, high) / q) * q   (double)
 *   qloguniform(low, high, q)   round(exp(uniform(low, high)) / q) * q
 *   normal(mu, sigma)           Gaussian
 *   lognormal(mu, sigma)        exp(normal(mu, sigma))
 *   qnormal(mu, sigma, q)       round(normal(mu, sigma) / q) * q
 *   qlognormal(mu, sigma, q)    round(exp(normal(mu, sigma)) / q) * q
 *   randint(upper)              int in [0, upper)
 *   randint(low, high)          int in [low, high)
 *   uniformint(low, high)       int(quniform(low, high, 1)): [low, high]
 *   choice(options)             one option, uniformly; vals hold the index
 *   pchoice(probs, options)     one option with the given probabilities
 *
 * round() is round-half-to-even, as numpy's. Validation refuses low >= high,
 * q <= 0, sigma <= 0, empty choices, negative pchoice probabilities or ones
 * not summing to 1 (within 1e-9), and non-finite numbers anywhere.
 *
 * Ownership: constructors return a node with one reference. Functions that
 * take child nodes take ownership of them whether they succeed or fail.
 * A node may be shared (pz_node_ref) so that the same hyperparameter appears
 * at several places of a space, as the same Python object can in hyperopt;
 * two different nodes with one label are a duplicate-label error.
 * pz_node_free drops one reference. A pz_space owns its root.
 */
#ifndef PZ_SPACE_H
#define PZ_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "value.h"

typedef enum pz_node_kind {
    PZ_NODE_CONST = 0,   /* a pz_value: none, bool, int, double or string */
    PZ_NODE_LIST,        /* ordered children */
    PZ_NODE_MAP,         /* children under string keys, order kept */
    PZ_NODE_UNIFORM,
    PZ_NODE_LOGUNIFORM,
    PZ_NODE_QUNIFORM,
    PZ_NODE_QLOGUNIFORM,
    PZ_NODE_NORMAL,
    PZ_NODE_LOGNORMAL,
    PZ_NODE_QNORMAL,
    PZ_NODE_QLOGNORMAL,
    PZ_NODE_RANDINT,
    PZ_NODE_UNIFORMINT,
    PZ_NODE_CHOICE,
    PZ_NODE_PCHOICE
} pz_node_kind;

typedef struct pz_node pz_node;

struct pz_node {
    pz_node_kind kind;
    unsigned refs;          /* references held; freed when it drops to 0 */
    char *label;            /* hyperparameter nodes only, else NULL */
    /* Distribution parameters (unused ones are 0):
     * uniform family: low, high (log space for the log forms), q;
     * normal family: mu, sigma, q; randint/uniformint: low, high hold
     * the integer bounds exactly (randint's high is exclusive). */
    double low, high, mu, sigma, q;
    size_t n;               /* children of list, map, choice, pchoice */
    pz_node **kids;         /* n children, owned (one reference each) */
    char **keys;            /* map: n keys, owned */
    double *probs;          /* pchoice: n probabilities, owned */
    pz_value *constant;     /* const: the value, owned */
    char where[PZ_WHERE_MAX]; /* "file:line" it was written at, or "" */
    int index;              /* label index in its space, -1 before */
};

/* {===== construction ===== */
/* A distribution node of kind UNIFORM..UNIFORMINT (not CHOICE/PCHOICE):
 * args are the numbers after the label in hp.* order (randint takes 1 or 2).
 * On a bad argument err->arg is its position counting the label as 1. */
PZ_API int pz_node_dist(pz_node **out, pz_node_kind kind, const char *label,
                        const double *args, size_t nargs, pz_error *err);
/* choice over n options (ownership of options[0..n) taken). */
PZ_API int pz_node_choice(pz_node **out, const char *label,
                          pz_node **options, size_t n, pz_error *err);
/* pchoice: probs[i] is the probability of options[i]. */
PZ_API int pz_node_pchoice(pz_node **out, const char *label, const double *probs,
                           pz_node **options, size_t n, pz_error *err);
/* A constant (ownership of v taken): none, bool, int, finite double or
 * string; lists and maps must be built as nodes. */
PZ_API int pz_node_const(pz_node **out, pz_value *v, pz_error *err);
PZ_API int pz_node_list(pz_node **out, pz_node **items, size_t n, pz_error *err);
/* keys are copied; they must be unique. */
PZ_API int pz_node_map(pz_node **out, const char *const *keys, pz_node **vals,
                       size_t n, pz_error *err);
/* Record where the node was written, for later error messages. */
PZ_API void pz_node_set_where(pz_node *node, const char *where);
PZ_API pz_node *pz_node_ref(pz_node *node);
PZ_API void pz_node_free(pz_node *node);
/* }===== */

/* {===== introspection ===== */
PZ_API const char *pz_node_kind_name(pz_node_kind kind); /* "quniform" … */
PZ_API int pz_node_is_label(pz_node_kind kind);     /* has a label */
PZ_API int pz_node_is_log(pz_node_kind kind);       /* log-space family */
PZ_API int pz_node_is_quantized(pz_node_kind kind); /* q-form */
/* }===== */

/* {===== spaces ===== */
typedef struct pz_space pz_space;

/* Index the labels of root (ownership taken, also on failure). Refuses two
 * different nodes with the same label, naming both places. */
PZ_API int pz_space_new(pz_space **out, pz_node *root, pz_error *err);
PZ_API void pz_space_free(pz_space *s);
PZ_API const pz_node *pz_space_root(const pz_space *s);
/* Labels in depth-first order of first appearance (map keys in their order,
 * choice options in order). */
PZ_API size_t pz_space_nlabels(const pz_space *s);
PZ_API const pz_node *pz_space_label(const pz_space *s, size_t i);
/* Index of label, or -1. */
PZ_API int pz_space_find(const pz_space *s, const char *label);
/* }===== */

#endif
