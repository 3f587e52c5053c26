/* parzen: the results folder's names and files (see results.h). */
#define _POSIX_C_SOURCE 200809L
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "study.h"

void pz__results_sanitize(const char *name, char *out, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 1 < n && j < 100; i++) {
        char c = name[i];
        int keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-' || (c == '.' && j > 0);
        out[j++] = keep ? c : '_';
    }
    if (j == 0 && n > 1)
        out[j++] = '_';
    out[j] = '\0';
}

int pz__mkdirs(const char *dir, pz_error *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return pz_error_set(err, PZ_EINVAL, "path too long: %s", dir);
    for (char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char save = *p;
            *p = '\0';
            int made = mkdir(path, 0755) == 0;
            if (!made && errno != EEXIST)
                return pz_error_set(err, PZ_EIO, "cannot create folder %s: %s", path, strerror(errno));
            if (made) { /* make the new entry durable: the journal will live below it */
                char *slash = strrchr(path, '/');
                int dfd = -1;
                if (slash && slash != path) {
                    *slash = '\0';
                    dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                    *slash = '/';
                } else {
                    dfd = open(slash ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                }
                if (dfd >= 0) {
                    fsync(dfd);
                    close(dfd);
                }
            }
            struct stat st;
            if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
                return pz_error_set(err, PZ_EIO, "%s is not a folder", path);
            *p = save;
            if (!save)
                break;
        }
    }
    return PZ_OK;
}

int pz__write_file_atomic(const char *dir, const char *name, const char *data, size_t len,
                          pz_error *err)
{
    char tmp[4096], final[4096];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
    snprintf(final, sizeof final, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return pz_error_set(err, PZ_EIO, "cannot write %s: %s", tmp, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = errno;
            close(fd);
            unlink(tmp);
            return pz_error_set(err, PZ_EIO, "cannot write %s: %s", tmp, strerror(e));
        }
        off += (size_t)w;
    }
    /* No fsync: the journal is the durable copy and a missing file is
     * rewritten from it on the next open. */
    if (close(fd) != 0 || rename(tmp, final) != 0) {
        int e = errno;
        unlink(tmp);
        return pz_error_set(err, PZ_EIO, "cannot write %s: %s", final, strerror(e));
    }
    return PZ_OK;
}

int pz_result_filename(char *out, size_t n, uint64_t id, int ok, double loss)
{
    int w;
    if (!ok) {
        w = snprintf(out, n, "ffffffffffffffff_failed_trial=%06" PRIu64 ".json", id);
    } else {
        uint64_t bits;
        if (loss == 0)
            loss = 0; /* -0.0 and 0.0 are the same loss */
        memcpy(&bits, &loss, sizeof bits);
        bits = (bits >> 63) ? ~bits : bits | (UINT64_C(1) << 63);
        w = snprintf(out, n, "%016" PRIx64 "_loss=%.6g_trial=%06" PRIu64 ".json", bits, loss, id);
    }
    return w > 0 && (size_t)w < n ? PZ_OK : PZ_ERANGE;
}

static int newline(pz_buf *out, int depth)
{
    int rc = pz_buf_putc(out, '\n');
    for (int i = 0; i < depth && !rc; i++)
        rc = pz_buf_puts(out, "  ");
    return rc;
}

int pz__json_pretty(const char *j, size_t n, pz_buf *out)
{
    int depth = 0, rc = PZ_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        char c = j[i];
        if (c == '"') { /* copy the string whole, escapes included */
            size_t k = i + 1;
            while (k < n && j[k] != '"')
                k += j[k] == '\\' ? 2 : 1;
            rc = pz_buf_append(out, j + i, (k < n ? k + 1 : n) - i);
            i = k;
        } else if ((c == '{' || c == '[') && i + 1 < n && (j[i + 1] == '}' || j[i + 1] == ']')) {
            rc = pz_buf_putc(out, c) || pz_buf_putc(out, j[++i]); /* {} and [] stay whole */
        } else if (c == '{' || c == '[') {
            rc = pz_buf_putc(out, c) || newline(out, ++depth);
        } else if (c == '}' || c == ']') {
            rc = newline(out, --depth) || pz_buf_putc(out, c);
        } else if (c == ',') {
            rc = pz_buf_putc(out, c) || newline(out, depth);
        } else if (c == ':') {
            rc = pz_buf_puts(out, ": ");
        } else {
            rc = pz_buf_putc(out, c);
        }
    }
    return rc ? PZ_ENOMEM : PZ_OK;
}

int pz__results_write_trial(const char *dir, uint64_t id, int ok, double loss, const pz_value *doc,
                            pz_error *err)
{
    char name[128];
    if (pz_result_filename(name, sizeof name, id, ok, loss))
        return pz_error_set(err, PZ_ERANGE, "result file name too long");
    pz_buf c, b;
    pz_buf_init(&c);
    pz_buf_init(&b);
    int rc = pz_value_to_json(doc, &c);
    if (!rc)
        rc = pz__json_pretty(c.data, c.len, &b);
    if (!rc)
        rc = pz_buf_putc(&b, '\n');
    pz_buf_destroy(&c);
    if (rc) {
        pz_buf_destroy(&b);
        return pz_error_set(err, rc, NULL);
    }
    rc = pz__write_file_atomic(dir, name, b.data, b.len, err);
    pz_buf_destroy(&b);
    return rc;
}
