/* parzen: pz_value <-> JSON text (see value.h).
 *
 * The writer keeps ints and doubles apart ("1" vs "1.0") so a value survives
 * a JSON round trip with its type. The parser is strict RFC 8259 with a
 * nesting limit, and every error names the byte offset. Number formatting
 * and strtod assume the "C" locale: parzen never calls setlocale.
 */
#include "value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper JSON is refused on input, and not written on output, so the
 * recursive writer and parser cannot exhaust the stack. */
#define JSON_MAX_DEPTH 512

/* {===== writer ===== */

static int put_string(pz_buf *out, const char *s, size_t len)
{
    int rc = pz_buf_putc(out, '"');
    size_t run = 0; /* start of the pending run of bytes copied verbatim */
    for (size_t i = 0; i < len && rc == PZ_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char ubuf[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(ubuf, sizeof ubuf, "\\u%04x", c);
                esc = ubuf;
            }
        }
        if (esc) {
            rc = pz_buf_append(out, s + run, i - run);
            if (rc == PZ_OK)
                rc = pz_buf_puts(out, esc);
            run = i + 1;
        }
    }
    if (rc == PZ_OK)
        rc = pz_buf_append(out, s + run, len - run);
    if (rc == PZ_OK)
        rc = pz_buf_putc(out, '"');
    return rc;
}

static int put_double(pz_buf *out, double d)
{
    if (!isfinite(d))
        return pz_buf_puts(out, "null");
    /* %.17g always round-trips; shorter forms are tried first because they
     * are what people wrote ("0.1", not "0.10000000000000001"). */
    char tmp[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, d);
        double back = strtod(tmp, NULL);
        if (memcmp(&back, &d, sizeof d) == 0)
            break;
    }
    if (!strpbrk(tmp, ".eE"))
        strcat(tmp, ".0"); /* keep it a double when read back: "1.0", "-0.0" */
    return pz_buf_puts(out, tmp);
}

static int write_rec(const pz_value *v, pz_buf *out, int depth)
{
    int rc = PZ_OK;
    switch (v->type) {
    case PZ_NONE: return pz_buf_puts(out, "null");
    case PZ_BOOL: return pz_buf_puts(out, v->u.b ? "true" : "false");
    case PZ_INT: return pz_buf_printf(out, "%lld", (long long)v->u.i);
    case PZ_DOUBLE: return put_double(out, v->u.d);
    case PZ_STR: return put_string(out, v->u.s.ptr, v->u.s.len);
    case PZ_LIST:
        if (depth >= JSON_MAX_DEPTH)
            return PZ_ERANGE;
        rc = pz_buf_putc(out, '[');
        for (size_t i = 0; i < v->u.list.len && rc == PZ_OK; i++) {
            if (i)
                rc = pz_buf_putc(out, ',');
            if (rc == PZ_OK)
                rc = write_rec(v->u.list.items[i], out, depth + 1);
        }
        return rc == PZ_OK ? pz_buf_putc(out, ']') : rc;
    case PZ_MAP:
        if (depth >= JSON_MAX_DEPTH)
            return PZ_ERANGE;
        rc = pz_buf_putc(out, '{');
        for (size_t i = 0; i < v->u.map.len && rc == PZ_OK; i++) {
            if (i)
                rc = pz_buf_putc(out, ',');
            if (rc == PZ_OK)
                rc = put_string(out, v->u.map.keys[i], strlen(v->u.map.keys[i]));
            if (rc == PZ_OK)
                rc = pz_buf_putc(out, ':');
            if (rc == PZ_OK)
                rc = write_rec(v->u.map.vals[i], out, depth + 1);
        }
        return rc == PZ_OK ? pz_buf_putc(out, '}') : rc;
    }
    return PZ_EINVAL;
}

/* PZ_ENOMEM, or PZ_ERANGE for nesting deeper than the parser accepts; out
 * is left as it was on failure. */
int pz_value_to_json(const pz_value *v, pz_buf *out)
{
    if (!v || !out)
        return PZ_EINVAL;
    size_t start = out->len;
    int rc = write_rec(v, out, 0);
    if (rc != PZ_OK && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

/* }===== */

/* {===== parser ===== */

typedef struct jparser {
    const char *s;
    size_t len, pos;
    int depth;
    pz_buf scratch; /* string bytes being decoded, reused across strings */
    pz_error *err;
} jparser;

static int jfail(jparser *j, size_t at, const char *problem)
{
    return pz_error_set(j->err, PZ_EFORMAT, "JSON: %s at byte %zu", problem, at);
}

static int jnomem(jparser *j)
{
    return pz_error_set(j->err, PZ_ENOMEM, "JSON: out of memory at byte %zu", j->pos);
}

static void skip_ws(jparser *j)
{
    while (j->pos < j->len) {
        char c = j->s[j->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        j->pos++;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 4 hex digits of a \u escape whose 'u' is at j->pos - 1. */
static int read_hex4(jparser *j, unsigned *cp)
{
    if (j->len - j->pos < 4)
        return jfail(j, j->pos, "truncated \\u escape");
    *cp = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->s[j->pos + (size_t)i]);
        if (h < 0)
            return jfail(j, j->pos + (size_t)i, "bad hex digit in \\u escape");
        *cp = *cp << 4 | (unsigned)h;
    }
    j->pos += 4;
    return PZ_OK;
}

static int put_utf8(pz_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    return pz_buf_append(b, u, n);
}

/* Decode the string whose opening quote is at j->pos into j->scratch.
 * Raw bytes >= 0x80 are copied unchecked, mirroring the writer. */
static int parse_string(jparser *j)
{
    size_t open = j->pos++;
    j->scratch.len = 0;
    for (;;) {
        size_t run = j->pos;
        while (j->pos < j->len && j->s[j->pos] != '"' && j->s[j->pos] != '\\' &&
               (unsigned char)j->s[j->pos] >= 0x20)
            j->pos++;
        if (pz_buf_append(&j->scratch, j->s + run, j->pos - run) != PZ_OK)
            return jnomem(j);
        if (j->pos >= j->len)
            return jfail(j, open, "unterminated string");
        char c = j->s[j->pos];
        if (c == '"') {
            j->pos++;
            /* Keep the scratch a valid (possibly empty) C string. */
            return pz_buf_append(&j->scratch, "", 0) == PZ_OK ? PZ_OK : jnomem(j);
        }
        if (c != '\\')
            return jfail(j, j->pos, "control character in string");
        size_t esc = j->pos++;
        if (j->pos >= j->len)
            return jfail(j, open, "unterminated string");
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = j->s[j->pos] ? strchr(from, j->s[j->pos]) : NULL;
        int rc;
        if (hit) {
            j->pos++;
            rc = pz_buf_putc(&j->scratch, to[hit - from]);
        } else if (j->s[j->pos] == 'u') {
            unsigned cp, lo;
            j->pos++;
            if ((rc = read_hex4(j, &cp)) != PZ_OK)
                return rc;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return jfail(j, esc, "lone low surrogate");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (j->len - j->pos < 2 || j->s[j->pos] != '\\' || j->s[j->pos + 1] != 'u')
                    return jfail(j, esc, "lone high surrogate");
                j->pos += 2;
                if ((rc = read_hex4(j, &lo)) != PZ_OK)
                    return rc;
                if (lo < 0xdc00 || lo > 0xdfff)
                    return jfail(j, esc, "lone high surrogate");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            rc = put_utf8(&j->scratch, cp);
        } else {
            return jfail(j, esc, "bad escape");
        }
        if (rc != PZ_OK)
            return jnomem(j);
    }
}

static int is_digit(jparser *j)
{
    return j->pos < j->len && j->s[j->pos] >= '0' && j->s[j->pos] <= '9';
}

static int parse_number(jparser *j, pz_value **out)
{
    size_t start = j->pos;
    int neg = 0, integral = 1;
    if (j->s[j->pos] == '-')
        neg = 1, j->pos++;
    if (!is_digit(j))
        return jfail(j, start, "invalid number");
    if (j->s[j->pos] == '0') {
        j->pos++;
        if (is_digit(j))
            return jfail(j, start, "leading zero in number");
    }
    while (is_digit(j))
        j->pos++;
    if (j->pos < j->len && j->s[j->pos] == '.') {
        integral = 0, j->pos++;
        if (!is_digit(j))
            return jfail(j, j->pos, "expected digit after '.'");
        while (is_digit(j))
            j->pos++;
    }
    if (j->pos < j->len && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
        integral = 0, j->pos++;
        if (j->pos < j->len && (j->s[j->pos] == '+' || j->s[j->pos] == '-'))
            j->pos++;
        if (!is_digit(j))
            return jfail(j, j->pos, "expected digit in exponent");
        while (is_digit(j))
            j->pos++;
    }
    if (integral) {
        /* Accumulate the magnitude; 2^63 is allowed only when negative. */
        uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
        size_t i = start + (size_t)neg;
        for (; i < j->pos; i++) {
            unsigned dgt = (unsigned)(j->s[i] - '0');
            if (mag > (limit - dgt) / 10)
                break;
            mag = mag * 10 + dgt;
        }
        if (i == j->pos) {
            /* -(mag - 1) - 1 reaches INT64_MIN without overflowing. */
            *out = pz_value_int(neg && mag ? -(int64_t)(mag - 1) - 1 : (int64_t)mag);
            return *out ? PZ_OK : jnomem(j);
        }
        /* Too big for int64: fall through to a double, as documented. */
    }
    /* strtod needs a NUL-terminated copy; the input need not have one. */
    size_t n = j->pos - start;
    char small[64], *num = n < sizeof small ? small : malloc(n + 1);
    if (!num)
        return jnomem(j);
    memcpy(num, j->s + start, n);
    num[n] = '\0';
    double d = strtod(num, NULL);
    if (num != small)
        free(num);
    /* Underflow to a subnormal or zero is the nearest double; overflow
     * would be inf, which JSON cannot express, so refuse it. */
    if (isinf(d))
        return pz_error_set(j->err, PZ_ERANGE, "JSON: number out of range at byte %zu", start);
    *out = pz_value_double(d);
    return *out ? PZ_OK : jnomem(j);
}

static int parse_value(jparser *j, pz_value **out);

static int parse_container(jparser *j, pz_value **out)
{
    int is_map = j->s[j->pos] == '{';
    char close = is_map ? '}' : ']';
    if (++j->depth > JSON_MAX_DEPTH)
        return jfail(j, j->pos, "nesting deeper than 512");
    j->pos++;
    pz_value *c = is_map ? pz_value_map() : pz_value_list();
    if (!c)
        return jnomem(j);
    int rc = PZ_OK;
    skip_ws(j);
    if (j->pos < j->len && j->s[j->pos] == close) {
        j->pos++;
        goto done;
    }
    for (;;) {
        pz_value *item = NULL;
        char *key = NULL;
        skip_ws(j);
        if (j->pos < j->len && j->s[j->pos] == close) {
            rc = jfail(j, j->pos, "trailing comma");
            goto done;
        }
        if (is_map) {
            size_t kpos = j->pos;
            if (j->pos >= j->len || j->s[j->pos] != '"') {
                rc = jfail(j, j->pos, "expected string key");
                goto done;
            }
            if ((rc = parse_string(j)) != PZ_OK)
                goto done;
            /* Keys are C strings: an escaped NUL cannot be kept. */
            if (memchr(j->scratch.data, '\0', j->scratch.len)) {
                rc = jfail(j, kpos, "NUL in object key");
                goto done;
            }
            if (pz_map_get(c, j->scratch.data)) {
                rc = jfail(j, kpos, "duplicate key");
                goto done;
            }
            if (!(key = pz_buf_release(&j->scratch, NULL))) {
                rc = jnomem(j);
                goto done;
            }
            skip_ws(j);
            if (j->pos >= j->len || j->s[j->pos] != ':') {
                free(key);
                rc = jfail(j, j->pos, "expected ':'");
                goto done;
            }
            j->pos++;
        }
        rc = parse_value(j, &item);
        if (rc == PZ_OK) {
            rc = is_map ? pz_map_set(c, key, item) : pz_list_push(c, item);
            if (rc != PZ_OK)
                rc = jnomem(j);
        }
        free(key);
        if (rc != PZ_OK)
            goto done;
        skip_ws(j);
        if (j->pos < j->len && j->s[j->pos] == ',') {
            j->pos++;
            continue;
        }
        if (j->pos < j->len && j->s[j->pos] == close) {
            j->pos++;
            break;
        }
        rc = jfail(j, j->pos, is_map ? "expected ',' or '}'" : "expected ',' or ']'");
        goto done;
    }
done:
    j->depth--;
    if (rc != PZ_OK) {
        pz_value_free(c);
        c = NULL;
    }
    *out = c;
    return rc;
}

static int parse_literal(jparser *j, const char *word, pz_value *v, pz_value **out)
{
    size_t n = strlen(word);
    if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n) != 0) {
        pz_value_free(v);
        return jfail(j, j->pos, "invalid literal");
    }
    if (!v)
        return jnomem(j);
    j->pos += n;
    *out = v;
    return PZ_OK;
}

static int parse_value(jparser *j, pz_value **out)
{
    *out = NULL;
    skip_ws(j);
    if (j->pos >= j->len)
        return jfail(j, j->pos, "unexpected end of input");
    switch (j->s[j->pos]) {
    case '{':
    case '[':
        return parse_container(j, out);
    case '"': {
        int rc = parse_string(j);
        if (rc != PZ_OK)
            return rc;
        *out = pz_value_strn(j->scratch.data, j->scratch.len);
        return *out ? PZ_OK : jnomem(j);
    }
    case 't': return parse_literal(j, "true", pz_value_bool(1), out);
    case 'f': return parse_literal(j, "false", pz_value_bool(0), out);
    case 'n': return parse_literal(j, "null", pz_value_none(), out);
    default:
        if (j->s[j->pos] == '-' || (j->s[j->pos] >= '0' && j->s[j->pos] <= '9'))
            return parse_number(j, out);
        return jfail(j, j->pos, "unexpected character");
    }
}

int pz_value_from_json(const char *text, size_t len, pz_value **out, pz_error *err)
{
    if (!out)
        return pz_error_set(err, PZ_EINVAL, "pz_value_from_json: out is NULL");
    *out = NULL;
    if (!text && len)
        return pz_error_set(err, PZ_EINVAL, "pz_value_from_json: text is NULL");
    jparser j = {.s = text, .len = len, .err = err};
    pz_buf_init(&j.scratch);
    pz_value *v = NULL;
    int rc = parse_value(&j, &v);
    if (rc == PZ_OK) {
        skip_ws(&j);
        if (j.pos != j.len)
            rc = jfail(&j, j.pos, "unexpected data after the value");
    }
    pz_buf_destroy(&j.scratch);
    if (rc != PZ_OK) {
        pz_value_free(v);
        return rc;
    }
    *out = v;
    return PZ_OK;
}

/* }===== */
