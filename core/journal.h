/* parzen: the study journal, an append-only file of msgpack records.
 *
 * This module owns the file format and nothing about studies: it frames,
 * checks, appends and reads records (pz_value maps); core/study.c decides
 * what the records mean.
 *
 * Each record is one frame:
 *
 *     u32 len | u32 crc32(payload) | u32 crc32(the 8 bytes before) | payload
 *
 * (little-endian; payload = len bytes of msgpack; crc32 is zlib's). The
 * first record is the header map {magic = "parzen-journal", format = 1,
 * ...}. Every append is one write() followed by fdatasync(), so when
 * pz_journal_append returns the record is on disk; the file and its
 * directory are fsync'd on creation.
 *
 * A journal open for appending is locked (flock, exclusive): a second
 * process running the same study is refused rather than interleaving its
 * records. Reading takes no lock.
 *
 * Reading never runs code and never changes the file. A crash can only
 * damage the last frame, so: a last frame cut short, or one that reaches
 * exactly the end of the file with a bad payload checksum, is "torn": it is
 * dropped and reported as a warning. Any other damage (a bad frame header
 * checksum, a bad payload checksum followed by more data, undecodable
 * msgpack, a first record that is not a header) is PZ_EFORMAT with a
 * message naming the byte offset. The frame header has its own checksum so
 * that a flipped bit in an earlier length field is damage, not a "tear"
 * that would silently drop everything after it.
 */
#ifndef PZ_JOURNAL_H
#define PZ_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "value.h"

#define PZ_JOURNAL_MAGIC "parzen-journal"
#define PZ_JOURNAL_FORMAT 1
#define PZ_JOURNAL_FRAME 12u             /* bytes of frame header */
#define PZ_JOURNAL_MAX_RECORD (64u << 20) /* a record is params + metrics: far less */

typedef struct pz_journal pz_journal;

/* What pz_journal_read found. */
typedef struct pz_journal_scan {
    pz_value *records;  /* a list of maps, header first; owned by the caller */
    uint64_t valid_len; /* bytes holding intact records */
    uint64_t file_len;  /* bytes in the file */
    int torn;           /* 1 when a torn last record was dropped */
    char warning[256];  /* the warning to show when torn, else "" */
} pz_journal_scan;

/* Read and check every record of the file at path, leaving it untouched.
 * An empty file (or one holding only a torn header) gives an empty list.
 * PZ_EIO when it cannot be read, PZ_EFORMAT on damage. Free scan->records
 * with pz_value_free (also set to NULL on failure). */
PZ_API int pz_journal_read(const char *path, pz_journal_scan *scan, pz_error *err);

/* Create path (which must not exist) holding the header record; fsyncs the
 * file and its directory. *out is released with pz_journal_close. */
PZ_API int pz_journal_create(pz_journal **out, const char *path, const pz_value *header,
                             pz_error *err);

/* Open an existing journal for appending after its first valid_len bytes
 * (scan from pz_journal_read): a torn tail beyond them is cut off first,
 * so new records never follow garbage. Refused when the file no longer
 * has the scan's length (another process wrote to it in between). */
PZ_API int pz_journal_open_append(pz_journal **out, const char *path, const pz_journal_scan *scan,
                                  pz_error *err);

/* Append one record (a map) and fsync. On failure the file is cut back to
 * its length before the call. */
PZ_API int pz_journal_append(pz_journal *j, const pz_value *record, pz_error *err);

/* Append n records with one write() and one fsync: they reach the disk
 * together or (after a crash) as a prefix of them. */
PZ_API int pz_journal_append_n(pz_journal *j, const pz_value *const *records, size_t n,
                               pz_error *err);

/* Bytes in the journal (all intact records). */
PZ_API uint64_t pz_journal_size(const pz_journal *j);

/* The file descriptor (for trial processes to close after fork, so that
 * only the study holds the journal's lock). */
int pz__journal_fd(const pz_journal *j);

/* Close; NULL is a no-op. */
PZ_API void pz_journal_close(pz_journal *j);

/* Encode one record as a frame into out (for tests and tools). */
PZ_API int pz_journal_frame(const pz_value *record, pz_buf *out);

#endif
