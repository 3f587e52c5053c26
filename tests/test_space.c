/* parzen tests: validation of search-space nodes (core/space.c).
 *
 * Every refusal rule is hit from C and must answer PZ_ESPACE with the
 * argument position the Lua binding will quote and words that name the
 * problem. Refused constructors still own their children, so running this
 * under ASan also proves nothing leaks on the error paths.
 */
#include <math.h>

#include "check.h"
#include "space.h"

static pz_error err;

/* Build a distribution node from a short list of numbers; NULL on refusal
 * (err tells why). */
static pz_node *dist(pz_node_kind kind, const char *label, size_t nargs, double a, double b,
                     double c)
{
    const double args[3] = {a, b, c};
    pz_node *n;
    pz_error_clear(&err);
    return pz_node_dist(&n, kind, label, args, nargs, &err) == PZ_OK ? n : NULL;
}

static pz_node *uni(const char *label, double low, double high)
{
    return dist(PZ_NODE_UNIFORM, label, 2, low, high, 0);
}

static pz_node *konst(pz_value *v)
{
    pz_node *n;
    CHECK_OK(pz_node_const(&n, v, &err));
    return n;
}

/* The call that was just made was refused with code, at argument arg, saying
 * something containing text. */
static void refused(int rc, int code, int arg, const char *text)
{
    CHECK_EQ(rc, code);
    CHECK_EQ(err.code, code);
    CHECK_EQ(err.arg, arg);
    CHECK_CONTAINS(err.msg, text);
}

static void refused_dist(pz_node_kind kind, size_t nargs, double a, double b, double c, int arg,
                         const char *text)
{
    const double args[3] = {a, b, c};
    pz_node *n = (pz_node *)&err; /* must be reset to NULL on failure */
    pz_error_clear(&err);
    int rc = pz_node_dist(&n, kind, "h", args, nargs, &err);
    CHECK(n == NULL);
    refused(rc, PZ_ESPACE, arg, text);
}

static void test_good_nodes(void)
{
    static const struct { pz_node_kind kind; size_t nargs; double a, b, c; } ok[] = {
        {PZ_NODE_UNIFORM, 2, -1, 1, 0},     {PZ_NODE_LOGUNIFORM, 2, -3, 2, 0},
        {PZ_NODE_QUNIFORM, 3, 0, 10, 0.5},  {PZ_NODE_QLOGUNIFORM, 3, 0, 5, 1},
        {PZ_NODE_NORMAL, 2, -4, 0.1, 0},    {PZ_NODE_LOGNORMAL, 2, 0, 2, 0},
        {PZ_NODE_QNORMAL, 3, 3, 1, 0.25},   {PZ_NODE_QLOGNORMAL, 3, 1, 1, 2},
        {PZ_NODE_RANDINT, 1, 5, 0, 0},      {PZ_NODE_RANDINT, 2, -5, -2, 0},
        {PZ_NODE_UNIFORMINT, 2, -1, 1, 0},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        pz_node *n = dist(ok[i].kind, "h", ok[i].nargs, ok[i].a, ok[i].b, ok[i].c);
        if (!n)
            fprintf(stderr, "%s refused: %s\n", pz_node_kind_name(ok[i].kind), err.msg);
        CHECK(n != NULL);
        CHECK_STR(n->label, "h");
        CHECK_EQ(n->kind, ok[i].kind);
        pz_node_free(n);
    }
    /* randint(upper) means [0, upper) */
    pz_node *n = dist(PZ_NODE_RANDINT, "r", 1, 7, 0, 0);
    CHECK_EQ(n->low, 0);
    CHECK_EQ(n->high, 7);
    pz_node_free(n);
}

static void test_bounds(void)
{
    /* low >= high in every bounded family, equal zero bounds included */
    refused_dist(PZ_NODE_UNIFORM, 2, 0, 0, 0, 3, "high must be > low");
    refused_dist(PZ_NODE_UNIFORM, 2, 1, 0, 0, 3, "high must be > low");
    refused_dist(PZ_NODE_LOGUNIFORM, 2, 2, 2, 0, 3, "high must be > low");
    refused_dist(PZ_NODE_QUNIFORM, 3, 0, 0, 1, 3, "high must be > low");
    refused_dist(PZ_NODE_QLOGUNIFORM, 3, 3, -3, 1, 3, "high must be > low");
    refused_dist(PZ_NODE_UNIFORMINT, 2, 4, 4, 0, 3, "high must be > low");
    refused_dist(PZ_NODE_RANDINT, 2, 5, 5, 0, 3, "high must be > low");
    refused_dist(PZ_NODE_RANDINT, 2, 5, -2, 0, 3, "high must be > low");
    /* randint(upper) needs upper >= 1 */
    refused_dist(PZ_NODE_RANDINT, 1, 0, 0, 0, 2, "upper must be > 0");
    refused_dist(PZ_NODE_RANDINT, 1, -3, 0, 0, 2, "upper must be > 0");
    /* the message quotes the numbers */
    refused_dist(PZ_NODE_UNIFORM, 2, 2.5, 1.5, 0, 3, "1.5 <= 2.5");
}

static void test_q_sigma(void)
{
    static const pz_node_kind qk[] = {PZ_NODE_QUNIFORM, PZ_NODE_QLOGUNIFORM, PZ_NODE_QNORMAL,
                                      PZ_NODE_QLOGNORMAL};
    for (size_t i = 0; i < 4; i++) {
        refused_dist(qk[i], 3, 0, 1, 0, 4, "q must be > 0");
        refused_dist(qk[i], 3, 0, 1, -0.5, 4, "q must be > 0");
    }
    static const pz_node_kind sk[] = {PZ_NODE_NORMAL, PZ_NODE_LOGNORMAL, PZ_NODE_QNORMAL,
                                      PZ_NODE_QLOGNORMAL};
    for (size_t i = 0; i < 4; i++) {
        size_t nargs = pz_node_is_quantized(sk[i]) ? 3 : 2;
        refused_dist(sk[i], nargs, 0, 0, 1, 3, "sigma must be > 0");
        refused_dist(sk[i], nargs, 0, -1, 1, 3, "sigma must be > 0");
    }
}

static void test_non_finite(void)
{
    static const pz_node_kind kinds[] = {
        PZ_NODE_UNIFORM, PZ_NODE_LOGUNIFORM, PZ_NODE_QUNIFORM, PZ_NODE_QLOGUNIFORM,
        PZ_NODE_NORMAL,  PZ_NODE_LOGNORMAL,  PZ_NODE_QNORMAL,  PZ_NODE_QLOGNORMAL,
        PZ_NODE_RANDINT, PZ_NODE_UNIFORMINT,
    };
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        size_t nargs = pz_node_is_quantized(kinds[k]) ? 3 : 2;
        for (size_t pos = 0; pos < nargs; pos++)
            for (size_t b = 0; b < 3; b++) {
                /* otherwise valid arguments, so only the bad one is at fault */
                double args[3] = {0, 1, 1};
                args[pos] = bad[b];
                refused_dist(kinds[k], nargs, args[0], args[1], args[2], (int)pos + 2,
                             "must be finite");
            }
    }
    refused_dist(PZ_NODE_RANDINT, 1, INFINITY, 0, 0, 2, "must be finite");
    refused_dist(PZ_NODE_RANDINT, 1, NAN, 0, 0, 2, "must be finite");
}

static void test_integers(void)
{
    refused_dist(PZ_NODE_RANDINT, 1, 2.5, 0, 0, 2, "integers");
    refused_dist(PZ_NODE_RANDINT, 2, 0.5, 3, 0, 2, "integers");
    refused_dist(PZ_NODE_RANDINT, 2, 0, 3.5, 0, 3, "integers");
    refused_dist(PZ_NODE_UNIFORMINT, 2, -0.5, 3, 0, 2, "integers");
    refused_dist(PZ_NODE_UNIFORMINT, 2, 0, 2.25, 0, 3, "integers");
    /* beyond 2^53 a double no longer pins one integer */
    refused_dist(PZ_NODE_RANDINT, 1, 0x1p60, 0, 0, 2, "integers");
    pz_node *n = dist(PZ_NODE_RANDINT, "big", 2, -0x1p53, 0x1p53, 0);
    CHECK(n != NULL);
    pz_node_free(n);
}

static void test_arity_and_label(void)
{
    refused_dist(PZ_NODE_UNIFORM, 1, 0, 0, 0, 3, "takes 2 numbers after the label, got 1");
    refused_dist(PZ_NODE_UNIFORM, 3, 0, 1, 2, 4, "takes 2 numbers after the label, got 3");
    refused_dist(PZ_NODE_QNORMAL, 2, 0, 1, 0, 4, "takes 3 numbers");
    refused_dist(PZ_NODE_RANDINT, 3, 0, 1, 2, 4, "takes 2 numbers");
    pz_node *n;
    const double args[2] = {0, 1};
    refused(pz_node_dist(&n, PZ_NODE_UNIFORM, "", args, 2, &err), PZ_ESPACE, 1, "label");
    refused(pz_node_dist(&n, PZ_NODE_UNIFORM, NULL, args, 2, &err), PZ_ESPACE, 1, "label");
    /* choices have their own constructors */
    CHECK_EQ(pz_node_dist(&n, PZ_NODE_CHOICE, "c", args, 2, &err), PZ_EINVAL);
    CHECK_EQ(pz_node_dist(&n, PZ_NODE_MAP, "c", args, 2, &err), PZ_EINVAL);
}

static void test_choices(void)
{
    pz_node *n = (pz_node *)&err;
    refused(pz_node_choice(&n, "c", NULL, 0, &err), PZ_ESPACE, 2, "at least one option");
    CHECK(n == NULL);
    refused(pz_node_pchoice(&n, "c", NULL, NULL, 0, &err), PZ_ESPACE, 3, "at least one option");

    /* refused choices free the options they were handed (ASan checks) */
    pz_node *opts[3] = {uni("x", 0, 1), konst(pz_value_str("s")), konst(pz_value_none())};
    refused(pz_node_choice(&n, "", opts, 3, &err), PZ_ESPACE, 1, "label");

    const double neg[3] = {0.5, -0.25, 0.75};
    opts[0] = uni("x", 0, 1), opts[1] = konst(pz_value_int(1)), opts[2] = konst(pz_value_int(2));
    refused(pz_node_pchoice(&n, "p", neg, opts, 3, &err), PZ_ESPACE, 2, "probability 2");
    CHECK_CONTAINS(err.msg, ">= 0");

    const double nan[2] = {NAN, 1};
    opts[0] = konst(pz_value_int(1)), opts[1] = konst(pz_value_int(2));
    refused(pz_node_pchoice(&n, "p", nan, opts, 2, &err), PZ_ESPACE, 2, "must be finite");
    const double inf[2] = {0.5, INFINITY};
    opts[0] = konst(pz_value_int(1)), opts[1] = konst(pz_value_int(2));
    refused(pz_node_pchoice(&n, "p", inf, opts, 2, &err), PZ_ESPACE, 2, "probability 2");

    const double sum[2] = {0.5, 0.4};
    opts[0] = konst(pz_value_int(1)), opts[1] = konst(pz_value_int(2));
    refused(pz_node_pchoice(&n, "p", sum, opts, 2, &err), PZ_ESPACE, 2, "sum to 1");
    CHECK_CONTAINS(err.msg, "0.9");
    const double over[2] = {0.5, 0.5 + 2e-9};
    opts[0] = konst(pz_value_int(1)), opts[1] = konst(pz_value_int(2));
    refused(pz_node_pchoice(&n, "p", over, opts, 2, &err), PZ_ESPACE, 2, "sum to 1");

    /* within 1e-9 of 1 is accepted (0.1 + 0.2 + 0.7 is not exactly 1) */
    const double near[3] = {0.1, 0.2, 0.7};
    opts[0] = konst(pz_value_int(1)), opts[1] = konst(pz_value_int(2));
    opts[2] = konst(pz_value_int(3));
    CHECK_OK(pz_node_pchoice(&n, "p", near, opts, 3, &err));
    CHECK_EQ(n->n, 3);
    CHECK_EQ(n->probs[2], 0.7);
    pz_node_free(n);

    /* a missing option is refused, and the others are still freed */
    opts[0] = konst(pz_value_int(1)), opts[1] = NULL;
    CHECK_EQ(pz_node_choice(&n, "c", opts, 2, &err), PZ_EINVAL);
}

static void test_constants(void)
{
    pz_node *n = (pz_node *)&err;
    const double bad[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < 3; i++) {
        refused(pz_node_const(&n, pz_value_double(bad[i]), &err), PZ_ESPACE, 0,
                "constant number must be finite");
        CHECK(n == NULL);
    }
    CHECK_EQ(pz_node_const(&n, pz_value_list(), &err), PZ_ETYPE);
    CHECK_EQ(pz_node_const(&n, pz_value_map(), &err), PZ_ETYPE);
    CHECK_EQ(pz_node_const(&n, NULL, &err), PZ_EINVAL);
    n = konst(pz_value_double(-0.0));
    pz_node_free(n);
}

static void test_containers(void)
{
    pz_node *n = (pz_node *)&err;
    const char *keys[3] = {"a", "b", "a"};
    pz_node *vals[3] = {uni("x", 0, 1), konst(pz_value_int(1)), uni("y", 0, 1)};
    refused(pz_node_map(&n, keys, vals, 3, &err), PZ_ESPACE, 0, "key 'a' appears twice");
    CHECK(n == NULL);

    pz_node *items[2] = {uni("x", 0, 1), NULL};
    CHECK_EQ(pz_node_list(&n, items, 2, &err), PZ_EINVAL);
    CHECK_OK(pz_node_list(&n, NULL, 0, &err));
    CHECK_EQ(n->n, 0);
    pz_node_free(n);
    CHECK_OK(pz_node_map(&n, NULL, NULL, 0, &err));
    pz_node_free(n);
}

static void test_labels(void)
{
    pz_space *s = (pz_space *)&err;
    pz_error_clear(&err);

    /* two different nodes with one label: both places named */
    pz_node *x1 = uni("x", 0, 1), *x2 = dist(PZ_NODE_NORMAL, "x", 2, 0, 1, 0);
    pz_node_set_where(x1, "study.lua:3");
    pz_node_set_where(x2, "study.lua:7");
    const char *keys[2] = {"p", "q"};
    pz_node *vals[2] = {x1, x2}, *root;
    CHECK_OK(pz_node_map(&root, keys, vals, 2, &err));
    refused(pz_space_new(&s, root, &err), PZ_ESPACE, 0, "label 'x' is used twice");
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "study.lua:3");
    CHECK_STR(err.where, "study.lua:7");
    char buf[PZ_ERRMSG_MAX + PZ_WHERE_MAX];
    const char *full = pz_error_format(&err, buf, sizeof buf);
    CHECK_CONTAINS(full, "study.lua:7: ");
    CHECK_CONTAINS(full, "study.lua:3");

    /* ... also when they sit in different options of a choice (hyperopt
     * refuses that too) */
    pz_node *opts[2] = {uni("x", 0, 1), uni("x", 0, 1)};
    CHECK_OK(pz_node_choice(&root, "c", opts, 2, &err));
    refused(pz_space_new(&s, root, &err), PZ_ESPACE, 0, "label 'x' is used twice");
    CHECK_CONTAINS(err.msg, "first at ?"); /* no where recorded */

    /* one node at two places is one hyperparameter */
    pz_node *shared = uni("lr", -5, 0);
    pz_node *c0 = konst(pz_value_none());
    pz_node *copts[2] = {c0, pz_node_ref(shared)};
    pz_node *ch;
    CHECK_OK(pz_node_choice(&ch, "c", copts, 2, &err));
    const char *k3[3] = {"a", "b", "c"};
    pz_node *v3[3] = {shared, pz_node_ref(shared), ch};
    CHECK_OK(pz_node_map(&root, k3, v3, 3, &err));
    CHECK_OK(pz_space_new(&s, root, &err));
    CHECK_EQ(pz_space_nlabels(s), 2);
    CHECK_STR(pz_space_label(s, 0)->label, "lr");
    CHECK_STR(pz_space_label(s, 1)->label, "c");
    CHECK_EQ(pz_space_find(s, "c"), 1);
    CHECK_EQ(pz_space_find(s, "nope"), -1);
    CHECK(pz_space_label(s, 2) == NULL);
    CHECK(pz_space_root(s) == root);
    pz_space_free(s);

    /* labels are indexed depth-first: map values in order, then choice
     * options in order, before later map values */
    pz_node *inner[2] = {uni("b1", 0, 1), uni("b2", 0, 1)};
    CHECK_OK(pz_node_choice(&ch, "b", inner, 2, &err));
    const char *ko[3] = {"z", "m", "a"};
    pz_node *vo[3] = {uni("first", 0, 1), ch, uni("last", 0, 1)};
    CHECK_OK(pz_node_map(&root, ko, vo, 3, &err));
    CHECK_OK(pz_space_new(&s, root, &err));
    const char *want[] = {"first", "b", "b1", "b2", "last"};
    CHECK_EQ(pz_space_nlabels(s), 5);
    for (size_t i = 0; i < 5; i++) {
        CHECK_STR(pz_space_label(s, i)->label, want[i]);
        CHECK_EQ(pz_space_label(s, i)->index, (int64_t)i);
    }
    pz_space_free(s);

    CHECK_EQ(pz_space_new(&s, NULL, &err), PZ_EINVAL);
}

static void test_depth(void)
{
    /* 200 levels below the root are fine, 201 are not */
    for (int depth = 200; depth <= 201; depth++) {
        pz_node *n = uni("leaf", 0, 1);
        for (int i = 0; i < depth; i++) {
            pz_node *item = n;
            CHECK_OK(pz_node_list(&n, &item, 1, &err));
        }
        pz_space *s;
        int rc = pz_space_new(&s, n, &err);
        if (depth == 200) {
            CHECK_OK(rc);
            pz_space_free(s);
        } else {
            refused(rc, PZ_ESPACE, 0, "deeper than 200");
        }
    }
}

static void test_names(void)
{
    CHECK_STR(pz_node_kind_name(PZ_NODE_QLOGNORMAL), "qlognormal");
    CHECK_STR(pz_node_kind_name(PZ_NODE_PCHOICE), "pchoice");
    CHECK_STR(pz_node_kind_name((pz_node_kind)99), "unknown");
    CHECK(pz_node_is_label(PZ_NODE_CHOICE));
    CHECK(!pz_node_is_label(PZ_NODE_MAP));
    CHECK(pz_node_is_log(PZ_NODE_QLOGUNIFORM));
    CHECK(!pz_node_is_log(PZ_NODE_NORMAL));
    CHECK(pz_node_is_quantized(PZ_NODE_QNORMAL));
    CHECK(!pz_node_is_quantized(PZ_NODE_UNIFORMINT));
}

int main(void)
{
    test_good_nodes();
    test_bounds();
    test_q_sigma();
    test_non_finite();
    test_integers();
    test_arity_and_label();
    test_choices();
    test_constants();
    test_containers();
    test_labels();
    test_depth();
    test_names();
    printf("test_space: ok\n");
    return 0;
}
