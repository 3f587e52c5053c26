/* parzen: the header of saved model files (see trainer.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "trainer.h"

/* Headers carry params and config, never weights: a few KiB. A larger
 * length means the file is not what it claims to be. */
#define MAX_HEADER (16u << 20)

int pz_model_header_write(void *fp, const pz_value *header, pz_error *err)
{
    FILE *f = fp;
    if (!header || header->type != PZ_MAP)
        return pz_error_set(err, PZ_EINVAL, "model header must be a map");
    pz_buf b;
    pz_buf_init(&b);
    int rc = pz_value_pack(header, &b);
    if (rc) {
        pz_buf_destroy(&b);
        return pz_error_set(err, rc, "cannot encode model header");
    }
    unsigned char len[4] = {(unsigned char)b.len, (unsigned char)(b.len >> 8),
                            (unsigned char)(b.len >> 16), (unsigned char)(b.len >> 24)};
    int ok = fwrite(PZ_MODEL_MAGIC, 1, 8, f) == 8 && fwrite(len, 1, 4, f) == 4 &&
             fwrite(b.data, 1, b.len, f) == b.len;
    pz_buf_destroy(&b);
    return ok ? PZ_OK : pz_error_set(err, PZ_EIO, "cannot write model header");
}

int pz_model_header_read(void *fp, const char *path, pz_value **header, pz_error *err)
{
    FILE *f = fp;
    *header = NULL;
    char magic[8];
    unsigned char len[4];
    if (fread(magic, 1, 8, f) != 8 || memcmp(magic, PZ_MODEL_MAGIC, 8) != 0)
        return pz_error_set(err, PZ_EFORMAT, "%s: not a parzen model file (bad magic)", path);
    if (fread(len, 1, 4, f) != 4)
        return pz_error_set(err, PZ_EFORMAT, "%s: truncated model header", path);
    size_t n = (size_t)len[0] | (size_t)len[1] << 8 | (size_t)len[2] << 16 | (size_t)len[3] << 24;
    if (n == 0 || n > MAX_HEADER)
        return pz_error_set(err, PZ_EFORMAT, "%s: model header length %zu is implausible", path, n);
    char *buf = malloc(n);
    if (!buf)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    int rc;
    if (fread(buf, 1, n, f) != n) {
        rc = pz_error_set(err, PZ_EFORMAT, "%s: truncated model header", path);
    } else if ((rc = pz_value_unpack(buf, n, header, err)) != PZ_OK) {
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err ? err->msg : "");
        pz_error_set(err, PZ_EFORMAT, "%s: bad model header (%s)", path, why);
    } else if ((*header)->type != PZ_MAP || !pz_map_get(*header, "trainer") ||
               pz_map_get(*header, "trainer")->type != PZ_STR) {
        pz_value_free(*header);
        *header = NULL;
        rc = pz_error_set(err, PZ_EFORMAT, "%s: model header names no trainer", path);
    }
    free(buf);
    return rc;
}
