/* parzen tests: the pz_value tree, its msgpack encoding and its JSON text.
 *
 * What matters downstream: trials saved with msgpack or JSON come back
 * bit-identical with ints still ints and doubles still doubles, maps keep
 * their order, and damaged or hostile input is refused with PZ_EFORMAT (or
 * PZ_ERANGE) and a byte offset instead of crashing or allocating wildly.
 */
#include <math.h>
#include <stdint.h>

#include "check.h"
#include "value.h"

/* Helpers own nothing past their return unless stated. */

static pz_value *push(pz_value *list, pz_value *item)
{
    CHECK_OK(pz_list_push(list, item));
    return list;
}

static pz_value *set(pz_value *map, const char *key, pz_value *val)
{
    CHECK_OK(pz_map_set(map, key, val));
    return map;
}

/* A tree touching every type and the awkward corners of each. Caller frees. */
static pz_value *build_tree(void)
{
    pz_value *ints = pz_value_list();
    const int64_t iv[] = {((int64_t)1 << 53) + 1, INT64_MAX, INT64_MIN, -1, 0, 127, 128, -32,
                          -33, 255, 256, 65535, 65536, (int64_t)1 << 32, -2147483649LL};
    for (size_t i = 0; i < sizeof iv / sizeof iv[0]; i++)
        push(ints, pz_value_int(iv[i]));

    pz_value *dbls = pz_value_list();
    const double dv[] = {-0.0, 0.1, 1e308, 5e-324, 1.0, -1.5, 0.1 + 0.2};
    for (size_t i = 0; i < sizeof dv / sizeof dv[0]; i++)
        push(dbls, pz_value_double(dv[i]));

    pz_value *strs = pz_value_list();
    push(strs, pz_value_str(""));
    push(strs, pz_value_strn("a\0b", 3));
    push(strs, pz_value_str("na\xc3\xafve \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac")); /* naïve — 日本 */

    pz_value *inner = pz_value_map();
    set(inner, "b", pz_value_int(1));
    set(inner, "a", pz_value_int(2));
    pz_value *flags = pz_value_list();
    push(flags, pz_value_bool(1));
    push(flags, pz_value_bool(0));
    push(flags, pz_value_none());
    pz_value *nested = pz_value_map();
    set(nested, "z", inner);
    set(nested, "a", flags);

    pz_value *root = pz_value_map();
    set(root, "ints", ints);
    set(root, "doubles", dbls);
    set(root, "strs", strs);
    set(root, "empty_list", pz_value_list());
    set(root, "empty_map", pz_value_map());
    set(root, "nested", nested);
    set(root, "none", pz_value_none());
    set(root, "yes", pz_value_bool(1));
    return root;
}

/* The properties a decoded tree must have beyond pz_value_equal. */
static void check_tree_shape(const pz_value *t)
{
    const pz_value *ints = pz_map_get(t, "ints"), *dbls = pz_map_get(t, "doubles");
    CHECK(ints && dbls);
    for (size_t i = 0; i < ints->u.list.len; i++)
        CHECK_EQ(ints->u.list.items[i]->type, PZ_INT);
    for (size_t i = 0; i < dbls->u.list.len; i++)
        CHECK_EQ(dbls->u.list.items[i]->type, PZ_DOUBLE);
    CHECK_EQ(ints->u.list.items[0]->u.i, ((int64_t)1 << 53) + 1);
    CHECK(signbit(dbls->u.list.items[0]->u.d) && dbls->u.list.items[0]->u.d == 0.0);
    CHECK(dbls->u.list.items[3]->u.d == 5e-324);
    const pz_value *s = pz_map_get(t, "strs")->u.list.items[1];
    CHECK_EQ(s->u.s.len, 3);
    CHECK(memcmp(s->u.s.ptr, "a\0b", 4) == 0); /* includes the terminating NUL */
    const pz_value *inner = pz_map_get(pz_map_get(t, "nested"), "z");
    CHECK_STR(inner->u.map.keys[0], "b");
    CHECK_STR(inner->u.map.keys[1], "a");
    CHECK_STR(t->u.map.keys[0], "ints");
    CHECK_STR(t->u.map.keys[7], "yes");
}

/* {===== containers, equality, copy ===== */

static void test_containers(void)
{
    pz_value *m = pz_value_map();
    set(m, "a", pz_value_int(1));
    set(m, "b", pz_value_int(2));
    set(m, "c", pz_value_int(3));
    set(m, "b", pz_value_str("two")); /* replace keeps position */
    CHECK_EQ(pz_value_len(m), 3);
    CHECK_STR(m->u.map.keys[1], "b");
    CHECK_STR(pz_map_get(m, "b")->u.s.ptr, "two");
    CHECK(pz_map_get(m, "zz") == NULL);

    CHECK_OK(pz_map_del(m, "a"));
    CHECK_EQ(pz_value_len(m), 2);
    CHECK_STR(m->u.map.keys[0], "b");
    CHECK_STR(m->u.map.keys[1], "c");
    CHECK_EQ(pz_map_get(m, "c")->u.i, 3);
    CHECK_EQ(pz_map_del(m, "a"), PZ_ENOENT);

    /* Wrong container: error, and the item is freed (ASan would see a leak). */
    pz_value *i = pz_value_int(5);
    CHECK_EQ(pz_list_push(m, pz_value_int(1)), PZ_ETYPE);
    CHECK_EQ(pz_map_set(i, "k", pz_value_int(1)), PZ_ETYPE);
    CHECK_EQ(pz_map_del(i, "k"), PZ_ETYPE);
    CHECK(pz_map_get(i, "k") == NULL);
    pz_value_free(i);

    /* A NULL item stands for a constructor that ran out of memory. */
    pz_value *l = pz_value_list();
    CHECK_EQ(pz_list_push(l, NULL), PZ_ENOMEM);
    CHECK_EQ(pz_map_set(m, "x", NULL), PZ_ENOMEM);
    CHECK_EQ(pz_value_len(l), 0);
    for (int k = 0; k < 100; k++)
        push(l, pz_value_int(k));
    CHECK_EQ(pz_value_len(l), 100);
    CHECK_EQ(l->u.list.items[99]->u.i, 99);
    CHECK_EQ(pz_value_len(pz_map_get(m, "b")), 3);
    CHECK_EQ(pz_value_len(pz_map_get(m, "c")), 0);
    CHECK_EQ(pz_value_len(NULL), 0);

    double d = 0;
    CHECK_OK(pz_value_number(pz_map_get(m, "c"), &d));
    CHECK(d == 3.0);
    CHECK_EQ(pz_value_number(pz_map_get(m, "b"), &d), PZ_ETYPE);
    CHECK_STR(pz_type_name(PZ_NONE), "none");
    CHECK_STR(pz_type_name(PZ_STR), "string");
    CHECK_STR(pz_type_name(PZ_MAP), "map");

    pz_value_free(l);
    pz_value_free(m);
    pz_value_free(NULL);
}

static void test_equal_and_copy(void)
{
    pz_value *pz = pz_value_double(0.0), *nz = pz_value_double(-0.0);
    pz_value *n1 = pz_value_double(NAN), *n2 = pz_value_double(NAN);
    pz_value *i1 = pz_value_int(1), *d1 = pz_value_double(1.0);
    CHECK(!pz_value_equal(pz, nz));
    CHECK(pz_value_equal(n1, n2));
    CHECK(!pz_value_equal(i1, d1));
    CHECK(!pz_value_equal(i1, NULL));
    pz_value_free(pz), pz_value_free(nz), pz_value_free(n1), pz_value_free(n2);
    pz_value_free(i1), pz_value_free(d1);

    pz_value *ab = pz_value_map(), *ba = pz_value_map();
    set(set(ab, "a", pz_value_int(1)), "b", pz_value_int(2));
    set(set(ba, "b", pz_value_int(2)), "a", pz_value_int(1));
    CHECK(!pz_value_equal(ab, ba)); /* order is part of the value */
    pz_value_free(ab), pz_value_free(ba);

    pz_value *t = build_tree(), *c = pz_value_copy(t);
    CHECK(c && c != t);
    CHECK(pz_value_equal(t, c));
    check_tree_shape(c);
    set(pz_map_get(c, "nested"), "new", pz_value_none()); /* the copy is deep */
    CHECK(!pz_value_equal(t, c));
    CHECK(pz_map_get(pz_map_get(t, "nested"), "new") == NULL);
    pz_value_free(t), pz_value_free(c);
}

/* }===== */

/* {===== msgpack ===== */

static int unpack_err(const void *buf, size_t len, pz_error *err)
{
    pz_value *v = (pz_value *)1;
    pz_error_clear(err);
    int rc = pz_value_unpack(buf, len, &v, err);
    CHECK(rc != PZ_OK);
    CHECK(v == NULL);
    CHECK_EQ(err->code, rc);
    return rc;
}

static void test_msgpack_roundtrip(void)
{
    pz_value *t = build_tree(), *back = NULL;
    pz_buf b;
    pz_buf_init(&b);
    CHECK_OK(pz_value_pack(t, &b));
    CHECK_OK(pz_value_unpack(b.data, b.len, &back, NULL));
    CHECK(pz_value_equal(t, back));
    check_tree_shape(back);
    pz_value_free(back);

    /* Every proper prefix is truncated, and says where it ended. */
    pz_error err;
    char want[64];
    for (size_t n = 0; n < b.len; n++) {
        CHECK_EQ(unpack_err(b.data, n, &err), PZ_EFORMAT);
        snprintf(want, sizeof want, "truncated msgpack at byte %zu", n);
        CHECK_STR(err.msg, want);
    }
    /* One byte too many. */
    size_t len = b.len;
    CHECK_OK(pz_buf_putc(&b, (char)0xc0));
    CHECK_EQ(unpack_err(b.data, b.len, &err), PZ_EFORMAT);
    snprintf(want, sizeof want, "trailing bytes after msgpack object at byte %zu", len);
    CHECK_STR(err.msg, want);
    pz_buf_destroy(&b);
    pz_value_free(t);
}

static void test_msgpack_ints(void)
{
    /* msgpack_pack_int64 picks the smallest form; doubles are float64. */
    const struct { int64_t i; size_t bytes; } cases[] = {
        {0, 1}, {127, 1}, {-1, 1}, {-32, 1}, {128, 2}, {-33, 2}, {65535, 3},
        {65536, 5}, {INT64_MAX, 9}, {INT64_MIN, 9},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pz_value *v = pz_value_int(cases[k].i), *back = NULL;
        pz_buf b;
        pz_buf_init(&b);
        CHECK_OK(pz_value_pack(v, &b));
        CHECK_EQ(b.len, cases[k].bytes);
        CHECK_OK(pz_value_unpack(b.data, b.len, &back, NULL));
        CHECK_EQ(back->type, PZ_INT);
        CHECK_EQ(back->u.i, cases[k].i);
        pz_value_free(v), pz_value_free(back);
        pz_buf_destroy(&b);
    }
    pz_value *d = pz_value_double(1.0);
    pz_buf b;
    pz_buf_init(&b);
    CHECK_OK(pz_value_pack(d, &b));
    CHECK_EQ(b.len, 9);
    CHECK_EQ((unsigned char)b.data[0], 0xcb);
    pz_value_free(d);
    pz_buf_destroy(&b);
}

static void test_msgpack_handbuilt(void)
{
    pz_error err;
    pz_value *v = NULL;

    static const unsigned char f32[] = {0xca, 0x3f, 0xc0, 0x00, 0x00}; /* 1.5f */
    CHECK_OK(pz_value_unpack((const char *)f32, sizeof f32, &v, NULL));
    CHECK_EQ(v->type, PZ_DOUBLE);
    CHECK(v->u.d == 1.5);
    pz_value_free(v);

    static const unsigned char bin[] = {0xc4, 0x02, 'h', 'i'};
    CHECK_OK(pz_value_unpack((const char *)bin, sizeof bin, &v, NULL));
    CHECK_EQ(v->type, PZ_STR);
    CHECK_STR(v->u.s.ptr, "hi");
    pz_value_free(v);

    /* An empty key: msgpack-c hands it over with a NULL pointer. */
    static const unsigned char emptykey[] = {0x81, 0xa0, 0xa0};
    CHECK_OK(pz_value_unpack((const char *)emptykey, sizeof emptykey, &v, NULL));
    CHECK_EQ(pz_value_len(pz_map_get(v, "")), 0);
    CHECK_EQ(pz_map_get(v, "")->type, PZ_STR);
    pz_value_free(v);

    static const unsigned char u63[] = {0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_OK(pz_value_unpack((const char *)u63, sizeof u63, &v, NULL));
    CHECK_EQ(v->type, PZ_INT);
    CHECK_EQ(v->u.i, INT64_MAX);
    pz_value_free(v);

    static const unsigned char u64[] = {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    CHECK_EQ(unpack_err(u64, sizeof u64, &err), PZ_ERANGE);
    CHECK_CONTAINS(err.msg, "18446744073709551615");

    static const unsigned char dup[] = {0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02};
    CHECK_EQ(unpack_err(dup, sizeof dup, &err), PZ_EFORMAT);
    CHECK_CONTAINS(err.msg, "duplicate msgpack map key \"a\"");

    static const unsigned char intkey[] = {0x81, 0x01, 0x02};
    CHECK_EQ(unpack_err(intkey, sizeof intkey, &err), PZ_EFORMAT);
    CHECK_CONTAINS(err.msg, "not a string");

    static const unsigned char nulkey[] = {0x81, 0xa3, 'a', 0x00, 'b', 0x02};
    CHECK_EQ(unpack_err(nulkey, sizeof nulkey, &err), PZ_EFORMAT);

    static const unsigned char ext[] = {0x92, 0x01, 0xd4, 0x01, 0x00};
    CHECK_EQ(unpack_err(ext, sizeof ext, &err), PZ_EFORMAT);
    CHECK_CONTAINS(err.msg, "ext");
    CHECK_CONTAINS(err.msg, "byte 2");

    static const unsigned char c1[] = {0x91, 0xc1};
    CHECK_EQ(unpack_err(c1, sizeof c1, &err), PZ_EFORMAT);
    CHECK_STR(err.msg, "invalid msgpack byte 0xc1 at byte 1");

    /* An array claiming 2^32-1 elements in 6 bytes: refused as truncated,
     * before msgpack-c would try to allocate ~100 GB for it. */
    static const unsigned char huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK_EQ(unpack_err(huge, sizeof huge, &err), PZ_EFORMAT);
    CHECK_STR(err.msg, "truncated msgpack at byte 6");
    static const unsigned char hugestr[] = {0xdb, 0xff, 0xff, 0xff, 0xff, 'x'};
    CHECK_EQ(unpack_err(hugestr, sizeof hugestr, &err), PZ_EFORMAT);
}

/* A list nested depth deep around 0 (depth 1 is [0]). Caller frees. */
static pz_value *deep_list(int depth)
{
    pz_value *v = pz_value_int(0);
    for (int k = 0; k < depth; k++)
        v = push(pz_value_list(), v);
    return v;
}

static void test_msgpack_depth(void)
{
    pz_error err;
    pz_buf b;
    pz_buf_init(&b);

    /* msgpack-c decodes at most 32 nested containers; we write no more. */
    pz_value *ok = deep_list(32), *back = NULL;
    CHECK_OK(pz_value_pack(ok, &b));
    CHECK_OK(pz_value_unpack(b.data, b.len, &back, NULL));
    CHECK(pz_value_equal(ok, back));
    pz_value_free(ok), pz_value_free(back);

    size_t before = b.len;
    pz_value *deep = deep_list(33);
    CHECK_EQ(pz_value_pack(deep, &b), PZ_ERANGE);
    CHECK_EQ(b.len, before); /* failed pack leaves the buffer as it was */
    pz_value_free(deep);
    pz_buf_destroy(&b);

    /* Hostile nesting, even with an empty innermost container. */
    static unsigned char bytes[100000];
    memset(bytes, 0x91, sizeof bytes);
    bytes[32] = 0x90;
    CHECK_EQ(unpack_err(bytes, 33, &err), PZ_EFORMAT);
    CHECK_STR(err.msg, "msgpack nested deeper than 32 levels at byte 32");
    CHECK_EQ(unpack_err(bytes, sizeof bytes, &err), PZ_EFORMAT);
}

/* }===== */

/* {===== JSON ===== */

/* JSON text of v; the caller frees. */
static char *json_of(const pz_value *v)
{
    pz_buf b;
    pz_buf_init(&b);
    CHECK_OK(pz_value_to_json(v, &b));
    return pz_buf_release(&b, NULL);
}

static void check_json(pz_value *v, const char *want)
{
    char *got = json_of(v);
    CHECK_STR(got, want);
    free(got);
    pz_value_free(v);
}

static pz_value *parse(const char *text)
{
    pz_value *v = NULL;
    pz_error err;
    pz_error_clear(&err);
    int rc = pz_value_from_json(text, strlen(text), &v, &err);
    if (rc != PZ_OK)
        fprintf(stderr, "parse(%s): %s\n", text, err.msg);
    CHECK_OK(rc);
    return v;
}

static void check_parse_error(const char *text, size_t len, int code, const char *want)
{
    pz_value *v = (pz_value *)1;
    pz_error err;
    pz_error_clear(&err);
    CHECK_EQ(pz_value_from_json(text, len, &v, &err), code);
    CHECK(v == NULL);
    CHECK_STR(err.msg, want);
}

static void test_json_output(void)
{
    static const char want[] =
        "{\"a\":1,\"b\":1.0,\"c\":-0.0,\"d\":\"q\\\"\\\\\\n\\u0001\",\"e\":[],\"f\":{},"
        "\"g\":null,\"h\":true}";
    pz_value *m = pz_value_map();
    set(m, "a", pz_value_int(1));
    set(m, "b", pz_value_double(1.0));
    set(m, "c", pz_value_double(-0.0));
    set(m, "d", pz_value_str("q\"\\\n\x01"));
    set(m, "e", pz_value_list());
    set(m, "f", pz_value_map());
    set(m, "g", pz_value_none());
    set(m, "h", pz_value_bool(1));
    char *got = json_of(m);
    CHECK_STR(got, want);

    /* And back: same value, same types, -0.0 keeps its sign. */
    pz_value *back = parse(got);
    CHECK(pz_value_equal(m, back));
    CHECK_EQ(pz_map_get(back, "a")->type, PZ_INT);
    CHECK_EQ(pz_map_get(back, "b")->type, PZ_DOUBLE);
    CHECK(signbit(pz_map_get(back, "c")->u.d));
    free(got);
    pz_value_free(back);
    pz_value_free(m);

    check_json(pz_value_double(NAN), "null");
    check_json(pz_value_double(INFINITY), "null");
    check_json(pz_value_double(-INFINITY), "null");
    check_json(pz_value_double(0.1), "0.1");
    check_json(pz_value_double(0.1 + 0.2), "0.30000000000000004");
    check_json(pz_value_double(2.0), "2.0");
    check_json(pz_value_double(100.0), "100.0");
    check_json(pz_value_double(-1.5), "-1.5");
    check_json(pz_value_double(1e308), "1e+308");
    check_json(pz_value_double(1e15), "1e+15");
    check_json(pz_value_int(INT64_MIN), "-9223372036854775808");
    check_json(pz_value_str("\b\f\r\t\x1f\x7f/"), "\"\\b\\f\\r\\t\\u001f\x7f/\"");
    check_json(pz_value_strn("a\0b", 3), "\"a\\u0000b\"");
    check_json(pz_value_str("na\xc3\xafve \xe6\x97\xa5"), "\"na\xc3\xafve \xe6\x97\xa5\"");

    /* 1e21: whatever the digits, it must read back as the double 1e21. */
    pz_value *d21 = pz_value_double(1e21);
    char *big = json_of(d21);
    pz_value *b21 = parse(big);
    CHECK_EQ(b21->type, PZ_DOUBLE);
    CHECK(b21->u.d == 1e21);
    free(big);
    pz_value_free(b21), pz_value_free(d21);

    /* The writer stops where the parser would. */
    pz_value *ok = deep_list(512), *deep = deep_list(513);
    pz_buf b;
    pz_buf_init(&b);
    CHECK_OK(pz_value_to_json(ok, &b));
    pz_value *back512 = parse(b.data);
    CHECK(pz_value_equal(ok, back512));
    size_t before = b.len;
    CHECK_EQ(pz_value_to_json(deep, &b), PZ_ERANGE);
    CHECK_EQ(b.len, before);
    pz_buf_destroy(&b);
    pz_value_free(ok), pz_value_free(deep), pz_value_free(back512);
}

static void test_json_roundtrip_tree(void)
{
    pz_value *t = build_tree();
    char *text = json_of(t);
    pz_value *back = parse(text);
    CHECK(pz_value_equal(t, back));
    check_tree_shape(back);
    free(text);
    pz_value_free(back);
    pz_value_free(t);
}

static void test_json_parse(void)
{
    pz_value *v = parse(" \t\r\n[1, 2.5 ,-3e2,\"x\",true,false,null,{ }] \n");
    char *text = json_of(v);
    CHECK_STR(text, "[1,2.5,-300.0,\"x\",true,false,null,{}]");
    free(text);
    pz_value_free(v);

    v = parse("\"\\u00e9\\ud83d\\ude00\\/\\\"\\\\\\b\\f\\n\\r\\t\\u0041\"");
    CHECK_STR(v->u.s.ptr, "\xc3\xa9\xf0\x9f\x98\x80/\"\\\b\f\n\r\tA");
    pz_value_free(v);

    const struct { const char *text; pz_type type; int64_t i; double d; } nums[] = {
        {"9223372036854775807", PZ_INT, INT64_MAX, 0},
        {"-9223372036854775808", PZ_INT, INT64_MIN, 0},
        {"9223372036854775808", PZ_DOUBLE, 0, 9223372036854775808.0},
        {"-9223372036854775809", PZ_DOUBLE, 0, -9223372036854775809.0},
        {"-0", PZ_INT, 0, 0},
        {"1E2", PZ_DOUBLE, 0, 100.0},
        {"1e-400", PZ_DOUBLE, 0, 0.0},
        {"4.94065645841247e-324", PZ_DOUBLE, 0, 5e-324},
    };
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        v = parse(nums[k].text);
        CHECK_EQ(v->type, nums[k].type);
        if (v->type == PZ_INT)
            CHECK_EQ(v->u.i, nums[k].i);
        else
            CHECK(v->u.d == nums[k].d);
        pz_value_free(v);
    }
    v = parse("-0.0");
    CHECK(v->type == PZ_DOUBLE && signbit(v->u.d));
    pz_value_free(v);

    /* The text need not be NUL-terminated: only len bytes are read. */
    CHECK_OK(pz_value_from_json("123456", 3, &v, NULL));
    CHECK_EQ(v->u.i, 123);
    pz_value_free(v);

    /* Deepest accepted nesting. */
    static char brackets[1100];
    memset(brackets, '[', 512);
    memset(brackets + 512, ']', 512);
    CHECK_OK(pz_value_from_json(brackets, 1024, &v, NULL));
    pz_value_free(v);
}

static void test_json_errors(void)
{
#define BAD(text, code, msg) check_parse_error(text, sizeof text - 1, code, msg)
    BAD("[1,2,]", PZ_EFORMAT, "JSON: trailing comma at byte 5");
    BAD("{\"a\":1,}", PZ_EFORMAT, "JSON: trailing comma at byte 7");
    BAD("\"abc", PZ_EFORMAT, "JSON: unterminated string at byte 0");
    BAD("[\"a\\", PZ_EFORMAT, "JSON: unterminated string at byte 1");
    BAD("\"a\\qb\"", PZ_EFORMAT, "JSON: bad escape at byte 2");
    BAD("\"\\u12g4\"", PZ_EFORMAT, "JSON: bad hex digit in \\u escape at byte 5");
    BAD("01", PZ_EFORMAT, "JSON: leading zero in number at byte 0");
    BAD("[-01]", PZ_EFORMAT, "JSON: leading zero in number at byte 1");
    BAD("[\"\\ud800\"]", PZ_EFORMAT, "JSON: lone high surrogate at byte 2");
    BAD("\"\\ud800\\u0041\"", PZ_EFORMAT, "JSON: lone high surrogate at byte 1");
    BAD("\"\\udc00\"", PZ_EFORMAT, "JSON: lone low surrogate at byte 1");
    BAD("{\"a\":1,\"a\":2}", PZ_EFORMAT, "JSON: duplicate key at byte 7");
    BAD("{\"a\\u0000\":1}", PZ_EFORMAT, "JSON: NUL in object key at byte 1");
    BAD("{1:2}", PZ_EFORMAT, "JSON: expected string key at byte 1");
    BAD("{\"a\" 1}", PZ_EFORMAT, "JSON: expected ':' at byte 5");
    BAD("[1 2]", PZ_EFORMAT, "JSON: expected ',' or ']' at byte 3");
    BAD("", PZ_EFORMAT, "JSON: unexpected end of input at byte 0");
    BAD("  ", PZ_EFORMAT, "JSON: unexpected end of input at byte 2");
    BAD("[1] x", PZ_EFORMAT, "JSON: unexpected data after the value at byte 4");
    BAD("tru", PZ_EFORMAT, "JSON: invalid literal at byte 0");
    BAD("NaN", PZ_EFORMAT, "JSON: unexpected character at byte 0");
    BAD("+1", PZ_EFORMAT, "JSON: unexpected character at byte 0");
    BAD("1.", PZ_EFORMAT, "JSON: expected digit after '.' at byte 2");
    BAD("1e+", PZ_EFORMAT, "JSON: expected digit in exponent at byte 3");
    BAD("-", PZ_EFORMAT, "JSON: invalid number at byte 0");
    BAD("\"a\x01\"", PZ_EFORMAT, "JSON: control character in string at byte 2");
    BAD("1e999", PZ_ERANGE, "JSON: number out of range at byte 0");
    BAD("[1,\0]", PZ_EFORMAT, "JSON: unexpected character at byte 3");
#undef BAD

    static char deep[600];
    memset(deep, '[', sizeof deep);
    check_parse_error(deep, sizeof deep, PZ_EFORMAT, "JSON: nesting deeper than 512 at byte 512");
}

/* }===== */

int main(void)
{
    test_containers();
    test_equal_and_copy();
    test_msgpack_roundtrip();
    test_msgpack_ints();
    test_msgpack_handbuilt();
    test_msgpack_depth();
    test_json_output();
    test_json_roundtrip_tree();
    test_json_parse();
    test_json_errors();
    puts("test_value: ok");
    return 0;
}
