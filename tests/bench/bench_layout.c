/* Why the trainer is NHWC (run by hand; figures, never pass/fail): the
 * forward GEMMs of the reference network's convolutions at batch 320 in
 * the two layouts' shapes, timed through bli_sgemm in one run. NHWC is
 * (chunk*OH*OW, K) x (K, OC), chunks of ~4,096 rows; NCHW is (OC, K) x
 * (K, OH*OW) once per image.
 *
 *   build/bench/bench_layout [THREADS]
 */
#define _POSIX_C_SOURCE 200809L
#include <blis.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "train.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Best of reps: seconds for one (m,k) x (k,n) product. */
static double gemm(int m, int n, int k, int reps)
{
    float *a = calloc((size_t)m * k, sizeof *a), *b = calloc((size_t)k * n, sizeof *b);
    float *c = calloc((size_t)m * n, sizeof *c), one = 1, zero = 0;
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t = now_s();
        bli_sgemm(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, m, n, k, &one, a, k, 1, b, n, 1, &zero, c,
                  n, 1);
        t = now_s() - t;
        if (t < best)
            best = t;
    }
    free(a);
    free(b);
    free(c);
    return best;
}

int main(int argc, char **argv)
{
    const char *arch;
    pz_resnet_blis_setup(argc > 1 ? atoi(argv[1]) : 2, &arch);
    /* the reference network's convolutions: size, in, out, kernel */
    static const int layers[][4] = {{32, 3, 16, 3},   {32, 16, 63, 3},  {32, 63, 63, 2},
                                    {32, 63, 63, 1},  {16, 63, 126, 3}, {16, 126, 126, 2},
                                    {8, 126, 252, 3}, {8, 252, 252, 2}};
    const int batch = 320;
    double tn = 0, tc = 0;
    printf("BLIS kernels %s; forward GEMMs of one batch of %d\n", arch, batch);
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        int P = layers[i][0] * layers[i][0], OC = layers[i][2];
        int K = layers[i][3] * layers[i][3] * layers[i][1], chunk = 4096 / P;
        if (chunk < 1)
            chunk = 1;
        double nhwc = gemm(chunk * P, OC, K, 5) * batch / chunk, nchw = gemm(OC, P, K, 5) * batch;
        tn += nhwc, tc += nchw;
        printf("%2dx%-2d %3d -> %3d, %dx%d: NHWC %6.1f ms, NCHW %6.1f ms\n", layers[i][0],
               layers[i][0], layers[i][1], OC, layers[i][3], layers[i][3], nhwc * 1e3, nchw * 1e3);
    }
    printf("all: NHWC %.1f ms, NCHW %.1f ms: NCHW takes %.2fx NHWC's time\n", tn * 1e3, tc * 1e3,
           tc / tn);
    return 0;
}
