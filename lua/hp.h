/* parzen: the Lua side of search spaces.
 *
 * hp.* builds "parzen.node" userdata, each owning one reference to a
 * pz_node. Arguments are checked with lauxlib's vocabulary, so a bad call
 * reads "spaces/x.lua:12: bad argument #4 to 'quniform' (q must be > 0)".
 * Plain Lua values inside a space (numbers, strings, booleans, tables) are
 * converted to constant, list and map nodes when a choice or the study's
 * space is converted: sequences become lists, string-keyed tables maps
 * (keys sorted, since Lua tables have no order).
 *
 * Conversion functions never longjmp while they hold C allocations: they
 * report through pz_error and the caller raises afterwards.
 */
#ifndef PZ_LUA_HP_H
#define PZ_LUA_HP_H

#include <lua.h>

#include "error.h"
#include "export.h"
#include "space.h"
#include "value.h"

#define PZ_LUA_NODE "parzen.node"

/* [-0, +1, m] Push the hp table (creating the node metatable on first
 * use). hp.none is a constant node standing for "nothing". */
PZ_API int pz_lua_pushhp(lua_State *L);

/* [-0, +0, m] Convert the Lua value at idx into a new node (*out, one
 * reference, caller frees). path names the value in messages
 * ("space.optimizer"); source is the script file used to look up the line
 * of the first key of path, or NULL. */
PZ_API int pz_lua_tonode(lua_State *L, int idx, const char *path, const char *source,
                         pz_node **out, pz_error *err);

/* [-0, +0, m] Convert a plain Lua value (nil, boolean, number, string,
 * table of those) into a new pz_value. Functions, userdata other than
 * hp.none and cyclic tables are refused, naming path. */
PZ_API int pz_lua_tovalue(lua_State *L, int idx, const char *path, pz_value **out,
                          pz_error *err);

/* [-0, +1, m] Push v as a Lua value: none is nil inside maps and hp.none
 * inside lists; ints stay integers. */
PZ_API void pz_lua_pushvalue(lua_State *L, const pz_value *v);

/* Line (1-based) of the first "key =" in the file at path, or 0: used to
 * place errors about study fields, which Lua gives no position for. */
PZ_API int pz_lua_field_line(const char *path, const char *key);

#endif
