/* resnet trainer: the data readers (data.h) on real files — the CIFAR-100
 * slice beside the project and Debian's Fashion-MNIST, each skipped when
 * absent — and on broken files written here into a scratch folder: every
 * failure must carry the right code and name the file (and the record). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "data.h"

static char tmp[512];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* tmp/name, kept until the end of the run (freed by free_paths). */
static char *paths[256];
static size_t n_paths;

static const char *tpath(const char *name)
{
    CHECK(n_paths < sizeof paths / sizeof *paths);
    size_t n = strlen(tmp) + strlen(name) + 2;
    char *b = malloc(n);
    CHECK(b != NULL);
    snprintf(b, n, "%s/%s", tmp, name);
    return paths[n_paths++] = b;
}

static void free_paths(void)
{
    while (n_paths > 0)
        free(paths[--n_paths]);
}

static const char *write_file(const char *name, const void *data, size_t n)
{
    const char *p = tpath(name);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    CHECK(n == 0 || fwrite(data, 1, n, f) == n);
    CHECK(fclose(f) == 0);
    return p;
}

static const char *write_gz(const char *name, const void *data, size_t n)
{
    const char *p = tpath(name);
    gzFile f = gzopen(p, "wb");
    CHECK(f != NULL);
    CHECK(gzwrite(f, data, (unsigned)n) == (int)n);
    CHECK(gzclose(f) == Z_OK);
    return p;
}

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *dir = opendir(path);
        CHECK(dir != NULL);
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_tree(sub);
        }
        closedir(dir);
        CHECK(rmdir(path) == 0);
    } else {
        CHECK(unlink(path) == 0);
    }
}

/* A failed load: the code, the message's parts, and an empty dataset. */
static void check_fail(int rc, const pz_error *e, const pz_dataset *d, int code, const char *a,
                       const char *b)
{
    if (rc != code)
        fprintf(stderr, "expected %s, got %s: %s\n", pz_err_name(code), pz_err_name(rc), e->msg);
    CHECK_EQ(rc, code);
    CHECK_EQ(e->code, code);
    CHECK_CONTAINS(e->msg, a);
    if (b)
        CHECK_CONTAINS(e->msg, b);
    CHECK(d->n == 0 && d->images == NULL && d->fine == NULL && d->coarse == NULL);
    printf("  %-7s %s\n", pz_err_name(code), e->msg);
}

static uint8_t *read_raw(const char *path, size_t n)
{
    uint8_t *raw = malloc(n);
    CHECK(raw != NULL);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    CHECK(fread(raw, 1, n, f) == n);
    fclose(f);
    return raw;
}

/* Image i of d against record i of the raw CIFAR bytes. */
static void check_hwc(const pz_dataset *d, const uint8_t *raw, size_t i)
{
    const uint8_t *rec = raw + i * 3074;
    const uint8_t *img = d->images + i * 3072;
    CHECK_EQ(d->coarse[i], rec[0]);
    CHECK_EQ(d->fine[i], rec[1]);
    for (int h = 0; h < 32; h++)
        for (int w = 0; w < 32; w++)
            for (int c = 0; c < 3; c++)
                CHECK_EQ(img[(h * 32 + w) * 3 + c], rec[2 + c * 1024 + h * 32 + w]);
}

static void test_cifar_slice(void)
{
    const char *dir = getenv("PZ_CIFAR_SLICE");
    if (!dir || !is_dir(dir)) {
        printf("skip: CIFAR-100 slice: no folder %s\n", dir ? dir : "(PZ_CIFAR_SLICE unset)");
        return;
    }
    pz_error e;
    pz_dataset tr, te;
    CHECK_OK(pz_dataset_load(&tr, "cifar100", dir, "train", 0, &e));
    CHECK_OK(pz_dataset_load(&te, "cifar100", dir, "test", 0, &e));
    CHECK_EQ(tr.n, 486);
    CHECK_EQ(te.n, 916);
    const pz_dataset *both[2] = {&tr, &te};
    for (int k = 0; k < 2; k++) {
        const pz_dataset *d = both[k];
        CHECK(d->H == 32 && d->W == 32 && d->C == 3);
        CHECK_EQ(d->n_fine, 100);
        CHECK_EQ(d->n_coarse, 20);
        CHECK(d->coarse != NULL);
        for (size_t i = 0; i < d->n; i++) {
            CHECK(d->fine[i] >= 0 && d->fine[i] < 100);
            CHECK(d->coarse[i] >= 0 && d->coarse[i] < 20);
        }
    }
    /* The slice's README.md. */
    const int test10[10] = {49, 33, 72, 51, 71, 92, 15, 14, 23, 0};
    const int train10[10] = {19, 29, 0, 11, 1, 86, 90, 28, 23, 31};
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(te.fine[i], test10[i]);
        CHECK_EQ(tr.fine[i], train10[i]);
    }
    CHECK_EQ(te.coarse[0], 10);

    char path[1024];
    snprintf(path, sizeof path, "%s/train.bin", dir);
    uint8_t *raw = read_raw(path, 486 * 3074);
    check_hwc(&tr, raw, 0);
    check_hwc(&tr, raw, 1);
    check_hwc(&tr, raw, 485);
    free(raw);
    snprintf(path, sizeof path, "%s/test.bin", dir);
    raw = read_raw(path, 916 * 3074);
    check_hwc(&te, raw, 0);
    check_hwc(&te, raw, 915);
    free(raw);

    /* limit: a prefix of the full read; a limit past the end reads all. */
    pz_dataset lim;
    CHECK_OK(pz_dataset_load_cifar100(&lim, path, 10, &e));
    CHECK_EQ(lim.n, 10);
    CHECK(memcmp(lim.images, te.images, 10 * 3072) == 0);
    CHECK(memcmp(lim.fine, te.fine, 10 * sizeof *lim.fine) == 0);
    CHECK(memcmp(lim.coarse, te.coarse, 10 * sizeof *lim.coarse) == 0);
    pz_dataset_destroy(&lim);
    CHECK_OK(pz_dataset_load(&lim, "cifar100", dir, "test", 5000, &e));
    CHECK_EQ(lim.n, 916);
    pz_dataset_destroy(&lim);
    CHECK_OK(pz_dataset_load(&lim, "cifar100", dir, "train", 513, &e)); /* past one block */
    CHECK_EQ(lim.n, 486);
    pz_dataset_destroy(&lim);
    CHECK_OK(pz_dataset_load(&lim, "cifar100", dir, "test", 600, &e));
    CHECK_EQ(lim.n, 600);
    CHECK(memcmp(lim.images, te.images, 600 * 3072) == 0);
    pz_dataset_destroy(&lim);

    pz_dataset_destroy(&tr);
    pz_dataset_destroy(&te);
    CHECK(tr.images == NULL && tr.n == 0);
    printf("CIFAR-100 slice: train 486, test 916, labels and HWC layout ok\n");
}

static void test_fashion(void)
{
    const char *dir = getenv("PZ_FASHION_DIR");
    const char *need[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
    if (!dir || !is_dir(dir)) {
        printf("skip: Fashion-MNIST: no folder %s\n", dir ? dir : "(PZ_FASHION_DIR unset)");
        return;
    }
    for (int i = 0; i < 4; i++) {
        char p[1024], q[1024];
        snprintf(p, sizeof p, "%s/%s.gz", dir, need[i]);
        snprintf(q, sizeof q, "%s/%s", dir, need[i]);
        if (!is_file(p) && !is_file(q)) {
            printf("skip: Fashion-MNIST: no %s(.gz) in %s\n", need[i], dir);
            return;
        }
    }
    pz_error e;
    pz_dataset tr, te;
    double t0 = now();
    int rc = pz_dataset_load(&tr, "fashion-mnist", dir, "train", 0, &e);
    double t1 = now();
    if (rc != PZ_OK)
        fprintf(stderr, "%s\n", e.msg);
    CHECK_OK(rc);
    printf("Fashion-MNIST train: 60000 images read in %.3f s\n", t1 - t0);
    CHECK_OK(pz_dataset_load(&te, "fashion-mnist", dir, "test", 0, &e));
    CHECK_EQ(tr.n, 60000);
    CHECK_EQ(te.n, 10000);
    const pz_dataset *both[2] = {&tr, &te};
    for (int k = 0; k < 2; k++) {
        const pz_dataset *d = both[k];
        CHECK(d->H == 28 && d->W == 28 && d->C == 1);
        CHECK_EQ(d->n_fine, 10);
        CHECK_EQ(d->n_coarse, 0);
        CHECK(d->coarse == NULL);
        size_t count[10] = {0};
        for (size_t i = 0; i < d->n; i++) {
            CHECK(d->fine[i] >= 0 && d->fine[i] < 10);
            count[d->fine[i]]++;
        }
        /* Fashion-MNIST is balanced. */
        for (int c = 0; c < 10; c++)
            CHECK_EQ(count[c], d->n / 10);
        /* Pixels: the data set's mean is about 73 of 255; no image is blank. */
        size_t px = (size_t)d->H * d->W;
        double sum = 0;
        for (size_t i = 0; i < d->n; i++) {
            unsigned img = 0, mx = 0;
            for (size_t j = 0; j < px; j++) {
                uint8_t v = d->images[i * px + j];
                img += v;
                mx = v > mx ? v : mx;
            }
            CHECK(mx > 0);
            sum += img;
        }
        double mean = sum / ((double)d->n * (double)px);
        CHECK(mean > 50 && mean < 100);
    }
    pz_dataset lim;
    CHECK_OK(pz_dataset_load(&lim, "fashion-mnist", dir, "train", 100, &e));
    CHECK_EQ(lim.n, 100);
    CHECK(lim.H == 28 && lim.W == 28 && lim.C == 1);
    CHECK(memcmp(lim.images, tr.images, 100 * 784) == 0);
    CHECK(memcmp(lim.fine, tr.fine, 100 * sizeof *lim.fine) == 0);
    pz_dataset_destroy(&lim);
    /* "mnist" names the same reader. */
    CHECK_OK(pz_dataset_load(&lim, "mnist", dir, "test", 7, &e));
    CHECK_EQ(lim.n, 7);
    CHECK(memcmp(lim.images, te.images, 7 * 784) == 0);
    pz_dataset_destroy(&lim);
    pz_dataset_destroy(&tr);
    pz_dataset_destroy(&te);
    printf("Fashion-MNIST: train 60000, test 10000, 28x28x1, balanced, limit ok\n");
}

/* n CIFAR records with coarse i % 20, fine i % 100 and pixels from i. */
static uint8_t *cifar_records(size_t n)
{
    uint8_t *b = malloc(n * 3074);
    CHECK(b != NULL);
    for (size_t i = 0; i < n; i++) {
        uint8_t *r = b + i * 3074;
        r[0] = (uint8_t)(i % 20);
        r[1] = (uint8_t)(i % 100);
        for (int j = 0; j < 3072; j++)
            r[2 + j] = (uint8_t)(i * 7 + (size_t)j * 13);
    }
    return b;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* An IDX image file of n images rows x cols (pixels from their index)
 * with `data` bytes of pixels actually present, and the label file. */
static size_t idx_images(uint8_t *b, uint32_t magic, uint32_t n, uint32_t rows, uint32_t cols,
                         size_t data)
{
    put32(b, magic), put32(b + 4, n), put32(b + 8, rows), put32(b + 12, cols);
    for (size_t j = 0; j < data; j++)
        b[16 + j] = (uint8_t)(j * 31 + 5);
    return 16 + data;
}

static size_t idx_labels(uint8_t *b, uint32_t magic, uint32_t n)
{
    put32(b, magic), put32(b + 4, n);
    for (uint32_t i = 0; i < n; i++)
        b[8 + i] = (uint8_t)((i * 3) % 10);
    return 8 + n;
}

static void test_bad_cifar(void)
{
    pz_error e;
    pz_dataset d;
    uint8_t *rec = cifar_records(4);
    printf("bad CIFAR-100 files:\n");

    /* A good file first: the writer above is what the failures alter. */
    const char *p = write_file("good.bin", rec, 4 * 3074);
    CHECK_OK(pz_dataset_load_cifar100(&d, p, 0, &e));
    CHECK_EQ(d.n, 4);
    for (size_t i = 0; i < 4; i++)
        check_hwc(&d, rec, i);
    pz_dataset_destroy(&d);

    p = write_file("short.bin", rec, 1000);
    check_fail(pz_dataset_load_cifar100(&d, p, 0, &e), &e, &d, PZ_EFORMAT, "short.bin",
               "1000 bytes is not a whole number of 3074-byte records");
    p = write_file("cut.bin", rec, 2 * 3074 + 1000);
    check_fail(pz_dataset_load_cifar100(&d, p, 1, &e), &e, &d, PZ_EFORMAT, "cut.bin",
               "7148 bytes is not a whole number");
    p = write_file("empty.bin", rec, 0);
    check_fail(pz_dataset_load_cifar100(&d, p, 0, &e), &e, &d, PZ_EFORMAT, "empty.bin", "empty");

    rec[2 * 3074 + 1] = 100;
    p = write_file("fine.bin", rec, 4 * 3074);
    check_fail(pz_dataset_load_cifar100(&d, p, 0, &e), &e, &d, PZ_EFORMAT, "fine.bin: record 2",
               "fine label 100 out of range (0-99)");
    /* limit stops before the bad record. */
    CHECK_OK(pz_dataset_load_cifar100(&d, p, 2, &e));
    CHECK_EQ(d.n, 2);
    pz_dataset_destroy(&d);
    rec[2 * 3074 + 1] = 99;
    rec[2 * 3074] = 20;
    p = write_file("coarse.bin", rec, 4 * 3074);
    check_fail(pz_dataset_load_cifar100(&d, p, 0, &e), &e, &d, PZ_EFORMAT,
               "coarse.bin: record 2", "coarse label 20 out of range (0-19)");
    rec[2 * 3074] = 19;

    /* gzip'd CIFAR reads the same; cut mid-record it fails like a plain one. */
    p = write_gz("good.bin.gz", rec, 4 * 3074);
    CHECK_OK(pz_dataset_load_cifar100(&d, p, 0, &e));
    CHECK_EQ(d.n, 4);
    for (size_t i = 0; i < 4; i++)
        check_hwc(&d, rec, i);
    pz_dataset_destroy(&d);
    p = write_gz("cut.bin.gz", rec, 3 * 3074 + 5);
    check_fail(pz_dataset_load_cifar100(&d, p, 0, &e), &e, &d, PZ_EFORMAT, "cut.bin.gz",
               "9227 bytes is not a whole number");
    p = write_gz("empty.bin.gz", rec, 0);
    check_fail(pz_dataset_load_cifar100(&d, p, 0, &e), &e, &d, PZ_EFORMAT, "empty.bin.gz",
               "empty");
    free(rec);

    /* Missing: the file, the folder, the file in a folder. */
    check_fail(pz_dataset_load_cifar100(&d, tpath("absent.bin"), 0, &e), &e, &d, PZ_ENOENT,
               "absent.bin: cannot open", strerror(ENOENT));
    check_fail(pz_dataset_load(&d, "cifar100", tpath("nowhere"), "train", 0, &e), &e, &d,
               PZ_ENOENT, "nowhere", "train.bin, test.bin");
    CHECK(mkdir(tpath("cifar"), 0700) == 0);
    check_fail(pz_dataset_load(&d, "cifar100", tpath("cifar"), "test", 0, &e), &e, &d, PZ_ENOENT,
               "cifar100: no test.bin in ", "expected the CIFAR-100 binary distribution: train.bin, test.bin");
    CHECK_CONTAINS(e.msg, tpath("cifar"));
    /* A folder where a file should be. */
    check_fail(pz_dataset_load_cifar100(&d, tpath("cifar"), 0, &e), &e, &d, PZ_EIO, "cifar",
               "folder");
}

static void test_bad_idx(void)
{
    pz_error e;
    pz_dataset d;
    uint8_t *img = malloc(16 + 5 * 28 * 28), lab[8 + 5];
    CHECK(img != NULL);
    printf("bad IDX files:\n");

    size_t ni = idx_images(img, 0x803, 5, 28, 28, 5 * 28 * 28);
    size_t nl = idx_labels(lab, 0x801, 5);
    const char *pi = write_file("img-ok", img, ni), *pl = write_file("lab-ok", lab, nl);
    CHECK_OK(pz_dataset_load_idx(&d, pi, pl, 0, &e));
    CHECK(d.n == 5 && d.H == 28 && d.W == 28 && d.C == 1 && d.n_fine == 10);
    CHECK(d.coarse == NULL && d.n_coarse == 0);
    CHECK(memcmp(d.images, img + 16, 5 * 784) == 0);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(d.fine[i], lab[8 + i]);
    pz_dataset_destroy(&d);
    CHECK_OK(pz_dataset_load_idx(&d, pi, pl, 3, &e));
    CHECK_EQ(d.n, 3);
    pz_dataset_destroy(&d);

    /* Wrong magic: a label file given as images, and an image file as labels. */
    check_fail(pz_dataset_load_idx(&d, pl, pl, 0, &e), &e, &d, PZ_EFORMAT,
               "lab-ok: not an IDX image file", "(magic 0x00000801; expected 0x00000803)");
    check_fail(pz_dataset_load_idx(&d, pi, pi, 0, &e), &e, &d, PZ_EFORMAT,
               "img-ok: not an IDX label file", "(magic 0x00000803; expected 0x00000801)");
    size_t nj = idx_images(img, 0x12345678, 5, 28, 28, 5 * 28 * 28);
    const char *pj = write_file("img-magic", img, nj);
    check_fail(pz_dataset_load_idx(&d, pj, pl, 0, &e), &e, &d, PZ_EFORMAT, "img-magic",
               "magic 0x12345678");
    /* A header cut short. */
    put32(img, 0x803);
    pj = write_file("img-head", img, 10);
    check_fail(pz_dataset_load_idx(&d, pj, pl, 0, &e), &e, &d, PZ_EFORMAT, "img-head",
               "truncated");

    /* Truncated in the data, plain (even with a limit that fits) and gzip'd. */
    ni = idx_images(img, 0x803, 5, 28, 28, 1000);
    pi = write_file("img-cut", img, ni);
    check_fail(pz_dataset_load_idx(&d, pi, pl, 0, &e), &e, &d, PZ_EFORMAT, "img-cut: truncated",
               "expected 3920 bytes of image data, got 1000");
    check_fail(pz_dataset_load_idx(&d, pi, pl, 1, &e), &e, &d, PZ_EFORMAT, "img-cut: truncated",
               NULL);
    pi = write_gz("img-cut.gz", img, ni);
    check_fail(pz_dataset_load_idx(&d, pi, pl, 0, &e), &e, &d, PZ_EFORMAT,
               "img-cut.gz: truncated", "expected 3920 bytes of image data, got 1000");
    /* A gzip stream cut off, and one with damaged bytes. */
    ni = idx_images(img, 0x803, 5, 28, 28, 5 * 28 * 28);
    pi = write_gz("img-gz", img, ni);
    struct stat st;
    CHECK(stat(pi, &st) == 0 && st.st_size > 40);
    size_t zn = (size_t)st.st_size;
    uint8_t *z = read_raw(pi, zn);
    pi = write_file("img-gzcut.gz", z, zn / 2);
    check_fail(pz_dataset_load_idx(&d, pi, pl, 0, &e), &e, &d, PZ_EFORMAT, "img-gzcut.gz",
               "truncated gzip stream");
    for (size_t j = zn / 3; j < zn / 3 + 8; j++)
        z[j] ^= 0x5a;
    pi = write_file("img-gzbad.gz", z, zn);
    check_fail(pz_dataset_load_idx(&d, pi, pl, 0, &e), &e, &d, PZ_EFORMAT, "img-gzbad.gz",
               "corrupt gzip data");
    free(z);

    /* Trailing bytes past the counted data. */
    ni = idx_images(img, 0x803, 4, 28, 28, 5 * 28 * 28);
    pi = write_file("img-long", img, ni);
    nl = idx_labels(lab, 0x801, 4);
    pl = write_file("lab-4", lab, nl);
    check_fail(pz_dataset_load_idx(&d, pi, pl, 0, &e), &e, &d, PZ_EFORMAT, "img-long",
               "trailing");
    pi = write_gz("img-long.gz", img, ni);
    check_fail(pz_dataset_load_idx(&d, pi, pl, 0, &e), &e, &d, PZ_EFORMAT, "img-long.gz",
               "trailing");

    /* Counts that disagree. */
    ni = idx_images(img, 0x803, 5, 28, 28, 5 * 28 * 28);
    pi = write_file("img-5", img, ni);
    check_fail(pz_dataset_load_idx(&d, pi, pl, 0, &e), &e, &d, PZ_EFORMAT,
               "img-5 holds 5 images", "lab-4 holds 4 labels");
    /* A label file cut short. */
    put32(lab + 4, 5);
    pl = write_file("lab-cut", lab, 8 + 2);
    check_fail(pz_dataset_load_idx(&d, pi, pl, 0, &e), &e, &d, PZ_EFORMAT, "lab-cut: truncated",
               "label data");

    /* A label of 10 in record 3. */
    nl = idx_labels(lab, 0x801, 5);
    lab[8 + 3] = 10;
    pl = write_file("lab-10", lab, nl);
    check_fail(pz_dataset_load_idx(&d, pi, pl, 0, &e), &e, &d, PZ_EFORMAT, "lab-10: record 3",
               "label 10 out of range (0-9)");
    CHECK_OK(pz_dataset_load_idx(&d, pi, pl, 3, &e)); /* limit stops before it */
    pz_dataset_destroy(&d);

    /* Missing files. */
    check_fail(pz_dataset_load_idx(&d, tpath("no-img"), pl, 0, &e), &e, &d, PZ_ENOENT, "no-img",
               "cannot open");
    check_fail(pz_dataset_load_idx(&d, pi, tpath("no-lab"), 0, &e), &e, &d, PZ_ENOENT, "no-lab",
               "cannot open");
    free(img);
}

/* A valid gzip'd IDX pair in a folder, read through pz_dataset_load; a
 * plain pair beside it with other contents shows .gz is preferred. */
static void test_gz_folder(void)
{
    pz_error e;
    pz_dataset d;
    uint8_t img[16 + 7 * 12], lab[8 + 7];
    printf("gzip'd IDX folder:\n");
    CHECK(mkdir(tpath("fm"), 0700) == 0);
    size_t ni = idx_images(img, 0x803, 7, 3, 4, 7 * 12);
    size_t nl = idx_labels(lab, 0x801, 7);
    write_gz("fm/t10k-images-idx3-ubyte.gz", img, ni);
    write_gz("fm/t10k-labels-idx1-ubyte.gz", lab, nl);

    /* Only the test pair is there: train is missing. */
    check_fail(pz_dataset_load(&d, "fashion-mnist", tpath("fm"), "train", 0, &e), &e, &d,
               PZ_ENOENT, "no train-images-idx3-ubyte(.gz) in ", "t10k-labels-idx1-ubyte");
    CHECK_CONTAINS(e.msg, tpath("fm"));
    check_fail(pz_dataset_load(&d, "fashion-mnist", tpath("nowhere"), "test", 0, &e), &e, &d,
               PZ_ENOENT, "nowhere", "t10k-images-idx3-ubyte");

    CHECK_OK(pz_dataset_load(&d, "fashion-mnist", tpath("fm"), "test", 0, &e));
    CHECK(d.n == 7 && d.H == 3 && d.W == 4 && d.C == 1);
    CHECK(memcmp(d.images, img + 16, 7 * 12) == 0);
    for (int i = 0; i < 7; i++)
        CHECK_EQ(d.fine[i], lab[8 + i]);
    pz_dataset_destroy(&d);

    uint8_t other[16 + 2 * 12], olab[8 + 2];
    write_file("fm/t10k-images-idx3-ubyte", other, idx_images(other, 0x803, 2, 3, 4, 24));
    write_file("fm/t10k-labels-idx1-ubyte", olab, idx_labels(olab, 0x801, 2));
    CHECK_OK(pz_dataset_load(&d, "mnist", tpath("fm"), "test", 0, &e));
    CHECK_EQ(d.n, 7);
    pz_dataset_destroy(&d);
    /* Without the .gz pair the plain one is read. */
    CHECK(unlink(tpath("fm/t10k-images-idx3-ubyte.gz")) == 0);
    CHECK(unlink(tpath("fm/t10k-labels-idx1-ubyte.gz")) == 0);
    CHECK_OK(pz_dataset_load(&d, "fashion-mnist", tpath("fm"), "test", 0, &e));
    CHECK_EQ(d.n, 2);
    pz_dataset_destroy(&d);
    /* Half a pair. */
    CHECK(unlink(tpath("fm/t10k-labels-idx1-ubyte")) == 0);
    check_fail(pz_dataset_load(&d, "fashion-mnist", tpath("fm"), "test", 0, &e), &e, &d,
               PZ_ENOENT, "no t10k-labels-idx1-ubyte(.gz) in ", NULL);
}

static void test_args(void)
{
    pz_error e;
    pz_dataset d;
    printf("arguments:\n");
    check_fail(pz_dataset_load(&d, "imagenet", tmp, "train", 0, &e), &e, &d, PZ_EINVAL,
               "\"imagenet\"", "cifar100, fashion-mnist");
    check_fail(pz_dataset_load(&d, "cifar100", tmp, "valid", 0, &e), &e, &d, PZ_EINVAL,
               "\"valid\"", "train, test");
    /* A NULL pz_error is allowed: the code alone. */
    CHECK_EQ(pz_dataset_load(&d, "fashion-mnist", tmp, "dev", 0, NULL), PZ_EINVAL);
    /* destroy: on a zeroed dataset, and twice. */
    pz_dataset z;
    memset(&z, 0, sizeof z);
    pz_dataset_destroy(&z);
    pz_dataset_destroy(&z);
    pz_dataset_destroy(NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* keep the order with stderr on a failure */
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    snprintf(tmp, sizeof tmp, "%s/pz_test_data.XXXXXX", base);
    CHECK(mkdtemp(tmp) != NULL);

    test_cifar_slice();
    test_fashion();
    test_bad_cifar();
    test_bad_idx();
    test_gz_folder();
    test_args();

    rm_tree(tmp);
    free_paths();
    CHECK(!is_dir(tmp));
    printf("test_data: ok\n");
    return 0;
}
