/* parzen bench: search quality of the searchers on standard problems.
 *
 *   bench_quality [SEEDS [EVALS [PROBLEM-SUBSTRING]]]     (defaults 20, 200)
 *
 * Each problem's space is loaded from spaces/bench/NAME.lua (found through
 * $PZ_SOURCE_DIR, else the current directory); its objective is coded here
 * in C, and checked at start against the script's Lua objective on prior
 * draws (noise-free problems). Every searcher runs SEEDS studies of EVALS
 * sequential evaluations per problem (study seed 1000 + s). Printed: mean
 * ± std over seeds of the best loss after 50, 100 and EVALS evaluations,
 * the ratio of the mean regret (best - known minimum) to random search's,
 * and each searcher's mean rank over problems (by mean best at EVALS).
 * Figures only: nothing here passes or fails on quality or time.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <lauxlib.h>
#include <lua.h>

#include "hp.h"
#include "sample.h"
#include "script.h"
#include "searcher.h"

static pz_error err;

static void die(const char *what)
{
    fprintf(stderr, "bench_quality: %s: %s%s%s\n", what, err.where, err.where[0] ? ": " : "",
            err.msg);
    exit(1);
}

/* {===== reading params ===== */

static const pz_value *get(const pz_value *m, const char *k)
{
    const pz_value *v = pz_map_get(m, k);
    if (!v) {
        fprintf(stderr, "bench_quality: params have no '%s'\n", k);
        exit(1);
    }
    return v;
}

static double P(const pz_value *m, const char *k)
{
    double d;
    if (pz_value_number(get(m, k), &d)) {
        fprintf(stderr, "bench_quality: params '%s' is not a number\n", k);
        exit(1);
    }
    return d;
}

static int is_none(const pz_value *m, const char *k)
{
    const pz_value *v = pz_map_get(m, k);
    return !v || v->type == PZ_NONE;
}
/* }===== */

/* {===== objectives (the same functions as spaces/bench/NAME.lua) ===== */

static double quadratic1(const pz_value *p, gsl_rng *r)
{
    (void)r;
    return (P(p, "x") - 3) * (P(p, "x") - 3);
}

static double q1_lognormal(const pz_value *p, gsl_rng *r)
{
    (void)r;
    double x = P(p, "x");
    return fmin(0.1 * (x - 10) * (x - 10), 10);
}

static double n_arms(const pz_value *p, gsl_rng *r)
{
    return (P(p, "arm") == 0 ? -1.0 : 0.0) + gsl_ran_gaussian(r, 1.0);
}

static double distractor(const pz_value *p, gsl_rng *r)
{
    (void)r;
    double x = P(p, "x");
    return -1 / (1 + exp(-x)) - 2 * exp(-(x + 10) * (x + 10));
}

static double gauss_wave(const pz_value *p, gsl_rng *r)
{
    (void)r;
    double t = P(p, "x") + (P(p, "curve") == 1 ? M_PI : 0);
    return -(sin(t) + 2 * exp(-(t / 5) * (t / 5)));
}

static double gauss_wave2(const pz_value *p, gsl_rng *r)
{
    double x = P(p, "x");
    double t = (r ? 0.1 * gsl_ran_gaussian(r, 1.0) : 0) + 2 * exp(-(x / 5) * (x / 5));
    if (!is_none(p, "hf"))
        t += sin(x) * P(get(p, "hf"), "amp");
    return -t;
}

static double many_dists(const pz_value *p, gsl_rng *r)
{
    (void)r;
    static const char *const k[] = {"a", "b", "bb", "c", "d", "e", "f", "g", "h", "i", "j", "k"};
    double z = 0;
    for (size_t i = 0; i < 12; i++)
        z += P(p, k[i]);
    return log(1e-12 + z * z);
}

static double branin(const pz_value *p, gsl_rng *r)
{
    (void)r;
    double x = P(p, "x"), y = P(p, "y");
    const double b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, t = 1 / (8 * M_PI);
    double u = y - b * x * x + c * x - 6;
    return u * u + 10 * (1 - t) * cos(x) + 10;
}

static double hartmann6(const pz_value *p, gsl_rng *r)
{
    (void)r;
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double Pm[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                    {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                    {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                    {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const char *const k[] = {"x1", "x2", "x3", "x4", "x5", "x6"};
    double x[6], s = 0;
    for (int j = 0; j < 6; j++)
        x[j] = P(p, k[j]);
    for (int i = 0; i < 4; i++) {
        double e = 0;
        for (int j = 0; j < 6; j++)
            e += A[i][j] * (x[j] - Pm[i][j]) * (x[j] - Pm[i][j]);
        s += alpha[i] * exp(-e);
    }
    return -s;
}

static double rosenbrock(const pz_value *p, int d)
{
    double s = 0;
    for (int i = 1; i < d; i++) {
        char ka[16], kb[16];
        snprintf(ka, sizeof ka, "x%d", i);
        snprintf(kb, sizeof kb, "x%d", i + 1);
        double a = P(p, ka), b = P(p, kb);
        s += 100 * (b - a * a) * (b - a * a) + (1 - a) * (1 - a);
    }
    return s;
}

static double rosenbrock2(const pz_value *p, gsl_rng *r)
{
    (void)r;
    return rosenbrock(p, 2);
}

static double rosenbrock5(const pz_value *p, gsl_rng *r)
{
    (void)r;
    return rosenbrock(p, 5);
}

static double ackley2(const pz_value *p, gsl_rng *r)
{
    (void)r;
    double x1 = P(p, "x1"), x2 = P(p, "x2");
    double s2 = (x1 * x1 + x2 * x2) / 2, sc = (cos(2 * M_PI * x1) + cos(2 * M_PI * x2)) / 2;
    return -20 * exp(-0.2 * sqrt(s2)) - exp(sc) + 20 + exp(1);
}

static double cond_quadratic(const pz_value *p, gsl_rng *r)
{
    (void)r;
    const pz_value *b = get(p, "branch");
    if (strcmp(get(b, "kind")->u.s.ptr, "one") == 0)
        return (P(b, "x") - 1) * (P(b, "x") - 1) + 0.5;
    return (P(b, "y") + 2) * (P(b, "y") + 2) + (P(b, "z") - 1) * (P(b, "z") - 1);
}

static double log_q(const pz_value *p, gsl_rng *r)
{
    (void)r;
    double u = fmax(P(p, "units"), 1), bs = P(p, "batch");
    return pow(log10(P(p, "lr")) + 3, 2) + pow(log2(u) - 7, 2) / 4 + pow((bs - 64) / 64, 2);
}

static double l2(double v) { return log2(fmax(v, 1)); }

static double nested(const pz_value *p, gsl_rng *r)
{
    (void)r;
    const pz_value *m = get(p, "model");
    const char *kind = get(m, "kind")->u.s.ptr;
    if (strcmp(kind, "linear") == 0)
        return 0.5 + 0.05 * pow(log(P(m, "l2")) + 5, 2);
    if (strcmp(kind, "tree") == 0) {
        const pz_value *c = get(m, "criterion");
        double cc = c->type == PZ_STR ? 0.05 : 0.1 * pow(P(c, "smooth") - 0.3, 2);
        return 0.35 + 0.002 * pow(P(m, "depth") - 8, 2) + cc;
    }
    double base = 0.05 * pow(log(P(m, "lr")) + 7, 2);
    const pz_value *L = get(m, "layers");
    if (P(L, "n_layers") == 1)
        return base + 0.25 + 0.1 * pow(l2(P(L, "n1")) - 7, 2);
    if (is_none(L, "second"))
        return base + 0.2 + 0.1 * pow(l2(P(L, "n1")) - 7, 2);
    const pz_value *S = get(L, "second");
    return base + 0.05 * pow(l2(P(L, "n1")) - 8, 2) + 0.05 * pow(l2(P(S, "n2")) - 6, 2) +
           0.5 * pow(P(S, "dropout") - 0.3, 2);
}

typedef double (*objective)(const pz_value *params, gsl_rng *noise);

typedef struct problem {
    const char *name;
    objective f;
    int noisy;
    double fmin; /* known minimum (NAN: none, for the noisy ones) */
} problem;

static problem problems[] = {
    {"quadratic1", quadratic1, 0, 0},
    {"q1_lognormal", q1_lognormal, 0, 0},
    {"n_arms", n_arms, 1, NAN},
    {"distractor", distractor, 0, NAN}, /* set from a grid at start */
    {"gauss_wave", gauss_wave, 0, NAN}, /* likewise */
    {"gauss_wave2", gauss_wave2, 1, NAN},
    {"many_dists", many_dists, 0, -27.631021115928547}, /* log(1e-12) */
    {"branin", branin, 0, 0.397887357729739},
    {"hartmann6", hartmann6, 0, -3.32236801141551},
    {"rosenbrock2", rosenbrock2, 0, 0},
    {"rosenbrock5", rosenbrock5, 0, 0},
    {"ackley2", ackley2, 0, 0},
    {"cond_quadratic", cond_quadratic, 0, 0},
    {"log_q", log_q, 0, 0},
    {"nested", nested, 0, 0},
};
#define NPROBLEMS (sizeof problems / sizeof *problems)

static void grid_minima(void)
{
    double d = HUGE_VAL, g = HUGE_VAL;
    for (long i = 0; i <= 3000000; i++) {
        double x = -15 + 30.0 * (double)i / 3000000;
        d = fmin(d, -1 / (1 + exp(-x)) - 2 * exp(-(x + 10) * (x + 10)));
        double x2 = -20 + 40.0 * (double)i / 3000000;
        for (int c = 0; c < 2; c++) {
            double t = x2 + c * M_PI;
            g = fmin(g, -(sin(t) + 2 * exp(-(t / 5) * (t / 5))));
        }
    }
    problems[3].fmin = d;
    problems[4].fmin = g;
}
/* }===== */

/* {===== C objectives against the scripts' Lua objectives ===== */

static void check_against_lua(const problem *pb, const char *path, const pz_space *space)
{
    if (pb->noisy)
        return;
    lua_State *L = pz_lua_newstate();
    if (!L || luaL_dofile(L, path) != LUA_OK || !lua_istable(L, -1)) {
        fprintf(stderr, "bench_quality: %s: %s\n", path, L ? lua_tostring(L, -1) : "no memory");
        exit(1);
    }
    lua_getfield(L, -1, "objective");
    int fn = lua_gettop(L);
    gsl_rng *r = pz_rng_new(4242, 0);
    for (int i = 0; i < 50; i++) {
        pz_value *vals, *params;
        if (pz_space_sample(space, r, &vals, &err) || pz_space_eval(space, vals, &params, &err))
            die(pb->name);
        lua_pushvalue(L, fn);
        pz_lua_pushvalue(L, params);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
            fprintf(stderr, "bench_quality: %s objective: %s\n", path, lua_tostring(L, -1));
            exit(1);
        }
        double lua = lua_tonumber(L, -1), c = pb->f(params, NULL);
        lua_pop(L, 1);
        if (!(fabs(lua - c) <= 1e-9 * (1 + fabs(c)))) {
            pz_buf b;
            pz_buf_init(&b);
            pz_value_to_json(params, &b);
            fprintf(stderr, "bench_quality: %s: C objective %.17g, Lua %.17g at %s\n", pb->name, c,
                    lua, b.data);
            exit(1);
        }
        pz_value_free(vals);
        pz_value_free(params);
    }
    gsl_rng_free(r);
    lua_close(L);
}
/* }===== */

typedef struct algo {
    const char *label;
    const char *name;
    const char *okey[2];
    pz_value *ovals[2];
} algo;

/* The best loss after each evaluation of one study. */
static void study(const algo *a, const problem *pb, const pz_space *space, uint64_t seed,
                  size_t evals, double *best)
{
    pz_value *options = pz_value_map();
    for (int i = 0; i < 2; i++)
        if (a->okey[i])
            pz_map_set(options, a->okey[i], pz_value_copy(a->ovals[i]));
    pz_searcher *s;
    if (pz_searcher_new(&s, a->name, options, &err))
        die(a->label);
    pz_value_free(options);
    pz_value **vals = calloc(evals, sizeof *vals);
    pz_trial_view *views = calloc(evals, sizeof *views);
    double b = HUGE_VAL;
    for (size_t k = 0; k < evals; k++) {
        pz_suggest_ctx ctx = {space, views, k, seed, k};
        pz_value *params;
        if (pz_searcher_suggest(s, &ctx, &vals[k], &err) ||
            pz_space_eval(space, vals[k], &params, &err))
            die(a->label);
        gsl_rng *noise = pz_rng_new(UINT64_C(0x5eed) << 32 | seed, k);
        double loss = pb->f(params, noise);
        gsl_rng_free(noise);
        pz_value_free(params);
        views[k] = (pz_trial_view){k, PZ_TRIAL_OK, loss, vals[k]};
        b = fmin(b, loss);
        best[k] = b;
    }
    for (size_t k = 0; k < evals; k++)
        pz_value_free(vals[k]);
    free(vals);
    free(views);
    pz_searcher_free(s);
}

int main(int argc, char **argv)
{
    size_t nseeds = argc > 1 ? (size_t)atoi(argv[1]) : 20;
    size_t evals = argc > 2 ? (size_t)atoi(argv[2]) : 200;
    const char *only = argc > 3 ? argv[3] : NULL;
    if (nseeds < 1 || evals < 1) {
        fprintf(stderr, "usage: bench_quality [SEEDS [EVALS [PROBLEM]]]\n");
        return 2;
    }
    const char *src = getenv("PZ_SOURCE_DIR");
    algo algos[] = {
        {"random", "random", {NULL, NULL}, {NULL, NULL}},
        {"anneal", "anneal", {NULL, NULL}, {NULL, NULL}},
        {"tpe", "tpe", {NULL, NULL}, {NULL, NULL}},
        {"tpe:optuna", "tpe", {"preset", NULL}, {pz_value_str("optuna"), NULL}},
        {"tpe:lf=0", "tpe", {"linear_forgetting", NULL}, {pz_value_int(0), NULL}},
        {"tpe:ei=100", "tpe", {"n_ei_candidates", NULL}, {pz_value_int(100), NULL}},
        {"tpe:opt,lf=0", "tpe", {"preset", "linear_forgetting"},
         {pz_value_str("optuna"), pz_value_int(0)}},
        {"tpe:multi", "tpe", {"multivariate", NULL}, {pz_value_bool(1), NULL}},
    };
    enum { NA = sizeof algos / sizeof *algos };
    const size_t marks[3] = {evals < 50 ? evals : 50, evals < 100 ? evals : 100, evals};
    grid_minima();
    double rank_sum[NA] = {0};
    size_t nranked = 0;
    double *best = malloc(sizeof *best * evals);
    double *at = malloc(sizeof *at * NA * 3 * nseeds);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    printf("%zu seeds x %zu evaluations; mean +- std of the best loss; ratio = mean regret / "
           "random's\n",
           nseeds, evals);
    for (size_t pi = 0; pi < NPROBLEMS; pi++) {
        const problem *pb = &problems[pi];
        if (only && !strstr(pb->name, only))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/spaces/bench/%s.lua", src ? src : ".", pb->name);
        pz_script *script;
        if (pz_script_load(&script, path, &err))
            die(path);
        const pz_space *space = pz_script_space(script);
        check_against_lua(pb, path, space);
        printf("\n%s (%zu labels%s", pb->name, pz_space_nlabels(space), pb->noisy ? ", noisy" : "");
        if (!isnan(pb->fmin))
            printf(", min %.6g", pb->fmin);
        printf(")\n  %-12s %22s %22s %22s %8s\n", "searcher", "best@50", "best@100", "best@final",
               "ratio");
        double mean_final[NA];
        for (size_t ai = 0; ai < NA; ai++) {
            for (size_t s = 0; s < nseeds; s++) {
                study(&algos[ai], pb, space, 1000 + s, evals, best);
                for (int m = 0; m < 3; m++)
                    at[(ai * 3 + (size_t)m) * nseeds + s] = best[marks[m] - 1];
            }
            printf("  %-12s", algos[ai].label);
            for (int m = 0; m < 3; m++) {
                const double *x = &at[(ai * 3 + (size_t)m) * nseeds];
                double mu = 0, var = 0;
                for (size_t s = 0; s < nseeds; s++)
                    mu += x[s] / (double)nseeds;
                for (size_t s = 0; s < nseeds; s++)
                    var += (x[s] - mu) * (x[s] - mu) / (double)(nseeds > 1 ? nseeds - 1 : 1);
                printf(" %11.5g +- %-8.3g", mu, sqrt(var));
                if (m == 2)
                    mean_final[ai] = mu;
            }
            if (!isnan(pb->fmin) && mean_final[0] - pb->fmin > 0)
                printf(" %8.3f", (mean_final[ai] - pb->fmin) / (mean_final[0] - pb->fmin));
            printf("\n");
            fflush(stdout);
        }
        for (size_t ai = 0; ai < NA; ai++) { /* rank 1 = lowest mean; ties share */
            double r = 1;
            for (size_t bi = 0; bi < NA; bi++)
                if (bi != ai)
                    r += mean_final[bi] < mean_final[ai] ? 1.0
                                                         : mean_final[bi] == mean_final[ai] ? 0.5 : 0;
            rank_sum[ai] += r;
        }
        nranked++;
        pz_script_free(script);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("\nmean rank over %zu problems (by mean best after %zu evaluations):\n", nranked, evals);
    for (size_t ai = 0; ai < NA; ai++)
        printf("  %-12s %.2f\n", algos[ai].label, nranked ? rank_sum[ai] / (double)nranked : 0);
    printf("(%.1f s)\n", (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    for (size_t ai = 0; ai < NA; ai++)
        for (int i = 0; i < 2; i++)
            pz_value_free(algos[ai].ovals[i]);
    free(best);
    free(at);
    return 0;
}
