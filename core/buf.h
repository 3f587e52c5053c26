/* parzen: a growable byte buffer, owned by whoever declared it.
 *
 * pz_buf_init sets it empty without allocating; pz_buf_destroy frees what
 * it grew. data is always NUL-terminated once anything was appended, so
 * text built here can be used as a C string. */
#ifndef PZ_BUF_H
#define PZ_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "export.h"

typedef struct pz_buf {
    char *data;   /* owned; NULL until the first append */
    size_t len;   /* bytes used, not counting the terminating NUL */
    size_t cap;   /* bytes allocated */
} pz_buf;

PZ_API void pz_buf_init(pz_buf *b);
PZ_API void pz_buf_destroy(pz_buf *b);
/* Each returns PZ_OK or PZ_ENOMEM (the buffer is unchanged on failure). */
PZ_API int pz_buf_append(pz_buf *b, const void *p, size_t n);
PZ_API int pz_buf_puts(pz_buf *b, const char *s);
PZ_API int pz_buf_putc(pz_buf *b, char c);
PZ_API int pz_buf_printf(pz_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
PZ_API int pz_buf_vprintf(pz_buf *b, const char *fmt, va_list ap);
/* Hand the bytes to the caller (free() them) and leave b empty. */
PZ_API char *pz_buf_release(pz_buf *b, size_t *len);

#endif
