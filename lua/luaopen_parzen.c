/* parzen: the Lua module, `local parzen = require "parzen"` in a plain
 * lua5.4. It offers the same hp as study scripts, prior sampling and
 * space_eval, so spaces can be tried out without the parzen CLI.
 *
 *   parzen.hp, parzen.none, parzen.version
 *   parzen.sample(space [, {n = 1, seed = 0}])  -> list of {params, vals}
 *   parzen.space_eval(space, vals)              -> params
 *   parzen.load_study(path)                     -> {name, labels, config}
 */
#include <lauxlib.h>
#include <lua.h>

#include "hp.h"
#include "sample.h"
#include "script.h"
#include "version.h"

int luaopen_parzen(lua_State *L);

/* The space argument converted to a pz_space owned by a userdata, so a
 * later Lua error cannot leak it. */
typedef struct space_ud {
    pz_space *space;
} space_ud;

static int space_gc(lua_State *L)
{
    space_ud *u = lua_touserdata(L, 1);
    pz_space_free(u->space);
    u->space = NULL;
    return 0;
}

static pz_space *checkspace(lua_State *L, int arg)
{
    luaL_argexpected(L, lua_type(L, arg) == LUA_TTABLE || luaL_testudata(L, arg, PZ_LUA_NODE), arg,
                     "space table or hp expression");
    space_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->space = NULL;
    lua_newtable(L);
    lua_pushcfunction(L, space_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    pz_error err;
    pz_error_clear(&err);
    pz_node *root;
    if (pz_lua_tonode(L, arg, "space", NULL, &root, &err) ||
        pz_space_new(&u->space, root, &err)) {
        if (err.where[0])
            luaL_argerror(L, arg, lua_pushfstring(L, "%s: %s", err.where, err.msg));
        luaL_argerror(L, arg, err.msg);
    }
    return u->space;
}

/* A pz_value owned by a userdata for the same reason. */
typedef struct value_ud {
    pz_value *v;
} value_ud;

static int value_gc(lua_State *L)
{
    value_ud *u = lua_touserdata(L, 1);
    pz_value_free(u->v);
    u->v = NULL;
    return 0;
}

static value_ud *newvalue_ud(lua_State *L)
{
    value_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->v = NULL;
    lua_newtable(L);
    lua_pushcfunction(L, value_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    return u;
}

static int rng_gc(lua_State *L)
{
    gsl_rng **r = lua_touserdata(L, 1);
    if (*r)
        gsl_rng_free(*r);
    *r = NULL;
    return 0;
}

static int l_sample(lua_State *L)
{
    pz_space *space = checkspace(L, 1);
    lua_Integer n = 1, seed = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        if (lua_getfield(L, 2, "n") != LUA_TNIL)
            n = luaL_checkinteger(L, -1);
        if (lua_getfield(L, 2, "seed") != LUA_TNIL)
            seed = luaL_checkinteger(L, -1);
        lua_pop(L, 2);
        luaL_argcheck(L, n >= 0, 2, "n must be >= 0");
        luaL_argcheck(L, seed >= 0, 2, "seed must be >= 0");
    }
    lua_createtable(L, (int)n, 0);
    int out = lua_gettop(L);
    gsl_rng **r = lua_newuserdatauv(L, sizeof *r, 0);
    *r = NULL;
    lua_newtable(L);
    lua_pushcfunction(L, rng_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    value_ud *vals = newvalue_ud(L);
    value_ud *params = newvalue_ud(L);
    for (lua_Integer i = 0; i < n; i++) {
        /* Sample i uses trial i's stream: what random search proposes. */
        if (*r)
            gsl_rng_free(*r);
        *r = pz_rng_new((uint64_t)seed, (uint64_t)i);
        if (!*r)
            return luaL_error(L, "out of memory");
        pz_error err;
        pz_error_clear(&err);
        pz_value_free(vals->v);
        vals->v = NULL;
        pz_value_free(params->v);
        params->v = NULL;
        if (pz_space_sample(space, *r, &vals->v, &err) ||
            pz_space_eval(space, vals->v, &params->v, &err))
            return luaL_error(L, "%s", err.msg);
        lua_createtable(L, 0, 2);
        pz_lua_pushvalue(L, params->v);
        lua_setfield(L, -2, "params");
        pz_lua_pushvalue(L, vals->v);
        lua_setfield(L, -2, "vals");
        lua_seti(L, out, i + 1);
    }
    lua_settop(L, out);
    return 1;
}

static int l_space_eval(lua_State *L)
{
    pz_space *space = checkspace(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    value_ud *vals = newvalue_ud(L);
    value_ud *params = newvalue_ud(L);
    pz_error err;
    pz_error_clear(&err);
    if (pz_lua_tovalue(L, 2, "vals", &vals->v, &err))
        return luaL_argerror(L, 2, err.msg);
    if (pz_space_eval(space, vals->v, &params->v, &err))
        return luaL_argerror(L, 2, err.msg);
    pz_lua_pushvalue(L, params->v);
    return 1;
}

static int script_gc(lua_State *L)
{
    pz_script **s = lua_touserdata(L, 1);
    pz_script_free(*s);
    *s = NULL;
    return 0;
}

static int l_load_study(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    pz_script **s = lua_newuserdatauv(L, sizeof *s, 0);
    *s = NULL;
    lua_newtable(L);
    lua_pushcfunction(L, script_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    pz_error err;
    pz_error_clear(&err);
    if (pz_script_load(s, path, &err)) {
        char buf[PZ_ERRMSG_MAX + PZ_WHERE_MAX + 4];
        lua_pushnil(L);
        lua_pushstring(L, pz_error_format(&err, buf, sizeof buf));
        return 2;
    }
    lua_createtable(L, 0, 3);
    lua_pushstring(L, pz_script_name(*s));
    lua_setfield(L, -2, "name");
    const pz_space *sp = pz_script_space(*s);
    lua_createtable(L, (int)pz_space_nlabels(sp), 0);
    for (size_t i = 0; i < pz_space_nlabels(sp); i++) {
        lua_pushstring(L, pz_space_label(sp, i)->label);
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "labels");
    pz_lua_pushvalue(L, pz_script_config(*s));
    lua_setfield(L, -2, "config");
    return 1;
}

static const luaL_Reg funcs[] = {
    {"sample", l_sample},
    {"space_eval", l_space_eval},
    {"load_study", l_load_study},
    {NULL, NULL},
};

PZ_API int luaopen_parzen(lua_State *L)
{
    luaL_newlib(L, funcs);
    pz_lua_pushhp(L);
    lua_getfield(L, -1, "none");
    lua_setfield(L, -3, "none");
    /* Registered as a module too, so errors raised through pcall name
     * 'parzen.hp.quniform' as the standard libraries name theirs. */
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "parzen.hp");
    lua_pop(L, 1);
    lua_setfield(L, -2, "hp");
    lua_pushstring(L, pz_version_string());
    lua_setfield(L, -2, "version");
    return 1;
}
