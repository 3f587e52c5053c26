/* Benchmark of the resnet trainer (run by hand; figures, never pass/fail):
 * training and inference images per second of the reference network
 * (the best model of the original CIFAR-100 study) at batch 320 on
 * 32x32x3 inputs with both heads, the share of the step spent in BLIS
 * GEMMs, and their GFLOP/s against bli_sgemm's own on the same shapes,
 * measured in the same run.
 *
 *   build/bench/bench_trainer [STEPS] [THREADS] [BATCH]
 */
#define _POSIX_C_SOURCE 200809L
#include <blis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layers.h"
#include "net.h"
#include "optim.h"
#include "train.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The reference point of issue 5. */
static pz_value *reference(int batch)
{
    char text[1024];
    snprintf(text, sizeof text,
             "{\"first_conv\": 3, \"conv_hiddn_units_mult\": 1.5958, \"nb_conv_pool_layers\": 3,"
             " \"conv_kernel_size\": 3, \"residual\": 3, \"conv_pool_res_start_idx\": 0,"
             " \"res_conv_kernel_size\": 2, \"use_BN\": true, \"pooling_type\": \"avg\","
             " \"conv_dropout_proba\": 0.2592, \"fc_units_1_mult\": 1.3084, \"one_more_fc\": null,"
             " \"fc_dropout_proba\": 0.4322, \"activation\": \"elu\", \"optimizer\": \"Nadam\","
             " \"lr_rate_mult\": 0.6549, \"l2_weight_reg_mult\": 0.4121, \"coarse_labels_weight\": 0.3067,"
             " \"batch_size\": %d}",
             batch);
    pz_value *p = NULL;
    pz_value_from_json(text, strlen(text), &p, NULL);
    return p;
}

/* bli_sgemm alone on one recorded shape: seconds per call. */
static double bare_gemm(const pz_gemm_shape *g, int reps)
{
    size_t am = g->transa ? (size_t)g->k : (size_t)g->m, ak = g->transa ? (size_t)g->m : (size_t)g->k;
    size_t bk = g->transb ? (size_t)g->n : (size_t)g->k, bn = g->transb ? (size_t)g->k : (size_t)g->n;
    float *a = malloc(am * ak * sizeof *a), *b = malloc(bk * bn * sizeof *b);
    float *c = malloc((size_t)g->m * g->n * sizeof *c);
    for (size_t i = 0; i < am * ak; i++)
        a[i] = (float)(i % 7) * 0.1f;
    for (size_t i = 0; i < bk * bn; i++)
        b[i] = (float)(i % 5) * 0.1f;
    memset(c, 0, (size_t)g->m * g->n * sizeof *c);
    float one = 1, beta = g->beta;
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        bli_sgemm(g->transa ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
                  g->transb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, g->m, g->n, g->k, &one, a,
                  (inc_t)ak, 1, b, (inc_t)bn, 1, &beta, c, g->n, 1);
        double t = now_s() - t0;
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
    int steps = argc > 1 ? atoi(argv[1]) : 5;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    int batch = argc > 3 ? atoi(argv[3]) : 320;
    const char *arch;
    pz_resnet_blis_setup(threads, &arch);
    pz_value *params = reference(batch);
    pz_net_config c;
    pz_error err;
    if (pz_net_config_from_params(&c, params, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    pz_net *net;
    if (pz_net_new(&net, &c, 32, 32, 3, 100, 20, batch, 1, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    char desc[256];
    pz_net_describe(net, desc, sizeof desc);
    printf("reference network: %s\nBLIS kernels %s, %d threads, batch %d, %d steps\n", desc, arch,
           threads, batch, steps);
    size_t img = 32 * 32 * 3, np;
    float *x = malloc((size_t)batch * img * sizeof *x);
    int32_t *fine = malloc((size_t)batch * sizeof *fine), *coarse = malloc((size_t)batch * sizeof *coarse);
    for (size_t i = 0; i < (size_t)batch * img; i++)
        x[i] = (float)((i * 2654435761u) % 256) / 255.0f - 0.5f;
    for (int i = 0; i < batch; i++)
        fine[i] = i % 100, coarse[i] = i % 20;
    pz_net_params(net, &np);
    pz_optim o;
    pz_optim_init(&o, c.optimizer, 0.001 * c.lr_rate_mult, np);

    /* one warm-up step (first-touch page faults), then the timed ones */
    double tf = 0, tb = 0, to = 0;
    pz_gemm_profile *prof = pz_gemm_profile_get();
    for (int s = 0; s <= steps; s++) {
        if (s == 1)
            pz_gemm_profile_reset(1);
        double t0 = now_s();
        pz_net_forward(net, x, batch, 1, (uint64_t)s);
        pz_net_loss(net, fine, coarse, 1, 1, NULL, NULL, NULL, NULL);
        double t1 = now_s();
        pz_net_backward(net);
        double t2 = now_s();
        pz_optim_step(&o, pz_net_params(net, &np), pz_net_grads(net, &np));
        double t3 = now_s();
        if (s > 0)
            tf += t1 - t0, tb += t2 - t1, to += t3 - t2;
    }
    prof->on = 0;
    double step = (tf + tb + to) / steps;
    double gemm_train = prof->seconds / steps, flops_train = prof->flops / steps;
    int nshapes = prof->n;
    pz_gemm_shape shapes[PZ_GEMM_PROFILE_MAX];
    memcpy(shapes, prof->shapes, (size_t)nshapes * sizeof shapes[0]);

    double ti = 0;
    for (int s = 0; s <= steps; s++) {
        double t0 = now_s();
        pz_net_forward(net, x, batch, 0, 0);
        if (s > 0)
            ti += now_s() - t0;
    }
    ti /= steps;
    double macs = pz_net_macs(net);
    printf("training:  %.1f images/s (%.3f s a step: forward %.3f, backward %.3f, optimizer %.3f)\n",
           batch / step, step, tf / steps, tb / steps, to / steps);
    printf("inference: %.1f images/s (%.3f s a batch)\n", batch / ti, ti);
    printf("training step: %.1f GFLOP (3 x %.1f MMAC/image), %.1f GFLOP/s overall\n",
           flops_train / 1e9, macs / 1e6, flops_train / step / 1e9);
    printf("GEMMs in the training step: %.3f s of %.3f (%.0f%%), %.1f GFLOP/s\n", gemm_train, step,
           100 * gemm_train / step, flops_train / gemm_train / 1e9);

    /* the same shapes through bli_sgemm alone, each weighted by its calls */
    double bare = 0;
    for (int i = 0; i < nshapes; i++)
        bare += bare_gemm(&shapes[i], 3) * shapes[i].calls / steps;
    printf("bli_sgemm alone on the same %d shapes: %.3f s, %.1f GFLOP/s; in the network: %.0f%% "
           "of that\n",
           nshapes, bare, flops_train / bare / 1e9, 100 * bare / gemm_train);
    /* and a square GEMM for the machine's BLIS peak */
    pz_gemm_shape sq = {2048, 2048, 2048, 0, 0, 0.0f, 1};
    double tsq = bare_gemm(&sq, 3);
    printf("bli_sgemm 2048^3: %.1f GFLOP/s; training overall is %.0f%% of it\n",
           2.0 * 2048 * 2048 * 2048 / tsq / 1e9, 100 * (flops_train / step) / (2.0 * 2048 * 2048 * 2048 / tsq));
    pz_optim_destroy(&o);
    pz_net_free(net);
    pz_value_free(params);
    free(x);
    free(fine);
    free(coarse);
    return 0;
}
