/* The resnet trainer end to end through its plugin functions: a small
 * network of the family on real Fashion-MNIST (one epoch on 20,000
 * images must reach 82% test accuracy), `evaluate` of the saved model
 * reproducing the accuracy the trainer reported, a trial resumed from its
 * per-epoch checkpoint training exactly as an uninterrupted one, the
 * CIFAR-100 slice with both heads beating the majority class, and bad
 * configs, params and model files refused with clear errors. */
#define _XOPEN_SOURCE 700 /* mkdtemp */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "data.h"
#include "train.h"

static pz_value *num(double d) { return pz_value_double(d); }

/* The small configuration: 32 then 64 filters of 3x3, max pooling,
 * relu, one dense layer of 256, Adam at 1e-3, batch 128. */
static pz_value *from_json(const char *text)
{
    pz_value *v = NULL;
    CHECK_OK(pz_value_from_json(text, strlen(text), &v, NULL));
    return v;
}

static pz_value *small_params(void)
{
    return from_json("{\"first_conv\": null, \"conv_hiddn_units_mult\": 0.8, \"nb_conv_pool_layers\": 2,"
                     " \"conv_kernel_size\": 3, \"residual\": null, \"use_BN\": false,"
                     " \"pooling_type\": \"max\", \"conv_dropout_proba\": 0, \"fc_units_1_mult\": 0.256,"
                     " \"one_more_fc\": null, \"fc_dropout_proba\": 0, \"activation\": \"relu\","
                     " \"optimizer\": \"Adam\", \"lr_rate_mult\": 1, \"l2_weight_reg_mult\": 0,"
                     " \"batch_size\": 128}");
}

static pz_value *config(const char *dataset, const char *dir, int epochs, long train_limit,
                        long validation)
{
    pz_value *c = pz_value_map();
    pz_map_set(c, "dataset", pz_value_str(dataset));
    pz_map_set(c, "data_dir", pz_value_str(dir));
    pz_map_set(c, "epochs", pz_value_int(epochs));
    pz_map_set(c, "train_limit", pz_value_int(train_limit));
    pz_map_set(c, "validation", pz_value_int(validation));
    return c;
}

static char scratch[256];

static char *new_dir(const char *name)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    CHECK_OK(mkdir(path, 0755));
    return path;
}

static int train(const pz_value *params, const pz_value *cfg, const char *dir, uint64_t seed,
                 pz_value **result, pz_error *err)
{
    pz_trainer_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.params = params;
    ctx.config = cfg;
    ctx.model_dir = dir;
    ctx.seed = seed;
    ctx.threads = 2;
    return pz_resnet_train(&ctx, result, err);
}

static double metric(const pz_value *m, const char *key)
{
    double d = NAN;
    CHECK_OK(pz_value_number(pz_map_get(m, key), &d));
    return d;
}

static void fashion(const char *fdir, int sanitized)
{
    /* The sanitizer build checks the same path on fewer images. */
    long limit = sanitized ? 2000 : 20000;
    pz_value *params = small_params(), *cfg = config("fashion-mnist", fdir, 1, limit, 5000);
    pz_map_set(cfg, "flip", pz_value_bool(0));
    pz_value *res = NULL;
    pz_error err;
    char *dir = new_dir("fashion");
    char model_dir[512];
    snprintf(model_dir, sizeof model_dir, "%s", dir);
    if (train(params, cfg, model_dir, 1, &res, &err) != PZ_OK) {
        fprintf(stderr, "train: %s\n", err.msg);
        abort();
    }
    const pz_value *m = pz_map_get(res, "metrics");
    double val = metric(m, "fine_best_accuracy");
    CHECK_NEAR(metric(res, "loss"), -val, 0);
    CHECK_EQ((int64_t)metric(m, "train_images"), limit);
    CHECK_EQ((int64_t)pz_value_len(pz_map_get(m, "history")), 1);
    CHECK(pz_map_get(m, "coarse_best_accuracy") == NULL); /* one head */
    const char *model = pz_map_get(res, "model")->u.s.ptr;

    pz_value *ev = NULL;
    CHECK_OK(pz_resnet_evaluate(model, NULL, "test", &ev, &err));
    double test_acc = metric(ev, "fine_accuracy");
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("fashion-mnist: 1 epoch on %ld images, %.0f images/s (%s kernels): validation %.4f, "
           "test %.4f\n",
           limit, metric(m, "images_per_second"), pz_map_get(m, "blis_kernels")->u.s.ptr, val,
           test_acc);
    if (!sanitized)
        CHECK_GE(test_acc, 0.82);
    CHECK_EQ((int64_t)metric(ev, "images"), 10000);
    pz_value_free(ev);
    /* the saved model scores exactly what the trainer reported */
    CHECK_OK(pz_resnet_evaluate(model, NULL, "validation", &ev, &err));
    CHECK_EQ((int64_t)metric(ev, "images"), 5000);
    CHECK(metric(ev, "fine_accuracy") == metric(m, "model_val_fine_accuracy"));
    pz_value_free(ev);

    /* a damaged model is refused, naming the file */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/bad.pzm", scratch);
    FILE *in = fopen(model, "rb"), *out = fopen(bad, "wb");
    CHECK(in && out);
    char buf[4096];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0 && total < 20000) {
        fwrite(buf, 1, n, out);
        total += n;
    }
    fclose(in);
    fclose(out);
    CHECK(pz_resnet_evaluate(bad, NULL, "test", &ev, &err) != PZ_OK);
    CHECK_CONTAINS(err.msg, "bad.pzm");
    CHECK_CONTAINS(err.msg, "truncated");
    CHECK(pz_resnet_evaluate(model, NULL, "holdout", &ev, &err) != PZ_OK);
    CHECK_CONTAINS(err.msg, "unknown split \"holdout\"");
    pz_value_free(res);
    pz_value_free(cfg);
    pz_value_free(params);
}

/* Two epochs in one go, against one epoch then a second run that picks up
 * the checkpoint: the same history, bit for bit. */
static void resume(const char *fdir)
{
    pz_value *params = small_params();
    pz_map_set(params, "conv_dropout_proba", num(0.2)); /* masks must replay too */
    pz_map_set(params, "use_BN", pz_value_bool(1));
    pz_value *two = config("fashion-mnist", fdir, 2, 1500, 500);
    pz_value *one = config("fashion-mnist", fdir, 1, 1500, 500);
    pz_value *a = NULL, *b = NULL, *c = NULL;
    pz_error err;
    char da[512], db[512];
    snprintf(da, sizeof da, "%s", new_dir("straight"));
    snprintf(db, sizeof db, "%s", new_dir("resumed"));
    CHECK_OK(train(params, two, da, 5, &a, &err));
    CHECK_OK(train(params, one, db, 5, &b, &err));
    CHECK_OK(train(params, two, db, 5, &c, &err));
    const pz_value *ha = pz_map_get(pz_map_get(a, "metrics"), "history");
    const pz_value *hc = pz_map_get(pz_map_get(c, "metrics"), "history");
    CHECK_EQ((int64_t)pz_value_len(ha), 2);
    CHECK_EQ((int64_t)pz_value_len(hc), 2);
    for (int e = 0; e < 2; e++) {
        const pz_value *x = ha->u.list.items[e], *y = hc->u.list.items[e];
        CHECK(metric(x, "train_loss") == metric(y, "train_loss"));
        CHECK(metric(x, "val_fine_acc") == metric(y, "val_fine_acc"));
        CHECK(metric(x, "val_fine_loss") == metric(y, "val_fine_loss"));
    }
    CHECK(metric(a, "loss") == metric(c, "loss"));
    printf("resume: epoch 2 from the checkpoint equals the uninterrupted run (val loss %.6f)\n",
           metric(ha->u.list.items[1], "val_fine_loss"));
    pz_value_free(a);
    pz_value_free(b);
    pz_value_free(c);
    pz_value_free(one);
    pz_value_free(two);
    pz_value_free(params);
}

static double majority(const int32_t *labels, size_t n, int k)
{
    long counts[100] = {0}, best = 0;
    for (size_t i = 0; i < n; i++)
        counts[labels[i]]++;
    for (int i = 0; i < k; i++)
        if (counts[i] > best)
            best = counts[i];
    return (double)best / (double)n;
}

static void cifar(const char *cdir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/train.bin", cdir);
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("skip cifar100: no slice at %s\n", cdir);
        return;
    }
    pz_value *params = from_json(
        "{\"first_conv\": 3, \"conv_hiddn_units_mult\": 0.8, \"nb_conv_pool_layers\": 2, \"residual\": 1,"
        " \"res_conv_kernel_size\": 2, \"pooling_type\": \"avg\", \"conv_dropout_proba\": 0.1,"
        " \"fc_units_1_mult\": 0.256, \"one_more_fc\": null, \"fc_dropout_proba\": 0.2,"
        " \"optimizer\": \"Adam\", \"lr_rate_mult\": 1, \"batch_size\": 32}");
    pz_value *cfg = config("cifar100", cdir, 5, 0, 86);
    pz_value *res = NULL, *ev = NULL;
    pz_error err;
    if (train(params, cfg, new_dir("cifar"), 3, &res, &err) != PZ_OK) {
        fprintf(stderr, "train: %s\n", err.msg);
        abort();
    }
    const char *model = pz_map_get(res, "model")->u.s.ptr;
    CHECK_OK(pz_resnet_evaluate(model, NULL, "test", &ev, &err));
    pz_dataset d;
    CHECK_OK(pz_dataset_load(&d, "cifar100", cdir, "test", 0, &err));
    double mf = majority(d.fine, d.n, 100), mc = majority(d.coarse, d.n, 20);
    double fa = metric(ev, "fine_accuracy"), ca = metric(ev, "coarse_accuracy");
    const pz_value *m = pz_map_get(res, "metrics");
    printf("cifar100 slice: 5 epochs on 400 images: test fine %.4f (majority %.4f), coarse %.4f "
           "(majority %.4f); validation fine %.4f coarse %.4f\n",
           fa, mf, ca, mc, metric(m, "fine_best_accuracy"), metric(m, "coarse_best_accuracy"));
    CHECK_GT(fa, mf);
    CHECK_GT(ca, mc);
    for (const char *k = "fine_end_loss"; k; k = NULL)
        CHECK(isfinite(metric(m, k)));
    CHECK(metric(m, "coarse_end_accuracy") >= 0 && metric(m, "coarse_end_accuracy") <= 1);
    pz_dataset_destroy(&d);
    pz_value_free(ev);
    pz_value_free(res);
    pz_value_free(cfg);
    pz_value_free(params);
}

static void refusals(const char *fdir)
{
    pz_error err;
    pz_value *cfg = config("fashion-mnist", fdir, 1, 100, 50);
    pz_map_set(cfg, "epoch", pz_value_int(3));
    CHECK(pz_resnet_check(cfg, &err) != PZ_OK);
    CHECK_CONTAINS(err.msg, "trainer.epoch: unknown option for resnet");
    pz_value_free(cfg);

    cfg = config("cifar100", "/nonexistent/cifar", 1, 0, 50);
    CHECK_EQ(pz_resnet_check(cfg, &err), PZ_ENOENT);
    CHECK_CONTAINS(err.msg, "train.bin");
    CHECK_CONTAINS(err.msg, "trainer.data_dir");
    pz_value_free(cfg);

    cfg = config("fashion-mnist", fdir, 0, 0, 50);
    CHECK(pz_resnet_check(cfg, &err) != PZ_OK);
    CHECK_CONTAINS(err.msg, "trainer.epochs: 0 is outside");
    pz_value_free(cfg);

    cfg = config("fashion-mnist", fdir, 1, 100, 50);
    pz_value *params = small_params(), *res = NULL;
    pz_map_set(params, "fc_dropout_proba", num(-0.5));
    CHECK(train(params, cfg, scratch, 1, &res, &err) != PZ_OK);
    CHECK_CONTAINS(err.msg, "params.fc_dropout_proba: -0.5 is outside [0, 1)");
    CHECK(res == NULL);
    pz_value_free(params);
    pz_value_free(cfg);
    printf("refusals: unknown option, missing data, bad epochs, bad params\n");
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/pz_test_train.XXXXXX", tmp ? tmp : "/tmp");
    CHECK(mkdtemp(scratch) != NULL);
    const char *fdir = getenv("PZ_FASHION_DIR"), *cdir = getenv("PZ_CIFAR_SLICE");
    const char *san = getenv("PZ_SANITIZE");
    int sanitized = san && (!strcmp(san, "1") || !strcmp(san, "ON") || !strcmp(san, "TRUE"));
    char probe[600];
    struct stat st;
    snprintf(probe, sizeof probe, "%s/train-images-idx3-ubyte.gz", fdir ? fdir : "");
    if (fdir && stat(probe, &st) == 0) {
        refusals(fdir);
        fashion(fdir, sanitized);
        resume(fdir);
    } else {
        printf("skip fashion-mnist: no data at %s\n", fdir ? fdir : "(PZ_FASHION_DIR unset)");
    }
    if (cdir)
        cifar(cdir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    CHECK_OK(system(cmd));
    printf("test_train: ok\n");
    return 0;
}
