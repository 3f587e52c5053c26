/* parzen: error codes and the pz_error record (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *pz_strerror(int code)
{
    switch (code) {
    case PZ_OK: return "success";
#define PZ__ERR_STR(name, c, text) case c: return text;
    PZ_ERR_MAP(PZ__ERR_STR)
#undef PZ__ERR_STR
    }
    return "unknown error";
}

const char *pz_err_name(int code)
{
    switch (code) {
    case PZ_OK: return "OK";
#define PZ__ERR_NAME(name, c, text) case c: return #name;
    PZ_ERR_MAP(PZ__ERR_NAME)
#undef PZ__ERR_NAME
    }
    return "EUNKNOWN";
}

void pz_error_clear(pz_error *err)
{
    if (!err)
        return;
    err->code = PZ_OK;
    err->arg = 0;
    err->where[0] = '\0';
    err->msg[0] = '\0';
}

int pz_error_set(pz_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->arg = 0;
    err->where[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->msg, sizeof err->msg, "%s", pz_strerror(code));
    }
    return code;
}

const char *pz_error_format(const pz_error *err, char *buf, size_t n)
{
    if (!err || err->code == PZ_OK)
        snprintf(buf, n, "no error");
    else if (err->where[0])
        snprintf(buf, n, "%s: %s", err->where, err->msg);
    else
        snprintf(buf, n, "%s", err->msg);
    return buf;
}
