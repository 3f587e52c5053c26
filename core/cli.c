/* parzen: the command-line interface.
 *
 * Exit codes: 0 success, 1 a user error (bad script, unreadable file: one
 * line on stderr), 2 a usage error (unknown option, missing argument).
 * Subcommands live in one table; each has its own --help.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "sample.h"
#include "script.h"
#include "version.h"

enum { EXIT_OK = 0, EXIT_USER = 1, EXIT_USAGE = 2 };

static const char *prog = "parzen";

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "%s%s%s: ", prog, cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s%s%s --help'.\n", prog, cmd ? " " : "", cmd ? cmd : "");
    return EXIT_USAGE;
}

static int user_error(const pz_error *err)
{
    char buf[PZ_ERRMSG_MAX + PZ_WHERE_MAX + 4];
    fprintf(stderr, "%s: %s\n", prog, pz_error_format(err, buf, sizeof buf));
    return EXIT_USER;
}

/* Parse a whole non-negative decimal integer; 0 on success. */
static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* The value of option `name` given as "--name V", "--name=V" or "-n V";
 * advances *i. NULL (and a usage message) when it is missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *eq)
{
    if (eq)
        return eq + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* {===== sample ===== */

static const char sample_help[] =
    "Usage: parzen sample STUDY.lua [-n N] [--seed S]\n"
    "\n"
    "Draw N points from the prior of the study's space and print each as\n"
    "one line of JSON: the params the objective would receive. Sample i\n"
    "uses the random stream of trial i, so it is what random search would\n"
    "propose for that trial.\n"
    "\n"
    "Options:\n"
    "  -n, --num N     number of samples (default 1)\n"
    "  --seed S        study seed (default: the script's seed, else 0)\n"
    "  --vals          print the vals (label -> value, choice indices)\n"
    "                  instead of the params\n"
    "  -h, --help      show this help\n";

static int cmd_sample(int argc, char **argv)
{
    const char *path = NULL;
    uint64_t n = 1, seed = 0;
    int have_seed = 0, want_vals = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t alen = eq ? (size_t)(eq - a) : strlen(a);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(sample_help, stdout);
            return EXIT_OK;
        } else if (strcmp(a, "-n") == 0 || (alen == 5 && strncmp(a, "--num", 5) == 0)) {
            const char *v = opt_value(argc, argv, &i, eq);
            if (!v)
                return usage_error("sample", "option '%s' needs a value", a);
            if (parse_u64(v, &n))
                return usage_error("sample", "-n expects a whole number >= 0, got '%s'", v);
        } else if (alen == 6 && strncmp(a, "--seed", 6) == 0) {
            const char *v = opt_value(argc, argv, &i, eq);
            if (!v)
                return usage_error("sample", "option '%s' needs a value", a);
            if (parse_u64(v, &seed))
                return usage_error("sample", "--seed expects a whole number >= 0, got '%s'", v);
            have_seed = 1;
        } else if (strcmp(a, "--vals") == 0) {
            want_vals = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("sample", "unknown option '%s'", a);
        } else if (path) {
            return usage_error("sample", "unexpected argument '%s'", a);
        } else {
            path = a;
        }
    }
    if (!path)
        return usage_error("sample", "missing STUDY.lua%s", "");

    pz_error err;
    pz_error_clear(&err);
    pz_script *script;
    if (pz_script_load(&script, path, &err))
        return user_error(&err);
    if (!have_seed) {
        const pz_value *s = pz_map_get(pz_script_config(script), "seed");
        if (s && s->type == PZ_INT)
            seed = (uint64_t)s->u.i;
    }
    const pz_space *space = pz_script_space(script);
    int rc = EXIT_OK;
    pz_buf line;
    pz_buf_init(&line);
    for (uint64_t i = 0; i < n && rc == EXIT_OK; i++) {
        gsl_rng *r = pz_rng_new(seed, i);
        pz_value *vals = NULL, *params = NULL;
        line.len = 0;
        if (!r) {
            pz_error_set(&err, PZ_ENOMEM, NULL);
            rc = user_error(&err);
        } else if (pz_space_sample(space, r, &vals, &err) ||
                   (!want_vals && pz_space_eval(space, vals, &params, &err))) {
            rc = user_error(&err);
        } else if (pz_value_to_json(want_vals ? vals : params, &line) || pz_buf_putc(&line, '\n')) {
            pz_error_set(&err, PZ_ENOMEM, NULL);
            rc = user_error(&err);
        } else if (fwrite(line.data, 1, line.len, stdout) != line.len) {
            pz_error_set(&err, PZ_EIO, "cannot write to standard output: %s", strerror(errno));
            rc = user_error(&err);
        }
        pz_value_free(vals);
        pz_value_free(params);
        if (r)
            gsl_rng_free(r);
    }
    pz_buf_destroy(&line);
    pz_script_free(script);
    if (rc == EXIT_OK && fflush(stdout) != 0) {
        pz_error_set(&err, PZ_EIO, "cannot write to standard output: %s", strerror(errno));
        rc = user_error(&err);
    }
    return rc;
}
/* }===== */

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"sample", cmd_sample, "draw points from a study's search space"},
};

static void print_help(FILE *f)
{
    fprintf(f,
            "Usage: parzen [--help] [--version] COMMAND [ARGS]\n"
            "\n"
            "parzen tunes hyperparameters with a Tree-structured Parzen Estimator.\n"
            "Search spaces and studies are Lua scripts (see spaces/).\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'parzen COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return EXIT_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "help") == 0) {
        print_help(stdout);
        return EXIT_OK;
    }
    if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
        printf("parzen %s\n", pz_version_string());
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(a, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    if (a[0] == '-')
        return usage_error(NULL, "unknown option '%s'", a);
    return usage_error(NULL, "unknown command '%s'", a);
}
