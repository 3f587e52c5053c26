/* parzen: search-space nodes, their validation, and label indexing.
 *
 * Validation lives here, once, so a space built from C and one loaded from a
 * Lua script are refused for the same reasons with the same words. The Lua
 * binding turns err->arg into "bad argument #N to 'f'".
 */
#define _POSIX_C_SOURCE 200809L
#include "space.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pz_space {
    pz_node *root;
    pz_node **labels; /* borrowed from the tree, in depth-first order */
    size_t nlabels;
    size_t cap;
};

static const char *const kind_names[] = {
    [PZ_NODE_CONST] = "const",        [PZ_NODE_LIST] = "list",
    [PZ_NODE_MAP] = "map",            [PZ_NODE_UNIFORM] = "uniform",
    [PZ_NODE_LOGUNIFORM] = "loguniform", [PZ_NODE_QUNIFORM] = "quniform",
    [PZ_NODE_QLOGUNIFORM] = "qloguniform", [PZ_NODE_NORMAL] = "normal",
    [PZ_NODE_LOGNORMAL] = "lognormal", [PZ_NODE_QNORMAL] = "qnormal",
    [PZ_NODE_QLOGNORMAL] = "qlognormal", [PZ_NODE_RANDINT] = "randint",
    [PZ_NODE_UNIFORMINT] = "uniformint", [PZ_NODE_CHOICE] = "choice",
    [PZ_NODE_PCHOICE] = "pchoice",
};

const char *pz_node_kind_name(pz_node_kind kind)
{
    if ((unsigned)kind < sizeof kind_names / sizeof kind_names[0])
        return kind_names[kind];
    return "unknown";
}

int pz_node_is_label(pz_node_kind kind) { return kind >= PZ_NODE_UNIFORM && kind <= PZ_NODE_PCHOICE; }

int pz_node_is_log(pz_node_kind kind)
{
    return kind == PZ_NODE_LOGUNIFORM || kind == PZ_NODE_QLOGUNIFORM || kind == PZ_NODE_LOGNORMAL ||
           kind == PZ_NODE_QLOGNORMAL;
}

int pz_node_is_quantized(pz_node_kind kind)
{
    return kind == PZ_NODE_QUNIFORM || kind == PZ_NODE_QLOGUNIFORM || kind == PZ_NODE_QNORMAL ||
           kind == PZ_NODE_QLOGNORMAL;
}

/* {===== construction ===== */

static pz_node *node_alloc(pz_node_kind kind)
{
    pz_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->kind = kind;
    n->refs = 1;
    n->index = -1;
    return n;
}

static void free_kids(pz_node **kids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pz_node_free(kids[i]);
}

pz_node *pz_node_ref(pz_node *node)
{
    if (node)
        node->refs++;
    return node;
}

void pz_node_free(pz_node *node)
{
    if (!node || --node->refs > 0)
        return;
    if (node->kids)
        free_kids(node->kids, node->n);
    if (node->keys)
        for (size_t i = 0; i < node->n; i++)
            free(node->keys[i]);
    free(node->kids);
    free(node->keys);
    free(node->probs);
    pz_value_free(node->constant);
    free(node->label);
    free(node);
}

void pz_node_set_where(pz_node *node, const char *where)
{
    if (node && where)
        snprintf(node->where, sizeof node->where, "%s", where);
}

static int bad_arg(pz_error *err, int arg, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int bad_arg(pz_error *err, int arg, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    pz_error_clear(err);
    err->code = code;
    err->arg = arg;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

static int check_label(const char *label, pz_error *err)
{
    if (!label || !label[0])
        return bad_arg(err, 1, PZ_ESPACE, "label must be a non-empty string");
    return PZ_OK;
}

/* Integer bounds must be exact in a double and in int64. */
static int is_integral(double x) { return isfinite(x) && x == floor(x) && fabs(x) <= 9007199254740992.0; }

int pz_node_dist(pz_node **out, pz_node_kind kind, const char *label, const double *args,
                 size_t nargs, pz_error *err)
{
    *out = NULL;
    if (!pz_node_is_label(kind) || kind == PZ_NODE_CHOICE || kind == PZ_NODE_PCHOICE)
        return pz_error_set(err, PZ_EINVAL, "pz_node_dist: %s is not a distribution",
                            pz_node_kind_name(kind));
    int rc = check_label(label, err);
    if (rc)
        return rc;
    size_t want = 2;
    if (pz_node_is_quantized(kind))
        want = 3;
    if (kind == PZ_NODE_RANDINT && nargs == 1)
        want = 1;
    if (nargs != want)
        return bad_arg(err, (int)(nargs < want ? nargs + 2 : want + 2), PZ_ESPACE,
                       "%s takes %zu numbers after the label, got %zu", pz_node_kind_name(kind),
                       want, nargs);
    for (size_t i = 0; i < nargs; i++)
        if (!isfinite(args[i]))
            return bad_arg(err, (int)i + 2, PZ_ESPACE, "number must be finite");

    pz_node *n = node_alloc(kind);
    if (!n || !(n->label = strdup(label))) {
        pz_node_free(n);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    switch (kind) {
    case PZ_NODE_NORMAL:
    case PZ_NODE_LOGNORMAL:
    case PZ_NODE_QNORMAL:
    case PZ_NODE_QLOGNORMAL:
        n->mu = args[0];
        n->sigma = args[1];
        if (!(n->sigma > 0)) {
            rc = bad_arg(err, 3, PZ_ESPACE, "sigma must be > 0 (got %g)", n->sigma);
            goto fail;
        }
        break;
    case PZ_NODE_RANDINT:
        n->low = nargs == 1 ? 0 : args[0];
        n->high = nargs == 1 ? args[0] : args[1];
        if (!is_integral(n->low) || !is_integral(n->high)) {
            int a = nargs == 1 ? 2 : (!is_integral(n->low) ? 2 : 3);
            rc = bad_arg(err, a, PZ_ESPACE, "randint bounds must be integers");
            goto fail;
        }
        if (!(n->low < n->high)) {
            rc = bad_arg(err, nargs == 1 ? 2 : 3, PZ_ESPACE,
                         nargs == 1 ? "upper must be > 0 (got %.17g)" : "high must be > low (got %.17g <= %.17g)",
                         n->high, n->low);
            goto fail;
        }
        break;
    case PZ_NODE_UNIFORMINT:
        n->low = args[0];
        n->high = args[1];
        n->q = 1;
        if (!is_integral(n->low) || !is_integral(n->high)) {
            rc = bad_arg(err, !is_integral(n->low) ? 2 : 3, PZ_ESPACE,
                         "uniformint bounds must be integers");
            goto fail;
        }
        if (!(n->low < n->high)) {
            rc = bad_arg(err, 3, PZ_ESPACE, "high must be > low (got %.17g <= %.17g)", n->high,
                         n->low);
            goto fail;
        }
        break;
    default: /* uniform family */
        n->low = args[0];
        n->high = args[1];
        if (!(n->low < n->high)) {
            rc = bad_arg(err, 3, PZ_ESPACE, "high must be > low (got %.17g <= %.17g)", n->high,
                         n->low);
            goto fail;
        }
        break;
    }
    if (pz_node_is_quantized(kind)) {
        n->q = args[2];
        if (!(n->q > 0)) {
            rc = bad_arg(err, 4, PZ_ESPACE, "q must be > 0 (got %g)", n->q);
            goto fail;
        }
    }
    *out = n;
    return PZ_OK;
fail:
    pz_node_free(n);
    return rc;
}

static int make_choice(pz_node **out, pz_node_kind kind, const char *label, const double *probs,
                       pz_node **options, size_t n, pz_error *err)
{
    *out = NULL;
    int opt_arg = kind == PZ_NODE_PCHOICE ? 3 : 2;
    int rc = check_label(label, err);
    if (rc)
        goto fail;
    if (n == 0) {
        rc = bad_arg(err, opt_arg, PZ_ESPACE, "%s needs at least one option",
                     pz_node_kind_name(kind));
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (!options[i]) {
            rc = bad_arg(err, opt_arg, PZ_EINVAL, "option %zu is missing", i + 1);
            goto fail;
        }
    if (probs) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isfinite(probs[i]) || probs[i] < 0) {
                rc = bad_arg(err, 2, PZ_ESPACE, "probability %zu must be finite and >= 0 (got %g)",
                             i + 1, probs[i]);
                goto fail;
            }
            sum += probs[i];
        }
        if (fabs(sum - 1.0) > 1e-9) {
            rc = bad_arg(err, 2, PZ_ESPACE, "probabilities must sum to 1 (they sum to %.17g)", sum);
            goto fail;
        }
    }
    pz_node *c = node_alloc(kind);
    if (!c || !(c->label = strdup(label)) || !(c->kids = malloc(n * sizeof *c->kids)) ||
        (probs && !(c->probs = malloc(n * sizeof *c->probs)))) {
        pz_node_free(c);
        rc = pz_error_set(err, PZ_ENOMEM, NULL);
        goto fail;
    }
    memcpy(c->kids, options, n * sizeof *options);
    if (probs)
        memcpy(c->probs, probs, n * sizeof *probs);
    c->n = n;
    c->low = 0;
    c->high = (double)n;
    *out = c;
    return PZ_OK;
fail:
    free_kids(options, n);
    return rc;
}

int pz_node_choice(pz_node **out, const char *label, pz_node **options, size_t n, pz_error *err)
{
    return make_choice(out, PZ_NODE_CHOICE, label, NULL, options, n, err);
}

int pz_node_pchoice(pz_node **out, const char *label, const double *probs, pz_node **options,
                    size_t n, pz_error *err)
{
    return make_choice(out, PZ_NODE_PCHOICE, label, probs, options, n, err);
}

int pz_node_const(pz_node **out, pz_value *v, pz_error *err)
{
    *out = NULL;
    if (!v)
        return pz_error_set(err, PZ_EINVAL, "constant is missing");
    if (v->type == PZ_LIST || v->type == PZ_MAP) {
        pz_value_free(v);
        return pz_error_set(err, PZ_ETYPE, "constant must be none, bool, number or string");
    }
    if (v->type == PZ_DOUBLE && !isfinite(v->u.d)) {
        double d = v->u.d;
        pz_value_free(v);
        return pz_error_set(err, PZ_ESPACE, "constant number must be finite (got %g)", d);
    }
    pz_node *n = node_alloc(PZ_NODE_CONST);
    if (!n) {
        pz_value_free(v);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    n->constant = v;
    *out = n;
    return PZ_OK;
}

int pz_node_list(pz_node **out, pz_node **items, size_t n, pz_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (!items[i]) {
            free_kids(items, n);
            return pz_error_set(err, PZ_EINVAL, "list item %zu is missing", i + 1);
        }
    pz_node *l = node_alloc(PZ_NODE_LIST);
    if (!l || (n && !(l->kids = malloc(n * sizeof *l->kids)))) {
        pz_node_free(l);
        free_kids(items, n);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    if (n)
        memcpy(l->kids, items, n * sizeof *items);
    l->n = n;
    *out = l;
    return PZ_OK;
}

int pz_node_map(pz_node **out, const char *const *keys, pz_node **vals, size_t n, pz_error *err)
{
    *out = NULL;
    int rc = PZ_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!vals[i] || !keys[i])
            rc = pz_error_set(err, PZ_EINVAL, "map entry %zu is missing", i + 1);
        for (size_t j = 0; j < i && !rc; j++)
            if (strcmp(keys[i], keys[j]) == 0)
                rc = pz_error_set(err, PZ_ESPACE, "key '%s' appears twice", keys[i]);
    }
    pz_node *m = NULL;
    if (!rc) {
        m = node_alloc(PZ_NODE_MAP);
        if (!m || (n && (!(m->kids = calloc(n, sizeof *m->kids)) ||
                         !(m->keys = calloc(n, sizeof *m->keys)))))
            rc = pz_error_set(err, PZ_ENOMEM, NULL);
        for (size_t i = 0; i < n && !rc; i++)
            if (!(m->keys[i] = strdup(keys[i])))
                rc = pz_error_set(err, PZ_ENOMEM, NULL);
    }
    if (rc) {
        if (m) {
            m->n = n; /* frees the keys made so far; kids are still NULL */
            pz_node_free(m);
        }
        free_kids(vals, n);
        return rc;
    }
    if (n)
        memcpy(m->kids, vals, n * sizeof *vals);
    m->n = n;
    *out = m;
    return PZ_OK;
}
/* }===== */

/* {===== spaces ===== */

static int index_labels(pz_space *s, pz_node *node, int depth, pz_error *err)
{
    /* Deeper than any real space; stops a pathological script from
     * exhausting the C stack. */
    if (depth > 200)
        return pz_error_set(err, PZ_ESPACE, "space nests deeper than 200 levels");
    if (pz_node_is_label(node->kind)) {
        if (node->index >= 0 && (size_t)node->index < s->nlabels && s->labels[node->index] == node)
            return PZ_OK; /* the same node seen again: one hyperparameter */
        for (size_t i = 0; i < s->nlabels; i++)
            if (strcmp(s->labels[i]->label, node->label) == 0) {
                int rc = pz_error_set(err, PZ_ESPACE, "label '%s' is used twice (first at %s)",
                                      node->label,
                                      s->labels[i]->where[0] ? s->labels[i]->where : "?");
                if (err)
                    snprintf(err->where, sizeof err->where, "%s", node->where);
                return rc;
            }
        if (s->nlabels == s->cap) {
            size_t cap = s->cap ? 2 * s->cap : 16;
            pz_node **p = realloc(s->labels, cap * sizeof *p);
            if (!p)
                return pz_error_set(err, PZ_ENOMEM, NULL);
            s->labels = p;
            s->cap = cap;
        }
        node->index = (int)s->nlabels;
        s->labels[s->nlabels++] = node;
    }
    for (size_t i = 0; i < node->n; i++) {
        int rc = index_labels(s, node->kids[i], depth + 1, err);
        if (rc)
            return rc;
    }
    return PZ_OK;
}

static void reset_index(pz_node *node)
{
    node->index = -1;
    for (size_t i = 0; i < node->n; i++)
        reset_index(node->kids[i]);
}

int pz_space_new(pz_space **out, pz_node *root, pz_error *err)
{
    *out = NULL;
    if (!root)
        return pz_error_set(err, PZ_EINVAL, "space is missing");
    pz_space *s = calloc(1, sizeof *s);
    if (!s) {
        pz_node_free(root);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    s->root = root;
    reset_index(root);
    int rc = index_labels(s, root, 0, err);
    if (rc) {
        pz_space_free(s);
        return rc;
    }
    *out = s;
    return PZ_OK;
}

void pz_space_free(pz_space *s)
{
    if (!s)
        return;
    pz_node_free(s->root);
    free(s->labels);
    free(s);
}

const pz_node *pz_space_root(const pz_space *s) { return s->root; }
size_t pz_space_nlabels(const pz_space *s) { return s->nlabels; }

const pz_node *pz_space_label(const pz_space *s, size_t i)
{
    return i < s->nlabels ? s->labels[i] : NULL;
}

int pz_space_find(const pz_space *s, const char *label)
{
    for (size_t i = 0; i < s->nlabels; i++)
        if (strcmp(s->labels[i]->label, label) == 0)
            return (int)i;
    return -1;
}
/* }===== */
