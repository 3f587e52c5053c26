/* parzen: the results folder (internal to the study runner).
 *
 * Owns the layout of <root>/<study>/: the journal file name, the per-trial
 * JSON files and their names, models/trial-NNNNNN/. The journal is the
 * truth; the JSON files are derived from it and rewritten if missing, so
 * a crash between the two loses nothing.
 *
 * File names: "<key>_loss=<loss>_trial=<id>.json" where key is 16 hex
 * digits that order like the loss (the IEEE-754 bits, sign-flipped so that
 * unsigned order is numeric order), and "ffffffffffffffff_failed_trial=<id>
 * .json" for failed trials, above every finite loss. Hex digits sort the
 * same in the C locale and in glibc's locales, so a plain `ls` lists the
 * best trial first and failed trials last.
 */
#ifndef PZ_RESULTS_H
#define PZ_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "value.h"

#define PZ__JOURNAL_FILE "journal.pzj"

/* Make a study name safe as one path component: letters, digits, '.',
 * '_' and '-' are kept, anything else becomes '_', a leading '.' too (so
 * "..", "/x" or "a/../b" can never leave the results root). */
void pz__results_sanitize(const char *name, char *out, size_t n);
/* mkdir -p dir (mode 0755). */
int pz__mkdirs(const char *dir, pz_error *err);
/* Write text to dir/name atomically (temporary file, fsync, rename). */
int pz__write_file_atomic(const char *dir, const char *name, const char *data, size_t len,
                          pz_error *err);
/* Indent compact JSON (as pz_value_to_json writes it) two spaces a level,
 * appending to out; strings are copied untouched. */
int pz__json_pretty(const char *json, size_t n, pz_buf *out);
/* The per-trial document (doc, a map) as dir/<file name>. */
int pz__results_write_trial(const char *dir, uint64_t id, int ok, double loss, const pz_value *doc,
                            pz_error *err);

#endif
