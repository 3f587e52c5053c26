/* The C API: an example program that tunes a C function through ask/tell
 * on a space built in C; reopening resumes (a trial asked and never told
 * is asked again, same id and vals); pz_study_run with a C objective in
 * child processes; misuse is refused with messages on the handle. */
#include "study_util.h"

#include <math.h>

#include "sample.h"
#include "study.h"
#include "study_int.h"

/* The function being tuned: minimum 0 at x = 0.3, lr = 1e-3, opt = "b". */
static double f(const pz_value *params)
{
    double x = pz_map_get(params, "x")->u.d;
    double lr = pz_map_get(params, "lr")->u.d;
    const char *opt = pz_map_get(params, "opt")->u.s.ptr;
    double l = log10(lr) + 3;
    return (x - 0.3) * (x - 0.3) + l * l + (strcmp(opt, "b") == 0 ? 0 : 1);
}

static pz_space *make_space(void)
{
    pz_error err;
    pz_node *x, *lr, *opt, *root, *opts[3];
    double a[] = {-1, 1}, b[] = {log(1e-5), log(1e-1)};
    CHECK_OK(pz_node_dist(&x, PZ_NODE_UNIFORM, "x", a, 2, &err));
    CHECK_OK(pz_node_dist(&lr, PZ_NODE_LOGUNIFORM, "lr", b, 2, &err));
    const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++)
        CHECK_OK(pz_node_const(&opts[i], pz_value_str(names[i]), &err));
    CHECK_OK(pz_node_choice(&opt, "opt", opts, 3, &err));
    const char *keys[] = {"x", "lr", "opt"};
    pz_node *vals[] = {x, lr, opt};
    CHECK_OK(pz_node_map(&root, keys, vals, 3, &err));
    pz_space *s;
    CHECK_OK(pz_space_new(&s, root, &err));
    return s;
}

static pz_value *config(const char *name, int64_t max_evals)
{
    pz_value *c = pz_value_map();
    CHECK_OK(pz_map_set(c, "name", pz_value_str(name)));
    CHECK_OK(pz_map_set(c, "seed", pz_value_int(11)));
    CHECK_OK(pz_map_set(c, "max_evals", pz_value_int(max_evals)));
    CHECK_OK(pz_map_set(c, "algo", pz_value_str("random")));
    return c;
}

static void ask_tell(void)
{
    pz_error err;
    pz_error_clear(&err);
    pz_value *cfg = config("ctune", 80);
    pz_study *s;
    CHECK_OK(pz_study_open(&s, make_space(), cfg, 0, &err));
    int resumed;
    pz_study_counts(s, &resumed, NULL, NULL, NULL);
    CHECK_EQ(resumed, 0);
    CHECK_STR(pz_study_dir(s), "results/ctune");
    /* Two asks before any tell: distinct trials (the second sees the
     * first as pending). */
    uint64_t id0, id1;
    const pz_value *p0, *p1;
    CHECK_OK(pz_study_ask(s, &id0, &p0, NULL, &err));
    CHECK_OK(pz_study_ask(s, &id1, &p1, NULL, &err));
    CHECK_EQ(id0, 0);
    CHECK_EQ(id1, 1);
    CHECK(!pz_value_equal(p0, p1));
    /* What a searcher proposing trial 2 sees: both, pending, with vals. */
    pz_trial_view *views;
    size_t nv;
    CHECK_OK(pz__study_views(s, &views, &nv));
    CHECK_EQ(nv, 2);
    CHECK_EQ(views[0].status, PZ_TRIAL_PENDING);
    CHECK_EQ(views[1].status, PZ_TRIAL_PENDING);
    CHECK(views[1].vals != NULL && pz_map_get(views[1].vals, "x") != NULL);
    free(views);
    CHECK_OK(pz_study_tell_loss(s, id1, f(p1), &err));
    CHECK_OK(pz__study_views(s, &views, &nv));
    CHECK_EQ(views[0].status, PZ_TRIAL_PENDING);
    CHECK_EQ(views[1].status, PZ_TRIAL_OK);
    CHECK_EQ(views[1].loss, f(p1));
    free(views);
    CHECK_OK(pz_study_tell_loss(s, id0, f(p0), &err));
    /* Telling twice, or an unknown trial, is refused. */
    CHECK_EQ(pz_study_tell_loss(s, id0, 1.0, &err), PZ_EINVAL);
    CHECK_CONTAINS(pz_study_errmsg(s), "not waiting for a result");
    CHECK_EQ(pz_study_tell_loss(s, 99, 1.0, &err), PZ_EINVAL);
    /* The rest of the budget, with a failure reported as a map. */
    for (int i = 2; i < 60; i++) {
        uint64_t id;
        const pz_value *p;
        CHECK_OK(pz_study_ask(s, &id, &p, NULL, &err));
        CHECK_EQ(id, (uint64_t)i);
        if (i == 7) {
            pz_value *r = pz_value_map();
            CHECK_OK(pz_map_set(r, "status", pz_value_str("fail")));
            CHECK_OK(pz_map_set(r, "error", pz_value_str("out of memory on the GPU")));
            CHECK_OK(pz_study_tell(s, id, r, &err));
            pz_value_free(r);
        } else if (i == 8) {
            CHECK_OK(pz_study_tell_loss(s, id, NAN, &err)); /* becomes a failure */
        } else {
            CHECK_OK(pz_study_tell_loss(s, id, f(p), &err));
        }
    }
    /* One asked and never told: the next open asks it again. */
    uint64_t lost;
    const pz_value *lost_vals;
    CHECK_OK(pz_study_ask(s, &lost, NULL, &lost_vals, &err));
    pz_value *keep = pz_value_copy(lost_vals);
    pz_trial_info best, t7, t8;
    CHECK_OK(pz_study_best(s, &best));
    CHECK_OK(pz_study_trial(s, 7, &t7));
    CHECK_OK(pz_study_trial(s, 8, &t8));
    CHECK_EQ(t7.status, PZ_TRIAL_FAIL);
    CHECK_STR(t7.error, "out of memory on the GPU");
    CHECK_EQ(t8.status, PZ_TRIAL_FAIL);
    CHECK_CONTAINS(t8.error, "non-finite");
    double best_loss = best.loss;
    uint64_t best_id = best.id;
    CHECK_LT(best_loss, 1.0); /* random search gets the choice and near the rest */
    pz_study_free(s);

    CHECK_OK(pz_study_open(&s, make_space(), cfg, 0, &err));
    size_t ok, failed, requeued;
    pz_study_counts(s, &resumed, &ok, &failed, &requeued);
    CHECK_EQ(resumed, 1);
    CHECK_EQ(ok, 58);
    CHECK_EQ(failed, 2);
    CHECK_EQ(requeued, 1);
    uint64_t again;
    const pz_value *again_vals, *again_params;
    CHECK_OK(pz_study_ask(s, &again, &again_params, &again_vals, &err));
    CHECK_EQ(again, lost);
    CHECK(pz_value_equal(again_vals, keep));
    CHECK_OK(pz_study_tell_loss(s, again, f(again_params), &err));
    for (;;) {
        uint64_t id;
        const pz_value *p;
        int rc = pz_study_ask(s, &id, &p, NULL, &err);
        if (rc == PZ_ERANGE)
            break;
        CHECK_OK(rc);
        CHECK_OK(pz_study_tell_loss(s, id, f(p), &err));
    }
    CHECK_CONTAINS(err.msg, "max_evals");
    CHECK_EQ(pz_study_ntrials(s), 80);
    CHECK_OK(pz_study_best(s, &best));
    CHECK_LE(best.loss, best_loss);
    printf("ask/tell: 80 trials, best loss %.4g at trial %llu (after 60: %.4g at %llu); params %s\n", best.loss,
           (unsigned long long)best.id, best_loss, (unsigned long long)best_id,
           pz_map_get(best.params, "opt")->u.s.ptr);
    pz_study_free(s);
    pz_value_free(keep);

    /* A different seed for the same study is refused. */
    CHECK_OK(pz_map_set(cfg, "seed", pz_value_int(12)));
    CHECK_EQ(pz_study_open(&s, make_space(), cfg, 0, &err), PZ_EINVAL);
    CHECK_CONTAINS(err.msg, "seed 11");
    CHECK_EQ(pz_study_open(&s, make_space(), cfg, PZ_STUDY_NEW_ONLY, &err), PZ_EINVAL);
    pz_value_free(cfg);
    /* Without a name. */
    pz_value *noname = pz_value_map();
    CHECK_EQ(pz_study_open(&s, make_space(), noname, 0, &err), PZ_EINVAL);
    CHECK_CONTAINS(err.msg, "name");
    pz_value_free(noname);
}

/* pz_study_run with a C objective: each call happens in a child process,
 * so a crash fails one trial. */
static int c_objective(void *ud, const pz_value *params, pz_value **result, pz_error *err)
{
    (void)err;
    int *calls = ud;
    ++*calls; /* in the child: the parent's counter never moves */
    double x = pz_map_get(params, "x")->u.d;
    if (x > 0.5)
        abort();
    *result = pz_value_double(f(params));
    return PZ_OK;
}

static void run_c(void)
{
    pz_error err;
    pz_value *cfg = config("crun", 30);
    CHECK_OK(pz_map_set(cfg, "workers", pz_value_int(2)));
    pz_study *s;
    CHECK_OK(pz_study_open(&s, make_space(), cfg, 0, &err));
    CHECK_EQ(pz_study_run(s, &err), PZ_EINVAL); /* no objective yet */
    CHECK_CONTAINS(err.msg, "no objective");
    int calls = 0;
    pz_study_set_objective(s, c_objective, &calls);
    pz_study_set_output(s, PZ_OUTPUT_QUIET);
    CHECK_OK(pz_study_run(s, &err));
    CHECK_EQ(pz_study_stop_reason(s), PZ_STOP_MAX_EVALS);
    CHECK_EQ(calls, 0);
    size_t aborted = 0;
    for (size_t i = 0; i < pz_study_ntrials(s); i++) {
        pz_trial_info t;
        CHECK_OK(pz_study_trial(s, i, &t));
        double x = pz_map_get(t.params, "x")->u.d;
        if (x > 0.5) {
            CHECK_EQ(t.status, PZ_TRIAL_FAIL);
            CHECK_CONTAINS(t.error, "SIGABRT");
            aborted++;
        } else {
            CHECK_EQ(t.status, PZ_TRIAL_OK);
            CHECK_EQ(t.loss, f(t.params));
        }
    }
    CHECK_GT(aborted, 0);
    printf("run: 30 trials in child processes, %zu aborted\n", aborted);
    pz_study_free(s);
    pz_value_free(cfg);

    /* Read-only handles refuse to change anything. */
    CHECK_OK(pz_study_open_dir(&s, "results/crun", &err));
    uint64_t id;
    CHECK_EQ(pz_study_ask(s, &id, NULL, NULL, &err), PZ_EINVAL);
    CHECK_EQ(pz_study_run(s, &err), PZ_EINVAL);
    CHECK_CONTAINS(pz_study_errmsg(s), "read-only");
    CHECK_EQ(pz_study_nlabels(s), 3);
    CHECK_STR(pz_study_label(s, 0), "x");
    pz_study_free(s);
}

/* Records that contradict each other are refused on open, naming them. */
static void bad_records(void)
{
    pz_error err;
    pz_value *cfg = config("badrec", 3);
    pz_study *s;
    CHECK_OK(pz_study_open(&s, make_space(), cfg, 0, &err));
    uint64_t id;
    CHECK_OK(pz_study_ask(s, &id, NULL, NULL, &err));
    CHECK_OK(pz_study_tell_loss(s, id, 1.0, &err));
    pz_study_free(s);
    /* append a second "finished" for trial 0 */
    pz_journal_scan scan;
    CHECK_OK(pz_journal_read("results/badrec/journal.pzj", &scan, &err));
    const pz_value *fin = scan.records->u.list.items[pz_value_len(scan.records) - 1];
    CHECK_STR(pz_map_get(fin, "t")->u.s.ptr, "finished");
    pz_journal *j;
    CHECK_OK(pz_journal_open_append(&j, "results/badrec/journal.pzj", &scan, &err));
    CHECK_OK(pz_journal_append(j, fin, &err));
    pz_journal_close(j);
    pz_value_free(scan.records);
    CHECK_EQ(pz_study_open(&s, make_space(), cfg, 0, &err), PZ_EFORMAT);
    CHECK_CONTAINS(err.msg, "record 4 (finished) follows the end of trial 0");
    CHECK_EQ(pz_study_open_dir(&s, "results/badrec", &err), PZ_EFORMAT);
    pz_value_free(cfg);
}

int main(void)
{
    tu_setup("test_study");
    ask_tell();
    run_c();
    bad_records();
    tu_cleanup();
    return 0;
}
