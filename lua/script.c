/* parzen: loading and checking study scripts (see script.h).
 *
 * The script runs once, in its own Lua state; the study table it returns is
 * checked field by field here, so that a typo or a bad value is refused
 * before any trial runs, with the script's file and line.
 */
#define _POSIX_C_SOURCE 200809L
#include "script.h"

#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hp.h"

struct pz_script {
    lua_State *L;
    char *path;
    char *name;
    pz_space *space;
    pz_value *config;
    int objective_ref; /* LUA_NOREF unless objective is a function */
};

static const char *const study_fields[] = {PZ_STUDY_FIELDS, NULL};

lua_State *pz_lua_newstate(void)
{
    lua_State *L = luaL_newstate();
    if (!L)
        return NULL;
    luaL_openlibs(L);
    luaL_requiref(L, "hp", pz_lua_pushhp, 1);
    lua_pop(L, 1);
    return L;
}

/* Split a Lua message "file:line: text" into where and msg. */
static int lua_failure(pz_error *err, int code, const char *m)
{
    pz_error_set(err, code, "%s", m ? m : "unknown Lua error");
    if (!err || !m)
        return code;
    const char *p = m;
    while ((p = strchr(p, ':')) != NULL) {
        const char *q = p + 1;
        if (*q < '0' || *q > '9') {
            p++;
            continue;
        }
        while (*q >= '0' && *q <= '9')
            q++;
        if (q[0] == ':' && q[1] == ' ') {
            size_t wl = (size_t)(q - m);
            if (wl < sizeof err->where) {
                memcpy(err->where, m, wl);
                err->where[wl] = '\0';
                snprintf(err->msg, sizeof err->msg, "%s", q + 2);
            }
            break;
        }
        p++;
    }
    return code;
}

/* An error about field `key` of the study, placed at its line. */
static int field_error(pz_error *err, const char *path, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int field_error(pz_error *err, const char *path, const char *key, const char *fmt, ...)
{
    if (!err)
        return PZ_ESCRIPT;
    pz_error_clear(err);
    err->code = PZ_ESCRIPT;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    int line = key ? pz_lua_field_line(path, key) : 0;
    if (line > 0)
        snprintf(err->where, sizeof err->where, "%s:%d", path, line);
    else
        snprintf(err->where, sizeof err->where, "%s", path);
    return PZ_ESCRIPT;
}

static int is_known(const char *k)
{
    for (size_t i = 0; study_fields[i]; i++)
        if (strcmp(study_fields[i], k) == 0)
            return 1;
    return 0;
}

/* Levenshtein distance, capped, for "did you mean" on unknown fields. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

static const char *closest_field(const char *k)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; study_fields[i]; i++) {
        size_t d = edit_distance(k, study_fields[i]);
        if (d < bd) {
            bd = d;
            best = study_fields[i];
        }
    }
    return best;
}

static const char *basename_noext(const char *path, char *buf, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, n, "%s", b);
    size_t l = strlen(buf);
    if (l > 4 && strcmp(buf + l - 4, ".lua") == 0)
        buf[l - 4] = '\0';
    return buf;
}

/* Check the type and range of each known field at table index t. */
static int check_field(lua_State *L, const char *path, const char *k, int v, pz_error *err)
{
    int type = lua_type(L, v);
    const char *tn = luaL_typename(L, v);
    if (strcmp(k, "name") == 0 || strcmp(k, "results") == 0) {
        if (type != LUA_TSTRING || lua_rawlen(L, v) == 0)
            return field_error(err, path, k, "field '%s' must be a non-empty string (got %s)", k, tn);
    } else if (strcmp(k, "objective") == 0) {
        if (type != LUA_TSTRING && type != LUA_TFUNCTION)
            return field_error(err, path, k,
                               "field 'objective' must be a trainer name or a Lua function (got %s)", tn);
    } else if (strcmp(k, "trainer") == 0) {
        if (type != LUA_TTABLE)
            return field_error(err, path, k, "field 'trainer' must be a table (got %s)", tn);
    } else if (strcmp(k, "algo") == 0) {
        if (type == LUA_TTABLE) {
            lua_getfield(L, v, "name");
            int ok = lua_type(L, -1) == LUA_TSTRING;
            lua_pop(L, 1);
            if (!ok)
                return field_error(err, path, k, "field 'algo' needs a string 'name' (e.g. \"tpe\")");
        } else if (type != LUA_TSTRING) {
            return field_error(err, path, k, "field 'algo' must be a name or a table (got %s)", tn);
        }
    } else if (strcmp(k, "max_evals") == 0 || strcmp(k, "no_improvement") == 0 ||
               strcmp(k, "workers") == 0 || strcmp(k, "max_consecutive_failures") == 0) {
        if (!lua_isinteger(L, v) || lua_tointeger(L, v) < 1)
            return field_error(err, path, k, "field '%s' must be an integer >= 1 (got %s)", k,
                               luaL_tolstring(L, v, NULL));
    } else if (strcmp(k, "seed") == 0) {
        if (!lua_isinteger(L, v) || lua_tointeger(L, v) < 0)
            return field_error(err, path, k, "field 'seed' must be an integer >= 0 (got %s)",
                               luaL_tolstring(L, v, NULL));
    } else if (strcmp(k, "timeout") == 0 || strcmp(k, "trial_timeout") == 0) {
        if (type != LUA_TNUMBER || !(lua_tonumber(L, v) > 0) || !isfinite(lua_tonumber(L, v)))
            return field_error(err, path, k, "field '%s' must be a number of seconds > 0 (got %s)",
                               k, luaL_tolstring(L, v, NULL));
    } else if (strcmp(k, "loss_threshold") == 0) {
        if (type != LUA_TNUMBER || !isfinite(lua_tonumber(L, v)))
            return field_error(err, path, k, "field 'loss_threshold' must be a finite number (got %s)",
                               luaL_tolstring(L, v, NULL));
    } else if (strcmp(k, "points_to_evaluate") == 0) {
        if (type != LUA_TTABLE)
            return field_error(err, path, k, "field 'points_to_evaluate' must be a list of tables (got %s)", tn);
        lua_Integer n = luaL_len(L, v);
        for (lua_Integer i = 1; i <= n; i++) {
            int it = lua_geti(L, v, i);
            lua_pop(L, 1);
            if (it != LUA_TTABLE)
                return field_error(err, path, k, "points_to_evaluate[%lld] must be a table",
                                   (long long)i);
        }
    }
    return PZ_OK;
}

static int check_study(pz_script *s, int t, pz_error *err)
{
    lua_State *L = s->L;
    /* Unknown fields first: a typo would otherwise surface as "missing". */
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return field_error(err, s->path, NULL,
                               "the study table may only have named fields (found a %s key)",
                               luaL_typename(L, -2));
        const char *k = lua_tostring(L, -2);
        if (!is_known(k)) {
            const char *hint = closest_field(k);
            if (hint)
                return field_error(err, s->path, k, "unknown study field '%s' (did you mean '%s'?)", k, hint);
            return field_error(err, s->path, k, "unknown study field '%s'", k);
        }
        int rc = check_field(L, s->path, k, lua_gettop(L), err);
        lua_settop(L, t + 2);
        if (rc)
            return rc;
        lua_pop(L, 1);
    }

    if (lua_getfield(L, t, "space") == LUA_TNIL)
        return field_error(err, s->path, NULL, "the study has no 'space' field");
    if (lua_type(L, -1) != LUA_TTABLE && !luaL_testudata(L, -1, PZ_LUA_NODE))
        return field_error(err, s->path, "space",
                           "field 'space' must be a table or an hp expression (got %s)",
                           luaL_typename(L, -1));
    pz_node *root;
    int rc = pz_lua_tonode(L, -1, "space", s->path, &root, err);
    lua_pop(L, 1);
    if (rc)
        return rc;
    rc = pz_space_new(&s->space, root, err);
    if (rc)
        return rc;

    char buf[256];
    if (lua_getfield(L, t, "name") == LUA_TSTRING)
        s->name = strdup(lua_tostring(L, -1));
    else
        s->name = strdup(basename_noext(s->path, buf, sizeof buf));
    lua_pop(L, 1);
    if (!s->name)
        return pz_error_set(err, PZ_ENOMEM, NULL);

    /* Everything else becomes plain config values. */
    s->config = pz_value_map();
    if (!s->config)
        return pz_error_set(err, PZ_ENOMEM, NULL);
    for (size_t i = 0; study_fields[i]; i++) {
        const char *k = study_fields[i];
        if (strcmp(k, "space") == 0)
            continue;
        int type = lua_getfield(L, t, k);
        if (type == LUA_TNIL) {
            lua_pop(L, 1);
            continue;
        }
        if (type == LUA_TFUNCTION) { /* only objective can be one, checked above */
            s->objective_ref = luaL_ref(L, LUA_REGISTRYINDEX);
            continue;
        }
        pz_value *v;
        rc = pz_lua_tovalue(L, -1, k, &v, err);
        lua_pop(L, 1);
        if (rc) {
            int line = pz_lua_field_line(s->path, k);
            if (err && line > 0)
                snprintf(err->where, sizeof err->where, "%s:%d", s->path, line);
            else if (err)
                snprintf(err->where, sizeof err->where, "%s", s->path);
            return rc;
        }
        rc = pz_map_set(s->config, k, v);
        if (rc)
            return pz_error_set(err, rc, NULL);
    }
    return PZ_OK;
}

int pz_script_load(pz_script **out, const char *path, pz_error *err)
{
    *out = NULL;
    pz_script *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    s->objective_ref = LUA_NOREF;
    s->L = pz_lua_newstate();
    if (!s->L) {
        pz_script_free(s);
        return pz_error_set(err, PZ_ENOMEM, NULL);
    }
    lua_State *L = s->L;
    FILE *probe = fopen(path, "r");
    if (!probe) {
        pz_script_free(s);
        pz_error_set(err, PZ_EIO, "cannot open study script: %s", path);
        return PZ_EIO;
    }
    fclose(probe);
    int rc = luaL_loadfilex(L, path, "t"); /* text only: never load bytecode */
    if (rc != LUA_OK) {
        rc = lua_failure(err, rc == LUA_ERRSYNTAX ? PZ_ESCRIPT : PZ_EIO, lua_tostring(L, -1));
        pz_script_free(s);
        return rc;
    }
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        rc = lua_failure(err, PZ_ESCRIPT, lua_tostring(L, -1));
        pz_script_free(s);
        return rc;
    }
    if (lua_type(L, -1) != LUA_TTABLE) {
        rc = field_error(err, path, NULL, "the script must return the study table (it returned %s)",
                         luaL_typename(L, -1));
        pz_script_free(s);
        return rc;
    }
    rc = check_study(s, lua_gettop(L), err);
    lua_settop(L, 0);
    if (rc) {
        pz_script_free(s);
        return rc;
    }
    *out = s;
    return PZ_OK;
}

void pz_script_free(pz_script *s)
{
    if (!s)
        return;
    pz_space_free(s->space);
    pz_value_free(s->config);
    if (s->L)
        lua_close(s->L);
    free(s->path);
    free(s->name);
    free(s);
}

/* Message handler: the error plus a traceback, so a failed trial says
 * where in the objective it went wrong. */
static int objective_traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int pz_script_call_objective(pz_script *s, const pz_value *params, const pz_value *trial,
                             pz_value **result, pz_error *err)
{
    *result = NULL;
    if (s->objective_ref == LUA_NOREF)
        return pz_error_set(err, PZ_EINVAL, "the study's objective is not a Lua function");
    lua_State *L = s->L;
    int top = lua_gettop(L);
    lua_pushcfunction(L, objective_traceback);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->objective_ref);
    pz_lua_pushvalue(L, params);
    if (trial)
        pz_lua_pushvalue(L, trial);
    else
        lua_pushnil(L);
    int rc = PZ_OK;
    if (lua_pcall(L, 2, 1, top + 1) != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        rc = pz_error_set(err, PZ_ESCRIPT, "%s", m ? m : "Lua error");
    } else if (lua_type(L, -1) == LUA_TNUMBER) {
        *result = pz_value_double((double)lua_tonumber(L, -1));
        if (!*result)
            rc = pz_error_set(err, PZ_ENOMEM, NULL);
    } else if (lua_type(L, -1) == LUA_TTABLE) {
        rc = pz_lua_tovalue(L, -1, "result", result, err);
        if (!rc && (*result)->type == PZ_LIST && pz_value_len(*result) == 0) {
            pz_value_free(*result); /* {} is an empty map as much as a list */
            if (!(*result = pz_value_map()))
                rc = pz_error_set(err, PZ_ENOMEM, NULL);
        }
        if (!rc && (*result)->type != PZ_MAP) {
            pz_value_free(*result);
            *result = NULL;
            rc = pz_error_set(err, PZ_ESCRIPT,
                              "the objective returned a list; expected a number or a table "
                              "{loss=..., status=...}");
        }
    } else {
        rc = pz_error_set(err, PZ_ESCRIPT,
                          "the objective returned %s; expected a number or a table {loss=..., "
                          "status=...}",
                          luaL_typename(L, -1));
    }
    lua_settop(L, top);
    return rc;
}

const char *pz_script_name(const pz_script *s) { return s->name; }
const char *pz_script_path(const pz_script *s) { return s->path; }
const pz_space *pz_script_space(const pz_script *s) { return s->space; }
const pz_value *pz_script_config(const pz_script *s) { return s->config; }
int pz_script_has_lua_objective(const pz_script *s) { return s->objective_ref != LUA_NOREF; }
lua_State *pz_script_lua(pz_script *s) { return s->L; }
