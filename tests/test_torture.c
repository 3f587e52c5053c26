/* Kill-and-resume torture: a study of a deterministic Lua objective
 * (branin, 60 trials, 1 worker, the default search algorithm) is run once
 * uninterrupted, then again under another name while being SIGKILLed at
 * random moments (mid-trial, mid-append, mid-fsync, at start-up) and
 * resumed each time until it completes. The two must hold exactly the
 * same trials (vals, params, status, loss bits), no finished trial
 * missing or duplicated, one results file per trial. */
#include "study_util.h"

#include <errno.h>
#include <math.h>
#include <sys/prctl.h>

#include "study.h"

#define TRIALS 60
#define KILLS 20

static const char script[] =
    "local pi = math.pi\n"
    "return { name = 'branin', max_evals = 60, seed = 7,\n"
    "  space = { x = hp.uniform('x', -5, 10), y = hp.uniform('y', 0, 15),\n"
    "            pad = hp.choice('pad', { 'a', { n = hp.randint('n', 0, 4) } }) },\n"
    "  objective = function(p)\n"
    "    local t0 = os.clock() while os.clock() - t0 < 0.008 do end -- long enough to be killed in\n"
    "    local b, c, t = 5.1 / (4 * pi * pi), 5 / pi, 1 / (8 * pi)\n"
    "    local x, y = p.x, p.y\n"
    "    return (y - b * x * x + c * x - 6)^2 + 10 * (1 - t) * math.cos(x) + 10\n"
    "  end }\n";

static size_t count_json(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c '\\.json$' > count.txt", dir);
    CHECK(system(cmd) != -1);
    char *c = tu_slurp("count.txt");
    size_t n = (size_t)strtoul(c, NULL, 10);
    free(c);
    return n;
}

/* A trial that would never end dies with its SIGKILLed study. */
static void hanging_orphan(void)
{
    tu_write("hang.lua", "return { name = 'hang', algo = 'random', max_evals = 1,\n"
                         "  space = { x = hp.uniform('x', 0, 1) }, objective = function(p) while true do end end }\n");
    const char *argv[] = {tu_cli, "run", "hang.lua", NULL};
    pid_t pid = tu_spawn(argv);
    tu_wait_started("results/hang/journal.pzj", 1);
    CHECK_OK(kill(pid, SIGKILL));
    CHECK_EQ(tu_wait(pid), 128 + SIGKILL);
    int st, waited = 0;
    pid_t o;
    while ((o = waitpid(-1, &st, WNOHANG)) == 0 && waited < 3000) {
        tu_sleep_ms(10);
        waited += 10;
    }
    CHECK(o > 0); /* the trial process was there, and is gone */
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    CHECK_EQ(waitpid(-1, &st, WNOHANG), -1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(void)
{
    tu_setup("test_torture");
    tu_write("branin.lua", script);
    unsigned seed0 = getenv("PZ_TORTURE_SEED") ? (unsigned)atoi(getenv("PZ_TORTURE_SEED")) : 20261123u;
    unsigned seed = seed0;
    /* Trial processes orphaned by a kill are re-parented to this test, so
     * it can see whether any outlived its study. */
    CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));

    /* The reference: one uninterrupted run. */
    double a0 = now();
    CHECK_EQ(tu_run("run branin.lua --quiet"), 0);
    double plain = now() - a0;

    /* The same study, killed at random moments and resumed. */
    const char *argv[] = {tu_cli, "run", "branin.lua", "--name", "branin-killed", NULL};
    int kills = 0, runs = 0, torn = 0, requeued_runs = 0, orphans = 0;
    double b0 = now();
    for (;;) {
        pid_t pid = tu_spawn(argv);
        runs++;
        int done = 0;
        if (kills < KILLS) {
            long delay = 1 + (long)(rand_r(&seed) % 25); /* ms: start-up, trials, appends */
            tu_sleep_ms(delay);
            if (kill(pid, SIGKILL) == 0) {
                int rc = tu_wait(pid);
                if (rc == 128 + SIGKILL)
                    kills++;
                else {
                    CHECK_EQ(rc, 0); /* it finished before the kill */
                    done = 1;
                }
            }
        } else {
            CHECK_EQ(tu_wait(pid), 0);
            done = 1;
        }
        torn += strstr(tu_e, "torn") != NULL;
        requeued_runs += strstr(tu_e, ", 1 interrupted and re-queued") != NULL;
        /* Trial processes orphaned by the kill: killed with their study
         * (PR_SET_PDEATHSIG), gone because they saw it dead before that was
         * armed (exit 4), or already exiting after sending a result (exit
         * 0). hanging_orphan() below checks none lives on. */
        int st;
        pid_t o;
        while ((o = waitpid(-1, &st, 0)) > 0) {
            if (!((WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
                  (WIFEXITED(st) && (WEXITSTATUS(st) == 4 || WEXITSTATUS(st) == 0)))) {
                fprintf(stderr, "orphan %d: %s %d\n", (int)o, WIFSIGNALED(st) ? "signal" : "exit",
                        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
                abort();
            }
            orphans++;
        }
        CHECK_EQ(errno, ECHILD);
        if (done)
            break;
        CHECK(runs < 500);
    }
    double tortured = now() - b0;
    CHECK_GE(kills, KILLS);

    pz_study *a, *b;
    pz_error err;
    CHECK_OK(pz_study_open_dir(&a, "results/branin", &err));
    CHECK_OK(pz_study_open_dir(&b, "results/branin-killed", &err));
    CHECK_EQ(pz_study_ntrials(a), TRIALS);
    CHECK_EQ(pz_study_ntrials(b), TRIALS);
    unsigned interrupted = 0;
    for (size_t i = 0; i < TRIALS; i++) {
        pz_trial_info x, y;
        CHECK_OK(pz_study_trial(a, i, &x));
        CHECK_OK(pz_study_trial(b, i, &y));
        CHECK_EQ(x.id, i);
        CHECK_EQ(y.id, i);
        CHECK_EQ(x.status, PZ_TRIAL_OK);
        CHECK_EQ(y.status, PZ_TRIAL_OK);
        CHECK(pz_value_equal(x.vals, y.vals));
        CHECK(pz_value_equal(x.params, y.params));
        CHECK(memcmp(&x.loss, &y.loss, sizeof x.loss) == 0);
        interrupted += y.interrupted;
    }
    pz_trial_info ba, bb;
    CHECK_OK(pz_study_best(a, &ba));
    CHECK_OK(pz_study_best(b, &bb));
    CHECK_EQ(ba.id, bb.id);
    pz_study_free(a);
    pz_study_free(b);
    CHECK_EQ(count_json("results/branin"), TRIALS);
    CHECK_EQ(count_json("results/branin-killed"), TRIALS);

    printf("torture: %d SIGKILLs over %d runs (seed %u); %d trial processes orphaned and killed with "
           "their study; %d resumes found a torn record, %d re-queued an unfinished trial; %d trials "
           "identical to the uninterrupted run, 0 lost, 0 duplicated; uninterrupted %.2f s, tortured "
           "%.2f s\n",
           kills, runs, seed0, orphans, torn, requeued_runs, TRIALS, plain, tortured);
    (void)interrupted;
    hanging_orphan();
    tu_cleanup();
    return 0;
}
