/* parzen bench: the cost of one suggestion against the size of the history.
 *
 *   bench_suggest [N ...]          (default 20 100 1000 5000 10000)
 *
 * Spaces: the 19-label CIFAR-100 space (spaces/cifar100_resnet.lua) and
 * hartmann6 (spaces/bench/hartmann6.lua), found through $PZ_SOURCE_DIR or
 * the current directory. Histories: N prior draws of a fixed seed, all
 * finished, with a synthetic loss. Timings are medians, in microseconds:
 *   random  random search's suggestion (the reference: a prior draw);
 *   tpe     a searcher that suggested for the previous history too, shown
 *           one more trial each call (what a running study does);
 *   cold    a fresh tpe searcher each call (a resumed study's first call:
 *           its cache of sorted observations is built from scratch);
 *   anneal  the annealing searcher.
 * "x random" is tpe / random measured in this run; "us/label" divides tpe
 * by the active labels of its proposals. Times are the thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID), steadier than wall time on a loaded machine.
 * Figures only, never pass/fail.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sample.h"
#include "script.h"
#include "searcher.h"

static pz_error err;

static void die(const char *what)
{
    fprintf(stderr, "bench_suggest: %s: %s\n", what, err.msg);
    exit(1);
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: the machine is shared */
    return 1e6 * (double)t.tv_sec + 1e-3 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* A synthetic loss: each number's distance to 0.3 after tanh. */
static double toy_loss(const pz_value *vals)
{
    double loss = 0;
    for (size_t i = 0; i < vals->u.map.len; i++) {
        double d;
        if (pz_value_number(vals->u.map.vals[i], &d) == PZ_OK)
            loss += fabs(tanh(d) - 0.3);
    }
    return loss;
}

typedef struct hist {
    size_t n;
    pz_value **vals;
    pz_trial_view *views;
} hist;

static void make_history(hist *h, const pz_space *space, size_t n)
{
    h->n = n;
    h->vals = malloc(sizeof *h->vals * n);
    h->views = malloc(sizeof *h->views * n);
    for (size_t k = 0; k < n; k++) {
        gsl_rng *r = pz_rng_new(99, k);
        if (pz_space_sample(space, r, &h->vals[k], &err))
            die("sample");
        gsl_rng_free(r);
        h->views[k] = (pz_trial_view){k, PZ_TRIAL_OK, toy_loss(h->vals[k]), h->vals[k]};
    }
}

static void free_history(hist *h)
{
    for (size_t k = 0; k < h->n; k++)
        pz_value_free(h->vals[k]);
    free(h->vals);
    free(h->views);
}

/* Median time of suggesting with the first m trials as history, for
 * m = n - reps .. n - 1, on one searcher primed with n - reps - 1 trials
 * (warm) or a fresh one each time (cold). *labels: mean active labels
 * proposed. */
static double time_suggest(const char *name, const pz_space *space, const hist *h, size_t reps,
                           int cold, double *labels)
{
    double *t = malloc(sizeof *t * reps);
    pz_searcher *s = NULL;
    /* PZ_BENCH_MULTIVARIATE=1 times tpe with multivariate = true */
    pz_value *opt = pz_value_map();
    if (strcmp(name, "tpe") == 0 && getenv("PZ_BENCH_MULTIVARIATE"))
        pz_map_set(opt, "multivariate", pz_value_bool(1));
    size_t first = h->n - reps;
    if (!cold) {
        if (pz_searcher_new(&s, name, opt, &err))
            die(name);
        pz_suggest_ctx ctx = {space, h->views, first - 1, 7, first - 1};
        pz_value *v;
        if (pz_searcher_suggest(s, &ctx, &v, &err))
            die(name);
        pz_value_free(v);
    }
    double nl = 0;
    for (size_t r = 0; r < reps; r++) {
        size_t m = first + r;
        if (cold && pz_searcher_new(&s, name, opt, &err))
            die(name);
        pz_suggest_ctx ctx = {space, h->views, m, 7, m};
        pz_value *v;
        double t0 = now_us();
        if (pz_searcher_suggest(s, &ctx, &v, &err))
            die(name);
        t[r] = now_us() - t0;
        nl += (double)pz_value_len(v);
        pz_value_free(v);
        if (cold) {
            pz_searcher_free(s);
            s = NULL;
        }
    }
    pz_searcher_free(s);
    pz_value_free(opt);
    if (labels)
        *labels = nl / (double)reps;
    double med = median(t, reps);
    free(t);
    return med;
}

static void bench_space(const char *title, const char *path, const size_t *ns, size_t nn)
{
    pz_script *script;
    if (pz_script_load(&script, path, &err))
        die(path);
    const pz_space *space = pz_script_space(script);
    printf("\n%s (%zu labels)\n", title, pz_space_nlabels(space));
    printf("%7s %9s %9s %9s %9s %9s %9s\n", "N", "random", "tpe", "x random", "us/label", "cold",
           "anneal");
    for (size_t i = 0; i < nn; i++) {
        /* histories of N .. N + reps - 1 trials: one more each call */
        size_t reps = ns[i] >= 5000 ? 21 : ns[i] >= 160 ? 41 : ns[i] / 4 > 5 ? ns[i] / 4 : 5;
        size_t n = ns[i] + reps;
        hist h;
        make_history(&h, space, n);
        double labels;
        double tpe = time_suggest("tpe", space, &h, reps, 0, &labels);
        double rnd = NAN, cold = NAN, ann = NAN;
        if (!getenv("PZ_BENCH_TPE_ONLY")) { /* set it to profile tpe alone */
            rnd = time_suggest("random", space, &h, reps, 0, NULL);
            cold = time_suggest("tpe", space, &h, reps, 1, NULL);
            ann = time_suggest("anneal", space, &h, reps, 0, NULL);
        }
        printf("%7zu %9.1f %9.1f %9.1f %9.2f %9.1f %9.1f\n", ns[i], rnd, tpe, tpe / rnd,
               tpe / labels, cold, ann);
        fflush(stdout);
        free_history(&h);
    }
    pz_script_free(script);
}

int main(int argc, char **argv)
{
    size_t ns[16] = {20, 100, 1000, 5000, 10000}, nn = 5;
    if (argc > 1) {
        nn = 0;
        for (int i = 1; i < argc && nn < 16; i++)
            ns[nn++] = (size_t)strtoul(argv[i], NULL, 10);
    }
    const char *src = getenv("PZ_SOURCE_DIR");
    char path[4096];
    printf("median microseconds per suggestion; history of N finished trials\n");
    const char *only = getenv("PZ_BENCH_SPACE"); /* "cifar" or "hartmann6": one space */
    if (!only || strcmp(only, "cifar") == 0) {
        snprintf(path, sizeof path, "%s/spaces/cifar100_resnet.lua", src ? src : ".");
        bench_space("CIFAR-100 space", path, ns, nn);
    }
    if (!only || strcmp(only, "hartmann6") == 0) {
        snprintf(path, sizeof path, "%s/spaces/bench/hartmann6.lua", src ? src : ".");
        bench_space("hartmann6", path, ns, nn);
    }
    return 0;
}
