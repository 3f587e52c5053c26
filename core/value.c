/* parzen: the pz_value tree (see value.h) and its msgpack encoding.
 *
 * Maps are two parallel arrays searched linearly: the trees we carry
 * (params, configs, trial records) have a handful of keys, and insertion
 * order must survive anyway. This file is also the one place where
 * msgpack-c's return conventions are turned into PZ_* codes.
 */
#define _POSIX_C_SOURCE 200809L
#include "value.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

/* {===== construction and release ===== */

static pz_value *new_value(pz_type t)
{
    pz_value *v = calloc(1, sizeof *v);
    if (v)
        v->type = t;
    return v;
}

pz_value *pz_value_none(void) { return new_value(PZ_NONE); }
pz_value *pz_value_list(void) { return new_value(PZ_LIST); }
pz_value *pz_value_map(void) { return new_value(PZ_MAP); }

pz_value *pz_value_bool(int b)
{
    pz_value *v = new_value(PZ_BOOL);
    if (v)
        v->u.b = b != 0; /* normalised so equality can compare directly */
    return v;
}

pz_value *pz_value_int(int64_t i)
{
    pz_value *v = new_value(PZ_INT);
    if (v)
        v->u.i = i;
    return v;
}

pz_value *pz_value_double(double d)
{
    pz_value *v = new_value(PZ_DOUBLE);
    if (v)
        v->u.d = d;
    return v;
}

/* s may be NULL only with len 0 (an empty string). */
pz_value *pz_value_strn(const char *s, size_t len)
{
    if (len == (size_t)-1)
        return NULL;
    pz_value *v = new_value(PZ_STR);
    if (!v)
        return NULL;
    v->u.s.ptr = malloc(len + 1);
    if (!v->u.s.ptr) {
        free(v);
        return NULL;
    }
    if (len)
        memcpy(v->u.s.ptr, s, len);
    v->u.s.ptr[len] = '\0';
    v->u.s.len = len;
    return v;
}

pz_value *pz_value_str(const char *s) { return pz_value_strn(s, s ? strlen(s) : 0); }

void pz_value_free(pz_value *v)
{
    if (!v)
        return;
    switch (v->type) {
    case PZ_STR:
        free(v->u.s.ptr);
        break;
    case PZ_LIST:
        for (size_t i = 0; i < v->u.list.len; i++)
            pz_value_free(v->u.list.items[i]);
        free(v->u.list.items);
        break;
    case PZ_MAP:
        for (size_t i = 0; i < v->u.map.len; i++) {
            free(v->u.map.keys[i]);
            pz_value_free(v->u.map.vals[i]);
        }
        free(v->u.map.keys);
        free(v->u.map.vals);
        break;
    default:
        break;
    }
    free(v);
}

pz_value *pz_value_copy(const pz_value *v)
{
    if (!v)
        return NULL;
    pz_value *c = NULL;
    switch (v->type) {
    case PZ_STR:
        return pz_value_strn(v->u.s.ptr, v->u.s.len);
    case PZ_LIST:
        if (!(c = pz_value_list()))
            return NULL;
        for (size_t i = 0; i < v->u.list.len; i++)
            if (pz_list_push(c, pz_value_copy(v->u.list.items[i])) != PZ_OK)
                goto fail;
        return c;
    case PZ_MAP:
        if (!(c = pz_value_map()))
            return NULL;
        for (size_t i = 0; i < v->u.map.len; i++)
            if (pz_map_set(c, v->u.map.keys[i], pz_value_copy(v->u.map.vals[i])) != PZ_OK)
                goto fail;
        return c;
    default:
        /* Scalars carry no pointers, so a struct copy is a deep copy. */
        if ((c = new_value(v->type)))
            *c = *v;
        return c;
    }
fail:
    pz_value_free(c);
    return NULL;
}

/* }===== */

/* {===== containers ===== */

/* Next capacity for a container holding len items, or 0 on overflow. */
static size_t grow_cap(size_t cap, size_t elem)
{
    size_t n = cap ? cap * 2 : 4;
    if (n < cap || n > (size_t)-1 / elem)
        return 0;
    return n;
}

int pz_list_push(pz_value *list, pz_value *item)
{
    /* NULL item means the caller's constructor ran out of memory; reporting
     * it here keeps `pz_list_push(l, pz_value_int(3))` a complete check. */
    if (!item)
        return PZ_ENOMEM;
    if (!list || list->type != PZ_LIST) {
        pz_value_free(item);
        return PZ_ETYPE;
    }
    if (list->u.list.len == list->u.list.cap) {
        size_t cap = grow_cap(list->u.list.cap, sizeof(pz_value *));
        pz_value **items = cap ? realloc(list->u.list.items, cap * sizeof *items) : NULL;
        if (!items) {
            pz_value_free(item);
            return PZ_ENOMEM;
        }
        list->u.list.items = items;
        list->u.list.cap = cap;
    }
    list->u.list.items[list->u.list.len++] = item;
    return PZ_OK;
}

static size_t map_find(const pz_value *map, const char *key)
{
    for (size_t i = 0; i < map->u.map.len; i++)
        if (strcmp(map->u.map.keys[i], key) == 0)
            return i;
    return (size_t)-1;
}

int pz_map_set(pz_value *map, const char *key, pz_value *val)
{
    if (!val)
        return PZ_ENOMEM; /* as in pz_list_push */
    if (!map || map->type != PZ_MAP) {
        pz_value_free(val);
        return PZ_ETYPE;
    }
    if (!key) {
        pz_value_free(val);
        return PZ_EINVAL;
    }
    size_t at = map_find(map, key);
    if (at != (size_t)-1) {
        pz_value_free(map->u.map.vals[at]);
        map->u.map.vals[at] = val;
        return PZ_OK;
    }
    if (map->u.map.len == map->u.map.cap) {
        size_t cap = grow_cap(map->u.map.cap, sizeof(char *));
        /* Grow both arrays before recording the new cap: if the second
         * realloc fails, the first array is merely larger than needed. */
        char **keys = cap ? realloc(map->u.map.keys, cap * sizeof *keys) : NULL;
        if (keys)
            map->u.map.keys = keys;
        pz_value **vals = keys ? realloc(map->u.map.vals, cap * sizeof *vals) : NULL;
        if (!vals) {
            pz_value_free(val);
            return PZ_ENOMEM;
        }
        map->u.map.vals = vals;
        map->u.map.cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
        pz_value_free(val);
        return PZ_ENOMEM;
    }
    map->u.map.keys[map->u.map.len] = k;
    map->u.map.vals[map->u.map.len] = val;
    map->u.map.len++;
    return PZ_OK;
}

pz_value *pz_map_get(const pz_value *map, const char *key)
{
    if (!map || map->type != PZ_MAP || !key)
        return NULL;
    size_t at = map_find(map, key);
    return at == (size_t)-1 ? NULL : map->u.map.vals[at];
}

int pz_map_del(pz_value *map, const char *key)
{
    if (!map || map->type != PZ_MAP)
        return PZ_ETYPE;
    if (!key)
        return PZ_EINVAL;
    size_t at = map_find(map, key);
    if (at == (size_t)-1)
        return PZ_ENOENT;
    free(map->u.map.keys[at]);
    pz_value_free(map->u.map.vals[at]);
    size_t rest = map->u.map.len - at - 1;
    memmove(map->u.map.keys + at, map->u.map.keys + at + 1, rest * sizeof(char *));
    memmove(map->u.map.vals + at, map->u.map.vals + at + 1, rest * sizeof(pz_value *));
    map->u.map.len--;
    return PZ_OK;
}

size_t pz_value_len(const pz_value *v)
{
    if (!v)
        return 0;
    switch (v->type) {
    case PZ_STR: return v->u.s.len;
    case PZ_LIST: return v->u.list.len;
    case PZ_MAP: return v->u.map.len;
    default: return 0;
    }
}

/* }===== */

/* {===== comparison and conversion ===== */

int pz_value_equal(const pz_value *a, const pz_value *b)
{
    if (a == b)
        return 1;
    if (!a || !b || a->type != b->type)
        return 0;
    switch (a->type) {
    case PZ_NONE: return 1;
    case PZ_BOOL: return a->u.b == b->u.b;
    case PZ_INT: return a->u.i == b->u.i;
    case PZ_DOUBLE: return memcmp(&a->u.d, &b->u.d, sizeof(double)) == 0;
    case PZ_STR:
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0;
    case PZ_LIST:
        if (a->u.list.len != b->u.list.len)
            return 0;
        for (size_t i = 0; i < a->u.list.len; i++)
            if (!pz_value_equal(a->u.list.items[i], b->u.list.items[i]))
                return 0;
        return 1;
    case PZ_MAP:
        if (a->u.map.len != b->u.map.len)
            return 0;
        for (size_t i = 0; i < a->u.map.len; i++)
            if (strcmp(a->u.map.keys[i], b->u.map.keys[i]) != 0 ||
                !pz_value_equal(a->u.map.vals[i], b->u.map.vals[i]))
                return 0;
        return 1;
    }
    return 0;
}

int pz_value_number(const pz_value *v, double *out)
{
    if (!v || (v->type != PZ_INT && v->type != PZ_DOUBLE))
        return PZ_ETYPE;
    if (out)
        *out = v->type == PZ_INT ? (double)v->u.i : v->u.d;
    return PZ_OK;
}

const char *pz_type_name(pz_type t)
{
    switch (t) {
    case PZ_NONE: return "none";
    case PZ_BOOL: return "bool";
    case PZ_INT: return "int";
    case PZ_DOUBLE: return "double";
    case PZ_STR: return "string";
    case PZ_LIST: return "list";
    case PZ_MAP: return "map";
    }
    return "unknown";
}

/* }===== */

/* {===== msgpack =====
 * msgpack-c's C unpacker keeps open containers on a fixed stack of
 * MSGPACK_EMBED_STACK_SIZE (32) entries and reports deeper nesting as
 * "out of memory"; it also allocates count * sizeof(msgpack_object) as soon
 * as it reads a container header, so a six-byte input claiming 2^32 elements
 * asks for ~100 GB. We therefore walk the bytes ourselves first (no
 * allocation, no recursion) and hand msgpack-c only a complete object whose
 * counts are backed by real bytes, and we never write nesting it cannot
 * read back. */

/* MSGPACK_EMBED_STACK_SIZE in msgpack/unpack_define.h, fixed when libmsgpackc
 * was built (an internal header, hence the copy). */
#define MP_MAX_DEPTH 32

static int pack_rec(msgpack_packer *pk, const pz_value *v, int depth)
{
    switch (v->type) {
    case PZ_NONE: return msgpack_pack_nil(pk) ? PZ_ENOMEM : PZ_OK;
    case PZ_BOOL:
        return (v->u.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ? PZ_ENOMEM : PZ_OK;
    case PZ_INT: return msgpack_pack_int64(pk, v->u.i) ? PZ_ENOMEM : PZ_OK;
    case PZ_DOUBLE: return msgpack_pack_double(pk, v->u.d) ? PZ_ENOMEM : PZ_OK;
    case PZ_STR:
        if (v->u.s.len > UINT32_MAX)
            return PZ_ERANGE;
        if (msgpack_pack_str(pk, v->u.s.len) || msgpack_pack_str_body(pk, v->u.s.ptr, v->u.s.len))
            return PZ_ENOMEM;
        return PZ_OK;
    case PZ_LIST:
    case PZ_MAP:
        break;
    }
    if (depth >= MP_MAX_DEPTH || pz_value_len(v) > UINT32_MAX)
        return PZ_ERANGE;
    int rc = PZ_OK;
    if (v->type == PZ_LIST) {
        if (msgpack_pack_array(pk, v->u.list.len))
            return PZ_ENOMEM;
        for (size_t i = 0; i < v->u.list.len && rc == PZ_OK; i++)
            rc = pack_rec(pk, v->u.list.items[i], depth + 1);
        return rc;
    }
    if (msgpack_pack_map(pk, v->u.map.len))
        return PZ_ENOMEM;
    for (size_t i = 0; i < v->u.map.len && rc == PZ_OK; i++) {
        size_t klen = strlen(v->u.map.keys[i]);
        if (msgpack_pack_str(pk, klen) || msgpack_pack_str_body(pk, v->u.map.keys[i], klen))
            return PZ_ENOMEM;
        rc = pack_rec(pk, v->u.map.vals[i], depth + 1);
    }
    return rc;
}

/* msgpack_packer_write: 0 on success, as msgpack-c expects. */
static int buf_write(void *data, const char *p, size_t n)
{
    return pz_buf_append(data, p, n) == PZ_OK ? 0 : -1;
}

/* PZ_ERANGE for strings/containers over 2^32-1 items or nesting deeper than
 * msgpack-c can decode; out is left as it was on any failure. */
int pz_value_pack(const pz_value *v, pz_buf *out)
{
    if (!v || !out)
        return PZ_EINVAL;
    size_t start = out->len;
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, buf_write);
    int rc = pack_rec(&pk, v, 0);
    if (rc != PZ_OK && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

static uint64_t read_be(const unsigned char *p, int n)
{
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x = x << 8 | p[i];
    return x;
}

/* Find where the one object at buf[0] ends (*end), checking that it is
 * complete, uses no ext or reserved byte, and nests at most MP_MAX_DEPTH
 * containers. todo[k] counts the objects still owed at nesting level k. */
static int mp_scan(const unsigned char *p, size_t len, size_t *end, pz_error *err)
{
    uint64_t todo[MP_MAX_DEPTH + 1];
    int top = 0;
    size_t pos = 0;
    todo[0] = 1;
    while (top >= 0) {
        if (todo[top] == 0) {
            top--;
            continue;
        }
        todo[top]--;
        if (pos >= len)
            goto truncated;
        unsigned b = p[pos];
        int lenbytes = 0;    /* size of a big-endian length/count field */
        uint64_t body = 0;   /* payload bytes after header and length */
        uint64_t kids = 0;   /* child objects (2 per map entry) */
        int container = 0;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* fixint, nil, bool: the header is the object */
        } else if (b <= 0x8f) {
            container = 1, kids = 2 * (b & 0x0f);
        } else if (b <= 0x9f) {
            container = 1, kids = b & 0x0f;
        } else if (b <= 0xbf) {
            body = b & 0x1f;
        } else if (b >= 0xc4 && b <= 0xc6) {
            lenbytes = 1 << (b - 0xc4);             /* bin 8/16/32 */
        } else if (b == 0xca || b == 0xcb) {
            body = b == 0xca ? 4 : 8;               /* float 32/64 */
        } else if (b >= 0xcc && b <= 0xd3) {
            body = 1u << ((b - 0xcc) & 3);          /* uint/int 8..64 */
        } else if (b >= 0xd9 && b <= 0xdb) {
            lenbytes = 1 << (b - 0xd9);             /* str 8/16/32 */
        } else if (b >= 0xdc) {
            container = 1, lenbytes = b & 1 ? 4 : 2; /* array/map 16/32 */
        } else if (b == 0xc1) {
            return pz_error_set(err, PZ_EFORMAT, "invalid msgpack byte 0xc1 at byte %zu", pos);
        } else {
            return pz_error_set(err, PZ_EFORMAT,
                                "msgpack ext types are not supported (byte %zu)", pos);
        }
        if ((size_t)lenbytes > len - pos - 1)
            goto truncated;
        uint64_t n = read_be(p + pos + 1, lenbytes);
        pos += 1 + (size_t)lenbytes;
        if (container) {
            if (lenbytes)
                kids = b >= 0xde ? 2 * n : n;
            /* msgpack-c refuses even an empty container at this depth. */
            if (top >= MP_MAX_DEPTH)
                return pz_error_set(err, PZ_EFORMAT,
                                    "msgpack nested deeper than %d levels at byte %zu",
                                    MP_MAX_DEPTH, pos - 1 - (size_t)lenbytes);
            todo[++top] = kids;
            continue;
        }
        if (lenbytes)
            body = n;
        if (body > len - pos)
            goto truncated;
        pos += (size_t)body;
    }
    *end = pos;
    return PZ_OK;
truncated:
    return pz_error_set(err, PZ_EFORMAT, "truncated msgpack at byte %zu", len);
}

/* Build a pz_value from an object inside the unpacked zone; strings are
 * copied out because they die with the zone. Depth is bounded by mp_scan. */
static int from_object(const msgpack_object *o, pz_value **out, pz_error *err)
{
    pz_value *v = NULL;
    *out = NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: v = pz_value_none(); break;
    case MSGPACK_OBJECT_BOOLEAN: v = pz_value_bool(o->via.boolean); break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 > INT64_MAX)
            return pz_error_set(err, PZ_ERANGE, "msgpack integer %llu does not fit int64",
                                (unsigned long long)o->via.u64);
        v = pz_value_int((int64_t)o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: v = pz_value_int(o->via.i64); break;
    case MSGPACK_OBJECT_FLOAT32: /* msgpack-c already widened it into f64 */
    case MSGPACK_OBJECT_FLOAT64: v = pz_value_double(o->via.f64); break;
    case MSGPACK_OBJECT_STR: v = pz_value_strn(o->via.str.ptr, o->via.str.size); break;
    case MSGPACK_OBJECT_BIN: v = pz_value_strn(o->via.bin.ptr, o->via.bin.size); break;
    case MSGPACK_OBJECT_ARRAY:
        if (!(v = pz_value_list()))
            break;
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            pz_value *item;
            int rc = from_object(&o->via.array.ptr[i], &item, err);
            if (rc == PZ_OK && (rc = pz_list_push(v, item)) != PZ_OK)
                pz_error_set(err, rc, "out of memory");
            if (rc != PZ_OK) {
                pz_value_free(v);
                return rc;
            }
        }
        break;
    case MSGPACK_OBJECT_MAP:
        if (!(v = pz_value_map()))
            break;
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            const msgpack_object_str *k = &kv->key.via.str;
            int rc = PZ_OK;
            pz_value *item = NULL;
            char *key = NULL;
            /* Our keys are C strings, so an embedded NUL would silently
             * shorten (and possibly duplicate) the key: refuse it. */
            if (kv->key.type != MSGPACK_OBJECT_STR || (k->size && memchr(k->ptr, '\0', k->size)))
                rc = pz_error_set(err, PZ_EFORMAT, "msgpack map key %" PRIu32 " is not a %s", i,
                                  kv->key.type != MSGPACK_OBJECT_STR ? "string" : "NUL-free string");
            else if (!(key = k->size ? strndup(k->ptr, k->size) : strdup(""))) /* ptr may be NULL */
                rc = pz_error_set(err, PZ_ENOMEM, "out of memory");
            else if (pz_map_get(v, key))
                rc = pz_error_set(err, PZ_EFORMAT, "duplicate msgpack map key \"%s\"", key);
            else if ((rc = from_object(&kv->val, &item, err)) == PZ_OK &&
                     (rc = pz_map_set(v, key, item)) != PZ_OK)
                pz_error_set(err, rc, "out of memory");
            free(key);
            if (rc != PZ_OK) {
                pz_value_free(v);
                return rc;
            }
        }
        break;
    case MSGPACK_OBJECT_EXT:
    default:
        return pz_error_set(err, PZ_EFORMAT, "msgpack ext types are not supported");
    }
    if (!v)
        return pz_error_set(err, PZ_ENOMEM, "out of memory");
    *out = v;
    return PZ_OK;
}

int pz_value_unpack(const char *buf, size_t len, pz_value **out, pz_error *err)
{
    size_t end = 0;
    if (!out)
        return pz_error_set(err, PZ_EINVAL, "pz_value_unpack: out is NULL");
    *out = NULL;
    if (!buf && len)
        return pz_error_set(err, PZ_EINVAL, "pz_value_unpack: buf is NULL");
    int rc = mp_scan((const unsigned char *)buf, len, &end, err);
    if (rc != PZ_OK)
        return rc;
    if (end != len)
        return pz_error_set(err, PZ_EFORMAT, "trailing bytes after msgpack object at byte %zu", end);

    msgpack_unpacked res;
    size_t off = 0;
    msgpack_unpacked_init(&res);
    switch (msgpack_unpack_next(&res, buf, len, &off)) {
    case MSGPACK_UNPACK_SUCCESS:
        rc = from_object(&res.data, out, err);
        break;
    case MSGPACK_UNPACK_NOMEM_ERROR: /* depth and counts were checked: real OOM */
        rc = pz_error_set(err, PZ_ENOMEM, "out of memory decoding msgpack");
        break;
    default: /* CONTINUE, EXTRA_BYTES, PARSE_ERROR: mp_scan should have caught it */
        rc = pz_error_set(err, PZ_EFORMAT, "malformed msgpack at byte %zu", off);
        break;
    }
    msgpack_unpacked_destroy(&res);
    return rc;
}

/* }===== */
