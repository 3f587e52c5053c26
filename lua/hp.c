/* parzen: the hp.* functions and Lua <-> node/value conversion.
 *
 * Every hp.* call validates through core/space.c, so C and Lua refuse the
 * same spaces with the same words; this file only maps pz_error.arg onto
 * luaL_argerror so the user sees their own file and line.
 */
#define _POSIX_C_SOURCE 200809L
#include "hp.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 100 /* deeper Lua tables are taken to be cyclic */

typedef struct node_ud {
    pz_node *node; /* NULL until the node is made (so __gc is always safe) */
} node_ud;

static pz_node *testnode(lua_State *L, int idx)
{
    node_ud *ud = luaL_testudata(L, idx, PZ_LUA_NODE);
    return ud ? ud->node : NULL;
}

/* {===== the node userdata ===== */

static int node_gc(lua_State *L)
{
    node_ud *ud = luaL_checkudata(L, 1, PZ_LUA_NODE);
    pz_node_free(ud->node);
    ud->node = NULL;
    return 0;
}

static int node_tostring(lua_State *L)
{
    node_ud *ud = luaL_checkudata(L, 1, PZ_LUA_NODE);
    const pz_node *n = ud->node;
    if (!n)
        lua_pushliteral(L, "hp.node (closed)");
    else if (n->kind == PZ_NODE_CONST && n->constant && n->constant->type == PZ_NONE)
        lua_pushliteral(L, "hp.none");
    else if (n->label)
        lua_pushfstring(L, "hp.%s(\"%s\")", pz_node_kind_name(n->kind), n->label);
    else
        lua_pushfstring(L, "hp.%s", pz_node_kind_name(n->kind));
    return 1;
}

/* Create the userdata before the node so that a Lua error can never leak
 * it (liolib's newprefile pattern). */
static node_ud *newnode_ud(lua_State *L)
{
    node_ud *ud = lua_newuserdatauv(L, sizeof *ud, 0);
    ud->node = NULL;
    if (luaL_newmetatable(L, PZ_LUA_NODE)) {
        lua_pushcfunction(L, node_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, node_gc);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, node_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, PZ_LUA_NODE);
        lua_setfield(L, -2, "__name");
    }
    lua_setmetatable(L, -2);
    return ud;
}

/* "file:line" of the hp.* call (luaL_where gives "file:line: "). */
static void set_where(lua_State *L, pz_node *n)
{
    luaL_where(L, 1);
    size_t len;
    const char *w = lua_tolstring(L, -1, &len);
    char buf[PZ_WHERE_MAX];
    snprintf(buf, sizeof buf, "%s", w);
    len = strlen(buf);
    while (len && (buf[len - 1] == ' ' || buf[len - 1] == ':'))
        buf[--len] = '\0';
    pz_node_set_where(n, buf);
    lua_pop(L, 1);
}

/* Raise the pz_error of an hp.* call as a Lua error at the caller. */
static int raise(lua_State *L, const pz_error *err)
{
    if (err->arg > 0)
        return luaL_argerror(L, err->arg, err->msg);
    return luaL_error(L, "%s", err->msg);
}
/* }===== */

/* {===== hp.* ===== */

static void check_label(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING)
        luaL_typeerror(L, 1, "string");
}

static void check_nargs(lua_State *L, int max)
{
    if (lua_gettop(L) > max)
        luaL_argerror(L, max + 1, lua_pushfstring(L, "at most %d arguments expected", max));
}

static int dist(lua_State *L, pz_node_kind kind, int minnum, int maxnum)
{
    check_label(L);
    check_nargs(L, 1 + maxnum);
    double args[3];
    int nargs = lua_gettop(L) - 1;
    if (nargs < minnum)
        nargs = minnum; /* so the missing one is reported as "number expected, got no value" */
    for (int i = 0; i < nargs; i++) {
        if (lua_type(L, i + 2) != LUA_TNUMBER)
            luaL_typeerror(L, i + 2, "number");
        args[i] = lua_tonumber(L, i + 2);
    }
    node_ud *ud = newnode_ud(L);
    pz_error err;
    pz_error_clear(&err);
    if (pz_node_dist(&ud->node, kind, lua_tostring(L, 1), args, (size_t)nargs, &err))
        return raise(L, &err);
    set_where(L, ud->node);
    return 1;
}

static int hp_uniform(lua_State *L) { return dist(L, PZ_NODE_UNIFORM, 2, 2); }
static int hp_loguniform(lua_State *L) { return dist(L, PZ_NODE_LOGUNIFORM, 2, 2); }
static int hp_quniform(lua_State *L) { return dist(L, PZ_NODE_QUNIFORM, 3, 3); }
static int hp_qloguniform(lua_State *L) { return dist(L, PZ_NODE_QLOGUNIFORM, 3, 3); }
static int hp_normal(lua_State *L) { return dist(L, PZ_NODE_NORMAL, 2, 2); }
static int hp_lognormal(lua_State *L) { return dist(L, PZ_NODE_LOGNORMAL, 2, 2); }
static int hp_qnormal(lua_State *L) { return dist(L, PZ_NODE_QNORMAL, 3, 3); }
static int hp_qlognormal(lua_State *L) { return dist(L, PZ_NODE_QLOGNORMAL, 3, 3); }
static int hp_randint(lua_State *L) { return dist(L, PZ_NODE_RANDINT, 1, 2); }
static int hp_uniformint(lua_State *L) { return dist(L, PZ_NODE_UNIFORMINT, 2, 2); }

/* Options of a choice: a non-empty sequence. Converted into a C array that
 * a userdata owns, so nothing leaks if Lua raises midway. */
typedef struct opts_ud {
    pz_node **kids;
    double *probs;
    size_t n;
} opts_ud;

static int opts_gc(lua_State *L)
{
    opts_ud *o = lua_touserdata(L, 1);
    for (size_t i = 0; i < o->n; i++)
        pz_node_free(o->kids[i]);
    free(o->kids);
    free(o->probs);
    o->kids = NULL;
    o->probs = NULL;
    o->n = 0;
    return 0;
}

static opts_ud *newopts(lua_State *L, size_t n)
{
    opts_ud *o = lua_newuserdatauv(L, sizeof *o, 0);
    o->kids = NULL;
    o->probs = NULL;
    o->n = 0;
    lua_newtable(L);
    lua_pushcfunction(L, opts_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    o->kids = calloc(n ? n : 1, sizeof *o->kids);
    o->probs = calloc(n ? n : 1, sizeof *o->probs);
    if (!o->kids || !o->probs)
        luaL_error(L, "out of memory");
    return o;
}

static int make_choice(lua_State *L, int weighted)
{
    const char *fname = weighted ? "pchoice" : "choice";
    check_label(L);
    check_nargs(L, 2);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 2);
    if (n <= 0)
        return luaL_argerror(L, 2, "options must be a non-empty list");
    opts_ud *o = newopts(L, (size_t)n);
    int oi = lua_gettop(L);
    char path[64];
    pz_error err;
    pz_error_clear(&err);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_geti(L, 2, i);
        int item = lua_gettop(L);
        if (weighted) {
            if (lua_type(L, item) != LUA_TTABLE || luaL_len(L, item) != 2)
                return luaL_argerror(L, 2, lua_pushfstring(L,
                    "option %d must be a pair {probability, option}", (int)i));
            lua_geti(L, item, 1);
            if (lua_type(L, -1) != LUA_TNUMBER)
                return luaL_argerror(L, 2, lua_pushfstring(L,
                    "probability of option %d must be a number", (int)i));
            o->probs[i - 1] = lua_tonumber(L, -1);
            lua_pop(L, 1);
            lua_geti(L, item, 2);
        } else {
            lua_pushvalue(L, item);
        }
        snprintf(path, sizeof path, "option %d", (int)i);
        int rc = pz_lua_tonode(L, -1, path, NULL, &o->kids[i - 1], &err);
        if (rc)
            return luaL_argerror(L, 2, err.msg);
        o->n = (size_t)i;
        lua_settop(L, oi);
    }
    node_ud *ud = newnode_ud(L);
    /* Ownership of the options moves to the node, made or not. */
    size_t cnt = o->n;
    pz_node **kids = o->kids;
    o->kids = NULL;
    o->n = 0;
    int rc = weighted ? pz_node_pchoice(&ud->node, lua_tostring(L, 1), o->probs, kids, cnt, &err)
                      : pz_node_choice(&ud->node, lua_tostring(L, 1), kids, cnt, &err);
    free(kids);
    if (rc) {
        if (err.arg > 0)
            err.arg = err.arg > 2 ? 2 : err.arg; /* probs and options are one Lua argument */
        return raise(L, &err);
    }
    (void)fname;
    set_where(L, ud->node);
    return 1;
}

static int hp_choice(lua_State *L) { return make_choice(L, 0); }
static int hp_pchoice(lua_State *L) { return make_choice(L, 1); }

static const luaL_Reg hp_funcs[] = {
    {"uniform", hp_uniform},       {"loguniform", hp_loguniform}, {"quniform", hp_quniform},
    {"qloguniform", hp_qloguniform}, {"normal", hp_normal},       {"lognormal", hp_lognormal},
    {"qnormal", hp_qnormal},       {"qlognormal", hp_qlognormal}, {"randint", hp_randint},
    {"uniformint", hp_uniformint}, {"choice", hp_choice},         {"pchoice", hp_pchoice},
    {NULL, NULL},
};

int pz_lua_pushhp(lua_State *L)
{
    luaL_newlib(L, hp_funcs);
    /* One hp.none per Lua state, so `v == hp.none` holds for every copy. */
    if (lua_getfield(L, LUA_REGISTRYINDEX, "parzen.none") == LUA_TNIL) {
        lua_pop(L, 1);
        node_ud *ud = newnode_ud(L);
        pz_error err;
        if (pz_node_const(&ud->node, pz_value_none(), &err))
            return luaL_error(L, "%s", err.msg);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, "parzen.none");
    }
    lua_setfield(L, -2, "none");
    return 1;
}
/* }===== */

/* {===== conversion ===== */

static int is_none(lua_State *L, int idx)
{
    pz_node *n = testnode(L, idx);
    return n && n->kind == PZ_NODE_CONST && n->constant && n->constant->type == PZ_NONE;
}

/* Shape of a table: 1 list (keys 1..n), 2 map (string keys), 0 neither. */
static int table_shape(lua_State *L, int idx, size_t *count)
{
    size_t n = 0, nint = 0, nstr = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        n++;
        if (lua_type(L, -2) == LUA_TSTRING)
            nstr++;
        else if (lua_isinteger(L, -2))
            nint++;
        lua_pop(L, 1);
    }
    *count = n;
    if (n == 0)
        return 1;
    if (nstr == n)
        return 2;
    if (nint == n && (size_t)luaL_len(L, idx) == n)
        return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorted string keys of the table at idx; caller frees the array only
 * (the strings live in the Lua table, which stays on the stack). */
static const char **sorted_keys(lua_State *L, int idx, size_t n)
{
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return NULL;
    size_t i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        keys[i++] = lua_tostring(L, -2);
        lua_pop(L, 1);
    }
    qsort(keys, n, sizeof *keys, cmp_str);
    return keys;
}

/* Push item i of the sequence (shape 1) or string-keyed table at idx,
 * and extend path (of length plen) to name it: "opts[2]", "opt.lr". */
static void push_item(lua_State *L, int idx, int shape, const char **keys, size_t i, char *path,
                      size_t pathcap, size_t plen)
{
    if (shape == 1) {
        lua_geti(L, idx, (lua_Integer)i + 1);
        snprintf(path + plen, pathcap - plen, "[%zu]", i + 1);
    } else {
        lua_getfield(L, idx, keys[i]);
        snprintf(path + plen, pathcap - plen, "%s%s", plen ? "." : "", keys[i]);
    }
}

static int field_line_after(const char *path, const char *key, int after);

static int conv_error(pz_error *err, int code, const char *path, const char *source,
                      const char *fmt, const char *detail)
{
    pz_error_set(err, code, fmt, path, detail);
    if (err && source) {
        /* Place the error at the deepest named field of its path that the
         * script's text shows, each looked for below its parent's line. */
        char comp[128];
        int line = 0;
        for (const char *p = path; *p;) {
            size_t n = strcspn(p, ".[");
            if (n > 0 && n < sizeof comp) {
                memcpy(comp, p, n);
                comp[n] = '\0';
                int l = field_line_after(source, comp, line);
                if (l > 0)
                    line = l;
            }
            p += n;
            if (*p == '[')
                p += strcspn(p, "]");
            if (*p)
                p++;
        }
        if (line > 0)
            snprintf(err->where, sizeof err->where, "%s:%d", source, line);
        else
            snprintf(err->where, sizeof err->where, "%s", source);
    }
    return code;
}

static int tonode(lua_State *L, int idx, char *path, size_t pathcap, const char *source,
                  int depth, pz_node **out, pz_error *err)
{
    *out = NULL;
    idx = lua_absindex(L, idx);
    if (depth > MAX_DEPTH)
        return conv_error(err, PZ_ESPACE, path, source, "%s: tables nest too deeply (a cycle?)%s", "");
    pz_node *n = testnode(L, idx);
    if (n) {
        *out = pz_node_ref(n);
        return PZ_OK;
    }
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN:
        return pz_node_const(out, pz_value_bool(lua_toboolean(L, idx)), err);
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        return pz_node_const(out, pz_value_strn(s, len), err);
    }
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return pz_node_const(out, pz_value_int(lua_tointeger(L, idx)), err);
        if (!isfinite(lua_tonumber(L, idx)))
            return conv_error(err, PZ_ESPACE, path, source, "%s: numbers in a space must be finite%s", "");
        return pz_node_const(out, pz_value_double(lua_tonumber(L, idx)), err);
    case LUA_TTABLE:
        break;
    default:
        return conv_error(err, PZ_ETYPE, path, source,
                          "%s: a space holds hp expressions, numbers, strings, booleans and tables, not a %s",
                          luaL_typename(L, idx));
    }
    size_t count;
    int shape = table_shape(L, idx, &count);
    if (!shape)
        return conv_error(err, PZ_ESPACE, path, source,
                          "%s: a table must be a list (keys 1..n) or have only string keys%s", "");
    size_t plen = strlen(path);
    pz_node **kids = calloc(count ? count : 1, sizeof *kids);
    const char **keys = shape == 2 ? sorted_keys(L, idx, count) : NULL;
    if (!kids || (shape == 2 && !keys)) {
        free(kids);
        free(keys);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    int rc = PZ_OK;
    for (size_t i = 0; i < count && !rc; i++) {
        push_item(L, idx, shape, keys, i, path, pathcap, plen);
        rc = tonode(L, -1, path, pathcap, source, depth + 1, &kids[i], err);
        lua_pop(L, 1);
        path[plen] = '\0';
    }
    if (rc) {
        for (size_t i = 0; i < count; i++)
            pz_node_free(kids[i]);
    } else if (shape == 1) {
        rc = pz_node_list(out, kids, count, err);
    } else {
        rc = pz_node_map(out, keys, kids, count, err);
    }
    free(kids);
    free(keys);
    return rc;
}

int pz_lua_tonode(lua_State *L, int idx, const char *path, const char *source, pz_node **out,
                  pz_error *err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path ? path : "");
    return tonode(L, idx, buf, sizeof buf, source, 0, out, err);
}

static int tovalue(lua_State *L, int idx, char *path, size_t pathcap, int depth, pz_value **out,
                   pz_error *err)
{
    *out = NULL;
    idx = lua_absindex(L, idx);
    if (depth > MAX_DEPTH)
        return pz_error_set(err, PZ_EINVAL, "%s: tables nest too deeply (a cycle?)", path);
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        *out = pz_value_none();
        break;
    case LUA_TBOOLEAN:
        *out = pz_value_bool(lua_toboolean(L, idx));
        break;
    case LUA_TNUMBER:
        *out = lua_isinteger(L, idx) ? pz_value_int(lua_tointeger(L, idx))
                                     : pz_value_double(lua_tonumber(L, idx));
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        *out = pz_value_strn(s, len);
        break;
    }
    case LUA_TTABLE: {
        size_t count;
        int shape = table_shape(L, idx, &count);
        if (!shape)
            return pz_error_set(err, PZ_ETYPE,
                                "%s: a table must be a list (keys 1..n) or have only string keys",
                                path);
        const char **keys = shape == 2 ? sorted_keys(L, idx, count) : NULL;
        pz_value *t = shape == 1 ? pz_value_list() : pz_value_map();
        if (!t || (shape == 2 && !keys)) {
            pz_value_free(t);
            free(keys);
            return pz_error_set(err, PZ_ENOMEM, NULL);
        }
        size_t plen = strlen(path);
        int rc = PZ_OK;
        for (size_t i = 0; i < count && !rc; i++) {
            pz_value *item;
            push_item(L, idx, shape, keys, i, path, pathcap, plen);
            rc = tovalue(L, -1, path, pathcap, depth + 1, &item, err);
            lua_pop(L, 1);
            path[plen] = '\0';
            if (!rc)
                rc = shape == 1 ? pz_list_push(t, item) : pz_map_set(t, keys[i], item);
        }
        free(keys);
        if (rc) {
            pz_value_free(t);
            return rc;
        }
        *out = t;
        return PZ_OK;
    }
    default:
        if (is_none(L, idx)) {
            *out = pz_value_none();
            break;
        }
        return pz_error_set(err, PZ_ETYPE, "%s: a %s cannot be stored here", path,
                            luaL_typename(L, idx));
    }
    return *out ? PZ_OK : pz_error_set(err, PZ_ENOMEM, NULL);
}

int pz_lua_tovalue(lua_State *L, int idx, const char *path, pz_value **out, pz_error *err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path ? path : "");
    return tovalue(L, idx, buf, sizeof buf, 0, out, err);
}

static void pushnone(lua_State *L)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, "parzen.none") == LUA_TNIL) {
        lua_pop(L, 1);
        pz_lua_pushhp(L);
        lua_getfield(L, -1, "none");
        lua_remove(L, -2);
    }
}

void pz_lua_pushvalue(lua_State *L, const pz_value *v)
{
    luaL_checkstack(L, 4, "value tree too deep");
    switch (v->type) {
    case PZ_NONE: lua_pushnil(L); break;
    case PZ_BOOL: lua_pushboolean(L, v->u.b); break;
    case PZ_INT: lua_pushinteger(L, (lua_Integer)v->u.i); break;
    case PZ_DOUBLE: lua_pushnumber(L, v->u.d); break;
    case PZ_STR: lua_pushlstring(L, v->u.s.ptr, v->u.s.len); break;
    case PZ_LIST:
        lua_createtable(L, (int)v->u.list.len, 0);
        for (size_t i = 0; i < v->u.list.len; i++) {
            if (v->u.list.items[i]->type == PZ_NONE)
                pushnone(L);
            else
                pz_lua_pushvalue(L, v->u.list.items[i]);
            lua_seti(L, -2, (lua_Integer)i + 1);
        }
        break;
    case PZ_MAP:
        lua_createtable(L, 0, (int)v->u.map.len);
        for (size_t i = 0; i < v->u.map.len; i++) {
            pz_lua_pushvalue(L, v->u.map.vals[i]);
            lua_setfield(L, -2, v->u.map.keys[i]);
        }
        break;
    }
}
/* }===== */

static int field_line_after(const char *path, const char *key, int after)
{
    FILE *f = fopen(path, "r");
    if (!f || !key[0]) {
        if (f)
            fclose(f);
        return 0;
    }
    char line[4096];
    size_t klen = strlen(key);
    int lineno = 0, found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        lineno++;
        for (char *p = strstr(line, key); p; p = strstr(p + 1, key)) {
            int starts = p == line || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                                        (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9'));
            const char *q = p + klen;
            while (*q == ' ' || *q == '\t')
                q++;
            if (starts && lineno > after && *q == '=' && q[1] != '=') {
                found = 1;
                break;
            }
        }
    }
    fclose(f);
    return found ? lineno : 0;
}

int pz_lua_field_line(const char *path, const char *key)
{
    return field_line_after(path, key, 0);
}
