/* The parzen CLI end to end: help, version, exit codes, one-line errors,
 * and `parzen sample` on the seed's CIFAR-100 space (deterministic, JSON,
 * every key present and in range, nested values only where chosen). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "value.h"

static const char *cli, *src;
static char out_path[256], err_path[256];

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    pz_buf b;
    pz_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        CHECK_OK(pz_buf_append(&b, chunk, n));
    fclose(f);
    CHECK_OK(pz_buf_append(&b, "", 0));
    return pz_buf_release(&b, len);
}

/* Run parzen with args; return its exit code; stdout/stderr to files. */
static int run(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s >'%s' 2>'%s' </dev/null", src, cli, args, out_path,
             err_path);
    int st = system(cmd);
    CHECK(st != -1 && WIFEXITED(st));
    return WEXITSTATUS(st);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void check_help_and_errors(void)
{
    size_t len;
    char *o, *e;
    CHECK_EQ(run("--help"), 0);
    o = slurp(out_path, &len);
    CHECK_CONTAINS(o, "Usage: parzen");
    CHECK_CONTAINS(o, "sample");
    free(o);

    CHECK_EQ(run("--version"), 0);
    o = slurp(out_path, &len);
    CHECK(strncmp(o, "parzen ", 7) == 0);
    free(o);

    CHECK_EQ(run("sample --help"), 0);
    o = slurp(out_path, &len);
    CHECK_CONTAINS(o, "Usage: parzen sample STUDY.lua");
    free(o);

    /* Usage errors: 2, with a pointer to --help. */
    const char *usage[] = {"", "--bogus", "frobnicate", "sample", "sample spaces/cifar100_resnet.lua --bogus",
                           "sample spaces/cifar100_resnet.lua -n", "sample spaces/cifar100_resnet.lua -n x",
                           "sample spaces/cifar100_resnet.lua --seed -1", "sample a.lua b.lua"};
    for (size_t i = 0; i < sizeof usage / sizeof usage[0]; i++) {
        int rc = run(usage[i]);
        printf("parzen %-45s -> exit %d\n", usage[i], rc);
        CHECK_EQ(rc, 2);
        e = slurp(err_path, &len);
        CHECK(len > 0);
        free(e);
        o = slurp(out_path, &len);
        if (i > 0)
            CHECK_EQ(len, 0);
        free(o);
    }

    /* User errors: 1, one line on stderr naming the file (and line). */
    CHECK_EQ(run("sample no/such/study.lua"), 1);
    e = slurp(err_path, &len);
    CHECK_EQ(count_lines(e), 1);
    CHECK_CONTAINS(e, "no/such/study.lua");
    free(e);

    CHECK_EQ(run("sample tests/scripts/bad/q_zero.lua"), 1);
    e = slurp(err_path, &len);
    CHECK_EQ(count_lines(e), 1);
    CHECK_CONTAINS(e, "parzen: tests/scripts/bad/q_zero.lua:4: bad argument #4 to 'quniform' (q must be > 0");
    free(e);
    o = slurp(out_path, &len);
    CHECK_EQ(len, 0);
    free(o);
}

static double num(const pz_value *v)
{
    double d;
    CHECK(v != NULL);
    CHECK_OK(pz_value_number(v, &d));
    return d;
}

static void in_range(const pz_value *p, const char *k, double lo, double hi)
{
    const pz_value *v = pz_map_get(p, k);
    CHECK(v && v->type == PZ_DOUBLE);
    if (!(v->u.d >= lo && v->u.d <= hi)) {
        fprintf(stderr, "%s = %.17g not in [%g, %g]\n", k, v->u.d, lo, hi);
        abort();
    }
}

static void one_of_str(const pz_value *p, const char *k, const char *const *opts)
{
    const pz_value *v = pz_map_get(p, k);
    CHECK(v && v->type == PZ_STR);
    for (; *opts; opts++)
        if (strcmp(*opts, v->u.s.ptr) == 0)
            return;
    fprintf(stderr, "%s = %s not allowed\n", k, v->u.s.ptr);
    abort();
}

static void integral_in(const pz_value *p, const char *k, pz_type t, double lo, double hi, double q)
{
    const pz_value *v = pz_map_get(p, k);
    CHECK(v && v->type == t);
    double d = num(v);
    CHECK(d >= lo && d <= hi);
    CHECK_EQ(fmod(d, q), 0);
}

static void check_cifar_sample(void)
{
    CHECK_EQ(run("sample spaces/cifar100_resnet.lua -n 1000 --seed 7"), 0);
    size_t len1, len2;
    char *a = slurp(out_path, &len1);
    CHECK_EQ(run("sample spaces/cifar100_resnet.lua -n 1000 --seed=7"), 0);
    char *b = slurp(out_path, &len2);
    CHECK_EQ(len1, len2);
    CHECK(memcmp(a, b, len1) == 0);
    free(b);
    CHECK_EQ(run("sample spaces/cifar100_resnet.lua -n 1000 --seed 8"), 0);
    b = slurp(out_path, &len2);
    CHECK(len1 != len2 || memcmp(a, b, len1) != 0);
    free(b);
    CHECK_EQ(count_lines(a), 1000);

    static const char *const optimizers[] = {"Adam", "Nadam", "RMSprop", NULL};
    static const char *const pools[] = {"max", "avg", "all_conv", "inception", NULL};
    static const char *const acts[] = {"relu", "elu", NULL};
    int first_none = 0, res_none = 0, fc_none = 0;
    char *line = a;
    for (int i = 0; i < 1000; i++) {
        char *nl = strchr(line, '\n');
        CHECK(nl != NULL);
        pz_value *p;
        pz_error err;
        pz_error_clear(&err);
        CHECK_OK(pz_value_from_json(line, (size_t)(nl - line), &p, &err));
        CHECK_EQ(p->type, PZ_MAP);
        CHECK_EQ(pz_value_len(p), 19);
        in_range(p, "lr_rate_mult", exp(-0.5), exp(0.5));
        in_range(p, "l2_weight_reg_mult", exp(-1.3), exp(1.3));
        integral_in(p, "batch_size", PZ_DOUBLE, 100, 450, 5);
        one_of_str(p, "optimizer", optimizers);
        in_range(p, "coarse_labels_weight", 0.1, 0.7);
        in_range(p, "conv_dropout_proba", 0, 0.35);
        in_range(p, "fc_dropout_proba", 0, 0.6);
        CHECK_EQ(pz_map_get(p, "use_BN")->type, PZ_BOOL);
        const pz_value *fc = pz_map_get(p, "first_conv");
        if (fc->type == PZ_NONE)
            first_none++;
        else
            integral_in(p, "first_conv", PZ_INT, 3, 4, 1);
        const pz_value *res = pz_map_get(p, "residual");
        if (res->type == PZ_NONE)
            res_none++;
        else
            integral_in(p, "residual", PZ_DOUBLE, 1, 4, 1);
        in_range(p, "conv_hiddn_units_mult", exp(-0.6), exp(0.6));
        integral_in(p, "nb_conv_pool_layers", PZ_INT, 2, 3, 1);
        integral_in(p, "conv_pool_res_start_idx", PZ_DOUBLE, 0, 2, 1);
        one_of_str(p, "pooling_type", pools);
        integral_in(p, "conv_kernel_size", PZ_DOUBLE, 2, 4, 1);
        integral_in(p, "res_conv_kernel_size", PZ_DOUBLE, 2, 4, 1);
        in_range(p, "fc_units_1_mult", exp(-0.6), exp(0.6));
        if (pz_map_get(p, "one_more_fc")->type == PZ_NONE)
            fc_none++;
        else
            in_range(p, "one_more_fc", exp(-0.6), exp(0.6));
        one_of_str(p, "activation", acts);
        pz_value_free(p);
        line = nl + 1;
    }
    free(a);
    printf("first_conv none %d/1000, residual none %d/1000, one_more_fc none %d/1000\n", first_none,
           res_none, fc_none);
    /* Each nested choice picks its none branch half the time. */
    CHECK(first_none > 400 && first_none < 600);
    CHECK(res_none > 400 && res_none < 600);
    CHECK(fc_none > 400 && fc_none < 600);

    /* --vals shows the nested labels exactly where their branch was chosen. */
    CHECK_EQ(run("sample spaces/cifar100_resnet.lua -n 200 --seed 7 --vals"), 0);
    size_t len;
    char *v = slurp(out_path, &len);
    line = v;
    for (int i = 0; i < 200; i++) {
        char *nl = strchr(line, '\n');
        pz_value *vals;
        CHECK_OK(pz_value_from_json(line, (size_t)(nl - line), &vals, NULL));
        CHECK_EQ(pz_map_get(vals, "first_conv_size") != NULL, pz_map_get(vals, "first_conv")->u.i == 1);
        CHECK_EQ(pz_map_get(vals, "residual_units") != NULL, pz_map_get(vals, "residual")->u.i == 1);
        CHECK_EQ(pz_map_get(vals, "fc_units_2_mult") != NULL, pz_map_get(vals, "one_more_fc")->u.i == 1);
        pz_value_free(vals);
        line = nl + 1;
    }
    free(v);
}

int main(void)
{
    cli = getenv("PZ_CLI");
    src = getenv("PZ_SOURCE_DIR");
    CHECK(cli && src);
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(out_path, sizeof out_path, "%s/pz_cli_out_%d", tmp, (int)getpid());
    snprintf(err_path, sizeof err_path, "%s/pz_cli_err_%d", tmp, (int)getpid());
    check_help_and_errors();
    check_cifar_sample();
    remove(out_path);
    remove(err_path);
    printf("cli: all checks passed\n");
    return 0;
}
