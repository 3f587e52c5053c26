/* Benchmark (run by hand, never pass/fail): what the study runner costs
 * per trial, against an objective that returns at once.
 *
 *   journal  one record appended and fsync'd
 *   ask/tell one trial through the C API in-process: 3 records in 2
 *            writes, 2 fsyncs
 *   run      one trial through pz_study_run: fork + pipe + 2 fsyncs + the
 *            result file, 1 worker
 *
 * Each figure is the median of 5 rounds, since the disk is shared.
 * Usage: bench_study [TRIALS] (in a scratch folder it creates in $TMPDIR;
 * TMPDIR=/dev/shm takes the disk out and leaves the CPU cost). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "study.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static pz_space *space(void)
{
    pz_error err;
    pz_node *x, *root;
    double a[] = {-1, 1};
    pz_node_dist(&x, PZ_NODE_UNIFORM, "x", a, 2, &err);
    const char *k[] = {"x"};
    pz_node_map(&root, k, &x, 1, &err);
    pz_space *s;
    pz_space_new(&s, root, &err);
    return s;
}

static pz_value *cfg(const char *name, int n)
{
    pz_value *c = pz_value_map();
    pz_map_set(c, "name", pz_value_str(name));
    pz_map_set(c, "max_evals", pz_value_int(n));
    pz_map_set(c, "seed", pz_value_int(1));
    pz_map_set(c, "algo", pz_value_str("random"));
    return c;
}

static int instant(void *ud, const pz_value *params, pz_value **result, pz_error *err)
{
    (void)ud;
    (void)err;
    *result = pz_value_double(pz_map_get(params, "x")->u.d);
    return PZ_OK;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One round: per-record journal cost, per-trial ask/tell and run costs. */
static int round_(int n, int r, double out[3])
{
    pz_error err;
    char jn[64], an[64], rn[64];
    snprintf(jn, sizeof jn, "j%d.pzj", r);
    snprintf(an, sizeof an, "asktell%d", r);
    snprintf(rn, sizeof rn, "run%d", r);
    pz_value *h = pz_value_map();
    pz_map_set(h, "magic", pz_value_str(PZ_JOURNAL_MAGIC));
    pz_map_set(h, "format", pz_value_int(PZ_JOURNAL_FORMAT));
    pz_journal *j;
    if (pz_journal_create(&j, jn, h, &err))
        return 1;
    pz_value *rec = pz_value_map();
    pz_map_set(rec, "t", pz_value_str("finished"));
    pz_map_set(rec, "id", pz_value_int(1));
    pz_map_set(rec, "loss", pz_value_double(0.25));
    double t0 = now();
    for (int i = 0; i < n; i++)
        pz_journal_append(j, rec, &err);
    out[0] = (now() - t0) / n;
    pz_journal_close(j);
    pz_value_free(rec);
    pz_value_free(h);

    pz_study *s;
    pz_value *c = cfg(an, n);
    if (pz_study_open(&s, space(), c, 0, &err))
        return 1;
    t0 = now();
    for (int i = 0; i < n; i++) {
        uint64_t id;
        const pz_value *p;
        pz_study_ask(s, &id, &p, NULL, &err);
        pz_study_tell_loss(s, id, pz_map_get(p, "x")->u.d, &err);
    }
    out[1] = (now() - t0) / n;
    pz_study_free(s);
    pz_value_free(c);

    c = cfg(rn, n);
    if (pz_study_open(&s, space(), c, 0, &err))
        return 1;
    pz_study_set_objective(s, instant, NULL);
    t0 = now();
    if (pz_study_run(s, &err))
        return 1;
    out[2] = (now() - t0) / n;
    pz_study_free(s);
    pz_value_free(c);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 300;
    char dir[256];
    snprintf(dir, sizeof dir, "%s/bench_study.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir) || chdir(dir) != 0)
        return 1;
    enum { ROUNDS = 5 };
    double m[3][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        double o[3];
        if (round_(n, r, o))
            return 1;
        for (int k = 0; k < 3; k++)
            m[k][r] = o[k];
    }
    for (int k = 0; k < 3; k++)
        qsort(m[k], ROUNDS, sizeof m[k][0], cmp);
    double tj = m[0][ROUNDS / 2], ta = m[1][ROUNDS / 2], tr = m[2][ROUNDS / 2];
    printf("in %s, %d trials a round, median of %d rounds:\n", dir, n, ROUNDS);
    printf("per record: journal append+fdatasync %.3f ms\n", tj * 1e3);
    printf("per trial:  ask/tell (2 journal writes, in-process) %.3f ms\n", ta * 1e3);
    printf("per trial:  run (fork + pipe + 2 journal writes + result file) %.3f ms\n", tr * 1e3);
    printf("ratio run / ask-tell: %.2f (the isolation's share: %.3f ms)\n", tr / ta, (tr - ta) * 1e3);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
