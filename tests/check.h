/* parzen tests: a tiny assertion harness. A failed check prints
 * "file:line: expr (a op b)" and aborts, so ctest reports the test failed. */
#ifndef PZ_CHECK_H
#define PZ_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define CHECK_OP_(a, op, b, T, fmt)                                          \
    do {                                                                     \
        T va_ = (a), vb_ = (b);                                              \
        if (!(va_ op vb_)) {                                                 \
            fprintf(stderr, "%s:%d: check failed: %s %s %s (" fmt " %s " fmt ")\n", \
                    __FILE__, __LINE__, #a, #op, #b, va_, #op, vb_);         \
            abort();                                                         \
        }                                                                    \
    } while (0)

#define CHECK_EQ(a, b) CHECK_OP_(a, ==, b, int64_t, "%" PRId64)
#define CHECK_NE(a, b) CHECK_OP_(a, !=, b, int64_t, "%" PRId64)
#define CHECK_LT(a, b) CHECK_OP_(a, <, b, double, "%.17g")
#define CHECK_LE(a, b) CHECK_OP_(a, <=, b, double, "%.17g")
#define CHECK_GT(a, b) CHECK_OP_(a, >, b, double, "%.17g")
#define CHECK_GE(a, b) CHECK_OP_(a, >=, b, double, "%.17g")
#define CHECK_NEAR(a, b, tol)                                                \
    do {                                                                     \
        double na_ = (a), nb_ = (b), nt_ = (tol);                            \
        if (!(na_ - nb_ <= nt_ && nb_ - na_ <= nt_)) {                       \
            fprintf(stderr, "%s:%d: check failed: %s ~ %s (%.17g vs %.17g, tol %g)\n", \
                    __FILE__, __LINE__, #a, #b, na_, nb_, nt_);              \
            abort();                                                         \
        }                                                                    \
    } while (0)
#define CHECK_STR(a, b)                                                      \
    do {                                                                     \
        const char *sa_ = (a), *sb_ = (b);                                   \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                         \
            fprintf(stderr, "%s:%d: check failed: %s == %s (\"%s\" vs \"%s\")\n", \
                    __FILE__, __LINE__, #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
            abort();                                                         \
        }                                                                    \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                          \
    do {                                                                     \
        const char *ha_ = (hay), *ne_ = (needle);                            \
        if (!ha_ || !strstr(ha_, ne_)) {                                     \
            fprintf(stderr, "%s:%d: check failed: \"%s\" contains \"%s\"\n", \
                    __FILE__, __LINE__, ha_ ? ha_ : "(null)", ne_);          \
            abort();                                                         \
        }                                                                    \
    } while (0)
#define CHECK_OK(expr) CHECK_EQ((expr), 0)

#endif
