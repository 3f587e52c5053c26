/* parzen: the study journal's file format (see journal.h).
 *
 * Durability rests on two habits: a frame goes out in one write() and is
 * fsync'd before the caller moves on, and a failed append cuts the file
 * back so the next record never lands after a half-written one.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"

struct pz_journal {
    int fd;
    char *path;
    uint64_t size;
};

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc(const void *p, size_t n)
{
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)p, (uInt)n);
}

int pz_journal_frame(const pz_value *record, pz_buf *out)
{
    if (!record || record->type != PZ_MAP)
        return PZ_EINVAL;
    size_t start = out->len;
    unsigned char hdr[PZ_JOURNAL_FRAME] = {0};
    int rc = pz_buf_append(out, hdr, sizeof hdr);
    if (!rc)
        rc = pz_value_pack(record, out);
    if (rc) {
        out->len = start;
        return rc;
    }
    size_t n = out->len - start - PZ_JOURNAL_FRAME;
    if (n > PZ_JOURNAL_MAX_RECORD) {
        out->len = start;
        return PZ_ERANGE;
    }
    unsigned char *h = (unsigned char *)out->data + start;
    put_u32(h, (uint32_t)n);
    put_u32(h + 4, crc(h + PZ_JOURNAL_FRAME, n));
    put_u32(h + 8, crc(h, 8));
    return PZ_OK;
}

/* {===== reading ===== */

static int read_all(const char *path, char **data, size_t *len, pz_error *err)
{
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return pz_error_set(err, errno == ENOENT ? PZ_ENOENT : PZ_EIO, "cannot open journal %s: %s",
                            path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return pz_error_set(err, PZ_EIO, "journal %s is not a regular file", path);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                close(fd);
                return pz_error_set(err, PZ_ENOMEM, NULL);
            }
            buf = nb;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return pz_error_set(err, PZ_EIO, "cannot read journal %s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *data = buf;
    *len = n;
    return PZ_OK;
}

int pz_journal_read(const char *path, pz_journal_scan *scan, pz_error *err)
{
    memset(scan, 0, sizeof *scan);
    char *data;
    size_t len;
    int rc = read_all(path, &data, &len, err);
    if (rc)
        return rc;
    scan->file_len = len;
    scan->records = pz_value_list();
    if (!scan->records) {
        free(data);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    const unsigned char *p = (const unsigned char *)data;
    size_t off = 0;
    while (off < len) {
        size_t left = len - off;
        if (left < PZ_JOURNAL_FRAME) {
            scan->torn = 1;
            break;
        }
        if (get_u32(p + off + 8) != crc(p + off, 8)) {
            rc = pz_error_set(err, PZ_EFORMAT,
                              "journal %s is damaged at byte %zu: bad frame header checksum%s", path,
                              off, off == 0 ? " (not a parzen journal?)" : "");
            break;
        }
        uint32_t n = get_u32(p + off);
        if (n == 0 || n > PZ_JOURNAL_MAX_RECORD) {
            rc = pz_error_set(err, PZ_EFORMAT,
                              "journal %s is damaged at byte %zu: record length %u is implausible",
                              path, off, (unsigned)n);
            break;
        }
        if ((size_t)n > left - PZ_JOURNAL_FRAME) {
            scan->torn = 1;
            break;
        }
        const unsigned char *payload = p + off + PZ_JOURNAL_FRAME;
        if (get_u32(p + off + 4) != crc(payload, n)) {
            if (off + PZ_JOURNAL_FRAME + n == len) { /* a half-flushed last write */
                scan->torn = 1;
                break;
            }
            rc = pz_error_set(err, PZ_EFORMAT,
                              "journal %s is damaged at byte %zu: record checksum mismatch", path, off);
            break;
        }
        pz_value *rec;
        pz_error sub;
        pz_error_clear(&sub);
        if (pz_value_unpack((const char *)payload, n, &rec, &sub) != PZ_OK) {
            rc = pz_error_set(err, PZ_EFORMAT, "journal %s is damaged at byte %zu: %s", path, off,
                              sub.msg);
            break;
        }
        if (rec->type != PZ_MAP) {
            pz_value_free(rec);
            rc = pz_error_set(err, PZ_EFORMAT, "journal %s: record at byte %zu is not a map", path, off);
            break;
        }
        if (pz_value_len(scan->records) == 0) {
            const pz_value *m = pz_map_get(rec, "magic");
            const pz_value *f = pz_map_get(rec, "format");
            if (!m || m->type != PZ_STR || strcmp(m->u.s.ptr, PZ_JOURNAL_MAGIC) != 0) {
                pz_value_free(rec);
                rc = pz_error_set(err, PZ_EFORMAT, "%s is not a parzen journal (no header at byte 0)",
                                  path);
                break;
            }
            if (!f || f->type != PZ_INT || f->u.i != PZ_JOURNAL_FORMAT) {
                long long fv = f && f->type == PZ_INT ? (long long)f->u.i : -1;
                pz_value_free(rec);
                rc = pz_error_set(err, PZ_EFORMAT,
                                  "journal %s has format %lld; this parzen reads format %d "
                                  "(use the parzen that wrote it)",
                                  path, fv, PZ_JOURNAL_FORMAT);
                break;
            }
        }
        if ((rc = pz_list_push(scan->records, rec)) != PZ_OK) {
            pz_error_set(err, rc, NULL);
            break;
        }
        off += PZ_JOURNAL_FRAME + n;
    }
    free(data);
    if (rc) {
        pz_value_free(scan->records);
        scan->records = NULL;
        return rc;
    }
    scan->valid_len = off;
    if (scan->torn)
        snprintf(scan->warning, sizeof scan->warning,
                 "journal %s: dropped a torn last record (%zu bytes at byte %zu; a crash "
                 "interrupted its write)",
                 path, len - off, off);
    return PZ_OK;
}
/* }===== */

/* {===== writing ===== */

static int write_full(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Take the journal's lock. A holder may be a trial process of a study
 * that was just killed, in the instant before it dies with its parent, so
 * wait up to a second before concluding another parzen is running it. */
static int lock_journal(int fd, const char *path, pz_error *err)
{
    for (int i = 0; i < 100; i++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return PZ_OK;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return pz_error_set(err, PZ_EIO, "cannot lock journal %s: %s", path, strerror(errno));
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return pz_error_set(err, PZ_EIO, "journal %s is in use: another parzen process is running this study",
                        path);
}

static int journal_alloc(pz_journal **out, const char *path, int fd, uint64_t size, pz_error *err)
{
    int rc = lock_journal(fd, path, err);
    if (rc) {
        close(fd);
        return rc;
    }
    pz_journal *j = calloc(1, sizeof *j);
    if (!j || !(j->path = strdup(path))) {
        free(j);
        close(fd);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    j->fd = fd;
    j->size = size;
    *out = j;
    return PZ_OK;
}

int pz_journal_create(pz_journal **out, const char *path, const pz_value *header, pz_error *err)
{
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return pz_error_set(err, PZ_EIO, "cannot create journal %s: %s", path, strerror(errno));
    pz_journal *j;
    int rc = journal_alloc(&j, path, fd, 0, err);
    if (rc)
        return rc;
    if ((rc = pz_journal_append(j, header, err)) != PZ_OK) {
        pz_journal_close(j);
        unlink(path);
        return rc;
    }
    if (fsync_dir_of(path) != 0) {
        rc = pz_error_set(err, PZ_EIO, "cannot sync the directory of %s: %s", path, strerror(errno));
        pz_journal_close(j);
        return rc;
    }
    *out = j;
    return PZ_OK;
}

int pz_journal_open_append(pz_journal **out, const char *path, const pz_journal_scan *scan,
                           pz_error *err)
{
    uint64_t valid_len = scan->valid_len;
    *out = NULL;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return pz_error_set(err, PZ_EIO, "cannot open journal %s: %s", path, strerror(errno));
    int rc = lock_journal(fd, path, err); /* before touching the tail */
    if (rc) {
        close(fd);
        return rc;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return pz_error_set(err, PZ_EIO, "cannot stat journal %s: %s", path, strerror(errno));
    }
    if ((uint64_t)st.st_size != scan->file_len) {
        close(fd);
        return pz_error_set(err, PZ_EIO, "journal %s changed while it was being opened (another parzen "
                            "process is running this study?)", path);
    }
    if ((uint64_t)st.st_size != valid_len) {
        if (ftruncate(fd, (off_t)valid_len) != 0 || fsync(fd) != 0) {
            int e = errno;
            close(fd);
            return pz_error_set(err, PZ_EIO, "cannot cut the torn tail of %s: %s", path, strerror(e));
        }
    }
    if (lseek(fd, (off_t)valid_len, SEEK_SET) < 0) {
        close(fd);
        return pz_error_set(err, PZ_EIO, "cannot seek in %s: %s", path, strerror(errno));
    }
    return journal_alloc(out, path, fd, valid_len, err); /* the lock is ours already */
}

int pz_journal_append(pz_journal *j, const pz_value *record, pz_error *err)
{
    return pz_journal_append_n(j, &record, 1, err);
}

int pz_journal_append_n(pz_journal *j, const pz_value *const *records, size_t n, pz_error *err)
{
    pz_buf b;
    pz_buf_init(&b);
    int rc = PZ_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = pz_journal_frame(records[i], &b);
    if (rc) {
        pz_buf_destroy(&b);
        return pz_error_set(err, rc, "cannot encode a journal record (%s)", pz_strerror(rc));
    }
    /* fdatasync: an append changes the size, which it flushes; it skips
     * only the timestamps. */
    if (write_full(j->fd, b.data, b.len) != 0 || fdatasync(j->fd) != 0) {
        int e = errno;
        /* Never leave half a record for the next one to follow. */
        if (ftruncate(j->fd, (off_t)j->size) == 0)
            lseek(j->fd, (off_t)j->size, SEEK_SET);
        pz_buf_destroy(&b);
        return pz_error_set(err, PZ_EIO, "cannot write journal %s: %s", j->path, strerror(e));
    }
    j->size += b.len;
    pz_buf_destroy(&b);
    return PZ_OK;
}

uint64_t pz_journal_size(const pz_journal *j) { return j->size; }
int pz__journal_fd(const pz_journal *j) { return j->fd; }

void pz_journal_close(pz_journal *j)
{
    if (!j)
        return;
    close(j->fd);
    free(j->path);
    free(j);
}
/* }===== */
