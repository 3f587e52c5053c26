/* Trainer plugins: the loader on real .so fixtures (a quadratic bowl, one
 * built for ABI 99, one with a too-small table, one without the entry
 * symbol), lookup by name through PARZEN_TRAINER_PATH, a study of the
 * bowl run by `parzen run` with its model scored again by `parzen eval`,
 * crashing trainers, signals, and progress on a terminal. */
#include "study_util.h"

#include <math.h>

#include "plugin.h"
#include "study.h"

static const char *plugdir;

static void loader(void)
{
    pz_error err;
    pz_error_clear(&err);
    char path[1024];
    pz_plugin *p;

    /* By name, through PARZEN_TRAINER_PATH (tu_setup set it). */
    CHECK_OK(pz_plugin_load(&p, "bowl", &err));
    CHECK_STR(pz_plugin_trainer(p)->name, "bowl");
    CHECK_EQ(pz_plugin_trainer(p)->abi, PZ_TRAINER_ABI);
    snprintf(path, sizeof path, "%s/bowl.so", plugdir);
    CHECK_STR(pz_plugin_path(p), path);
    pz_plugin_free(p);

    /* Wrong ABI: refused, naming the path and both versions. */
    snprintf(path, sizeof path, "%s/badabi.so", plugdir);
    CHECK_EQ(pz_plugin_open(&p, path, &err), PZ_EPLUGIN);
    CHECK(p == NULL);
    CHECK_CONTAINS(err.msg, path);
    CHECK_CONTAINS(err.msg, "ABI 99");
    CHECK_CONTAINS(err.msg, "ABI 1");
    printf("%s\n", err.msg);

    /* A table smaller than ABI 1's: refused, naming the path and sizes. */
    snprintf(path, sizeof path, "%s/oldstruct.so", plugdir);
    CHECK_EQ(pz_plugin_open(&p, path, &err), PZ_EPLUGIN);
    CHECK_CONTAINS(err.msg, path);
    CHECK_CONTAINS(err.msg, "table is 16 bytes");
    printf("%s\n", err.msg);

    /* No entry point: refused, naming the path and the symbol. */
    snprintf(path, sizeof path, "%s/noentry.so", plugdir);
    CHECK_EQ(pz_plugin_load(&p, "noentry", &err), PZ_EPLUGIN);
    CHECK_CONTAINS(err.msg, path);
    CHECK_CONTAINS(err.msg, "pz_trainer_entry_v1");
    printf("%s\n", err.msg);

    /* Not a shared object at all. */
    tu_write("fake.so", "not an ELF file\n");
    CHECK_EQ(pz_plugin_open(&p, "./fake.so", &err), PZ_EPLUGIN);
    CHECK_CONTAINS(err.msg, "./fake.so");

    /* Unknown name: the folders searched are listed. */
    CHECK_EQ(pz_plugin_load(&p, "nosuch", &err), PZ_ENOENT);
    CHECK_CONTAINS(err.msg, "nosuch.so");
    CHECK_CONTAINS(err.msg, plugdir);
    /* A name is not a path. */
    CHECK_EQ(pz_plugin_load(&p, "a b", &err), PZ_EINVAL);
}

static void study_of_bowl(void)
{
    tu_write("bowl.lua",
             "return { name = 'bowl', objective = 'bowl', trainer = { scale = 1 },\n"
             "  space = { x = hp.uniform('x', -5, 5), y = hp.uniform('y', -5, 5) },\n"
             "  points_to_evaluate = { { x = 1, y = -2 } },\n"
             "  algo = 'random', max_evals = 12, seed = 3, workers = 2 }\n");
    CHECK_EQ(tu_run("run bowl.lua"), 0);
    CHECK_CONTAINS(tu_o, "12 trials (12 ok, 0 failed)");
    /* The warm-start point is the optimum: trial 0, loss 0. */
    CHECK_EQ(tu_run("best results/bowl"), 0);
    pz_value *best;
    pz_error err;
    CHECK_OK(pz_value_from_json(tu_o, strlen(tu_o), &best, &err));
    CHECK_EQ(pz_map_get(best, "trial")->u.i, 0);
    CHECK_EQ(pz_map_get(best, "loss")->u.d, 0.0);
    const pz_value *model = pz_map_get(best, "model");
    CHECK(model && model->type == PZ_STR);
    CHECK_CONTAINS(model->u.s.ptr, "results/bowl/models/trial-000000/model.pzm");
    /* Threads: cores / workers, at least 1. */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int64_t want = cores / 2 > 0 ? cores / 2 : 1;
    CHECK_EQ(pz_map_get(pz_map_get(best, "metrics"), "threads")->u.i, want);

    /* eval reads the header, loads the bowl by name, scores the model. */
    CHECK_EQ(tu_run("eval %s --split validation", model->u.s.ptr), 0);
    pz_value *m;
    CHECK_OK(pz_value_from_json(tu_o, strlen(tu_o), &m, &err));
    CHECK_STR(pz_map_get(m, "split")->u.s.ptr, "validation");
    CHECK_EQ(pz_map_get(m, "loss")->u.d, 0.0);
    pz_value_free(m);
    pz_value_free(best);

    /* A bad trainer config is refused before anything runs. */
    tu_write("bowl2.lua", "return { name = 'bowl2', objective = 'bowl', trainer = { scael = 1 },\n"
                          "  space = { x = hp.uniform('x', -5, 5), y = hp.uniform('y', -5, 5) } }\n");
    CHECK_EQ(tu_run("run bowl2.lua"), 1);
    CHECK_CONTAINS(tu_e, "trainer.scael");
    CHECK(access("results/bowl2", F_OK) != 0);
    /* So is a plugin with the wrong ABI, naming its path. */
    CHECK_EQ(tu_run("run bowl2.lua --set objective=badabi"), 1);
    CHECK_CONTAINS(tu_e, "badabi.so");
    CHECK_EQ(tu_count_lines(tu_e), 1);
    /* eval of something that is not a model. */
    CHECK_EQ(tu_run("eval bowl.lua"), 1);
    CHECK_CONTAINS(tu_e, "not a parzen model file");
}

/* Crashes inside a plugin's train() cost one trial each. */
static void crashes(void)
{
    tu_write("crash.lua",
             "return { name = 'crash', objective = 'crash', algo = 'random', max_evals = 6, seed = 1,\n"
             "  space = { mode = hp.choice('mode', {'ok', 'segv', 'abort', 'error', 'print'}), x = hp.uniform('x', 0, 1) },\n"
             "  points_to_evaluate = { {mode = 1, x = 0.5}, {mode = 2, x = 0.5}, {mode = 3, x = 0.5},\n"
             "                         {mode = 0, x = 0.25}, {mode = 0, x = 0.75}, {mode = 4, x = 0.9} } }\n");
    CHECK_EQ(tu_run("run crash.lua"), 0);
    CHECK_CONTAINS(tu_o, "6 trials (3 ok, 3 failed)");
    CHECK_CONTAINS(tu_o, "said by the trainer"); /* a trial's stdio is flushed */
    CHECK_EQ(tu_run("show results/crash 0"), 0);
    CHECK_CONTAINS(tu_o, "SIGSEGV");
    CHECK_EQ(tu_run("show results/crash 1"), 0);
    CHECK_CONTAINS(tu_o, "SIGABRT");
    CHECK_EQ(tu_run("show results/crash 2"), 0);
    CHECK_CONTAINS(tu_o, "crash trainer: asked to fail");
    CHECK_EQ(tu_run("best results/crash"), 0);
    CHECK_CONTAINS(tu_o, "\"trial\": 3,");
}

static void open_check(const char *dir, pz_trial_status st0, unsigned interrupted0)
{
    pz_study *s;
    pz_error err;
    CHECK_OK(pz_study_open_dir(&s, dir, &err));
    CHECK_EQ(pz_study_ntrials(s), 1);
    pz_trial_info t;
    CHECK_OK(pz_study_trial(s, 0, &t));
    CHECK_EQ(t.status, st0);
    CHECK_EQ(t.interrupted, interrupted0);
    pz_study_free(s);
}

/* Signals: a trainer that honours the cancel flag stops on the first
 * SIGINT or SIGTERM; one that ignores it needs a second Ctrl-C, which
 * ends the study at once. Either way the trial is recorded interrupted. */
static void signals(void)
{
    tu_write("sig.lua", "return { name = 'sig', objective = 'crash', algo = 'random', max_evals = 1,\n"
                        "  space = { mode = hp.choice('mode', {'cancel', 'hang'}) } }\n");
    const char *a1[] = {tu_cli, "run", "sig.lua", "--set", "points_to_evaluate=[{\"mode\":0}]", NULL};
    pid_t pid = tu_spawn(a1);
    tu_wait_started("results/sig/journal.pzj", 1);
    CHECK_OK(kill(pid, SIGTERM));
    CHECK_EQ(tu_wait(pid), 128 + SIGTERM);
    CHECK_CONTAINS(tu_e, "interrupted by SIGTERM: 1 running trial recorded as interrupted");
    open_check("results/sig", PZ_TRIAL_PENDING, 1);

    const char *a2[] = {tu_cli, "run", "sig.lua", "--name", "sig2", "--set", "points_to_evaluate=[{\"mode\":1}]", NULL};
    pid = tu_spawn(a2);
    tu_wait_started("results/sig2/journal.pzj", 1);
    CHECK_OK(kill(pid, SIGINT));
    tu_sleep_ms(300);
    int st;
    CHECK_EQ(waitpid(pid, &st, WNOHANG), 0); /* still waiting for the trial to stop */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_OK(kill(pid, SIGINT));
    CHECK_EQ(tu_wait(pid), 130);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    CHECK_LT(dt, 2.0); /* "at once", with room for a loaded machine */
    CHECK_CONTAINS(tu_e, "interrupted by SIGINT");
    open_check("results/sig2", PZ_TRIAL_PENDING, 1);
}

/* On a terminal the status line shows a running trial's latest progress
 * event, sent from its process through the pipe. */
static void progress(void)
{
    if (system("command -v script >/dev/null 2>&1") != 0) {
        printf("progress: no `script` to fake a terminal; skipped\n");
        return;
    }
    tu_write("prog.lua", "return { name = 'prog', objective = 'crash', algo = 'random', max_evals = 1,\n"
                         "  space = { mode = hp.choice('mode', {'progress'}), x = hp.uniform('x', 0, 1) } }\n");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "script -qec \"'%s' run prog.lua\" /dev/null > tty.txt 2>&1 </dev/null", tu_cli);
    CHECK(system(cmd) == 0);
    char *t = tu_slurp("tty.txt");
    CHECK_CONTAINS(t, "prog: trial 0/1 | running 1 | elapsed");
    CHECK_CONTAINS(t, "| trial 0: epoch 1/3 val_acc 0.25");
    CHECK_CONTAINS(t, "1 trials (1 ok, 0 failed)");
    free(t);
}

int main(void)
{
    plugdir = getenv("PZ_PLUGIN_DIR");
    CHECK(plugdir != NULL);
    tu_setup("test_plugin");
    loader();
    study_of_bowl();
    crashes();
    signals();
    progress();
    tu_cleanup();
    printf("plugins ok\n");
    return 0;
}
