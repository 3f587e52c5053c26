/* parzen: the one dynamic value tree.
 *
 * Params, vals, trainer configs, metrics and results are all pz_value
 * trees: none, bool, int (int64, never silently turned into a double),
 * double, string (length-counted, NUL-terminated, may hold any bytes),
 * list, and map (string keys, insertion order kept, keys unique).
 *
 * Ownership: every pz_value is heap-allocated by the constructors below and
 * owned by exactly one parent (or by the caller for a root). Container
 * setters take ownership of the child they are given, also when they fail
 * (they free it), so `pz_list_push(l, pz_value_int(3))` never leaks.
 * pz_value_free(NULL) is a no-op. Constructors return NULL only on
 * allocation failure.
 *
 * The struct is public for reading; build and change trees only through
 * the functions here so the invariants (unique keys, counts) hold.
 */
#ifndef PZ_VALUE_H
#define PZ_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "export.h"

typedef enum pz_type {
    PZ_NONE = 0,
    PZ_BOOL,
    PZ_INT,
    PZ_DOUBLE,
    PZ_STR,
    PZ_LIST,
    PZ_MAP
} pz_type;

typedef struct pz_value pz_value;

struct pz_value {
    pz_type type;
    union {
        int b;                                              /* PZ_BOOL: 0 or 1 */
        int64_t i;                                          /* PZ_INT */
        double d;                                           /* PZ_DOUBLE */
        struct { char *ptr; size_t len; } s;                /* PZ_STR */
        struct { pz_value **items; size_t len, cap; } list; /* PZ_LIST */
        struct { char **keys; pz_value **vals; size_t len, cap; } map; /* PZ_MAP */
    } u;
};

/* {===== construction and release ===== */
PZ_API pz_value *pz_value_none(void);
PZ_API pz_value *pz_value_bool(int b);
PZ_API pz_value *pz_value_int(int64_t i);
PZ_API pz_value *pz_value_double(double d);
PZ_API pz_value *pz_value_str(const char *s);               /* copies s */
PZ_API pz_value *pz_value_strn(const char *s, size_t len);  /* copies len bytes */
PZ_API pz_value *pz_value_list(void);
PZ_API pz_value *pz_value_map(void);
PZ_API void pz_value_free(pz_value *v);
/* Deep copy; NULL on allocation failure. */
PZ_API pz_value *pz_value_copy(const pz_value *v);
/* }===== */

/* {===== containers ===== */
/* Append item (ownership taken, freed on failure). PZ_ETYPE if not a list. */
PZ_API int pz_list_push(pz_value *list, pz_value *item);
/* Set key to val (ownership of val taken, freed on failure). An existing key
 * keeps its position and its old value is freed. PZ_ETYPE if not a map. */
PZ_API int pz_map_set(pz_value *map, const char *key, pz_value *val);
/* Borrowed pointer to the value under key, or NULL (also when not a map). */
PZ_API pz_value *pz_map_get(const pz_value *map, const char *key);
/* Remove key; PZ_ENOENT when absent. Later keys keep their order. */
PZ_API int pz_map_del(pz_value *map, const char *key);
/* Element count of a list or map, length of a string, else 0. */
PZ_API size_t pz_value_len(const pz_value *v);
/* }===== */

/* {===== comparison and conversion ===== */
/* 1 when a and b have the same type and contents (maps: same keys with
 * equal values in the same order; doubles compared bitwise so -0.0 != 0.0
 * and NaN == NaN of the same payload). */
PZ_API int pz_value_equal(const pz_value *a, const pz_value *b);
/* Numeric view of an int or double; PZ_ETYPE otherwise. */
PZ_API int pz_value_number(const pz_value *v, double *out);
/* "none", "bool", "int", "double", "string", "list", "map". */
PZ_API const char *pz_type_name(pz_type t);
/* }===== */

/* {===== msgpack =====
 * Encoding: none→nil, bool→bool, int→int (smallest msgpack form),
 * double→float64, string→str, list→array, map→map. Decoding accepts any
 * msgpack except ext types; float32 becomes a double; bin becomes a
 * string; unsigned integers above INT64_MAX are refused (PZ_ERANGE);
 * map keys must be strings and unique (PZ_EFORMAT otherwise). */
/* Append the encoding of v to out. */
PZ_API int pz_value_pack(const pz_value *v, pz_buf *out);
/* Decode exactly one object from buf[0..len) into *out (caller frees).
 * Trailing bytes or a truncated object are PZ_EFORMAT with the offset. */
PZ_API int pz_value_unpack(const char *buf, size_t len, pz_value **out, pz_error *err);
/* }===== */

/* {===== JSON =====
 * Output is compact (no spaces) UTF-8. Strings are escaped per RFC 8259
 * (quote, backslash, control characters as \uXXXX or the short forms);
 * bytes >= 0x80 are copied through. Doubles print with the shortest
 * "%.17g"-or-shorter form that reads back to the same bits and always
 * carry a '.' or exponent so they stay doubles ("1.0", "-0.0");
 * non-finite doubles, which JSON cannot express, print as null. */
PZ_API int pz_value_to_json(const pz_value *v, pz_buf *out);
/* Parse one JSON text (surrounding whitespace allowed). Numbers without
 * '.', 'e' or 'E' that fit int64 become ints, others doubles. Errors name
 * the byte offset. */
PZ_API int pz_value_from_json(const char *text, size_t len, pz_value **out, pz_error *err);
/* }===== */

#endif
