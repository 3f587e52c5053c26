/* resnet trainer: readers of CIFAR-100 binary files and IDX (MNIST-like)
 * files into (n, H, W, C) bytes (see data.h).
 *
 * Everything goes through zlib's gz* calls so gzip'd and plain files read
 * alike, in large blocks (the full CIFAR-100 training file is 153.7 MB).
 * For a plain file the size is known before reading, so a malformed length
 * is refused up front even when `limit` stops the read early; for a gzip'd
 * one it is checked as far as the read goes. Every error path frees all it
 * allocated and leaves the pz_dataset empty.
 */
#define _POSIX_C_SOURCE 200809L
#include "data.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define CIFAR_SIDE 32
#define CIFAR_PLANE (CIFAR_SIDE * CIFAR_SIDE)
#define CIFAR_PIXELS (3 * CIFAR_PLANE)
#define CIFAR_RECORD (2 + CIFAR_PIXELS)
#define CIFAR_FINE 100
#define CIFAR_COARSE 20
/* Records converted per read: 1.5 MB, large enough that zlib's per-call
 * overhead vanishes, small enough to stay in L2/L3 while transposing. */
#define CIFAR_BLOCK 512

#define IDX_IMAGE_MAGIC 0x00000803u
#define IDX_LABEL_MAGIC 0x00000801u
#define IDX_CLASSES 10
/* Images wider or taller than this are surely a corrupt header, and the
 * bound keeps n * rows * cols from overflowing in the checks below. */
#define IDX_MAX_SIDE 4096
/* gzread takes an unsigned length and returns an int: read in slices. */
#define READ_SLICE ((size_t)1 << 24)
#define GZ_BUFFER (128u * 1024u)

typedef struct input {
    gzFile f;
    const char *path;
    long long plain_size; /* bytes on disk when not gzip'd; -1 when gzip'd */
} input;

static int open_input(input *in, const char *path, pz_error *err)
{
    in->f = NULL;
    in->path = path;
    in->plain_size = -1;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        int e = errno;
        return pz_error_set(err, e == ENOENT ? PZ_ENOENT : PZ_EIO, "%s: cannot open: %s", path,
                            strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return pz_error_set(err, PZ_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return pz_error_set(err, PZ_EIO, "%s: is a folder, not a data file", path);
    }
    gzFile f = gzdopen(fd, "rb");
    if (!f) {
        close(fd); /* gzdopen leaves fd open when it fails */
        return pz_error_set(err, PZ_ENOMEM, "%s: cannot open: out of memory", path);
    }
    /* gzbuffer must come before the first read (gzdirect reads). */
    gzbuffer(f, GZ_BUFFER);
    in->f = f;
    if (gzdirect(f) && S_ISREG(st.st_mode))
        in->plain_size = (long long)st.st_size;
    return PZ_OK;
}

static void close_input(input *in)
{
    if (in->f)
        gzclose(in->f);
    in->f = NULL;
}

/* Read up to n bytes; *got is what arrived (short only at the end of the
 * data). A read error, or a gzip stream cut off in the middle, is an error:
 * zlib otherwise reports a truncated stream as a quiet end of file. */
static int read_bytes(input *in, void *buf, size_t n, size_t *got, pz_error *err)
{
    size_t done = 0;
    unsigned char *p = buf;
    while (done < n) {
        size_t want = n - done < READ_SLICE ? n - done : READ_SLICE;
        int r = gzread(in->f, p + done, (unsigned)want);
        if (r < 0)
            break;
        done += (size_t)r;
        if ((size_t)r < want)
            break;
    }
    *got = done;
    if (done == n)
        return PZ_OK;
    int zerr = Z_OK;
    const char *msg = gzerror(in->f, &zerr);
    if (zerr == Z_ERRNO)
        return pz_error_set(err, PZ_EIO, "%s: read error: %s", in->path, strerror(errno));
    if (zerr == Z_BUF_ERROR)
        return pz_error_set(err, PZ_EFORMAT, "%s: truncated gzip stream", in->path);
    /* zlib prefixes its message with the name it was opened under,
     * "<fd:N>" here; the path says it better. */
    if (msg && strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ": "))
        msg = strstr(msg, ": ") + 2;
    if (zerr != Z_OK)
        return pz_error_set(err, zerr == Z_MEM_ERROR ? PZ_ENOMEM : PZ_EFORMAT,
                            "%s: corrupt gzip data: %s", in->path, msg ? msg : "unknown zlib error");
    return PZ_OK; /* a clean end of file: the caller judges the length */
}

static void dataset_free(pz_dataset *d)
{
    free(d->images);
    free(d->fine);
    free(d->coarse);
    memset(d, 0, sizeof *d);
}

void pz_dataset_destroy(pz_dataset *d)
{
    if (d)
        dataset_free(d);
}

/* Grow the CIFAR arrays to hold cap records (realloc keeps what is read). */
static int cifar_reserve(pz_dataset *d, size_t cap, const char *path, pz_error *err)
{
    if (cap > SIZE_MAX / CIFAR_PIXELS)
        return pz_error_set(err, PZ_ENOMEM, "%s: %zu records do not fit in memory", path, cap);
    uint8_t *im = realloc(d->images, cap * CIFAR_PIXELS);
    if (!im)
        return pz_error_set(err, PZ_ENOMEM, "%s: out of memory for %zu images", path, cap);
    d->images = im;
    int32_t *fi = realloc(d->fine, cap * sizeof *fi);
    if (!fi)
        return pz_error_set(err, PZ_ENOMEM, "%s: out of memory for %zu labels", path, cap);
    d->fine = fi;
    int32_t *co = realloc(d->coarse, cap * sizeof *co);
    if (!co)
        return pz_error_set(err, PZ_ENOMEM, "%s: out of memory for %zu labels", path, cap);
    d->coarse = co;
    return PZ_OK;
}

#define CIFAR_NOT_WHOLE "%s: %llu bytes is not a whole number of %d-byte records"

int pz_dataset_load_cifar100(pz_dataset *d, const char *path, size_t limit, pz_error *err)
{
    if (!d || !path)
        return pz_error_set(err, PZ_EINVAL, "pz_dataset_load_cifar100: NULL %s",
                            !d ? "dataset" : "path");
    memset(d, 0, sizeof *d);
    input in;
    int rc = open_input(&in, path, err);
    if (rc != PZ_OK)
        return rc;

    /* A plain file's size decides n before reading; a gzip'd one grows. */
    size_t cap = CIFAR_BLOCK;
    if (in.plain_size >= 0) {
        if (in.plain_size == 0) {
            rc = pz_error_set(err, PZ_EFORMAT, "%s: empty file (no CIFAR-100 records)", path);
            goto fail;
        }
        if (in.plain_size % CIFAR_RECORD != 0) {
            rc = pz_error_set(err, PZ_EFORMAT, CIFAR_NOT_WHOLE, path,
                              (unsigned long long)in.plain_size, CIFAR_RECORD);
            goto fail;
        }
        cap = (size_t)(in.plain_size / CIFAR_RECORD);
    }
    if (limit > 0 && cap > limit)
        cap = limit;
    rc = cifar_reserve(d, cap, path, err);
    if (rc != PZ_OK)
        goto fail;

    uint8_t *raw = malloc((size_t)CIFAR_BLOCK * CIFAR_RECORD);
    if (!raw) {
        rc = pz_error_set(err, PZ_ENOMEM, "%s: out of memory for the read buffer", path);
        goto fail;
    }
    size_t n = 0;
    for (;;) {
        size_t want = CIFAR_BLOCK;
        if (limit > 0 && limit - n < want)
            want = limit - n;
        if (want == 0)
            break;
        size_t got = 0;
        rc = read_bytes(&in, raw, want * CIFAR_RECORD, &got, err);
        if (rc != PZ_OK)
            break;
        if (got % CIFAR_RECORD != 0) {
            /* Only a gzip'd file (or one that shrank while read) gets here. */
            rc = pz_error_set(err, PZ_EFORMAT, CIFAR_NOT_WHOLE, path,
                              (unsigned long long)n * CIFAR_RECORD + got, CIFAR_RECORD);
            break;
        }
        size_t recs = got / CIFAR_RECORD;
        if (n + recs > cap) {
            size_t ncap = cap * 2 > n + recs ? cap * 2 : n + recs;
            if (limit > 0 && ncap > limit)
                ncap = limit;
            rc = cifar_reserve(d, ncap, path, err);
            if (rc != PZ_OK)
                break;
            cap = ncap;
        }
        for (size_t r = 0; r < recs; r++) {
            const uint8_t *rec = raw + r * CIFAR_RECORD;
            size_t i = n + r;
            if (rec[0] >= CIFAR_COARSE) {
                rc = pz_error_set(err, PZ_EFORMAT,
                                  "%s: record %zu: coarse label %d out of range (0-%d)", path, i,
                                  rec[0], CIFAR_COARSE - 1);
                break;
            }
            if (rec[1] >= CIFAR_FINE) {
                rc = pz_error_set(err, PZ_EFORMAT,
                                  "%s: record %zu: fine label %d out of range (0-%d)", path, i,
                                  rec[1], CIFAR_FINE - 1);
                break;
            }
            d->coarse[i] = rec[0];
            d->fine[i] = rec[1];
            /* Planes (C, H, W) to pixels (H, W, C): the network's layout. */
            const uint8_t *R = rec + 2, *G = R + CIFAR_PLANE, *B = G + CIFAR_PLANE;
            uint8_t *out = d->images + i * CIFAR_PIXELS;
            for (int p = 0; p < CIFAR_PLANE; p++) {
                out[3 * p] = R[p];
                out[3 * p + 1] = G[p];
                out[3 * p + 2] = B[p];
            }
        }
        if (rc != PZ_OK)
            break;
        n += recs;
        if (recs < want)
            break; /* end of file */
    }
    free(raw);
    if (rc != PZ_OK)
        goto fail;
    if (n == 0) {
        rc = pz_error_set(err, PZ_EFORMAT, "%s: empty file (no CIFAR-100 records)", path);
        goto fail;
    }
    close_input(&in);
    d->n = n;
    d->H = CIFAR_SIDE;
    d->W = CIFAR_SIDE;
    d->C = 3;
    d->n_fine = CIFAR_FINE;
    d->n_coarse = CIFAR_COARSE;
    return PZ_OK;

fail:
    close_input(&in);
    dataset_free(d);
    return rc;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Read an IDX header of `hlen` bytes (magic + dims) and check the magic. */
static int idx_header(input *in, unsigned char *h, size_t hlen, uint32_t magic, const char *what,
                      pz_error *err)
{
    size_t got = 0;
    int rc = read_bytes(in, h, hlen, &got, err);
    if (rc != PZ_OK)
        return rc;
    if (got >= 4 && be32(h) != magic)
        return pz_error_set(err, PZ_EFORMAT,
                            "%s: not an IDX %s file (magic 0x%08x; expected 0x%08x)", in->path,
                            what, (unsigned)be32(h), (unsigned)magic);
    if (got < hlen)
        return pz_error_set(err, PZ_EFORMAT,
                            "%s: truncated: the IDX %s header is %zu bytes, the file has %zu",
                            in->path, what, hlen, got);
    return PZ_OK;
}

/* After the part of a file that was wanted: a plain file's length must be
 * exact (checked whatever was read); a gzip'd one may not hold more data
 * when it was read to its end. */
static int idx_check_length(input *in, unsigned long long header, unsigned long long body,
                            const char *what, int read_all, pz_error *err)
{
    if (in->plain_size >= 0) {
        unsigned long long have = (unsigned long long)in->plain_size - header;
        if (have < body)
            return pz_error_set(err, PZ_EFORMAT,
                                "%s: truncated: expected %llu bytes of %s data, got %llu",
                                in->path, body, what, have);
        if (have > body)
            return pz_error_set(err, PZ_EFORMAT,
                                "%s: %llu bytes of trailing data after the %llu bytes of %s data",
                                in->path, have - body, body, what);
        return PZ_OK;
    }
    if (read_all) {
        unsigned char extra;
        size_t got = 0;
        /* This read also makes zlib reach the stream's end and check its
         * CRC and length trailer, which an exact-length read stops short of. */
        int rc = read_bytes(in, &extra, 1, &got, err);
        if (rc != PZ_OK)
            return rc;
        if (got > 0)
            return pz_error_set(err, PZ_EFORMAT,
                                "%s: trailing data after the %llu bytes of %s data", in->path,
                                body, what);
    }
    return PZ_OK;
}

int pz_dataset_load_idx(pz_dataset *d, const char *images_path, const char *labels_path,
                        size_t limit, pz_error *err)
{
    if (!d || !images_path || !labels_path)
        return pz_error_set(err, PZ_EINVAL, "pz_dataset_load_idx: NULL %s",
                            !d ? "dataset" : !images_path ? "images path" : "labels path");
    memset(d, 0, sizeof *d);
    input im = {0}, lb = {0};
    uint8_t *labels = NULL;
    unsigned char h[16];
    int rc = open_input(&im, images_path, err);
    if (rc != PZ_OK)
        return rc;
    rc = open_input(&lb, labels_path, err);
    if (rc != PZ_OK)
        goto done;

    rc = idx_header(&im, h, 16, IDX_IMAGE_MAGIC, "image", err);
    if (rc != PZ_OK)
        goto done;
    uint32_t n_img = be32(h + 4), rows = be32(h + 8), cols = be32(h + 12);
    rc = idx_header(&lb, h, 8, IDX_LABEL_MAGIC, "label", err);
    if (rc != PZ_OK)
        goto done;
    uint32_t n_lab = be32(h + 4);

    if (rows == 0 || cols == 0 || rows > IDX_MAX_SIDE || cols > IDX_MAX_SIDE) {
        rc = pz_error_set(err, PZ_EFORMAT, "%s: implausible image size %ux%u (byte offset 8)",
                          images_path, (unsigned)rows, (unsigned)cols);
        goto done;
    }
    if (n_img != n_lab) {
        rc = pz_error_set(err, PZ_EFORMAT, "%s holds %u images but %s holds %u labels",
                          images_path, (unsigned)n_img, labels_path, (unsigned)n_lab);
        goto done;
    }
    if (n_img == 0) {
        rc = pz_error_set(err, PZ_EFORMAT, "%s: no images (count 0)", images_path);
        goto done;
    }
    size_t n = n_img;
    if (limit > 0 && n > limit)
        n = limit;
    size_t px = (size_t)rows * cols;
    int read_all = n == n_img;
    /* Lengths are checked before the big read so a plain file cut short
     * fails at once, not after allocating and reading it all. */
    rc = idx_check_length(&im, 16, (unsigned long long)n_img * px, "image", 0, err);
    if (rc == PZ_OK)
        rc = idx_check_length(&lb, 8, n_img, "label", 0, err);
    if (rc != PZ_OK)
        goto done;

    if (n > SIZE_MAX / px) {
        rc = pz_error_set(err, PZ_ENOMEM, "%s: %zu images do not fit in memory", images_path, n);
        goto done;
    }
    d->images = malloc(n * px);
    d->fine = malloc(n * sizeof *d->fine);
    labels = malloc(n);
    if (!d->images || !d->fine || !labels) {
        rc = pz_error_set(err, PZ_ENOMEM, "%s: out of memory for %zu images", images_path, n);
        goto done;
    }
    /* One byte per pixel, row-major: already (H, W, 1). */
    size_t got = 0;
    rc = read_bytes(&im, d->images, n * px, &got, err);
    if (rc != PZ_OK)
        goto done;
    if (got < n * px) {
        rc = pz_error_set(err, PZ_EFORMAT, "%s: truncated: expected %llu bytes of image data, got %zu",
                          images_path, (unsigned long long)n * px, got);
        goto done;
    }
    rc = read_bytes(&lb, labels, n, &got, err);
    if (rc != PZ_OK)
        goto done;
    if (got < n) {
        rc = pz_error_set(err, PZ_EFORMAT, "%s: truncated: expected %zu bytes of label data, got %zu",
                          labels_path, n, got);
        goto done;
    }
    rc = idx_check_length(&im, 16, (unsigned long long)n_img * px, "image", read_all, err);
    if (rc == PZ_OK)
        rc = idx_check_length(&lb, 8, n_img, "label", read_all, err);
    if (rc != PZ_OK)
        goto done;
    for (size_t i = 0; i < n; i++) {
        if (labels[i] >= IDX_CLASSES) {
            rc = pz_error_set(err, PZ_EFORMAT, "%s: record %zu: label %d out of range (0-%d)",
                              labels_path, i, labels[i], IDX_CLASSES - 1);
            goto done;
        }
        d->fine[i] = labels[i];
    }
    d->n = n;
    d->H = (int)rows;
    d->W = (int)cols;
    d->C = 1;
    d->n_fine = IDX_CLASSES;
    d->n_coarse = 0;
    d->coarse = NULL;

done:
    free(labels);
    close_input(&im);
    close_input(&lb);
    if (rc != PZ_OK)
        dataset_free(d);
    return rc;
}

/* "dir/name" into buf; PZ_EINVAL when it does not fit. */
static int join(char *buf, size_t size, const char *dir, const char *name, const char *suffix,
                pz_error *err)
{
    size_t len = strlen(dir);
    const char *sep = len > 0 && dir[len - 1] == '/' ? "" : "/";
    int w = snprintf(buf, size, "%s%s%s%s", dir, sep, name, suffix);
    if (w < 0 || (size_t)w >= size)
        return pz_error_set(err, PZ_EINVAL, "data folder path too long: %s", dir);
    return PZ_OK;
}

/* A missing file is ENOENT (or ENOTDIR); any other stat failure is left
 * for the open to report with its real cause. */
static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 || (errno != ENOENT && errno != ENOTDIR);
}

static const char *cifar_expect = "the CIFAR-100 binary distribution: train.bin, test.bin";
static const char *idx_expect =
    "the IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
    "t10k-labels-idx1-ubyte, each with or without .gz";

/* dir/name.gz if it exists, else dir/name. */
static int find_idx(char *buf, size_t size, const char *kind, const char *dir, const char *name,
                    pz_error *err)
{
    int rc = join(buf, size, dir, name, ".gz", err);
    if (rc != PZ_OK || file_exists(buf))
        return rc;
    rc = join(buf, size, dir, name, "", err);
    if (rc != PZ_OK || file_exists(buf))
        return rc;
    return pz_error_set(err, PZ_ENOENT, "%s: no %s(.gz) in %s (expected %s)", kind, name, dir,
                        idx_expect);
}

int pz_dataset_load(pz_dataset *d, const char *kind, const char *dir, const char *split,
                    size_t limit, pz_error *err)
{
    if (!d || !kind || !dir || !split)
        return pz_error_set(err, PZ_EINVAL, "pz_dataset_load: NULL %s",
                            !d ? "dataset" : !kind ? "kind" : !dir ? "folder" : "split");
    memset(d, 0, sizeof *d);
    int cifar = strcmp(kind, "cifar100") == 0;
    if (!cifar && strcmp(kind, "fashion-mnist") != 0 && strcmp(kind, "mnist") != 0)
        return pz_error_set(err, PZ_EINVAL,
                            "unknown data set kind \"%s\" (known: cifar100, fashion-mnist, mnist)",
                            kind);
    int train = strcmp(split, "train") == 0;
    if (!train && strcmp(split, "test") != 0)
        return pz_error_set(err, PZ_EINVAL, "%s: unknown split \"%s\" (known: train, test)", kind,
                            split);
    struct stat st;
    if (stat(dir, &st) != 0 ? errno == ENOENT || errno == ENOTDIR : !S_ISDIR(st.st_mode))
        return pz_error_set(err, PZ_ENOENT, "%s: no folder %s (expected a folder of %s)", kind,
                            dir, cifar ? cifar_expect : idx_expect);

    char a[4096], b[4096];
    int rc;
    if (cifar) {
        const char *name = train ? "train.bin" : "test.bin";
        rc = join(a, sizeof a, dir, name, "", err);
        if (rc != PZ_OK)
            return rc;
        if (!file_exists(a))
            return pz_error_set(err, PZ_ENOENT, "%s: no %s in %s (expected %s)", kind, name, dir,
                                cifar_expect);
        return pz_dataset_load_cifar100(d, a, limit, err);
    }
    const char *pre = train ? "train" : "t10k";
    char name[64];
    snprintf(name, sizeof name, "%s-images-idx3-ubyte", pre);
    rc = find_idx(a, sizeof a, kind, dir, name, err);
    if (rc != PZ_OK)
        return rc;
    snprintf(name, sizeof name, "%s-labels-idx1-ubyte", pre);
    rc = find_idx(b, sizeof b, kind, dir, name, err);
    if (rc != PZ_OK)
        return rc;
    return pz_dataset_load_idx(d, a, b, limit, err);
}
