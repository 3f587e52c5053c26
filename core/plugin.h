/* parzen: the trainer plugin loader.
 *
 * Owns the dlopen handles of trainer plugins (the ABI itself is
 * trainer.h). A plugin is opened with dlopen(RTLD_NOW | RTLD_LOCAL), so an
 * unresolved symbol fails here rather than mid-trial, and RTLD_NODELETE,
 * so its code and its libraries' state outlive pz_plugin_free (a BLIS or
 * OpenMP thread pool cannot be unmapped safely), and its entry point
 * PZ_TRAINER_ENTRY is checked before anything else runs: abi must be
 * PZ_TRAINER_ABI and struct_size must cover ABI 1's fields. Every message
 * names the .so path (and the symbol, when that is what is missing).
 *
 * Lookup by name: `objective = "resnet"` searches, in order, each folder
 * of $PARZEN_TRAINER_PATH (colon-separated), then <folder of the parzen
 * executable>/trainers/, then <that folder>/../lib/parzen/trainers/, for
 * "resnet.so". A name containing '/' is a path and is opened as it is.
 */
#ifndef PZ_PLUGIN_H
#define PZ_PLUGIN_H

#include <stddef.h>

#include "error.h"
#include "export.h"
#include "trainer.h"

typedef struct pz_plugin pz_plugin;

/* Open the plugin at path. *out is released with pz_plugin_free. */
PZ_API int pz_plugin_open(pz_plugin **out, const char *path, pz_error *err);

/* Find name as described above and open it. A found plugin must call
 * itself name (its pz_trainer.name). PZ_ENOENT lists the folders searched. */
PZ_API int pz_plugin_load(pz_plugin **out, const char *name, pz_error *err);

/* The path the plugin was opened from (owned by p). */
PZ_API const char *pz_plugin_path(const pz_plugin *p);
/* Its function table (static data of the plugin; valid until pz_plugin_free). */
PZ_API const pz_trainer *pz_plugin_trainer(const pz_plugin *p);

/* dlclose; NULL is a no-op. Nothing obtained from the plugin may be used
 * afterwards. */
PZ_API void pz_plugin_free(pz_plugin *p);

#endif
