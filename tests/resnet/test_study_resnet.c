/* The flagship studies end to end through the CLI and the resnet plugin:
 * spaces/fashion_mnist_resnet.lua and spaces/cifar100_resnet.lua (on the
 * CIFAR-100 slice when present) with tiny training sets; the results
 * folder in `ls` order, `parzen best` naming a model that `parzen eval`
 * scores at the recorded accuracy; a study killed in a trial's second
 * epoch resuming that trial from its checkpoint; `parzen retrain`; bad
 * --set overrides and a missing data folder refused, naming the key. */
#include "study_util.h"

#include <dirent.h>
#include <math.h>

#include "value.h"

static char src[512];

static pz_value *json(const char *text)
{
    pz_value *v = NULL;
    pz_error err;
    if (pz_value_from_json(text, strlen(text), &v, &err) != PZ_OK) {
        fprintf(stderr, "bad JSON (%s): %s\n", err.msg, text);
        abort();
    }
    return v;
}

static double num(const pz_value *m, const char *key)
{
    double d = NAN;
    CHECK_OK(pz_value_number(pz_map_get(m, key), &d));
    return d;
}

/* The sorted *.json names of a study folder. */
static int result_files(const char *dir, char names[][256], int max)
{
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
            snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, 256, (int (*)(const void *, const void *))strcmp);
    return n;
}

static const char *quick =
    "--set trainer.train_limit=600 --set trainer.validation=300 --quiet";

static void fashion(void)
{
    CHECK_EQ(tu_run("run '%s/spaces/fashion_mnist_resnet.lua' --max-evals 3 %s", src, quick), 0);
    const char *dir = "results/fashion-mnist-resnet";
    char names[16][256];
    CHECK_EQ(result_files(dir, names, 16), 3);
    CHECK_EQ(tu_run("best %s", dir), 0);
    pz_value *best = json(tu_o);
    char want[64];
    snprintf(want, sizeof want, "_trial=%06d.json", (int)num(best, "trial"));
    CHECK_CONTAINS(names[0], want); /* `ls` order puts the best first */
    const pz_value *m = pz_map_get(best, "metrics");
    double acc = num(m, "model_val_fine_accuracy");
    CHECK_NEAR(num(best, "loss"), -num(m, "fine_best_accuracy"), 0);
    CHECK(pz_map_get(m, "history") && pz_value_len(pz_map_get(m, "history")) == 1);
    const char *model = pz_map_get(best, "model")->u.s.ptr;
    CHECK_EQ(tu_run("eval '%s' --split validation", model), 0);
    pz_value *ev = json(tu_o);
    CHECK(num(ev, "fine_accuracy") == acc);
    printf("fashion-mnist study: 3 trials, best %s: validation accuracy %.4f, eval %.4f\n", names[0],
           acc, num(ev, "fine_accuracy"));
    pz_value_free(ev);
    CHECK_EQ(tu_run("ls %s --top 2", dir), 0);
    CHECK_EQ(tu_count_lines(tu_o), 3); /* header + 2 */

    /* the winner's long run: every training image (capped for the test), test scored */
    CHECK_EQ(tu_run("retrain %s --epochs 1 --train-limit 900", dir), 0);
    CHECK_CONTAINS(tu_o, "test accuracy after 1 epochs: fine 0.");
    char path[512];
    snprintf(path, sizeof path, "%s/retrained/trial-%06d.json", dir, (int)num(best, "trial"));
    char *text = tu_slurp(path);
    CHECK(text != NULL);
    pz_value *doc = json(text);
    CHECK(pz_map_get(doc, "retrained")->u.b);
    CHECK_STR(pz_map_get(pz_map_get(doc, "metrics"), "scored_on")->u.s.ptr, "test");
    CHECK_EQ((int64_t)num(pz_map_get(doc, "metrics"), "train_images"), 900);
    pz_value_free(doc);
    free(text);
    pz_value_free(best);
}

static void cifar(void)
{
    char slice[600];
    snprintf(slice, sizeof slice, "%s", getenv("PZ_CIFAR_SLICE") ? getenv("PZ_CIFAR_SLICE") : "");
    snprintf(slice + strlen(slice), sizeof slice - strlen(slice), "/train.bin");
    struct stat st;
    if (stat(slice, &st) != 0) {
        printf("skip cifar100 study: no slice\n");
        return;
    }
    CHECK_EQ(tu_run("run '%s/spaces/cifar100_resnet.lua' --max-evals 2 --set trainer.data_dir='%s' "
                    "--set trainer.epochs=1 --set trainer.train_limit=200 --set trainer.validation=86 "
                    "--set trainer.test_limit=200 --quiet",
                    src, getenv("PZ_CIFAR_SLICE")),
             0);
    CHECK_EQ(tu_run("best results/cifar100-resnet"), 0);
    pz_value *best = json(tu_o);
    const pz_value *m = pz_map_get(best, "metrics");
    const char *keys[] = {"fine_best_accuracy", "fine_end_accuracy", "coarse_best_accuracy",
                          "coarse_end_accuracy"};
    for (int i = 0; i < 4; i++) {
        double v = num(m, keys[i]);
        CHECK(v >= 0 && v <= 1);
    }
    CHECK(isfinite(num(m, "fine_best_loss")) && isfinite(num(m, "coarse_end_loss")));
    CHECK_EQ(tu_run("eval '%s'", pz_map_get(best, "model")->u.s.ptr), 0);
    pz_value *ev = json(tu_o);
    CHECK(num(ev, "coarse_accuracy") >= 0 && num(ev, "coarse_accuracy") <= 1);
    printf("cifar100 study on the slice: best fine %.4f coarse %.4f on validation; test fine %.4f "
           "coarse %.4f\n",
           num(m, "fine_best_accuracy"), num(m, "coarse_best_accuracy"), num(ev, "fine_accuracy"),
           num(ev, "coarse_accuracy"));
    pz_value_free(ev);
    pz_value_free(best);
}

/* SIGKILL the study once trial 0 has checkpointed its first of two
 * epochs; the resumed study finishes it from epoch 2. */
static void kill_and_resume(void)
{
    char script[600];
    snprintf(script, sizeof script, "%s/spaces/fashion_mnist_resnet.lua", src);
    const char *argv[] = {tu_cli, "run", script, "--name", "killed", "--max-evals", "2",
                          "--set", "trainer.epochs=2", "--set", "trainer.train_limit=2500",
                          "--set", "trainer.validation=300", "--quiet", NULL};
    pid_t pid = tu_spawn(argv);
    struct stat st;
    int waited = 0;
    while (stat("results/killed/models/trial-000000/checkpoint.pzc", &st) != 0 && waited < 600000) {
        tu_sleep_ms(20);
        waited += 20;
    }
    CHECK(waited < 600000);
    tu_sleep_ms(100); /* into epoch 2 */
    CHECK_OK(kill(pid, SIGKILL));
    tu_wait(pid);
    /* the trial's process dies with its study */
    for (int i = 0; i < 100 && system("pgrep -f 'killed --max-evals' >/dev/null") == 0; i++)
        tu_sleep_ms(50);
    CHECK_EQ(tu_run("run '%s' --name killed --max-evals 2 --set trainer.epochs=2 --set "
                    "trainer.train_limit=2500 --set trainer.validation=300",
                    script),
             0);
    CHECK_CONTAINS(tu_e, "resuming killed");
    CHECK_EQ(tu_run("show results/killed 0"), 0);
    pz_value *t = json(tu_o);
    const pz_value *m = pz_map_get(t, "metrics");
    CHECK_EQ((int64_t)num(m, "resumed_from_epoch"), 1);
    CHECK_EQ((int64_t)pz_value_len(pz_map_get(m, "history")), 2);
    pz_value_free(t);
    char names[16][256];
    CHECK_EQ(result_files("results/killed", names, 16), 2);
    printf("kill in epoch 2 of trial 0, resume: trial 0 finished from its epoch-1 checkpoint, 2 "
           "trials in all\n");
}

static void refusals(void)
{
    char script[600];
    snprintf(script, sizeof script, "%s/spaces/fashion_mnist_resnet.lua", src);
    CHECK_EQ(tu_run("run '%s' --name bad1 --set trainer.epoch=3", script), 1);
    CHECK_CONTAINS(tu_e, "trainer.epoch: unknown option for resnet");
    CHECK_EQ(tu_run("run '%s' --name bad2 --set trainer.epochs=zero", script), 1);
    CHECK_CONTAINS(tu_e, "trainer.epochs");
    CHECK_EQ(tu_run("run '%s' --name bad3 --set trainer.data_dir=/nonexistent/fm", script), 1);
    CHECK_CONTAINS(tu_e, "train-images-idx3-ubyte.gz");
    CHECK_CONTAINS(tu_e, "--set trainer.data_dir=DIR");
    CHECK_EQ(tu_run("run '%s/spaces/cifar100_resnet.lua' --set trainer.data_dir=/nonexistent/c", src), 1);
    CHECK_CONTAINS(tu_e, "train.bin and test.bin");
    CHECK_CONTAINS(tu_e, "PARZEN_CIFAR100_DIR");
    CHECK_EQ(tu_run("run '%s' --name bad4 --set max_evalz=3", script), 2);
    CHECK_CONTAINS(tu_e, "max_evalz");
    /* nothing was written for the refused studies */
    struct stat st;
    CHECK(stat("results/bad1/journal.pzj", &st) != 0);
    CHECK(stat("results/bad3/journal.pzj", &st) != 0);
    printf("refusals: bad --set keys and values, missing data folders\n");
}

int main(void)
{
    snprintf(src, sizeof src, "%s", getenv("PZ_SOURCE_DIR"));
    tu_setup("pz_test_study_resnet");
    unsetenv("PARZEN_CIFAR100_DIR");
    unsetenv("PARZEN_FASHION_MNIST_DIR");
    refusals();
    fashion();
    kill_and_resume();
    cifar();
    tu_cleanup();
    printf("test_study_resnet: ok\n");
    return 0;
}
