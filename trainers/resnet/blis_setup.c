/* resnet trainer: choosing BLIS's kernels and threads.
 *
 * Debian's BLIS 0.9 does not recognise this project's AVX-512 AMD CPUs
 * and runs its generic kernels, about 6x slower (DESIGN.md); its skx
 * kernels are correct there. BLIS reads BLIS_ARCH_TYPE once, when it
 * initialises, so the choice is made before the first BLIS call of the
 * process and confirmed with bli_arch_query_id().
 */
#include <blis.h>
#include <stdio.h>
#include <stdlib.h>

#include "train.h"

static int has_avx512(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

void pz_resnet_blis_setup(int threads, const char **arch)
{
    static int done;
    if (!done) {
        if (!getenv("BLIS_ARCH_TYPE") && has_avx512()) {
            char id[16];
            snprintf(id, sizeof id, "%d", (int)BLIS_ARCH_SKX);
            setenv("BLIS_ARCH_TYPE", id, 0);
        }
        bli_init();
        done = 1;
    }
    bli_thread_set_num_threads(threads > 0 ? threads : 1);
    if (arch)
        *arch = bli_arch_string(bli_arch_query_id());
}
