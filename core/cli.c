/* parzen: the command-line interface.
 *
 * Exit codes: 0 success, 1 a user error (bad script, unreadable file: one
 * line on stderr), 2 a usage error (unknown option, missing argument).
 * Subcommands live in one table; each has its own --help.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "plugin.h"
#include "results.h"
#include "sample.h"
#include "script.h"
#include "study.h"
#include "trainer.h"
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

/* {===== run ===== */

static const char run_help[] =
    "Usage: parzen run STUDY.lua [options]\n"
    "\n"
    "Run the study: propose trials with the search algorithm, evaluate each\n"
    "in its own process, and record everything in results/<name>/. If that\n"
    "folder already holds the study's journal, the run resumes it: finished\n"
    "trials are kept, interrupted ones run again, and it carries on towards\n"
    "max_evals (which counts every trial, failed ones included).\n"
    "\n"
    "Options (each overrides the script's field of the same name):\n"
    "  --max-evals N          trials in all (default 100)\n"
    "  --timeout SECONDS      stop this run after SECONDS (running trials are\n"
    "                         recorded as interrupted and resume later)\n"
    "  --seed S               study seed (default: the script's, else random;\n"
    "                         a resumed study keeps the seed it began with)\n"
    "  --algo NAME            search algorithm (tpe, random, ...)\n"
    "  --workers N            trials at once (default 1)\n"
    "  --trial-timeout SECONDS  fail a trial that runs longer\n"
    "  --results DIR          results root (default results)\n"
    "  --name NAME            study name (default: the script's name)\n"
    "  --set KEY=VALUE        set a study field; VALUE is JSON or a string;\n"
    "                         KEY may be dotted (trainer.epochs=5)\n"
    "  --force-space-change   resume although the space changed\n"
    "  --quiet                print nothing but errors and warnings\n"
    "  --json                 print one JSON object per finished trial\n"
    "  -h, --help             show this help\n"
    "\n"
    "Ctrl-C stops cleanly (running trials are recorded as interrupted); a\n"
    "second Ctrl-C stops at once. Either way nothing finished is lost.\n";

static const char *const study_fields[] = {PZ_STUDY_FIELDS, NULL};

/* Set config[key] (key may be dotted into maps) to the JSON text v, or
 * to the string v when it is not JSON. */
static int set_override(pz_value *cfg, const char *key, const char *v)
{
    char path[256];
    if (snprintf(path, sizeof path, "%s", key) >= (int)sizeof path)
        return -1;
    char *dot = strchr(path, '.');
    if (dot)
        *dot = '\0';
    int known = 0;
    for (size_t i = 0; study_fields[i]; i++)
        known |= strcmp(study_fields[i], path) == 0;
    if (!known || strcmp(path, "space") == 0)
        return -1;
    pz_value *val = NULL;
    pz_error ignore;
    if (pz_value_from_json(v, strlen(v), &val, &ignore) != PZ_OK)
        val = pz_value_str(v);
    if (!val)
        return -1;
    pz_value *m = cfg;
    char *k = path;
    while (dot) {
        pz_value *sub = pz_map_get(m, k);
        if (!sub || sub->type != PZ_MAP) {
            if (pz_map_set(m, k, pz_value_map())) {
                pz_value_free(val);
                return -1;
            }
            sub = pz_map_get(m, k);
        }
        m = sub;
        k = dot + 1;
        dot = strchr(k, '.');
        if (dot)
            *dot = '\0';
    }
    return pz_map_set(m, k, val) ? -1 : 0;
}

static int parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !(d > 0) || d > 1e9)
        return -1;
    *out = d;
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    const char *path = NULL;
    int quiet = 0, json = 0;
    unsigned flags = 0;
    pz_value *ov = pz_value_map();
    if (!ov)
        return EXIT_USER;
    int rc = EXIT_OK;
    for (int i = 1; i < argc && rc == EXIT_OK; i++) {
        const char *a = argv[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t alen = eq ? (size_t)(eq - a) : strlen(a);
#define IS(opt) (alen == sizeof(opt) - 1 && strncmp(a, opt, alen) == 0)
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(run_help, stdout);
            pz_value_free(ov);
            return EXIT_OK;
        } else if (IS("--quiet")) {
            quiet = 1;
        } else if (IS("--json")) {
            json = 1;
        } else if (IS("--force-space-change")) {
            flags |= PZ_STUDY_FORCE_SPACE_CHANGE;
        } else if (IS("--max-evals") || IS("--seed") || IS("--workers") || IS("--timeout") ||
                   IS("--trial-timeout") || IS("--algo") || IS("--results") || IS("--name") ||
                   IS("--set")) {
            const char *v = opt_value(argc, argv, &i, eq);
            uint64_t u;
            double d;
            if (!v) {
                rc = usage_error("run", "option '%s' needs a value", a);
            } else if (IS("--max-evals") || IS("--workers") || IS("--seed")) {
                const char *field = IS("--max-evals") ? "max_evals" : IS("--workers") ? "workers" : "seed";
                if (parse_u64(v, &u) || u > INT64_MAX || (u == 0 && !IS("--seed")))
                    rc = usage_error("run", IS("--seed") ? "--seed expects a whole number >= 0, got '%s'"
                                                         : "expected a whole number >= 1, got '%s'", v);
                else
                    pz_map_set(ov, field, pz_value_int((int64_t)u));
            } else if (IS("--timeout") || IS("--trial-timeout")) {
                if (parse_seconds(v, &d))
                    rc = usage_error("run", "expected a number of seconds > 0, got '%s'", v);
                else
                    pz_map_set(ov, IS("--timeout") ? "timeout" : "trial_timeout", pz_value_double(d));
            } else if (IS("--set")) {
                const char *e = strchr(v, '=');
                char key[256];
                if (!e || e == v || (size_t)(e - v) >= sizeof key) {
                    rc = usage_error("run", "--set expects KEY=VALUE, got '%s'", v);
                } else {
                    memcpy(key, v, (size_t)(e - v));
                    key[e - v] = '\0';
                    if (set_override(ov, key, e + 1))
                        rc = usage_error("run", "--set: '%s' is not a study field", key);
                }
            } else if (!*v) {
                rc = usage_error("run", "option '%s' needs a non-empty value", a);
            } else {
                pz_map_set(ov, IS("--algo") ? "algo" : IS("--results") ? "results" : "name", pz_value_str(v));
            }
        } else if (a[0] == '-' && a[1]) {
            rc = usage_error("run", "unknown option '%s'", a);
        } else if (path) {
            rc = usage_error("run", "unexpected argument '%s'", a);
        } else {
            path = a;
        }
#undef IS
    }
    if (rc == EXIT_OK && !path)
        rc = usage_error("run", "missing STUDY.lua%s", "");
    if (rc == EXIT_OK && quiet && json)
        rc = usage_error("run", "--quiet and --json contradict each other%s", "");
    if (rc != EXIT_OK) {
        pz_value_free(ov);
        return rc;
    }

    pz_error err;
    pz_error_clear(&err);
    pz_study *s;
    rc = pz_study_open_script(&s, path, ov, flags, &err);
    pz_value_free(ov);
    if (rc)
        return user_error(&err);
    fputs(pz_study_warnings(s), stderr);
    int resumed;
    size_t nok, nfail, nre;
    pz_study_counts(s, &resumed, &nok, &nfail, &nre);
    if (resumed && !quiet)
        fprintf(stderr, "resuming %s: %zu finished, %zu failed, %zu interrupted and re-queued\n",
                pz_study_name(s), nok, nfail, nre);
    else if (!quiet) /* the seed matters when it was drawn at random */
        fprintf(stderr, "starting %s in %s (seed %" PRIu64 ")\n", pz_study_name(s), pz_study_dir(s),
                pz_study_seed(s));
    pz_study_set_output(s, quiet ? PZ_OUTPUT_QUIET : json ? PZ_OUTPUT_JSON : PZ_OUTPUT_AUTO);
    int run_rc = pz_study_run(s, &err);
    pz_stop_reason why = pz_study_stop_reason(s);
    FILE *sum = json ? stderr : stdout;
    if (!quiet && (run_rc == PZ_OK || run_rc == PZ_ECANCEL)) {
        static const char *const reasons[] = {
            [PZ_STOP_NONE] = "stopped", [PZ_STOP_MAX_EVALS] = "done (max_evals)",
            [PZ_STOP_TIMEOUT] = "stopped (timeout; interrupted trials resume on the next run)",
            [PZ_STOP_LOSS_THRESHOLD] = "stopped (loss_threshold reached)",
            [PZ_STOP_NO_IMPROVEMENT] = "stopped (no improvement)",
            [PZ_STOP_FAILURES] = "stopped (too many failures in a row)",
            [PZ_STOP_INTERRUPTED] = "interrupted"};
        size_t n = pz_study_ntrials(s), ok = 0, failed = 0;
        for (size_t i = 0; i < n; i++) {
            pz_trial_info t;
            pz_study_trial(s, i, &t);
            ok += t.status == PZ_TRIAL_OK;
            failed += t.status == PZ_TRIAL_FAIL;
        }
        fprintf(sum, "%s: %s: %zu trials (%zu ok, %zu failed)", pz_study_name(s), reasons[why], n, ok, failed);
        pz_trial_info best;
        if (pz_study_best(s, &best) == PZ_OK) {
            char name[128];
            pz_result_filename(name, sizeof name, best.id, 1, best.loss);
            fprintf(sum, "; best loss %.6g (trial %" PRIu64 "): %s/%s", best.loss, best.id, pz_study_dir(s), name);
        }
        fprintf(sum, "\n");
        fflush(sum);
    }
    pz_study_free(s);
    if (run_rc == PZ_ECANCEL && why == PZ_STOP_INTERRUPTED) {
        char buf[PZ_ERRMSG_MAX + PZ_WHERE_MAX + 4];
        fprintf(stderr, "%s: %s\n", prog, pz_error_format(&err, buf, sizeof buf));
        return strstr(err.msg, "SIGTERM") ? 128 + 15 : 128 + 2;
    }
    if (run_rc)
        return user_error(&err);
    return EXIT_OK;
}
/* }===== */

/* {===== ls, best, show, export ===== */

static int open_dir_cmd(const char *dir, pz_study **s)
{
    pz_error err;
    pz_error_clear(&err);
    if (pz_study_open_dir(s, dir, &err))
        return user_error(&err);
    fputs(pz_study_warnings(*s), stderr);
    return EXIT_OK;
}

/* Trial indices: ok by loss (then id), then failed, then pending. qsort
 * has no user pointer, hence the file-level study. */
static const pz_study *rank_study;
static int rank_cmp(const void *a, const void *b)
{
    pz_trial_info x, y;
    pz_study_trial(rank_study, *(const size_t *)a, &x);
    pz_study_trial(rank_study, *(const size_t *)b, &y);
    int cx = x.status == PZ_TRIAL_OK ? 0 : x.status == PZ_TRIAL_FAIL ? 1 : 2;
    int cy = y.status == PZ_TRIAL_OK ? 0 : y.status == PZ_TRIAL_FAIL ? 1 : 2;
    if (cx != cy)
        return cx - cy;
    if (cx == 0 && x.loss != y.loss)
        return x.loss < y.loss ? -1 : 1;
    return x.id < y.id ? -1 : x.id > y.id;
}

static size_t *ranked(const pz_study *s)
{
    size_t n = pz_study_ntrials(s);
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx)
        return NULL;
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    rank_study = s;
    qsort(idx, n, sizeof *idx, rank_cmp);
    return idx;
}

/* The value of a label in vals as short text. */
static void val_text(const pz_value *v, char *b, size_t n)
{
    if (!v)
        snprintf(b, n, "-");
    else if (v->type == PZ_INT)
        snprintf(b, n, "%lld", (long long)v->u.i);
    else if (v->type == PZ_DOUBLE)
        snprintf(b, n, "%.6g", v->u.d);
    else if (v->type == PZ_STR)
        snprintf(b, n, "%s", v->u.s.ptr);
    else
        snprintf(b, n, "?");
}

static const char ls_help[] =
    "Usage: parzen ls DIR [--top K]\n"
    "\n"
    "List the trials of the study in DIR (results/<name>), best first:\n"
    "rank, trial id, loss, status, and each label's value (choice labels\n"
    "show the option's index). Failed and unfinished trials come last.\n"
    "\n"
    "  --top K     only the K best\n"
    "  -h, --help  show this help\n";

static int dir_args(int argc, char **argv, const char *cmd, const char *help, const char **dir,
                    const char **extra, uint64_t *top)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t alen = eq ? (size_t)(eq - a) : strlen(a);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            return -1;
        } else if (top && alen == 5 && strncmp(a, "--top", 5) == 0) {
            const char *v = opt_value(argc, argv, &i, eq);
            if (!v || parse_u64(v, top) || *top == 0)
                return usage_error(cmd, "--top expects a whole number >= 1%s", "");
        } else if (a[0] == '-' && a[1]) {
            return usage_error(cmd, "unknown option '%s'", a);
        } else if (!*dir) {
            *dir = a;
        } else if (extra && !*extra) {
            *extra = a;
        } else {
            return usage_error(cmd, "unexpected argument '%s'", a);
        }
    }
    if (!*dir)
        return usage_error(cmd, "missing DIR (a study folder, results/<name>)%s", "");
    if (extra && !*extra)
        return usage_error(cmd, "missing TRIAL%s", "");
    return EXIT_OK;
}

static int cmd_ls(int argc, char **argv)
{
    const char *dir = NULL;
    uint64_t top = UINT64_MAX;
    int rc = dir_args(argc, argv, "ls", ls_help, &dir, NULL, &top);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    pz_study *s;
    if ((rc = open_dir_cmd(dir, &s)))
        return rc;
    size_t *idx = ranked(s);
    size_t n = pz_study_ntrials(s), nl = pz_study_nlabels(s);
    printf("%-5s %-6s %-14s %-8s", "rank", "trial", "loss", "status");
    for (size_t j = 0; j < nl; j++)
        printf(" %-12s", pz_study_label(s, j));
    printf("\n");
    for (size_t r = 0; idx && r < n && r < top; r++) {
        pz_trial_info t;
        pz_study_trial(s, idx[r], &t);
        char loss[32];
        if (t.status == PZ_TRIAL_OK)
            snprintf(loss, sizeof loss, "%.8g", t.loss);
        else
            snprintf(loss, sizeof loss, "-");
        printf("%-5zu %-6" PRIu64 " %-14s %-8s", r + 1, t.id, loss,
               t.status == PZ_TRIAL_OK ? "ok" : t.status == PZ_TRIAL_FAIL ? "fail" : "pending");
        for (size_t j = 0; j < nl; j++) {
            char b[64];
            val_text(pz_map_get(t.vals, pz_study_label(s, j)), b, sizeof b);
            printf(" %-12s", b);
        }
        printf("\n");
    }
    free(idx);
    pz_study_free(s);
    return EXIT_OK;
}

/* One JSON value on stdout: indented for the commands people read (show,
 * best, eval), compact for export. */
static int print_json_as(const pz_value *v, int pretty)
{
    pz_buf b, p;
    pz_buf_init(&b);
    pz_buf_init(&p);
    int rc = pz_value_to_json(v, &b);
    if (!rc && pretty)
        rc = pz__json_pretty(b.data, b.len, &p);
    pz_buf *o = pretty ? &p : &b;
    if (!rc)
        rc = pz_buf_putc(o, '\n');
    if (!rc)
        fwrite(o->data, 1, o->len, stdout);
    pz_buf_destroy(&b);
    pz_buf_destroy(&p);
    return rc;
}

static int print_json(const pz_value *v) { return print_json_as(v, 1); }

static const char best_help[] =
    "Usage: parzen best DIR\n"
    "\n"
    "Print the best trial of the study in DIR as JSON: its id, loss,\n"
    "params (choice values), vals, metrics and the path of its model.\n";

static int cmd_best(int argc, char **argv)
{
    const char *dir = NULL;
    int rc = dir_args(argc, argv, "best", best_help, &dir, NULL, NULL);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    pz_study *s;
    if ((rc = open_dir_cmd(dir, &s)))
        return rc;
    pz_trial_info t;
    pz_error err;
    pz_error_clear(&err);
    if (pz_study_best(s, &t) != PZ_OK) {
        pz_error_set(&err, PZ_ENOENT, "study '%s' has no successful trial yet", pz_study_name(s));
        pz_study_free(s);
        return user_error(&err);
    }
    pz_value *doc;
    rc = pz_study_trial_doc(s, (size_t)t.id, &doc) ? EXIT_USER : EXIT_OK;
    if (!rc) {
        pz_value *out = pz_value_map();
        pz_map_set(out, "trial", pz_value_int((int64_t)t.id));
        pz_map_set(out, "loss", pz_value_double(t.loss));
        pz_map_set(out, "params", pz_value_copy(pz_map_get(doc, "params")));
        pz_map_set(out, "vals", pz_value_copy(pz_map_get(doc, "vals")));
        pz_map_set(out, "metrics", pz_value_copy(pz_map_get(doc, "metrics")));
        pz_map_set(out, "model", pz_value_copy(pz_map_get(doc, "model")));
        print_json(out);
        pz_value_free(out);
        pz_value_free(doc);
    }
    pz_study_free(s);
    return rc;
}

static const char show_help[] =
    "Usage: parzen show DIR TRIAL\n"
    "\n"
    "Print trial TRIAL (its id) of the study in DIR as JSON: status, loss,\n"
    "params, vals, metrics, error, model, timings.\n";

static int cmd_show(int argc, char **argv)
{
    const char *dir = NULL, *tr = NULL;
    int rc = dir_args(argc, argv, "show", show_help, &dir, &tr, NULL);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    uint64_t id;
    if (parse_u64(tr, &id))
        return usage_error("show", "TRIAL must be a trial id (a whole number), got '%s'", tr);
    pz_study *s;
    if ((rc = open_dir_cmd(dir, &s)))
        return rc;
    pz_value *doc;
    if (id >= pz_study_ntrials(s) || pz_study_trial_doc(s, (size_t)id, &doc)) {
        pz_error err;
        pz_error_set(&err, PZ_ENOENT, "study '%s' has no trial %" PRIu64 " (it has %zu)", pz_study_name(s), id,
                     pz_study_ntrials(s));
        pz_study_free(s);
        return user_error(&err);
    }
    print_json(doc);
    pz_value_free(doc);
    pz_study_free(s);
    return EXIT_OK;
}

static void csv_field(pz_buf *b, const char *t)
{
    if (!strpbrk(t, ",\"\n\r")) {
        pz_buf_puts(b, t);
        return;
    }
    pz_buf_putc(b, '"');
    for (; *t; t++) {
        if (*t == '"')
            pz_buf_putc(b, '"');
        pz_buf_putc(b, *t);
    }
    pz_buf_putc(b, '"');
}

static const char export_help[] =
    "Usage: parzen export DIR [--format csv|json]\n"
    "\n"
    "Print every trial of the study in DIR, in id order. csv (the default):\n"
    "one row per trial; columns trial, status, loss, duration, one per\n"
    "label (its value in vals: choice labels give the option's index),\n"
    "error (its first line). json: a list of the trials' documents (as `parzen show`).\n";

static int cmd_export(int argc, char **argv)
{
    const char *dir = NULL, *format = "csv";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t alen = eq ? (size_t)(eq - a) : strlen(a);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(export_help, stdout);
            return EXIT_OK;
        } else if (alen == 8 && strncmp(a, "--format", 8) == 0) {
            format = opt_value(argc, argv, &i, eq);
            if (!format || (strcmp(format, "csv") && strcmp(format, "json")))
                return usage_error("export", "--format expects csv or json%s", "");
        } else if (a[0] == '-' && a[1]) {
            return usage_error("export", "unknown option '%s'", a);
        } else if (dir) {
            return usage_error("export", "unexpected argument '%s'", a);
        } else {
            dir = a;
        }
    }
    if (!dir)
        return usage_error("export", "missing DIR%s", "");
    pz_study *s;
    int rc = open_dir_cmd(dir, &s);
    if (rc)
        return rc;
    size_t n = pz_study_ntrials(s), nl = pz_study_nlabels(s);
    if (strcmp(format, "json") == 0) {
        pz_value *all = pz_value_list();
        for (size_t i = 0; all && i < n; i++) {
            pz_value *doc;
            if (pz_study_trial_doc(s, i, &doc) == PZ_OK)
                pz_list_push(all, doc);
        }
        rc = all && !print_json_as(all, 0) ? EXIT_OK : EXIT_USER;
        pz_value_free(all);
    } else {
        pz_buf b;
        pz_buf_init(&b);
        pz_buf_puts(&b, "trial,status,loss,duration");
        for (size_t j = 0; j < nl; j++) {
            pz_buf_putc(&b, ',');
            csv_field(&b, pz_study_label(s, j));
        }
        pz_buf_puts(&b, ",error\n");
        for (size_t i = 0; i < n; i++) {
            pz_trial_info t;
            pz_study_trial(s, i, &t);
            pz_buf_printf(&b, "%" PRIu64 ",%s,", t.id,
                          t.status == PZ_TRIAL_OK ? "ok" : t.status == PZ_TRIAL_FAIL ? "fail" : "pending");
            if (t.status == PZ_TRIAL_OK)
                pz_buf_printf(&b, "%.17g", t.loss);
            pz_buf_putc(&b, ',');
            if (t.end > 0)
                pz_buf_printf(&b, "%.3f", t.end - t.start);
            for (size_t j = 0; j < nl; j++) {
                const pz_value *v = pz_map_get(t.vals, pz_study_label(s, j));
                char tb[64] = "";
                if (v && v->type == PZ_DOUBLE)
                    snprintf(tb, sizeof tb, "%.17g", v->u.d);
                else if (v)
                    val_text(v, tb, sizeof tb);
                pz_buf_putc(&b, ',');
                csv_field(&b, tb);
            }
            pz_buf_putc(&b, ',');
            char eb[PZ_ERRMSG_MAX]; /* the first line: tracebacks are in `show` */
            snprintf(eb, sizeof eb, "%.*s", t.error ? (int)strcspn(t.error, "\n") : 0, t.error ? t.error : "");
            csv_field(&b, eb);
            pz_buf_putc(&b, '\n');
        }
        if (b.data)
            fwrite(b.data, 1, b.len, stdout);
        pz_buf_destroy(&b);
    }
    pz_study_free(s);
    return rc;
}
/* }===== */

/* {===== eval ===== */

static const char eval_help[] =
    "Usage: parzen eval MODEL [--data DIR] [--split NAME]\n"
    "\n"
    "Score a saved model: read its header to learn which trainer wrote it,\n"
    "load that trainer plugin (see `parzen run --help` on where plugins are\n"
    "found), evaluate the model on a data split and print the metrics as\n"
    "JSON.\n"
    "\n"
    "  --data DIR    data folder (default: the one the model was trained on)\n"
    "  --split NAME  data split (default test)\n";

static int cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *data = NULL, *split = "test";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t alen = eq ? (size_t)(eq - a) : strlen(a);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(eval_help, stdout);
            return EXIT_OK;
        } else if ((alen == 6 && strncmp(a, "--data", 6) == 0) || (alen == 7 && strncmp(a, "--split", 7) == 0)) {
            const char *v = opt_value(argc, argv, &i, eq);
            if (!v || !*v)
                return usage_error("eval", "option '%s' needs a value", a);
            if (alen == 6)
                data = v;
            else
                split = v;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("eval", "unknown option '%s'", a);
        } else if (model) {
            return usage_error("eval", "unexpected argument '%s'", a);
        } else {
            model = a;
        }
    }
    if (!model)
        return usage_error("eval", "missing MODEL%s", "");
    pz_error err;
    pz_error_clear(&err);
    FILE *f = fopen(model, "rb");
    if (!f) {
        pz_error_set(&err, PZ_EIO, "cannot open model %s: %s", model, strerror(errno));
        return user_error(&err);
    }
    pz_value *hdr;
    int rc = pz_model_header_read(f, model, &hdr, &err);
    fclose(f);
    if (rc)
        return user_error(&err);
    pz_plugin *pl;
    rc = pz_plugin_load(&pl, pz_map_get(hdr, "trainer")->u.s.ptr, &err);
    pz_value_free(hdr);
    if (rc)
        return user_error(&err);
    const pz_trainer *t = pz_plugin_trainer(pl);
    pz_value *cfg = NULL, *metrics = NULL;
    if (data && (!(cfg = pz_value_map()) || pz_map_set(cfg, "data_dir", pz_value_str(data))))
        rc = pz_error_set(&err, PZ_ENOMEM, NULL);
    else if (!t->evaluate)
        rc = pz_error_set(&err, PZ_EPLUGIN, "trainer plugin %s cannot evaluate models", pz_plugin_path(pl));
    else
        rc = t->evaluate(model, cfg, split, &metrics, &err);
    if (!rc)
        print_json(metrics);
    pz_value_free(cfg);
    pz_value_free(metrics);
    pz_plugin_free(pl);
    return rc ? user_error(&err) : EXIT_OK;
}
/* }===== */


/* {===== retrain ===== */
static const char retrain_help[] =
    "Usage: parzen retrain DIR [--epochs N] [--top K] [--data DIR] [--train-limit N]\n"
    "\n"
    "Train the configurations of the K best trials of the study in DIR\n"
    "again, for N epochs on every training image (training and validation\n"
    "images together), each epoch scored on the test split, and report\n"
    "the final test accuracy. The search picked these configurations on\n"
    "short runs; this is the long run of the winners. Results go to\n"
    "DIR/retrained/: trial-NNNNNN.json and the model under trial-NNNNNN/.\n"
    "Each retraining runs in its own process and keeps a checkpoint per\n"
    "epoch, so an interrupted retrain resumes when run again.\n"
    "\n"
    "  --epochs N  epochs of the long run (default 10)\n"
    "  --top K     how many of the best trials (default 1)\n"
    "  --data DIR  data folder (default: the one the study used)\n"
    "  --train-limit N  train on at most N images (a quick check; default all)\n"
    "  -h, --help  show this help\n";

static void retrain_progress(void *ud, const pz_value *ev)
{
    (void)ud;
    double epoch, epochs, loss, acc, ips = 0;
    /* per-batch events carry no accuracy: only epochs are worth a line */
    if (pz_value_number(pz_map_get(ev, "val_acc"), &acc) || pz_value_number(pz_map_get(ev, "epoch"), &epoch) ||
        pz_value_number(pz_map_get(ev, "epochs"), &epochs) || pz_value_number(pz_map_get(ev, "loss"), &loss))
        return;
    pz_value_number(pz_map_get(ev, "images_per_second"), &ips);
    fprintf(stderr, "  epoch %.0f/%.0f: training loss %.4f, test accuracy %.4f (%.0f images/s)\n", epoch,
            epochs, loss, acc, ips);
}

/* Train in a child process, so a crash costs this configuration only;
 * the child leaves DIR/retrained/<name>.json behind on success. */
static int retrain_child(const pz_trainer *t, const pz_value *params, const pz_value *cfg, const char *model_dir,
                         const char *outdir, const char *name, uint64_t seed, const pz_value *base, pz_error *err)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return pz_error_set(err, PZ_EIO, "fork: %s", strerror(errno));
    if (pid == 0) {
        pz_trainer_ctx ctx;
        memset(&ctx, 0, sizeof ctx);
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        ctx.params = params, ctx.config = cfg, ctx.model_dir = model_dir, ctx.seed = seed;
        ctx.threads = cores > 0 ? (int)cores : 1;
        ctx.progress = retrain_progress;
        pz_value *res = NULL;
        pz_error e;
        pz_error_clear(&e);
        int rc = t->train(&ctx, &res, &e);
        pz_buf b;
        pz_buf_init(&b);
        pz_value *doc = rc ? NULL : pz_value_copy(base);
        if (doc) {
            pz_map_set(doc, "metrics", pz_value_copy(pz_map_get(res, "metrics")));
            pz_map_set(doc, "model", pz_value_copy(pz_map_get(res, "model")));
        }
        if (!rc && (!doc || pz_value_to_json(doc, &b) || pz__write_file_atomic(outdir, name, b.data, b.len, &e)))
            rc = e.code ? e.code : PZ_ENOMEM;
        if (rc) {
            char msg[PZ_ERRMSG_MAX + PZ_WHERE_MAX + 4];
            fprintf(stderr, "%s: retrain: %s\n", prog, pz_error_format(&e, msg, sizeof msg));
        }
        fflush(stderr);
        _exit(rc ? 1 : 0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return pz_error_set(err, PZ_EIO, "waitpid: %s", strerror(errno));
    if (WIFSIGNALED(status))
        return pz_error_set(err, PZ_EPLUGIN, "the retraining process died of %s", strsignal(WTERMSIG(status)));
    if (WEXITSTATUS(status) != 0)
        return pz_error_set(err, PZ_EPLUGIN, "the retraining failed (see above)");
    return PZ_OK;
}

static int cmd_retrain(int argc, char **argv)
{
    const char *dir = NULL, *data = NULL;
    uint64_t epochs = 10, top = 1, limit = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        size_t alen = eq ? (size_t)(eq - a) : strlen(a);
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(retrain_help, stdout);
            return EXIT_OK;
        } else if ((alen == 8 && strncmp(a, "--epochs", 8) == 0) || (alen == 5 && strncmp(a, "--top", 5) == 0)) {
            const char *v = opt_value(argc, argv, &i, eq);
            uint64_t *dst = alen == 8 ? &epochs : &top;
            if (!v || parse_u64(v, dst) || *dst == 0 || *dst > 100000)
                return usage_error("retrain", "%s expects a whole number >= 1", alen == 8 ? "--epochs" : "--top");
        } else if (alen == 6 && strncmp(a, "--data", 6) == 0) {
            if (!(data = opt_value(argc, argv, &i, eq)) || !*data)
                return usage_error("retrain", "option '%s' needs a value", a);
        } else if (alen == 13 && strncmp(a, "--train-limit", 13) == 0) {
            const char *v = opt_value(argc, argv, &i, eq);
            if (!v || parse_u64(v, &limit) || limit == 0)
                return usage_error("retrain", "--train-limit expects a whole number >= 1%s", "");
        } else if (a[0] == '-' && a[1]) {
            return usage_error("retrain", "unknown option '%s'", a);
        } else if (dir) {
            return usage_error("retrain", "unexpected argument '%s'", a);
        } else {
            dir = a;
        }
    }
    if (!dir)
        return usage_error("retrain", "missing DIR (a study folder, results/<name>)%s", "");
    pz_study *s;
    int rc = open_dir_cmd(dir, &s);
    if (rc)
        return rc;
    size_t *idx = ranked(s), n = pz_study_ntrials(s), done = 0;
    pz_error err;
    pz_error_clear(&err);
    char outdir[4096];
    snprintf(outdir, sizeof outdir, "%s/retrained", pz_study_dir(s));
    if (!idx)
        rc = pz_error_set(&err, PZ_ENOMEM, "out of memory");
    for (size_t k = 0; !rc && k < n && done < top; k++) {
        pz_trial_info t;
        pz_study_trial(s, idx[k], &t);
        if (t.status != PZ_TRIAL_OK || !t.model)
            continue;
        done++;
        pz_value *hdr = NULL, *cfg = NULL, *base = NULL;
        pz_plugin *pl = NULL;
        FILE *f = fopen(t.model, "rb");
        if (!f) {
            rc = pz_error_set(&err, PZ_EIO, "trial %" PRIu64 ": cannot open its model %s: %s", t.id, t.model,
                              strerror(errno));
            break;
        }
        rc = pz_model_header_read(f, t.model, &hdr, &err);
        fclose(f);
        if (!rc)
            rc = pz_plugin_load(&pl, pz_map_get(hdr, "trainer")->u.s.ptr, &err);
        char name[64], mdir[4200];
        snprintf(name, sizeof name, "trial-%06" PRIu64 ".json", t.id);
        snprintf(mdir, sizeof mdir, "%s/trial-%06" PRIu64, outdir, t.id);
        if (!rc) {
            cfg = pz_value_copy(pz_map_get(hdr, "config"));
            if (!cfg || cfg->type != PZ_MAP) {
                pz_value_free(cfg);
                cfg = pz_value_map();
            }
            /* every training image trains; the test split scores */
            pz_map_set(cfg, "epochs", pz_value_int((int64_t)epochs));
            pz_map_set(cfg, "validation", pz_value_int(0));
            pz_map_set(cfg, "train_limit", pz_value_int((int64_t)limit));
            if (data)
                pz_map_set(cfg, "data_dir", pz_value_str(data));
            base = pz_value_map();
            pz_map_set(base, "study", pz_value_str(pz_study_name(s)));
            pz_map_set(base, "trial", pz_value_int((int64_t)t.id));
            pz_map_set(base, "retrained", pz_value_bool(1));
            pz_map_set(base, "search_loss", pz_value_double(t.loss));
            pz_map_set(base, "epochs", pz_value_int((int64_t)epochs));
            pz_map_set(base, "params", pz_value_copy(t.params));
            pz_map_set(base, "config", pz_value_copy(cfg));
            rc = pz__mkdirs(mdir, &err);
        }
        if (!rc) {
            fprintf(stderr, "retraining trial %" PRIu64 " (search loss %g) for %" PRIu64 " epochs\n", t.id, t.loss,
                    epochs);
            rc = retrain_child(pz_plugin_trainer(pl), t.params, cfg, mdir, outdir, name, 0x5eed0000u + t.id, base,
                               &err);
        }
        if (!rc) {
            char path[4300];
            snprintf(path, sizeof path, "%s/%s", outdir, name);
            pz_value *doc = NULL;
            FILE *jf = fopen(path, "rb");
            pz_buf b;
            pz_buf_init(&b);
            char chunk[4096];
            size_t got;
            while (jf && (got = fread(chunk, 1, sizeof chunk, jf)) > 0)
                pz_buf_append(&b, chunk, got);
            if (jf)
                fclose(jf);
            rc = pz_value_from_json(b.data ? b.data : "", b.len, &doc, &err);
            pz_buf_destroy(&b);
            const pz_value *m = doc ? pz_map_get(doc, "metrics") : NULL;
            double fa = NAN, ca = NAN;
            pz_value_number(pz_map_get(m, "fine_end_accuracy"), &fa);
            int coarse = pz_value_number(pz_map_get(m, "coarse_end_accuracy"), &ca) == PZ_OK;
            if (!rc) {
                printf("trial %" PRIu64 ": test accuracy after %" PRIu64 " epochs: fine %.4f", t.id, epochs, fa);
                if (coarse)
                    printf(", coarse %.4f", ca);
                printf(" (%s)\n", path);
            }
            pz_value_free(doc);
        }
        pz_value_free(base);
        pz_value_free(cfg);
        pz_value_free(hdr);
        pz_plugin_free(pl);
    }
    if (!rc && done == 0)
        rc = pz_error_set(&err, PZ_ENOENT, "study '%s' has no successful trial with a saved model", pz_study_name(s));
    free(idx);
    pz_study_free(s);
    return rc ? user_error(&err) : EXIT_OK;
}
/* }===== */

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"run", cmd_run, "run or resume a study"},
    {"ls", cmd_ls, "list a study's trials, best first"},
    {"best", cmd_best, "print a study's best trial as JSON"},
    {"show", cmd_show, "print one trial as JSON"},
    {"export", cmd_export, "print every trial as CSV or JSON"},
    {"eval", cmd_eval, "score a saved model with its trainer plugin"},
    {"retrain", cmd_retrain, "train a study's best configurations again, for longer"},
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
