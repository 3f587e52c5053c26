/* parzen: growable byte buffer (see buf.h). */
#include "buf.h"
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pz_buf_init(pz_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void pz_buf_destroy(pz_buf *b)
{
    free(b->data);
    pz_buf_init(b);
}

static int reserve(pz_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return PZ_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2)
            return PZ_ENOMEM;
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return PZ_ENOMEM;
    b->data = p;
    b->cap = cap;
    return PZ_OK;
}

int pz_buf_append(pz_buf *b, const void *p, size_t n)
{
    if (reserve(b, n) != PZ_OK)
        return PZ_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return PZ_OK;
}

int pz_buf_puts(pz_buf *b, const char *s) { return pz_buf_append(b, s, strlen(s)); }

int pz_buf_putc(pz_buf *b, char c) { return pz_buf_append(b, &c, 1); }

int pz_buf_vprintf(pz_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return PZ_EINVAL;
    if (reserve(b, (size_t)n) != PZ_OK)
        return PZ_ENOMEM;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return PZ_OK;
}

int pz_buf_printf(pz_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = pz_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *pz_buf_release(pz_buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    pz_buf_init(b);
    return p;
}
