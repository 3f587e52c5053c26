/* The journal's file format: records round-trip; a journal cut at every
 * byte inside its last record opens with a warning and loses only that
 * record (and accepts appends after it); a flipped byte anywhere inside an
 * earlier record is an error naming that record's offset and leaves the
 * file's bytes unchanged; a file that is not a journal is refused. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "journal.h"

static char dir[256];

static pz_value *record(const char *type, int64_t id, double loss)
{
    pz_value *m = pz_value_map();
    CHECK_OK(pz_map_set(m, "t", pz_value_str(type)));
    CHECK_OK(pz_map_set(m, "id", pz_value_int(id)));
    CHECK_OK(pz_map_set(m, "loss", pz_value_double(loss)));
    pz_value *vals = pz_value_map();
    CHECK_OK(pz_map_set(vals, "x", pz_value_double(loss * 2)));
    CHECK_OK(pz_map_set(vals, "opt", pz_value_int(id % 3)));
    CHECK_OK(pz_map_set(m, "vals", vals));
    return m;
}

static pz_value *header(void)
{
    pz_value *h = pz_value_map();
    CHECK_OK(pz_map_set(h, "magic", pz_value_str(PZ_JOURNAL_MAGIC)));
    CHECK_OK(pz_map_set(h, "format", pz_value_int(PZ_JOURNAL_FORMAT)));
    CHECK_OK(pz_map_set(h, "study", pz_value_str("test")));
    return h;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    CHECK(fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spit(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(data, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

int main(void)
{
    snprintf(dir, sizeof dir, "%s/test_journal.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    char path[512], copy[512];
    snprintf(path, sizeof path, "%s/journal", dir);
    snprintf(copy, sizeof copy, "%s/copy", dir);
    pz_error err;
    pz_error_clear(&err);

    /* Round trip. */
    enum { N = 6 };
    pz_journal *j;
    pz_value *h = header();
    CHECK_OK(pz_journal_create(&j, path, h, &err));
    uint64_t offsets[N + 2];
    offsets[0] = 0;
    offsets[1] = pz_journal_size(j);
    pz_value *recs[N];
    for (int i = 0; i < N; i++) {
        recs[i] = record(i % 2 ? "finished" : "created", i, -0.5 + i);
        CHECK_OK(pz_journal_append(j, recs[i], &err));
        offsets[i + 2] = pz_journal_size(j);
    }
    pz_journal_close(j);
    /* Creating over an existing journal is refused. */
    CHECK_EQ(pz_journal_create(&j, path, h, &err), PZ_EIO);
    CHECK_CONTAINS(err.msg, path);

    pz_journal_scan scan;
    CHECK_OK(pz_journal_read(path, &scan, &err));
    CHECK_EQ(scan.torn, 0);
    CHECK_EQ(pz_value_len(scan.records), N + 1);
    CHECK(pz_value_equal(scan.records->u.list.items[0], h));
    for (int i = 0; i < N; i++)
        CHECK(pz_value_equal(scan.records->u.list.items[i + 1], recs[i]));
    CHECK_EQ(scan.valid_len, offsets[N + 1]);
    pz_value_free(scan.records);

    size_t len;
    char *orig = slurp(path, &len);
    CHECK_EQ(len, offsets[N + 1]);

    /* A cut at every byte inside the last record: torn, N-1 records kept. */
    size_t last = offsets[N];
    int cuts = 0;
    for (size_t cut = last + 1; cut < len; cut++) {
        spit(copy, orig, cut);
        CHECK_OK(pz_journal_read(copy, &scan, &err));
        CHECK_EQ(scan.torn, 1);
        CHECK_EQ(pz_value_len(scan.records), N); /* header + N-1 */
        CHECK_EQ(scan.valid_len, last);
        CHECK_CONTAINS(scan.warning, "torn last record");
        pz_value_free(scan.records);
        cuts++;
    }
    /* A cut exactly at a record boundary is a clean, shorter journal. */
    spit(copy, orig, last);
    CHECK_OK(pz_journal_read(copy, &scan, &err));
    CHECK_EQ(scan.torn, 0);
    pz_value_free(scan.records);

    /* The last record's bytes garbled by a crash (length written, data not):
     * also torn, since it reaches the end of the file. */
    {
        char *g = malloc(len);
        memcpy(g, orig, len);
        memset(g + last + PZ_JOURNAL_FRAME, 0, len - last - PZ_JOURNAL_FRAME);
        spit(copy, g, len);
        CHECK_OK(pz_journal_read(copy, &scan, &err));
        CHECK_EQ(scan.torn, 1);
        CHECK_EQ(pz_value_len(scan.records), N);
        pz_value_free(scan.records);
        free(g);
    }

    /* Appending after a torn tail cuts it first. */
    spit(copy, orig, len - 3);
    CHECK_OK(pz_journal_read(copy, &scan, &err));
    CHECK_EQ(scan.torn, 1);
    pz_journal *ja;
    CHECK_OK(pz_journal_open_append(&ja, copy, &scan, &err));
    pz_value_free(scan.records);
    pz_value *extra = record("interrupted", 99, 1.0);
    /* One writer at a time: a second open for appending is refused. */
    pz_journal *jb;
    CHECK_EQ(pz_journal_open_append(&jb, copy, &scan, &err), PZ_EIO);
    CHECK_CONTAINS(err.msg, "in use");
    CHECK_OK(pz_journal_append(ja, extra, &err));
    pz_journal_close(ja);
    /* A scan that no longer matches the file (someone appended since) is
     * refused too, rather than cutting their records off as a "tail". */
    CHECK_EQ(pz_journal_open_append(&jb, copy, &scan, &err), PZ_EIO);
    CHECK_CONTAINS(err.msg, "changed while it was being opened");
    CHECK_OK(pz_journal_read(copy, &scan, &err));
    CHECK_EQ(scan.torn, 0);
    CHECK_EQ(pz_value_len(scan.records), N + 1);
    CHECK(pz_value_equal(scan.records->u.list.items[N], extra));
    pz_value_free(scan.records);
    pz_value_free(extra);

    /* A flipped byte anywhere inside an earlier record (frame header or
     * payload): an error naming that record's offset; the file unchanged. */
    int flips = 0;
    for (int r = 1; r < N; r++) {
        for (size_t at = offsets[r]; at < offsets[r + 1]; at++) {
            orig[at] ^= 0x20;
            spit(copy, orig, len);
            orig[at] ^= 0x20;
            size_t before_len;
            char *before = slurp(copy, &before_len);
            int rc = pz_journal_read(copy, &scan, &err);
            CHECK_EQ(rc, PZ_EFORMAT);
            CHECK(scan.records == NULL);
            char want[64];
            snprintf(want, sizeof want, "damaged at byte %llu", (unsigned long long)offsets[r]);
            CHECK_CONTAINS(err.msg, want);
            size_t after_len;
            char *after = slurp(copy, &after_len);
            CHECK_EQ(after_len, before_len);
            CHECK(memcmp(after, before, after_len) == 0);
            free(before);
            free(after);
            flips++;
        }
    }
    /* The error reads like this: */
    orig[offsets[2] + 20] ^= 1;
    spit(copy, orig, len);
    orig[offsets[2] + 20] ^= 1;
    CHECK_EQ(pz_journal_read(copy, &scan, &err), PZ_EFORMAT);
    printf("flipped byte: %s\n", err.msg);

    /* Not a journal at all. */
    spit(copy, "hello, world, this is text\n", 27);
    CHECK_EQ(pz_journal_read(copy, &scan, &err), PZ_EFORMAT);
    CHECK_CONTAINS(err.msg, "byte 0");
    /* A well-framed record that is not a journal header. */
    {
        pz_buf b;
        pz_buf_init(&b);
        CHECK_OK(pz_journal_frame(recs[0], &b));
        spit(copy, b.data, b.len);
        pz_buf_destroy(&b);
        CHECK_EQ(pz_journal_read(copy, &scan, &err), PZ_EFORMAT);
        CHECK_CONTAINS(err.msg, "not a parzen journal");
    }
    /* A journal of a later format: refused with what to do. */
    {
        pz_value *h2 = header();
        CHECK_OK(pz_map_set(h2, "format", pz_value_int(2)));
        pz_buf b;
        pz_buf_init(&b);
        CHECK_OK(pz_journal_frame(h2, &b));
        spit(copy, b.data, b.len);
        pz_buf_destroy(&b);
        pz_value_free(h2);
        CHECK_EQ(pz_journal_read(copy, &scan, &err), PZ_EFORMAT);
        CHECK_CONTAINS(err.msg, "has format 2; this parzen reads format 1");
    }
    /* Missing file. */
    snprintf(copy, sizeof copy, "%s/absent", dir);
    CHECK_EQ(pz_journal_read(copy, &scan, &err), PZ_ENOENT);
    CHECK_CONTAINS(err.msg, copy);

    printf("journal: %d records round-tripped, %d truncations survived, %d flipped bytes refused\n",
           N, cuts, flips);
    for (int i = 0; i < N; i++)
        pz_value_free(recs[i]);
    pz_value_free(h);
    free(orig);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return 0;
}
