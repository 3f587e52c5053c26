/* parzen: the one error convention.
 *
 * Every fallible function returns int: PZ_OK (0) on success, a negative
 * PZ_E* code on failure. Details travel in an optional pz_error that the
 * caller owns (pass NULL when the code alone is enough). The library never
 * allocates for an error and never writes errno-style globals.
 *
 * pz_error.where holds "file:line" when the failure can be placed in a
 * user's script; pz_error.arg holds the 1-based argument position when one
 * argument of a call was at fault (0 otherwise).
 */
#ifndef PZ_ERROR_H
#define PZ_ERROR_H

#include <stddef.h>
#include "export.h"

/* One list generates the enum, pz_strerror and pz_err_name. */
#define PZ_ERR_MAP(XX)                                              \
    XX(ENOMEM,  -1, "out of memory")                                \
    XX(EINVAL,  -2, "invalid argument")                             \
    XX(ESPACE,  -3, "invalid search space")                         \
    XX(ESCRIPT, -4, "study script error")                           \
    XX(EIO,     -5, "input/output error")                           \
    XX(EFORMAT, -6, "malformed data")                               \
    XX(ERANGE,  -7, "value out of range")                           \
    XX(ETYPE,   -8, "value of the wrong type")                      \
    XX(ENOENT,  -9, "no such entry")                                \
    XX(ECANCEL, -10, "cancelled")                                  \
    XX(EPLUGIN, -11, "trainer plugin error")

typedef enum pz_status {
    PZ_OK = 0,
#define PZ__ERR_ENUM(name, code, text) PZ_##name = code,
    PZ_ERR_MAP(PZ__ERR_ENUM)
#undef PZ__ERR_ENUM
} pz_status;

#define PZ_ERRMSG_MAX 512
#define PZ_WHERE_MAX 256

typedef struct pz_error {
    int code;                      /* PZ_OK or a PZ_E* code */
    int arg;                       /* 1-based argument at fault, or 0 */
    char where[PZ_WHERE_MAX];      /* "file:line" or "" */
    char msg[PZ_ERRMSG_MAX];       /* the problem, without `where` */
} pz_error;

/* Static text for a code ("out of memory"); unknown codes get a fallback. */
PZ_API const char *pz_strerror(int code);
/* The code's name without prefix ("ENOMEM"). */
PZ_API const char *pz_err_name(int code);

/* Record an error in err (which may be NULL) and return code. */
PZ_API int pz_error_set(pz_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Reset err to "no error". */
PZ_API void pz_error_clear(pz_error *err);
/* "where: msg" (or just msg) into buf of size n; returns buf. */
PZ_API const char *pz_error_format(const pz_error *err, char *buf, size_t n);

#endif
