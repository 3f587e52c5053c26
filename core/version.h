/* parzen: the one place the version lives (CMake reads it from here).
 *
 * Compatibility rule: releases with the same MAJOR are ABI compatible;
 * MINOR may add functions and append fields to versioned structs, never
 * remove or reorder them. The journal and checkpoint formats carry their
 * own format versions. */
#ifndef PZ_VERSION_H
#define PZ_VERSION_H
#include "export.h"

#define PZ_VERSION_MAJOR 0
#define PZ_VERSION_MINOR 1
#define PZ_VERSION_PATCH 0
#define PZ_VERSION_HEX ((PZ_VERSION_MAJOR << 16) | (PZ_VERSION_MINOR << 8) | PZ_VERSION_PATCH)

PZ_API unsigned pz_version(void);             /* PZ_VERSION_HEX of the library */
PZ_API const char *pz_version_string(void);   /* "0.1.0" */
#endif
