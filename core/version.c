/* parzen: version queries (see version.h). */
#include "version.h"

#define PZ__STR2(x) #x
#define PZ__STR(x) PZ__STR2(x)

unsigned pz_version(void) { return PZ_VERSION_HEX; }

const char *pz_version_string(void)
{
    return PZ__STR(PZ_VERSION_MAJOR) "." PZ__STR(PZ_VERSION_MINOR) "." PZ__STR(PZ_VERSION_PATCH);
}
