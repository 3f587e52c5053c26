/* resnet trainer: the training loop of one trial, evaluation of a saved
 * model, and the files both leave behind.
 *
 * One clear loop: for each epoch, a permutation of the training images
 * from (seed, epoch); for each batch, bytes to floats in [-0.5, 0.5] with
 * random left-right flips, forward, loss, backward, optimizer step; after
 * the epoch, both heads scored on the validation images, the best epoch's
 * weights kept as model.pzm, the full state as checkpoint.pzc. Both
 * files are written to a temporary name, fsync'd and renamed, so a kill
 * at any moment leaves the previous complete file.
 */
#define _XOPEN_SOURCE 700 /* realpath, fileno, fsync, clock_gettime */
#include "train.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "net.h"
#include "optim.h"

#define MODEL_FORMAT 1
#define PAYLOAD_MAGIC "PZRNDATA"

/* {===== config ===== */
static int cfg_int(const pz_value *v, const char *key, long lo, long hi, long *out,
                   pz_error *err)
{
    double d;
    if (pz_value_number(v, &d) != PZ_OK || d != floor(d))
        return pz_error_set(err, PZ_ETYPE, "trainer.%s: expected a whole number, got %s", key,
                            pz_type_name(v->type));
    if (d < lo || d > hi)
        return pz_error_set(err, PZ_ERANGE, "trainer.%s: %g is outside [%ld, %ld]", key, d, lo,
                            hi);
    *out = (long)d;
    return PZ_OK;
}

int pz_train_config_parse(pz_train_config *tc, const pz_value *config, pz_error *err)
{
    memset(tc, 0, sizeof *tc);
    snprintf(tc->dataset, sizeof tc->dataset, "cifar100");
    tc->epochs = 20;
    tc->validation = -1;
    tc->flip = 1;
    int have_dir = 0;
    for (size_t i = 0; config && config->type == PZ_MAP && i < config->u.map.len; i++) {
        const char *k = config->u.map.keys[i];
        const pz_value *v = config->u.map.vals[i];
        long n = 0;
        int rc = PZ_OK;
        if (!strcmp(k, "dataset") || !strcmp(k, "data_dir")) {
            if (v->type != PZ_STR)
                return pz_error_set(err, PZ_ETYPE, "trainer.%s: expected a string, got %s", k,
                                    pz_type_name(v->type));
            if (!strcmp(k, "dataset")) {
                if (strcmp(v->u.s.ptr, "cifar100") && strcmp(v->u.s.ptr, "fashion-mnist") &&
                    strcmp(v->u.s.ptr, "mnist"))
                    return pz_error_set(err, PZ_EINVAL,
                                        "trainer.dataset: unknown data set \"%s\" (known: "
                                        "cifar100, fashion-mnist)",
                                        v->u.s.ptr);
                snprintf(tc->dataset, sizeof tc->dataset, "%s", v->u.s.ptr);
            } else {
                if (v->u.s.len >= sizeof tc->data_dir)
                    return pz_error_set(err, PZ_ERANGE, "trainer.data_dir: path too long");
                snprintf(tc->data_dir, sizeof tc->data_dir, "%s", v->u.s.ptr);
                have_dir = 1;
            }
        } else if (!strcmp(k, "epochs")) {
            if (!(rc = cfg_int(v, k, 1, 100000, &n, err)))
                tc->epochs = (int)n;
        } else if (!strcmp(k, "validation")) {
            if (!(rc = cfg_int(v, k, 0, 100000000, &n, err)))
                tc->validation = n;
        } else if (!strcmp(k, "train_limit")) {
            if (!(rc = cfg_int(v, k, 0, 100000000, &n, err)))
                tc->train_limit = n;
        } else if (!strcmp(k, "test_limit")) {
            if (!(rc = cfg_int(v, k, 0, 100000000, &n, err)))
                tc->test_limit = n;
        } else if (!strcmp(k, "threads")) {
            if (!(rc = cfg_int(v, k, 0, 1024, &n, err)))
                tc->threads = (int)n;
        } else if (!strcmp(k, "flip")) {
            if (v->type != PZ_BOOL)
                return pz_error_set(err, PZ_ETYPE, "trainer.flip: expected a boolean, got %s",
                                    pz_type_name(v->type));
            tc->flip = v->u.b;
        } else {
            return pz_error_set(err, PZ_EINVAL,
                                "trainer.%s: unknown option for resnet (known: dataset, data_dir, "
                                "epochs, validation, train_limit, test_limit, threads, flip)",
                                k);
        }
        if (rc)
            return rc;
    }
    if (!have_dir)
        snprintf(tc->data_dir, sizeof tc->data_dir, "%s",
                 strcmp(tc->dataset, "cifar100") ? "/usr/share/datasets/fashion-mnist"
                                                 : "data/cifar-100-binary");
    return PZ_OK;
}

static pz_value *config_value(const pz_train_config *tc)
{
    pz_value *m = pz_value_map();
    char abs[4096];
    const char *dir = realpath(tc->data_dir, abs) ? abs : tc->data_dir;
    pz_map_set(m, "dataset", pz_value_str(tc->dataset));
    pz_map_set(m, "data_dir", pz_value_str(dir));
    pz_map_set(m, "epochs", pz_value_int(tc->epochs));
    pz_map_set(m, "validation", pz_value_int(tc->validation));
    pz_map_set(m, "train_limit", pz_value_int(tc->train_limit));
    pz_map_set(m, "test_limit", pz_value_int(tc->test_limit));
    pz_map_set(m, "flip", pz_value_bool(tc->flip));
    return m;
}

/* A missing data set is the first thing a new user meets: say what is
 * expected, where it comes from, and how to point the study at it. */
static int data_missing(const pz_train_config *tc, pz_error *err)
{
    if (!strcmp(tc->dataset, "cifar100"))
        return pz_error_set(err, PZ_ENOENT,
                            "trainer.data_dir: no CIFAR-100 data in \"%s\": expected train.bin and "
                            "test.bin of the official CIFAR-100 binary distribution "
                            "(cifar-100-binary.tar.gz from the CIFAR pages of the University of "
                            "Toronto, unpacked); point the study at them with --set "
                            "trainer.data_dir=DIR or PARZEN_CIFAR100_DIR=DIR",
                            tc->data_dir);
    return pz_error_set(err, PZ_ENOENT,
                        "trainer.data_dir: no Fashion-MNIST data in \"%s\": expected "
                        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
                        "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (Debian: apt-get "
                        "install dataset-fashion-mnist); point the study at them with --set "
                        "trainer.data_dir=DIR",
                        tc->data_dir);
}

int pz_resnet_check(const pz_value *config, pz_error *err)
{
    pz_train_config tc;
    int rc = pz_train_config_parse(&tc, config, err);
    if (rc)
        return rc;
    struct stat st;
    char a[4200], b[4200];
    if (!strcmp(tc.dataset, "cifar100")) {
        snprintf(a, sizeof a, "%s/train.bin", tc.data_dir);
        if (stat(a, &st) != 0)
            return data_missing(&tc, err);
    } else {
        snprintf(a, sizeof a, "%s/train-images-idx3-ubyte.gz", tc.data_dir);
        snprintf(b, sizeof b, "%s/train-images-idx3-ubyte", tc.data_dir);
        if (stat(a, &st) != 0 && stat(b, &st) != 0)
            return data_missing(&tc, err);
    }
    return PZ_OK;
}
/* }===== */

/* {===== data ===== */
typedef struct split {
    const pz_dataset *d;
    size_t first, n; /* images [first, first + n) of d */
} split;

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static float byte_scale[256];

static void init_scale(void)
{
    for (int i = 0; i < 256; i++)
        byte_scale[i] = (float)i / 255.0f - 0.5f;
}

/* x (count,H,W,C) from images idx[0..count) of sp; flip[i] mirrors image i. */
static void assemble(float *x, int32_t *fine, int32_t *coarse, const split *sp,
                     const size_t *idx, int count, const unsigned char *flip)
{
    const pz_dataset *d = sp->d;
    size_t row = (size_t)d->W * d->C, img = (size_t)d->H * row;
    for (int i = 0; i < count; i++) {
        size_t k = sp->first + (idx ? idx[i] : (size_t)i);
        const uint8_t *src = d->images + k * img;
        float *dst = x + (size_t)i * img;
        if (flip && flip[i]) {
            for (int h = 0; h < d->H; h++)
                for (int w = 0; w < d->W; w++)
                    for (int c = 0; c < d->C; c++)
                        dst[h * row + (size_t)w * d->C + c] =
                            byte_scale[src[h * row + (size_t)(d->W - 1 - w) * d->C + c]];
        } else {
            for (size_t j = 0; j < img; j++)
                dst[j] = byte_scale[src[j]];
        }
        fine[i] = d->fine[k];
        if (coarse)
            coarse[i] = d->coarse ? d->coarse[k] : 0;
    }
}

typedef struct scores {
    double fine_acc, fine_loss, coarse_acc, coarse_loss;
} scores;

/* Both heads over a whole split, in evaluation mode (running statistics,
 * no dropout), batches of the training size. */
static scores score(pz_net *net, const split *sp, int batch, float *x, int32_t *fine,
                    int32_t *coarse, const volatile int *cancel)
{
    scores s = {0, 0, 0, 0};
    long cf = 0, cc = 0;
    for (size_t at = 0; at < sp->n; at += (size_t)batch) {
        if (cancel && *cancel)
            break;
        int N = (int)(sp->n - at < (size_t)batch ? sp->n - at : (size_t)batch);
        split part = {sp->d, sp->first + at, (size_t)N};
        assemble(x, fine, coarse, &part, NULL, N, NULL);
        pz_net_forward(net, x, N, 0, 0);
        double lf, lc;
        int kf, kc;
        pz_net_loss(net, fine, sp->d->coarse ? coarse : NULL, 0, 0, &lf, &lc, &kf, &kc);
        s.fine_loss += lf * N, s.coarse_loss += lc * N;
        cf += kf, cc += kc;
    }
    double n = sp->n ? (double)sp->n : 1;
    s.fine_acc = cf / n, s.coarse_acc = cc / n;
    s.fine_loss /= n, s.coarse_loss /= n;
    return s;
}

static int load_data(pz_dataset *d, const pz_train_config *tc, const char *which, size_t limit,
                     pz_error *err)
{
    memset(d, 0, sizeof *d);
    int rc = pz_dataset_load(d, tc->dataset, tc->data_dir, which, limit, err);
    if (rc == PZ_ENOENT) {
        struct stat st;
        if (stat(tc->data_dir, &st) != 0)
            return data_missing(tc, err);
    }
    return rc;
}

/* The training file splits into training images (first) and validation
 * images (last `validation`), so the study picks models on images it
 * never trained on and never looks at the test file. validation = 0 is
 * for retraining a chosen configuration: every training image trains, and
 * the epochs are scored on the test file (test, which must be loaded). */
static int make_splits(const pz_dataset *d, const pz_dataset *test, const pz_train_config *tc,
                       split *tr, split *va, pz_error *err)
{
    size_t v = tc->validation >= 0 ? (size_t)tc->validation : d->n / 10;
    if (tc->validation < 0 && v > 5000)
        v = 5000;
    if (v >= d->n)
        return pz_error_set(err, PZ_ERANGE,
                            "trainer.validation: %zu validation images leave none of the %zu "
                            "training images to train on",
                            v, d->n);
    size_t t = d->n - v;
    if (tc->train_limit > 0 && (size_t)tc->train_limit < t)
        t = (size_t)tc->train_limit;
    tr->d = d;
    tr->first = 0, tr->n = t;
    if (v == 0)
        *va = (split){test, 0, test->n};
    else
        *va = (split){d, d->n - v, v};
    return PZ_OK;
}
/* }===== */

/* {===== model and checkpoint files =====
 * PZMODEL1 header (core/trainer.h) with the params, config and metrics,
 * then "PZRNDATA", then float32 arrays (little-endian): params, state and,
 * in a checkpoint, the optimizer's m and v, then a CRC-32 of the arrays. */
static int write_floats(FILE *f, const float *a, size_t n, uLong *crc)
{
    const unsigned char *p = (const unsigned char *)a;
    size_t bytes = n * sizeof(float);
    while (bytes) {
        size_t part = bytes > (1u << 30) ? (1u << 30) : bytes;
        *crc = crc32(*crc, p, (uInt)part);
        if (fwrite(p, 1, part, f) != part)
            return -1;
        p += part, bytes -= part;
    }
    return 0;
}

static int read_floats(FILE *f, float *a, size_t n, uLong *crc)
{
    unsigned char *p = (unsigned char *)a;
    size_t bytes = n * sizeof(float);
    while (bytes) {
        size_t part = bytes > (1u << 30) ? (1u << 30) : bytes;
        if (fread(p, 1, part, f) != part)
            return -1;
        *crc = crc32(*crc, p, (uInt)part);
        p += part, bytes -= part;
    }
    return 0;
}

/* Write header + arrays to path via path.tmp, fsync, rename. */
static int save_file(const char *path, const pz_value *header, float *const *arrays,
                     const size_t *counts, int n_arrays, pz_error *err)
{
    char tmp[4224]; /* paths here are at most 4200 bytes */
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return pz_error_set(err, PZ_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    int rc = pz_model_header_write(f, header, err);
    int failed = 0; /* errno of our own failed write, or 0 */
    uLong crc = crc32(0L, Z_NULL, 0);
    if (!rc && fwrite(PAYLOAD_MAGIC, 1, 8, f) != 8)
        failed = errno;
    for (int i = 0; !rc && !failed && i < n_arrays; i++) {
        uint64_t n = counts[i];
        if (fwrite(&n, sizeof n, 1, f) != 1 || write_floats(f, arrays[i], counts[i], &crc))
            failed = errno;
    }
    uint32_t c32 = (uint32_t)crc;
    if (!rc && !failed && fwrite(&c32, sizeof c32, 1, f) != 1)
        failed = errno;
    if (!rc && !failed && (fflush(f) != 0 || fsync(fileno(f)) != 0))
        failed = errno;
    if (fclose(f) != 0 && !rc && !failed)
        failed = errno;
    if (!rc && !failed && rename(tmp, path) != 0)
        failed = errno;
    if (rc || failed) {
        unlink(tmp);
        /* a failed header write has said why already */
        return rc ? rc : pz_error_set(err, PZ_EIO, "%s: cannot write: %s", path,
                                      strerror(failed ? failed : EIO));
    }
    return PZ_OK;
}

/* Read the header; the arrays follow only when arrays != NULL (then each
 * count must match). */
static int load_file(const char *path, pz_value **header, float *const *arrays,
                     const size_t *counts, int n_arrays, pz_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return pz_error_set(err, errno == ENOENT ? PZ_ENOENT : PZ_EIO, "%s: cannot open: %s",
                            path, strerror(errno));
    int rc = pz_model_header_read(f, path, header, err);
    if (rc || !arrays) {
        fclose(f);
        return rc;
    }
    char magic[8];
    uLong crc = crc32(0L, Z_NULL, 0);
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, PAYLOAD_MAGIC, 8) != 0) {
        rc = pz_error_set(err, PZ_EFORMAT, "%s: not a resnet model (no %s after the header)", path,
                          PAYLOAD_MAGIC);
    }
    for (int i = 0; !rc && i < n_arrays; i++) {
        uint64_t n;
        if (fread(&n, sizeof n, 1, f) != 1)
            rc = pz_error_set(err, PZ_EFORMAT, "%s: truncated (array %d)", path, i);
        else if (n != counts[i])
            rc = pz_error_set(err, PZ_EFORMAT,
                              "%s: array %d holds %llu values, the network has %zu: the file does "
                              "not match its params",
                              path, i, (unsigned long long)n, counts[i]);
        else if (read_floats(f, arrays[i], counts[i], &crc))
            rc = pz_error_set(err, PZ_EFORMAT, "%s: truncated (array %d)", path, i);
    }
    uint32_t c32;
    if (!rc && (fread(&c32, sizeof c32, 1, f) != 1 || c32 != (uint32_t)crc))
        rc = pz_error_set(err, PZ_EFORMAT, "%s: checksum mismatch: the file is damaged", path);
    fclose(f);
    if (rc) {
        pz_value_free(*header);
        *header = NULL;
    }
    return rc;
}

static int header_int(const pz_value *h, const char *key, long *out)
{
    double d;
    if (pz_value_number(pz_map_get(h, key), &d) != PZ_OK)
        return -1;
    *out = (long)d;
    return 0;
}
/* }===== */

/* {===== training ===== */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void report(const pz_trainer_ctx *ctx, pz_value *ev)
{
    if (ev && ctx->progress)
        ctx->progress(ctx->progress_ud, ev);
    pz_value_free(ev);
}

static pz_value *dbl(double d) { return pz_value_double(d); }

typedef struct run {
    pz_net_config nc;
    pz_train_config tc;
    pz_dataset data, test;   /* test: only when validation = 0 */
    split tr, va;
    pz_net *net;
    pz_optim opt;
    float *x;
    int32_t *fine, *coarse;
    size_t *perm;
    unsigned char *flip;
    pz_value *history;       /* list of per-epoch maps */
    int epoch;               /* epochs finished */
    int resumed_from;        /* epochs the checkpoint held when this run began */
    int best_epoch;          /* 1-based; 0 before any */
    scores best, end;        /* validation scores of the best and the last epoch */
    double train_seconds;
    long train_images;
} run;

static pz_value *base_header(const run *r, const pz_value *params, const char *kind,
                             const pz_dataset *d)
{
    pz_value *h = pz_value_map(), *in = pz_value_list(), *cl = pz_value_list();
    pz_map_set(h, "trainer", pz_value_str("resnet"));
    pz_map_set(h, "format", pz_value_int(MODEL_FORMAT));
    pz_map_set(h, "kind", pz_value_str(kind));
    pz_map_set(h, "params", pz_value_copy(params));
    pz_map_set(h, "config", config_value(&r->tc));
    pz_list_push(in, pz_value_int(d->H));
    pz_list_push(in, pz_value_int(d->W));
    pz_list_push(in, pz_value_int(d->C));
    pz_map_set(h, "input", in);
    pz_list_push(cl, pz_value_int(d->n_fine));
    pz_list_push(cl, pz_value_int(d->n_coarse));
    pz_map_set(h, "classes", cl);
    pz_map_set(h, "epoch", pz_value_int(r->epoch));
    return h;
}

static int save_checkpoint(run *r, const pz_trainer_ctx *ctx, const char *path, pz_error *err)
{
    pz_value *h = base_header(r, ctx->params, "checkpoint", &r->data);
    pz_value *o = pz_value_map();
    pz_map_set(o, "t", pz_value_int(r->opt.t));
    pz_map_set(o, "m_schedule", dbl(r->opt.m_schedule));
    pz_map_set(h, "optimizer", o);
    pz_map_set(h, "history", pz_value_copy(r->history));
    pz_map_set(h, "best_epoch", pz_value_int(r->best_epoch));
    pz_map_set(h, "train_seconds", dbl(r->train_seconds));
    pz_map_set(h, "train_images", pz_value_int(r->train_images));
    size_t np, ns;
    float *arrays[4] = {pz_net_params(r->net, &np), pz_net_state(r->net, &ns), r->opt.m, r->opt.v};
    size_t counts[4] = {np, ns, np, np};
    int rc = save_file(path, h, arrays, counts, 4, err);
    pz_value_free(h);
    return rc;
}

static double hist_num(const pz_value *e, const char *k)
{
    double d = NAN;
    pz_value_number(pz_map_get(e, k), &d);
    return d;
}

/* Rebuild the bookkeeping of finished epochs from a history list. */
static void replay_history(run *r)
{
    r->best_epoch = 0;
    for (size_t i = 0; i < pz_value_len(r->history); i++) {
        const pz_value *e = r->history->u.list.items[i];
        scores s = {hist_num(e, "val_fine_acc"), hist_num(e, "val_fine_loss"),
                    hist_num(e, "val_coarse_acc"), hist_num(e, "val_coarse_loss")};
        if (!r->best_epoch || s.fine_acc > r->best.fine_acc) {
            r->best = s;
            r->best_epoch = (int)i + 1;
        }
        r->end = s;
    }
}

/* Resume from the trial's checkpoint when it is for the same params;
 * anything else starts the trial afresh. */
static void try_resume(run *r, const pz_trainer_ctx *ctx, const char *path)
{
    pz_value *h = NULL;
    pz_error e;
    if (load_file(path, &h, NULL, NULL, 0, &e) != PZ_OK)
        return;
    long ep = 0, t = 0, ti = 0;
    int same = pz_value_equal(pz_map_get(h, "params"), ctx->params) &&
               header_int(h, "epoch", &ep) == 0 && ep >= 1 && ep <= r->tc.epochs &&
               header_int(pz_map_get(h, "optimizer"), "t", &t) == 0;
    pz_value_free(h);
    if (!same)
        return;
    size_t np, ns;
    float *arrays[4] = {pz_net_params(r->net, &np), pz_net_state(r->net, &ns), r->opt.m, r->opt.v};
    size_t counts[4] = {np, ns, np, np};
    if (load_file(path, &h, arrays, counts, 4, &e) != PZ_OK) {
        fprintf(stderr, "resnet: ignoring checkpoint %s: %s\n", path, e.msg);
        r->epoch = -1; /* the arrays may be half-read: the caller starts afresh */
        return;
    }
    r->epoch = (int)ep;
    r->opt.t = t;
    r->opt.m_schedule = hist_num(pz_map_get(h, "optimizer"), "m_schedule");
    header_int(h, "train_images", &ti);
    r->train_images = ti;
    r->train_seconds = hist_num(h, "train_seconds");
    pz_value_free(r->history);
    r->history = pz_value_copy(pz_map_get(h, "history"));
    if (!r->history || r->history->type != PZ_LIST)
        r->history = pz_value_list();
    pz_value_free(h);
    replay_history(r);
}

static void run_free(run *r)
{
    pz_net_free(r->net);
    pz_optim_destroy(&r->opt);
    pz_dataset_destroy(&r->data);
    pz_dataset_destroy(&r->test);
    free(r->x);
    free(r->fine);
    free(r->coarse);
    free(r->perm);
    free(r->flip);
    pz_value_free(r->history);
}

static pz_value *epoch_entry(int epoch, double train_loss, double train_acc, const scores *s,
                             int coarse, double seconds, double ips)
{
    pz_value *e = pz_value_map();
    pz_map_set(e, "epoch", pz_value_int(epoch));
    pz_map_set(e, "train_loss", dbl(train_loss));
    pz_map_set(e, "train_fine_acc", dbl(train_acc));
    pz_map_set(e, "val_fine_acc", dbl(s->fine_acc));
    pz_map_set(e, "val_fine_loss", dbl(s->fine_loss));
    if (coarse) {
        pz_map_set(e, "val_coarse_acc", dbl(s->coarse_acc));
        pz_map_set(e, "val_coarse_loss", dbl(s->coarse_loss));
    }
    pz_map_set(e, "seconds", dbl(seconds));
    pz_map_set(e, "images_per_second", dbl(ips));
    return e;
}

static pz_value *result_value(const run *r, const char *model_path, const char *arch,
                              int threads, const char *describe, int diverged)
{
    int coarse = r->data.n_coarse > 0;
    pz_value *m = pz_value_map();
    double min_fl = INFINITY, min_cl = INFINITY, max_ca = 0;
    for (size_t i = 0; i < pz_value_len(r->history); i++) {
        const pz_value *e = r->history->u.list.items[i];
        if (hist_num(e, "val_fine_loss") < min_fl)
            min_fl = hist_num(e, "val_fine_loss");
        if (coarse && hist_num(e, "val_coarse_loss") < min_cl)
            min_cl = hist_num(e, "val_coarse_loss");
        if (coarse && hist_num(e, "val_coarse_acc") > max_ca)
            max_ca = hist_num(e, "val_coarse_acc");
    }
    pz_map_set(m, "fine_best_accuracy", dbl(r->best.fine_acc));
    pz_map_set(m, "fine_best_loss", dbl(min_fl));
    pz_map_set(m, "fine_end_accuracy", dbl(r->end.fine_acc));
    pz_map_set(m, "fine_end_loss", dbl(r->end.fine_loss));
    if (coarse) {
        pz_map_set(m, "coarse_best_accuracy", dbl(max_ca));
        pz_map_set(m, "coarse_best_loss", dbl(min_cl));
        pz_map_set(m, "coarse_end_accuracy", dbl(r->end.coarse_acc));
        pz_map_set(m, "coarse_end_loss", dbl(r->end.coarse_loss));
    }
    /* what `parzen eval MODEL --split validation` reproduces */
    pz_map_set(m, "model_epoch", pz_value_int(r->best_epoch));
    pz_map_set(m, "model_val_fine_accuracy", dbl(r->best.fine_acc));
    if (coarse)
        pz_map_set(m, "model_val_coarse_accuracy", dbl(r->best.coarse_acc));
    pz_map_set(m, "epochs", pz_value_int(r->epoch));
    pz_map_set(m, "train_images", pz_value_int((int64_t)r->tr.n));
    /* which images the epochs were scored on: the held-out validation
     * images, or the test file when retraining without them */
    pz_map_set(m, "scored_on", pz_value_str(r->va.d == &r->test ? "test" : "validation"));
    pz_map_set(m, "validation_images", pz_value_int((int64_t)r->va.n));
    pz_map_set(m, "images_per_second",
               dbl(r->train_seconds > 0 ? (double)r->train_images / r->train_seconds : 0));
    pz_map_set(m, "train_seconds", dbl(r->train_seconds));
    pz_map_set(m, "blis_kernels", pz_value_str(arch));
    pz_map_set(m, "threads", pz_value_int(threads));
    pz_map_set(m, "network", pz_value_str(describe));
    if (diverged)
        pz_map_set(m, "diverged", pz_value_bool(1));
    if (r->resumed_from > 0)
        pz_map_set(m, "resumed_from_epoch", pz_value_int(r->resumed_from));
    pz_map_set(m, "history", pz_value_copy(r->history));
    pz_value *res = pz_value_map();
    pz_map_set(res, "loss", dbl(-r->best.fine_acc));
    pz_map_set(res, "metrics", m);
    pz_map_set(res, "model", pz_value_str(model_path));
    return res;
}

int pz_resnet_train(const pz_trainer_ctx *ctx, pz_value **result, pz_error *err)
{
    *result = NULL;
    run r;
    memset(&r, 0, sizeof r);
    int rc;
    if ((rc = pz_train_config_parse(&r.tc, ctx->config, err)) ||
        (rc = pz_net_config_from_params(&r.nc, ctx->params, err)))
        return rc;
    init_scale();
    int threads = r.tc.threads > 0 ? r.tc.threads : (ctx->threads > 0 ? ctx->threads : 1);
    const char *arch;
    pz_resnet_blis_setup(threads, &arch);
    if ((rc = load_data(&r.data, &r.tc, "train", 0, err)) ||
        (r.tc.validation == 0 &&
         (rc = load_data(&r.test, &r.tc, "test", (size_t)r.tc.test_limit, err))) ||
        (rc = make_splits(&r.data, &r.test, &r.tc, &r.tr, &r.va, err))) {
        run_free(&r);
        return rc;
    }
    int B = r.nc.batch_size;
    if ((rc = pz_net_new(&r.net, &r.nc, r.data.H, r.data.W, r.data.C, r.data.n_fine,
                         r.data.n_coarse, B, ctx->seed, err))) {
        run_free(&r);
        return rc;
    }
    size_t np, img = (size_t)r.data.H * r.data.W * r.data.C;
    pz_net_params(r.net, &np);
    r.x = malloc((size_t)B * img * sizeof(float));
    r.fine = malloc((size_t)B * sizeof(int32_t));
    r.coarse = malloc((size_t)B * sizeof(int32_t));
    r.perm = malloc(r.tr.n * sizeof(size_t));
    r.flip = malloc((size_t)B);
    r.history = pz_value_list();
    if (!r.x || !r.fine || !r.coarse || !r.perm || !r.flip || !r.history ||
        pz_optim_init(&r.opt, r.nc.optimizer, 0.001 * r.nc.lr_rate_mult, np)) {
        run_free(&r);
        return pz_error_set(err, PZ_ENOMEM, "resnet: out of memory");
    }
    char model_path[4200], ckpt_path[4200];
    snprintf(model_path, sizeof model_path, "%s/model.pzm", ctx->model_dir);
    snprintf(ckpt_path, sizeof ckpt_path, "%s/checkpoint.pzc", ctx->model_dir);
    try_resume(&r, ctx, ckpt_path);
    if (r.epoch < 0) { /* a damaged checkpoint: fresh weights, fresh state */
        pz_net_free(r.net);
        r.net = NULL;
        pz_optim_destroy(&r.opt);
        r.epoch = 0;
        pz_value_free(r.history);
        r.history = pz_value_list();
        if ((rc = pz_net_new(&r.net, &r.nc, r.data.H, r.data.W, r.data.C, r.data.n_fine,
                             r.data.n_coarse, B, ctx->seed, err)) ||
            pz_optim_init(&r.opt, r.nc.optimizer, 0.001 * r.nc.lr_rate_mult, np)) {
            run_free(&r);
            return rc ? rc : pz_error_set(err, PZ_ENOMEM, "resnet: out of memory");
        }
    }
    r.resumed_from = r.epoch;
    char describe[256];
    pz_net_describe(r.net, describe, sizeof describe);
    int coarse = r.data.n_coarse > 0;
    int batches = (int)((r.tr.n + B - 1) / B), diverged = 0;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) {
        run_free(&r);
        return pz_error_set(err, PZ_ENOMEM, "resnet: out of memory");
    }
    double last_report = 0;
    while (r.epoch < r.tc.epochs && !diverged) {
        int e = r.epoch; /* 0-based epoch being trained */
        /* (seed, epoch) alone decide the order and flips, so a resumed
         * trial replays exactly the epochs an uninterrupted one would. */
        gsl_rng_set(rng, (unsigned long)mix64(ctx->seed ^ mix64((uint64_t)e + 1)));
        for (size_t i = 0; i < r.tr.n; i++)
            r.perm[i] = i;
        gsl_ran_shuffle(rng, r.perm, r.tr.n, sizeof(size_t));
        double t0 = now_s(), loss_sum = 0;
        long correct = 0;
        for (int b = 0; b < batches; b++) {
            if (ctx->cancel && *ctx->cancel) {
                gsl_rng_free(rng);
                run_free(&r);
                return pz_error_set(err, PZ_ECANCEL, "resnet: cancelled in epoch %d", e + 1);
            }
            size_t at = (size_t)b * B;
            int N = (int)(r.tr.n - at < (size_t)B ? r.tr.n - at : (size_t)B);
            uint64_t step = (uint64_t)e * (uint64_t)batches + (uint64_t)b;
            for (int i = 0; i < N; i++)
                r.flip[i] = r.tc.flip ? (unsigned char)(mix64(ctx->seed ^ mix64(step * 1000003u + (uint64_t)i)) & 1) : 0;
            assemble(r.x, r.fine, r.coarse, &r.tr, r.perm + at, N, r.flip);
            pz_net_forward(r.net, r.x, N, 1, mix64(ctx->seed + 0x5bd1e995u * (step + 1)));
            int kf = 0;
            double loss = pz_net_loss(r.net, r.fine, coarse ? r.coarse : NULL, 1, 1, NULL, NULL,
                                      &kf, NULL);
            if (!isfinite(loss)) {
                diverged = 1;
                break;
            }
            pz_net_backward(r.net);
            pz_optim_step(&r.opt, pz_net_params(r.net, &np), pz_net_grads(r.net, &np));
            loss_sum += loss * N;
            correct += kf;
            double t = now_s();
            if (ctx->progress && t - last_report > 0.25) {
                last_report = t;
                pz_value *ev = pz_value_map();
                pz_map_set(ev, "epoch", pz_value_int(e + 1));
                pz_map_set(ev, "epochs", pz_value_int(r.tc.epochs));
                pz_map_set(ev, "batch", pz_value_int(b + 1));
                pz_map_set(ev, "batches", pz_value_int(batches));
                pz_map_set(ev, "loss", dbl(loss));
                report(ctx, ev);
            }
        }
        if (diverged)
            break;
        double train_s = now_s() - t0;
        scores s = score(r.net, &r.va, B, r.x, r.fine, r.coarse, ctx->cancel);
        if (ctx->cancel && *ctx->cancel)
            continue; /* the loop's cancel check reports it */
        r.train_seconds += train_s;
        r.train_images += (long)r.tr.n;
        double ips = train_s > 0 ? (double)r.tr.n / train_s : 0;
        pz_list_push(r.history, epoch_entry(e + 1, loss_sum / (double)r.tr.n,
                                            (double)correct / (double)r.tr.n, &s, coarse, train_s,
                                            ips));
        r.epoch = e + 1;
        int improved = !r.best_epoch || s.fine_acc > r.best.fine_acc;
        replay_history(&r);
        if (improved) {
            pz_value *h = base_header(&r, ctx->params, "model", &r.data);
            pz_map_set(h, "val_fine_accuracy", dbl(s.fine_acc));
            if (coarse)
                pz_map_set(h, "val_coarse_accuracy", dbl(s.coarse_acc));
            size_t ns;
            float *arrays[2] = {pz_net_params(r.net, &np), pz_net_state(r.net, &ns)};
            size_t counts[2] = {np, ns};
            rc = save_file(model_path, h, arrays, counts, 2, err);
            pz_value_free(h);
        }
        if (!rc)
            rc = save_checkpoint(&r, ctx, ckpt_path, err);
        if (rc) {
            gsl_rng_free(rng);
            run_free(&r);
            return rc;
        }
        pz_value *ev = pz_value_map();
        pz_map_set(ev, "epoch", pz_value_int(e + 1));
        pz_map_set(ev, "epochs", pz_value_int(r.tc.epochs));
        pz_map_set(ev, "loss", dbl(loss_sum / (double)r.tr.n));
        pz_map_set(ev, "val_acc", dbl(s.fine_acc));
        if (coarse)
            pz_map_set(ev, "val_coarse_acc", dbl(s.coarse_acc));
        pz_map_set(ev, "images_per_second", dbl(ips));
        report(ctx, ev);
    }
    gsl_rng_free(rng);
    if (r.best_epoch == 0) {
        rc = pz_error_set(err, PZ_ERANGE,
                          "resnet: training diverged (non-finite loss) in the first epoch");
        run_free(&r);
        return rc;
    }
    *result = result_value(&r, model_path, arch, threads, describe, diverged);
    run_free(&r);
    return *result ? PZ_OK : pz_error_set(err, PZ_ENOMEM, "resnet: out of memory");
}
/* }===== */

/* {===== evaluation of a saved model ===== */
int pz_resnet_evaluate(const char *model_path, const pz_value *config, const char *split_name,
                       pz_value **metrics, pz_error *err)
{
    *metrics = NULL;
    pz_value *h = NULL;
    int rc = load_file(model_path, &h, NULL, NULL, 0, err);
    if (rc)
        return rc;
    long fmt = 0;
    if (header_int(h, "format", &fmt) || fmt != MODEL_FORMAT) {
        pz_value_free(h);
        return pz_error_set(err, PZ_EFORMAT,
                            "%s: resnet model format %ld; this build reads format %d", model_path,
                            fmt, MODEL_FORMAT);
    }
    run r;
    memset(&r, 0, sizeof r);
    /* the model's own config, then the caller's data overrides */
    pz_value *cfg = pz_value_copy(pz_map_get(h, "config"));
    if (!cfg || cfg->type != PZ_MAP) {
        pz_value_free(cfg);
        cfg = pz_value_map();
    }
    for (size_t i = 0; config && config->type == PZ_MAP && i < config->u.map.len; i++)
        pz_map_set(cfg, config->u.map.keys[i], pz_value_copy(config->u.map.vals[i]));
    if ((rc = pz_train_config_parse(&r.tc, cfg, err)) ||
        (rc = pz_net_config_from_params(&r.nc, pz_map_get(h, "params"), err))) {
        pz_value_free(cfg);
        pz_value_free(h);
        return rc;
    }
    pz_value_free(cfg);
    init_scale();
    const char *arch;
    /* One thread unless trainer.threads says more: `parzen eval` exits
     * normally, and LeakSanitizer's exit-time tracer crashes on a live
     * OpenMP pool loaded by dlopen (trials end with _exit, tests with no
     * plugin). */
    pz_resnet_blis_setup(r.tc.threads > 0 ? r.tc.threads : 1, &arch);
    const char *sp = split_name ? split_name : "validation";
    int test = !strcmp(sp, "test");
    if (!test && strcmp(sp, "validation") && strcmp(sp, "train")) {
        pz_value_free(h);
        return pz_error_set(err, PZ_EINVAL,
                            "unknown split \"%s\" (known: validation, test, train)", sp);
    }
    rc = load_data(&r.data, &r.tc, test ? "test" : "train", test ? (size_t)r.tc.test_limit : 0,
                   err);
    if (!rc && !test && r.tc.validation == 0)
        rc = pz_error_set(err, PZ_EINVAL,
                          "%s was trained on every training image (validation = 0): score it on "
                          "the test split",
                          model_path);
    else if (!rc && !test)
        rc = make_splits(&r.data, &r.data, &r.tc, &r.tr, &r.va, err);
    else if (!rc)
        r.va = (split){&r.data, 0, r.data.n};
    if (!rc && !strcmp(sp, "train"))
        r.va = r.tr;
    int B = r.nc.batch_size;
    if (!rc)
        rc = pz_net_new(&r.net, &r.nc, r.data.H, r.data.W, r.data.C, r.data.n_fine,
                        r.data.n_coarse, B, 0, err);
    if (rc) {
        pz_value_free(h);
        run_free(&r);
        return rc;
    }
    pz_value_free(h);
    h = NULL;
    size_t np, ns;
    float *arrays[2] = {pz_net_params(r.net, &np), pz_net_state(r.net, &ns)};
    size_t counts[2] = {np, ns};
    if ((rc = load_file(model_path, &h, arrays, counts, 2, err))) {
        run_free(&r);
        return rc;
    }
    pz_value_free(h);
    size_t img = (size_t)r.data.H * r.data.W * r.data.C;
    r.x = malloc((size_t)B * img * sizeof(float));
    r.fine = malloc((size_t)B * sizeof(int32_t));
    r.coarse = malloc((size_t)B * sizeof(int32_t));
    if (!r.x || !r.fine || !r.coarse) {
        run_free(&r);
        return pz_error_set(err, PZ_ENOMEM, "resnet: out of memory");
    }
    double t0 = now_s();
    scores s = score(r.net, &r.va, B, r.x, r.fine, r.coarse, NULL);
    double secs = now_s() - t0;
    pz_value *m = pz_value_map();
    pz_map_set(m, "split", pz_value_str(sp));
    pz_map_set(m, "images", pz_value_int((int64_t)r.va.n));
    pz_map_set(m, "fine_accuracy", dbl(s.fine_acc));
    pz_map_set(m, "fine_loss", dbl(s.fine_loss));
    if (r.data.n_coarse > 0) {
        pz_map_set(m, "coarse_accuracy", dbl(s.coarse_acc));
        pz_map_set(m, "coarse_loss", dbl(s.coarse_loss));
    }
    pz_map_set(m, "images_per_second", dbl(secs > 0 ? (double)r.va.n / secs : 0));
    pz_map_set(m, "blis_kernels", pz_value_str(arch));
    *metrics = m;
    run_free(&r);
    return PZ_OK;
}
/* }===== */
