/* `parzen run` and the read-only commands end to end: failing trials of
 * every kind, the consecutive-failure stop, the other stop conditions,
 * warm start, results-file order under `ls`, ls/best/show/export output,
 * space changes, SIGINT and resume, --workers 2, and bad input. */
#include "study_util.h"

#include <math.h>

#include "study.h"

static pz_value *json(const char *text)
{
    pz_value *v;
    pz_error err;
    if (pz_value_from_json(text, strlen(text), &v, &err) != PZ_OK) {
        fprintf(stderr, "bad JSON (%s): %s\n", err.msg, text);
        abort();
    }
    return v;
}

/* A Lua objective that misbehaves as told by the chosen mode. */
static void failures(void)
{
    tu_write("fails.lua",
             "return { name = 'fails', algo = 'random', seed = 5, max_evals = 8,\n"
             "  space = { mode = hp.choice('mode', {'ok', 'error', 'nan', 'loop', 'malformed', 'fail', 'inf', 'string'}) },\n"
             "  points_to_evaluate = { {mode=1}, {mode=2}, {mode=3}, {mode=4}, {mode=5}, {mode=6}, {mode=7}, {mode=0} },\n"
             "  objective = function(p, trial)\n"
             "    local function deep() error('boom in objective') end\n"
             "    if p.mode == 'error' then deep() end\n"
             "    if p.mode == 'nan' then return 0/0 end\n"
             "    if p.mode == 'inf' then return { loss = math.huge } end\n"
             "    if p.mode == 'loop' then while true do end end\n"
             "    if p.mode == 'malformed' then return { los = 1 } end\n"
             "    if p.mode == 'fail' then return { status = 'fail', error = 'diverged' } end\n"
             "    if p.mode == 'string' then return 'nope' end\n"
             "    return { loss = 0.5, metrics = { acc = 0.9, trial = trial.id } }\n"
             "  end }\n");
    CHECK_EQ(tu_run("run fails.lua --trial-timeout 1"), 0);
    CHECK_CONTAINS(tu_o, "8 trials (1 ok, 7 failed)");
    const char *want[] = {"boom in objective", "non-finite loss (nan)", "timed out after 1 s",
                          "unknown field 'los'", "diverged", "non-finite loss (inf)", "returned string"};
    for (int i = 0; i < 7; i++) {
        CHECK_EQ(tu_run("show results/fails %d", i), 0);
        pz_value *d = json(tu_o);
        CHECK_STR(pz_map_get(d, "status")->u.s.ptr, "fail");
        CHECK_CONTAINS(pz_map_get(d, "error")->u.s.ptr, want[i]);
        if (i == 0) /* a Lua error carries its traceback */
            CHECK_CONTAINS(pz_map_get(d, "error")->u.s.ptr, "stack traceback");
        pz_value_free(d);
    }
    CHECK_EQ(tu_run("show results/fails 7"), 0);
    pz_value *d = json(tu_o);
    CHECK_EQ(pz_map_get(pz_map_get(d, "metrics"), "trial")->u.i, 7);
    CHECK_STR(pz_map_get(d, "params")->u.map.vals[0]->u.s.ptr, "ok"); /* choice values, not indices */
    CHECK_EQ(pz_map_get(d, "vals")->u.map.vals[0]->u.i, 0);
    CHECK(pz_map_get(pz_map_get(d, "timings"), "duration")->u.d >= 0);
    pz_value_free(d);

    /* Every trial fails: the study stops after K in a row. */
    tu_write("allfail.lua", "return { name = 'allfail', algo = 'random', max_evals = 50, max_consecutive_failures = 4,\n"
                            "  space = { x = hp.uniform('x', 0, 1) }, objective = function(p) error('always') end }\n");
    CHECK_EQ(tu_run("run allfail.lua"), 1);
    CHECK_CONTAINS(tu_e, "the last 4 trials failed in a row");
    CHECK_CONTAINS(tu_e, "always");
    CHECK(strncmp(tu_e, "starting allfail in results/allfail (seed ", 42) == 0);
    CHECK_EQ(tu_count_lines(tu_e), 2); /* that, and the one-line reason */
    CHECK_EQ(tu_run("export results/allfail"), 0);
    CHECK_EQ(tu_count_lines(tu_o), 1 + 4);
}

/* Stop conditions other than max_evals. */
static void stops(void)
{
    tu_write("thresh.lua", "return { name = 'thresh', algo = 'random', max_evals = 50, loss_threshold = 0.3,\n"
                           "  space = { x = hp.uniform('x', 0, 1) },\n"
                           "  points_to_evaluate = { {x = 0.9}, {x = 0.5}, {x = 0.2}, {x = 0.1} },\n"
                           "  objective = function(p) return p.x end }\n");
    CHECK_EQ(tu_run("run thresh.lua"), 0);
    CHECK_CONTAINS(tu_o, "loss_threshold");
    CHECK_CONTAINS(tu_o, "3 trials");
    tu_write("noimp.lua", "return { name = 'noimp', algo = 'random', max_evals = 50, no_improvement = 3,\n"
                          "  space = { x = hp.uniform('x', 0, 1) },\n"
                          "  points_to_evaluate = { {x = 0.1}, {x = 0.5}, {x = 0.6}, {x = 0.7}, {x = 0.01} },\n"
                          "  objective = function(p) return p.x end }\n");
    CHECK_EQ(tu_run("run noimp.lua"), 0);
    CHECK_CONTAINS(tu_o, "no improvement");
    CHECK_CONTAINS(tu_o, "4 trials");
    /* The study timeout interrupts the running trial; it resumes later.
     * (Trials sleep rather than spin so the test holds on a loaded machine.) */
    tu_write("slow.lua", "return { name = 'slow', algo = 'random', max_evals = 8, seed = 1,\n"
                         "  space = { x = hp.uniform('x', 0, 1) },\n"
                         "  objective = function(p) os.execute('sleep 0.25') return p.x end }\n");
    CHECK_EQ(tu_run("run slow.lua --timeout 0.6"), 0);
    CHECK_CONTAINS(tu_o, "timeout");
    unsigned n = 0, ok = 0;
    const char *c = strstr(tu_o, "): ");
    CHECK(c && sscanf(c, "): %u trials (%u ok, 0 failed)", &n, &ok) == 2);
    /* the one running at the time-out, unless it struck between two trials */
    CHECK(n == ok + 1 || n == ok);
    CHECK_LT(n, 8);
    CHECK_EQ(tu_run("run slow.lua"), 0);
    char want[128];
    snprintf(want, sizeof want, "resuming slow: %u finished, 0 failed, %u interrupted and re-queued", ok, n - ok);
    CHECK_CONTAINS(tu_e, want);
    CHECK_CONTAINS(tu_o, "8 trials (8 ok, 0 failed)");
}

/* Results files sort best first under plain ls, failed last. */
static void ordering(void)
{
    tu_write("order.lua",
             "local L = { -0.9, -0.05, 0, 1e-9, 3.5, 1e6, -1e-300, 2.5e-7 }\n"
             "return { name = 'order', algo = 'random', seed = 2, max_evals = 10,\n"
             "  space = { k = hp.randint('k', 0, 10) },\n"
             "  points_to_evaluate = { {k=5}, {k=8}, {k=3}, {k=0}, {k=4}, {k=2}, {k=1}, {k=9}, {k=6}, {k=7} },\n"
             "  objective = function(p) if L[p.k] then return L[p.k] end error('no loss for ' .. p.k) end }\n");
    CHECK_EQ(tu_run("run order.lua --quiet"), 0);
    CHECK_EQ(strlen(tu_o), 0);
    /* expected: losses ascending, then the two failures (ids 3 and 7) */
    const char *expect[] = {"loss=-0.9_trial=000006", "loss=-0.05_trial=000005", "loss=-1e-300_trial=000009",
                            "loss=0_trial=000002",    "loss=1e-09_trial=000004", "loss=2.5e-07_trial=000001",
                            "loss=3.5_trial=000000",  "loss=1e+06_trial=000008", "failed_trial=000003",
                            "failed_trial=000007"};
    const char *locales[] = {"C", "en_US.UTF-8", "C.UTF-8"};
    for (int l = 0; l < 3; l++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "cd results/order && LC_ALL=%s ls *.json > ../../ls.txt 2>/dev/null", locales[l]);
        CHECK(system(cmd) == 0);
        char *ls = tu_slurp("ls.txt");
        const char *p = ls;
        for (int i = 0; i < 10; i++) {
            const char *q = strstr(p, expect[i]);
            if (!q) {
                fprintf(stderr, "LC_ALL=%s: %s not in order in:\n%s", locales[l], expect[i], ls);
                abort();
            }
            p = q;
        }
        CHECK_EQ(tu_count_lines(ls), 10);
        free(ls);
    }
    /* A results file: indented JSON with everything `show` has. */
    char *rf = tu_slurp("results/order/4013333333333332_loss=-0.9_trial=000006.json");
    CHECK(rf != NULL);
    CHECK_CONTAINS(rf, "{\n  \"study\": \"order\",\n  \"trial\": 6,");
    pz_value *doc = json(rf);
    CHECK_EQ(tu_run("show results/order 6"), 0);
    pz_value *shown = json(tu_o);
    CHECK(pz_value_equal(doc, shown));
    CHECK_EQ(pz_map_get(doc, "loss")->u.d, -0.9);
    CHECK(pz_map_get(pz_map_get(doc, "timings"), "start")->type == PZ_STR);
    pz_value_free(doc);
    pz_value_free(shown);
    free(rf);
    /* parzen ls: the same order, as a table. */
    CHECK_EQ(tu_run("ls results/order"), 0);
    CHECK_CONTAINS(tu_o, "rank  trial  loss");
    const char *rows[] = {"\n1     6      -0.9 ", "\n2     5      -0.05 ", "\n3     9      -1e-300 ", "\n4     2      0 ",
                          "\n9     3      -              fail", "\n10    7      -              fail"};
    const char *p = tu_o;
    for (int i = 0; i < 6; i++) {
        const char *q = strstr(p, rows[i]);
        if (!q) {
            fprintf(stderr, "row %d (%s) missing/out of order in:\n%s", i, rows[i], tu_o);
            abort();
        }
        p = q;
    }
    CHECK_EQ(tu_run("ls results/order --top 3"), 0);
    CHECK_EQ(tu_count_lines(tu_o), 4);
    CHECK_EQ(tu_run("best results/order"), 0);
    pz_value *b = json(tu_o);
    CHECK_EQ(pz_map_get(b, "trial")->u.i, 6);
    CHECK_EQ(pz_map_get(b, "loss")->u.d, -0.9);
    CHECK_EQ(pz_map_get(pz_map_get(b, "params"), "k")->u.i, 1);
    pz_value_free(b);
    CHECK_EQ(tu_run("export results/order --format csv"), 0);
    CHECK(strncmp(tu_o, "trial,status,loss,duration,k,error\n0,ok,3.5,", 44) == 0);
    CHECK_CONTAINS(tu_o, "\n3,fail,,");
    CHECK_CONTAINS(tu_o, "\n6,ok,-0.90000000000000002,");
    CHECK_EQ(tu_count_lines(tu_o), 11);
    CHECK_EQ(tu_run("export results/order --format json"), 0);
    pz_value *all = json(tu_o);
    CHECK_EQ(pz_value_len(all), 10);
    CHECK_EQ(pz_map_get(all->u.list.items[0], "loss")->u.d, 3.5);
    CHECK_EQ(pz_map_get(all->u.list.items[3], "loss")->type, PZ_NONE);
    pz_value_free(all);
    CHECK_EQ(tu_run("show results/order 42"), 1);
    CHECK_CONTAINS(tu_e, "no trial 42");
    /* --json: one object per finished trial on stdout, even when the
     * objective prints. */
    tu_write("order2.lua", "local s = dofile('order.lua') local f = s.objective\n"
                           "s.objective = function(p) print('noise from the objective') return f(p) end\n"
                           "return s\n");
    CHECK_EQ(tu_run("run order2.lua --name order2 --json"), 0);
    CHECK_CONTAINS(tu_e, "noise from the objective");
    CHECK_EQ(tu_count_lines(tu_o), 10);
    pz_value *first = json(strtok(tu_o, "\n"));
    CHECK_EQ(pz_map_get(first, "trial")->u.i, 0);
    pz_value_free(first);
}

/* A damaged journal through the CLI: a torn tail is dropped with a
 * warning and the study goes on; damage inside is refused, file untouched. */
static void damage(void)
{
    CHECK(system("cp -r results/order results/order.bak") == 0);
    struct stat st;
    CHECK(stat("results/order/journal.pzj", &st) == 0);
    CHECK(truncate("results/order/journal.pzj", st.st_size - 5) == 0);
    CHECK_EQ(tu_run("ls results/order"), 0);
    CHECK_CONTAINS(tu_e, "warning: journal results/order/journal.pzj: dropped a torn last record");
    CHECK_EQ(tu_count_lines(tu_o), 11);
    CHECK_CONTAINS(tu_o, "\n10    9      -              pending"); /* it lost its end */
    CHECK_EQ(tu_run("run order.lua --max-evals 11"), 0);
    CHECK_CONTAINS(tu_e, "dropped a torn last record");
    CHECK_CONTAINS(tu_e, "resuming order: 7 finished, 2 failed, 1 interrupted and re-queued");
    CHECK_CONTAINS(tu_o, "11 trials (9 ok, 2 failed)");
    /* trial 9 ran again and has its results file once more */
    CHECK(access("results/order/7e5a91e03d070ca6_loss=-1e-300_trial=000009.json", F_OK) == 0);

    CHECK(system("rm -rf results/order && mv results/order.bak results/order") == 0);
    FILE *f = fopen("results/order/journal.pzj", "r+b");
    CHECK(f != NULL);
    CHECK(fseek(f, 300, SEEK_SET) == 0);
    int c = fgetc(f);
    CHECK(fseek(f, 300, SEEK_SET) == 0);
    fputc(c ^ 0x40, f);
    CHECK(fclose(f) == 0);
    char *before = tu_slurp("results/order/journal.pzj");
    CHECK_EQ(tu_run("run order.lua"), 1);
    CHECK_CONTAINS(tu_e, "journal results/order/journal.pzj is damaged at byte ");
    CHECK_EQ(tu_count_lines(tu_e), 1);
    CHECK_EQ(tu_run("ls results/order"), 1);
    char *after = tu_slurp("results/order/journal.pzj");
    CHECK(stat("results/order/journal.pzj", &st) == 0);
    CHECK(memcmp(before, after, (size_t)st.st_size) == 0);
    free(before);
    free(after);
}

/* The space changed: refused, unless forced (then the labels are named). */
static void space_change(void)
{
    tu_write("sp.lua", "return { name = 'sp', algo = 'random', max_evals = 3, seed = 1,\n"
                       "  space = { x = hp.uniform('x', 0, 1), y = hp.uniform('y', 0, 1) },\n"
                       "  objective = function(p) return p.x + p.y end }\n");
    CHECK_EQ(tu_run("run sp.lua"), 0);
    struct stat before, after;
    CHECK(stat("results/sp/journal.pzj", &before) == 0);
    tu_write("sp.lua", "return { name = 'sp', algo = 'random', max_evals = 5, seed = 1,\n"
                       "  space = { x = hp.uniform('x', 0, 2), z = hp.uniform('z', 0, 1) },\n"
                       "  objective = function(p) return p.x + p.z end }\n");
    CHECK_EQ(tu_run("run sp.lua"), 1);
    CHECK_CONTAINS(tu_e, "changed: x; added: z; removed: y");
    CHECK_CONTAINS(tu_e, "--force-space-change");
    CHECK_EQ(tu_count_lines(tu_e), 1);
    CHECK(stat("results/sp/journal.pzj", &after) == 0);
    CHECK_EQ(after.st_size, before.st_size);
    CHECK_EQ(tu_run("run sp.lua --force-space-change"), 0);
    CHECK_CONTAINS(tu_e, "changed space (changed: x; added: z; removed: y)");
    CHECK_CONTAINS(tu_o, "5 trials (5 ok");
    /* The change is recorded: the next resume does not complain. */
    CHECK_EQ(tu_run("run sp.lua --max-evals 6"), 0);
    CHECK(strstr(tu_e, "changed") == NULL);
}

/* Ctrl-C: running trials are recorded as interrupted and run again. */
static void interrupt(void)
{
    tu_write("int.lua", "return { name = 'int', algo = 'random', max_evals = 6, seed = 9, workers = 2,\n"
                        "  space = { x = hp.uniform('x', 0, 1) },\n"
                        "  objective = function(p) os.execute('sleep 0.6') return p.x end }\n");
    const char *argv[] = {tu_cli, "run", "int.lua", NULL};
    pid_t pid = tu_spawn(argv);
    tu_wait_started("results/int/journal.pzj", 2);
    CHECK(kill(pid, SIGINT) == 0);
    int rc = tu_wait(pid);
    CHECK_EQ(rc, 130);
    CHECK_CONTAINS(tu_e, "interrupted by SIGINT: 2 running trials recorded as interrupted");
    pz_study *s;
    pz_error err;
    CHECK_OK(pz_study_open_dir(&s, "results/int", &err));
    CHECK_EQ(pz_study_ntrials(s), 2);
    pz_value *v0 = NULL, *v1 = NULL;
    for (size_t i = 0; i < 2; i++) {
        pz_trial_info t;
        CHECK_OK(pz_study_trial(s, i, &t));
        CHECK_EQ(t.status, PZ_TRIAL_PENDING);
        CHECK_EQ(t.interrupted, 1);
        *(i ? &v1 : &v0) = pz_value_copy(t.vals);
    }
    pz_study_free(s);
    CHECK_EQ(tu_run("run int.lua"), 0);
    CHECK_CONTAINS(tu_e, "resuming int: 0 finished, 0 failed, 2 interrupted and re-queued");
    CHECK_OK(pz_study_open_dir(&s, "results/int", &err));
    CHECK_EQ(pz_study_ntrials(s), 6);
    pz_trial_info t0, t1;
    CHECK_OK(pz_study_trial(s, 0, &t0));
    CHECK_OK(pz_study_trial(s, 1, &t1));
    CHECK(pz_value_equal(t0.vals, v0) && pz_value_equal(t1.vals, v1));
    CHECK_EQ(t0.status, PZ_TRIAL_OK);
    /* --workers 2 really ran two at once: some trials overlap in time. */
    int overlap = 0;
    for (size_t i = 0; i < 6; i++)
        for (size_t j = i + 1; j < 6; j++) {
            pz_trial_info a, b;
            pz_study_trial(s, i, &a);
            pz_study_trial(s, j, &b);
            overlap += a.start < b.end && b.start < a.end;
        }
    CHECK_GE(overlap, 2);
    pz_study_free(s);
    pz_value_free(v0);
    pz_value_free(v1);
}

/* Two parzen processes never run one study at once. */
static void locked(void)
{
    tu_write("lock.lua", "return { name = 'lock', algo = 'random', max_evals = 3, seed = 1,\n"
                         "  space = { x = hp.uniform('x', 0, 1) },\n"
                         "  objective = function(p) os.execute('sleep 0.8') return p.x end }\n");
    const char *argv[] = {tu_cli, "run", "lock.lua", "--quiet", NULL};
    pid_t pid = tu_spawn(argv);
    tu_wait_started("results/lock/journal.pzj", 1);
    /* (tu_run and tu_spawn share output files: the spawned run is quiet) */
    CHECK_EQ(tu_run("run lock.lua"), 1);
    CHECK_CONTAINS(tu_e, "another parzen process is running this study");
    CHECK_EQ(tu_wait(pid), 0);
    CHECK_EQ(tu_run("run lock.lua"), 0);
    CHECK_CONTAINS(tu_e, "resuming lock: 3 finished");
}

/* --workers 2 finishes as many trials as --workers 1, ids unique. */
static void workers(void)
{
    tu_write("w.lua", "return { name = 'w', algo = 'random', max_evals = 20, seed = 4,\n"
                      "  space = { x = hp.uniform('x', -1, 1) }, objective = function(p) return p.x * p.x end }\n");
    CHECK_EQ(tu_run("run w.lua --workers 1 --name w1"), 0);
    CHECK_EQ(tu_run("run w.lua --workers 2 --name w2"), 0);
    pz_study *a, *b;
    pz_error err;
    CHECK_OK(pz_study_open_dir(&a, "results/w1", &err));
    CHECK_OK(pz_study_open_dir(&b, "results/w2", &err));
    CHECK_EQ(pz_study_ntrials(a), 20);
    CHECK_EQ(pz_study_ntrials(b), 20);
    for (size_t i = 0; i < 20; i++) {
        pz_trial_info t;
        CHECK_OK(pz_study_trial(b, i, &t));
        CHECK_EQ(t.id, i);
        CHECK_EQ(t.status, PZ_TRIAL_OK);
        /* random search proposes from (seed, id) alone: same trials */
        pz_trial_info u;
        CHECK_OK(pz_study_trial(a, i, &u));
        CHECK(pz_value_equal(t.vals, u.vals));
    }
    pz_study_free(a);
    pz_study_free(b);
    CHECK_EQ(tu_run("ls results/w2"), 0);
    CHECK_EQ(tu_count_lines(tu_o), 21);
}

/* Bad input: one-line errors, exit 1 or 2, nothing written. */
static void bad_input(void)
{
    CHECK(system("rm -rf results") == 0);
    struct { const char *args; int code; const char *text; } cases[] = {
        {"run missing.lua", 1, "cannot open study script: missing.lua"},
        {"run", 2, "missing STUDY.lua"},
        {"run w.lua --bogus", 2, "unknown option '--bogus'"},
        {"run w.lua --quiet --json", 2, "contradict"},
        {"run w.lua --workers 0", 2, "whole number >= 1"},
        {"run w.lua --max-evals", 2, "needs a value"},
        {"run w.lua --timeout -3", 2, "seconds > 0"},
        {"run w.lua --set nosuch=1", 2, "not a study field"},
        {"run w.lua --algo nosuch", 1, "unknown search algorithm 'nosuch'"},
        {"run w.lua --set 'points_to_evaluate=[{\"q\":1}]'", 1, "no label 'q'"},
        {"run w.lua --set objective=nosuch", 1, "no trainer plugin 'nosuch'"},
        {"ls nowhere", 1, "nowhere is not a folder"},
        {"ls .", 1, "holds no study"},
        {"show", 2, "missing DIR"},
        {"show . x", 2, "TRIAL must be a trial id"},
        {"export . --format xml", 2, "csv or json"},
        {"eval", 2, "missing MODEL"},
        {"eval nosuch.pzm", 1, "cannot open model nosuch.pzm"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = tu_run("%s", cases[i].args);
        if (rc != cases[i].code || !strstr(tu_e, cases[i].text)) {
            fprintf(stderr, "parzen %s: exit %d, stderr: %s", cases[i].args, rc, tu_e);
            abort();
        }
        CHECK_EQ(tu_count_lines(tu_e), cases[i].code == 2 ? 2 : 1);
        CHECK(access("results", F_OK) != 0);
    }
    /* A script without an objective. */
    tu_write("noobj.lua", "return { name = 'noobj', space = { x = hp.uniform('x', 0, 1) } }\n");
    CHECK_EQ(tu_run("run noobj.lua"), 1);
    CHECK_CONTAINS(tu_e, "noobj.lua: the study has no 'objective'");
    CHECK(access("results", F_OK) != 0);
    /* A results root that cannot be made, a journal that cannot be read. */
    tu_write("plainfile", "x\n");
    CHECK_EQ(tu_run("run w.lua --results plainfile/sub"), 1);
    CHECK_CONTAINS(tu_e, "plainfile/sub/w/journal.pzj: Not a directory");
    CHECK_EQ(tu_count_lines(tu_e), 1);
    CHECK(system("mkdir -p bad/journal.pzj") == 0);
    CHECK_EQ(tu_run("ls bad"), 1);
    CHECK_CONTAINS(tu_e, "not a regular file");
    CHECK_EQ(tu_run("run w.lua --results . --name bad"), 1);
    CHECK_CONTAINS(tu_e, "not a regular file");
    /* A journal from another study in the folder is refused, untouched. */
    CHECK_EQ(tu_run("run w.lua --name other --max-evals 2"), 0);
    CHECK(system("mkdir -p results/w && cp results/other/journal.pzj results/w/") == 0);
    CHECK_EQ(tu_run("run w.lua"), 1);
    CHECK_CONTAINS(tu_e, "holds the journal of study 'other', not 'w'");
    CHECK_EQ(tu_count_lines(tu_e), 1);
    /* A seed that conflicts with the journal's. */
    CHECK_EQ(tu_run("run w.lua --name other --seed 77"), 1);
    CHECK_CONTAINS(tu_e, "started with seed 4; seed 77 conflicts");
    /* Study names cannot escape the results root. */
    CHECK_EQ(tu_run("run w.lua --name ../../escape --max-evals 1 --results inner"), 0);
    CHECK(access("inner/_._.._escape/journal.pzj", F_OK) == 0);
    CHECK(access("../escape", F_OK) != 0);
    /* Help for every command. */
    const char *cmds[] = {"run", "ls", "best", "show", "export", "eval"};
    for (size_t i = 0; i < 6; i++) {
        CHECK_EQ(tu_run("%s --help", cmds[i]), 0);
        CHECK_CONTAINS(tu_o, "Usage: parzen");
    }
}

int main(void)
{
    tu_setup("test_run");
    failures();
    stops();
    ordering();
    damage();
    space_change();
    interrupt();
    workers();
    locked();
    bad_input();
    tu_cleanup();
    printf("run ok\n");
    return 0;
}
