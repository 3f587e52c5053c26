/* parzen: study scripts.
 *
 * A study script is Lua that returns the study table (DESIGN.md shows its
 * shape). pz_script_load runs it in a fresh Lua 5.4 state with the standard
 * libraries and `hp` preloaded, checks every field, and converts the space.
 * The script object owns that Lua state (a Lua objective lives in it) and
 * everything it returns; borrowed pointers stay valid until
 * pz_script_free. Errors carry the script's file and line in err->where
 * whenever Lua or the field's text can tell it.
 */
#ifndef PZ_LUA_SCRIPT_H
#define PZ_LUA_SCRIPT_H

#include <lua.h>

#include "error.h"
#include "export.h"
#include "space.h"
#include "value.h"

typedef struct pz_script pz_script;

/* Known study fields; anything else is refused as a likely typo. */
#define PZ_STUDY_FIELDS                                                         \
    "name", "space", "objective", "trainer", "algo", "max_evals", "seed",       \
    "timeout", "trial_timeout", "loss_threshold", "no_improvement",             \
    "points_to_evaluate", "workers", "max_consecutive_failures", "results"

PZ_API int pz_script_load(pz_script **out, const char *path, pz_error *err);
PZ_API void pz_script_free(pz_script *s);

/* The study's name: the `name` field, else the file name without ".lua". */
PZ_API const char *pz_script_name(const pz_script *s);
PZ_API const char *pz_script_path(const pz_script *s);
PZ_API const pz_space *pz_script_space(const pz_script *s);
/* Every field but `space` and a function `objective`, as plain values
 * (borrowed): trainer, algo, max_evals, seed, ... Absent fields are absent. */
PZ_API const pz_value *pz_script_config(const pz_script *s);
/* 1 when `objective` is a Lua function (kept in the script's state). */
PZ_API int pz_script_has_lua_objective(const pz_script *s);
/* Call the Lua objective as objective(params, trial) (both borrowed;
 * trial is a map such as {id=, seed=, model_dir=} or NULL). A number
 * comes back as a double value, a table as a map (its fields unchecked:
 * the study checks loss/status/metrics/error); anything else is
 * PZ_ESCRIPT. A Lua error is PZ_ESCRIPT with its message and traceback in
 * err->msg. *result is new; the caller frees it. */
PZ_API int pz_script_call_objective(pz_script *s, const pz_value *params, const pz_value *trial,
                                    pz_value **result, pz_error *err);
/* The script's Lua state, for running a Lua objective (borrowed). */
PZ_API lua_State *pz_script_lua(pz_script *s);

/* A fresh Lua state with the standard libraries and the global `hp`;
 * NULL when out of memory. Close it with lua_close. */
PZ_API lua_State *pz_lua_newstate(void);

#endif
