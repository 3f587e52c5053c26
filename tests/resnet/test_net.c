/* Whole networks of the seed family: the gradient of the full loss (both
 * heads, L2, dropout, BatchNorm in training mode) against central finite
 * differences in double precision, on the blocks DESIGN.md names (residual
 * blocks with even kernels, the inception reduction, all-conv pooling, a
 * second dense layer); params parsing and its refusals; and a float
 * network that overfits 64 real Fashion-MNIST images. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define PZ_REAL_DOUBLE
#include "net.h"
#undef PZ_REAL_DOUBLE
#undef pz_net
#undef pz_net_new
#undef pz_net_free
#undef pz_net_forward
#undef pz_net_loss
#undef pz_net_backward
#undef pz_net_params
#undef pz_net_grads
#undef pz_net_state
#undef pz_net_logits
#undef pz_net_macs
#undef pz_net_describe

#include "data.h"
#include "optim.h"
#include "train.h"

/* the float API, declared by hand since net.h was read for double above */
typedef struct pz_net pz_net_f32;
int pz_net_new(pz_net_f32 **out, const pz_net_config *c, int H, int W, int C, int n_fine,
               int n_coarse, int max_batch, uint64_t seed, pz_error *err);
void pz_net_free(pz_net_f32 *net);
void pz_net_forward(pz_net_f32 *net, const float *x, int N, int train, uint64_t dropout_seed);
double pz_net_loss(pz_net_f32 *net, const int32_t *fine, const int32_t *coarse, int grad,
                   int with_l2, double *ce_fine, double *ce_coarse, int *correct_fine,
                   int *correct_coarse);
void pz_net_backward(pz_net_f32 *net);
float *pz_net_params(pz_net_f32 *net, size_t *n);
float *pz_net_grads(pz_net_f32 *net, size_t *n);

static uint64_t rng_state = 42;
static double urand(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static pz_value *num(double d) { return pz_value_double(d); }

static pz_value *from_json(const char *text)
{
    pz_value *v = NULL;
    CHECK_OK(pz_value_from_json(text, strlen(text), &v, NULL));
    return v;
}

/* A small point of the family: n = int(40 * 0.1) = 4 filters in stage 0. */
static pz_value *small_params(void)
{
    return from_json("{\"first_conv\": null, \"conv_hiddn_units_mult\": 0.1, \"nb_conv_pool_layers\": 2,"
                     " \"conv_kernel_size\": 3, \"residual\": null, \"conv_pool_res_start_idx\": 0,"
                     " \"res_conv_kernel_size\": 2, \"use_BN\": true, \"pooling_type\": \"avg\","
                     " \"conv_dropout_proba\": 0.2, \"fc_units_1_mult\": 0.006, \"one_more_fc\": null,"
                     " \"fc_dropout_proba\": 0.3, \"activation\": \"elu\", \"optimizer\": \"Nadam\","
                     " \"lr_rate_mult\": 1, \"l2_weight_reg_mult\": 3, \"coarse_labels_weight\": 0.3,"
                     " \"batch_size\": 3}");
}

/* Every parameter's gradient of the whole loss against (L(p+h) - L(p-h)) / 2h. */
static void fd_check(const char *name, pz_value *params, int H, int W, int C)
{
    pz_net_config c;
    pz_error err;
    if (pz_net_config_from_params(&c, params, &err) != PZ_OK) {
        fprintf(stderr, "%s: %s\n", name, err.msg);
        abort();
    }
    pz_value_free(params);
    int N = 3, nf = 4, nc = 3;
    pz_net_f64 *net;
    CHECK_OK(pz_net_new_f64(&net, &c, H, W, C, nf, nc, N, 7, &err));
    size_t img = (size_t)H * W * C, np;
    double *x = malloc(N * img * sizeof *x);
    for (size_t i = 0; i < N * img; i++)
        x[i] = urand() - 0.5;
    int32_t fine[3] = {0, 3, 1}, coarse[3] = {2, 0, 1};
    double *p = pz_net_params_f64(net, &np);
    /* kernels start Glorot-small; larger weights make the check stricter */
    for (size_t i = 0; i < np; i++)
        if (p[i] != 0 && p[i] != 1)
            p[i] *= 2;
    const uint64_t seed = 99;
    pz_net_forward_f64(net, x, N, 1, seed);
    double l0 = pz_net_loss_f64(net, fine, coarse, 1, 1, NULL, NULL, NULL, NULL);
    pz_net_backward_f64(net);
    double *g = malloc(np * sizeof *g);
    memcpy(g, pz_net_grads_f64(net, &np), np * sizeof *g);
    double worst = 0, h = 1e-5;
    size_t checked = 0;
    /* a stride through the flat array reaches every layer's tensors while
     * keeping the check to a few hundred pairs of forwards */
    size_t stride = np / 400 + 1;
    for (size_t i = (size_t)(urand() * stride); i < np; i += stride) {
        double keep = p[i];
        p[i] = keep + h;
        pz_net_forward_f64(net, x, N, 1, seed);
        double lp = pz_net_loss_f64(net, fine, coarse, 0, 1, NULL, NULL, NULL, NULL);
        p[i] = keep - h;
        pz_net_forward_f64(net, x, N, 1, seed);
        double lm = pz_net_loss_f64(net, fine, coarse, 0, 1, NULL, NULL, NULL, NULL);
        p[i] = keep;
        double fd = (lp - lm) / (2 * h), diff = fabs(fd - g[i]);
        double rel = diff / (1e-6 + fabs(fd));
        if (rel > worst)
            worst = rel;
        if (!(diff <= 1e-7 + 1e-5 * fabs(fd))) {
            fprintf(stderr, "%s: param %zu: analytic %.12g, finite difference %.12g\n", name, i,
                    g[i], fd);
            abort();
        }
        checked++;
    }
    printf("fd %-28s loss %.6f, %zu params, worst relative error %.2e\n", name, l0, checked,
           worst);
    free(g);
    free(x);
    pz_net_free_f64(net);
}

static void gradient_checks(void)
{
    pz_value *p = small_params();
    pz_map_set(p, "residual", num(2));
    pz_map_set(p, "first_conv", pz_value_int(4)); /* even kernel, same padding */
    fd_check("residual x2, BN, avg, elu", p, 7, 6, 2);

    p = small_params();
    pz_map_set(p, "residual", num(1));
    pz_map_set(p, "use_BN", pz_value_bool(0)); /* the two BatchNorms after the blocks */
    pz_map_set(p, "res_conv_kernel_size", num(4));
    pz_map_set(p, "conv_pool_res_start_idx", num(1));
    pz_map_set(p, "pooling_type", pz_value_str("max"));
    fd_check("residual from stage 1, no BN", p, 8, 8, 3);

    p = small_params();
    pz_map_set(p, "pooling_type", pz_value_str("inception"));
    pz_map_set(p, "conv_hiddn_units_mult", num(0.2)); /* n = 8: n'' = 3, n' = 4 */
    fd_check("inception reduction, BN", p, 7, 7, 2);

    p = small_params();
    pz_map_set(p, "pooling_type", pz_value_str("all_conv"));
    pz_map_set(p, "first_conv", pz_value_int(3));
    pz_map_set(p, "one_more_fc", num(0.008)); /* 6 units */
    pz_map_set(p, "conv_kernel_size", num(2));
    pz_map_set(p, "nb_conv_pool_layers", pz_value_int(3));
    fd_check("all_conv, 3 stages, 2 dense", p, 8, 8, 1);
}

static void params_refused(void)
{
    struct {
        const char *key;
        pz_value *v;
        const char *want;
    } bad[] = {
        {"conv_dropout_proba", num(-0.1), "params.conv_dropout_proba: -0.1 is outside [0, 1)"},
        {"fc_dropout_proba", num(1), "params.fc_dropout_proba: 1 is outside [0, 1)"},
        {"pooling_type", pz_value_str("median"), "params.pooling_type: unknown value \"median\""},
        {"optimizer", pz_value_int(2), "params.optimizer: expected a string"},
        {"nb_conv_pool_layers", num(2.5), "params.nb_conv_pool_layers: 2.5 is not a whole number"},
        {"use_BN", pz_value_int(1), "params.use_BN: expected a boolean"},
        {"batch_size", num(0), "params.batch_size: 0 is outside"},
        {"learning_rate", num(0.1), "params.learning_rate: not a parameter of the resnet family"},
        {"conv_hiddn_units_mult", num(0.01), "params.conv_hiddn_units_mult"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        pz_value *p = small_params();
        pz_map_set(p, bad[i].key, bad[i].v);
        pz_net_config c;
        pz_error err;
        CHECK(pz_net_config_from_params(&c, p, &err) != PZ_OK);
        CHECK_CONTAINS(err.msg, bad[i].want);
        pz_value_free(p);
    }
    /* missing keys take the reference network's values */
    pz_value *empty = pz_value_map();
    pz_net_config c;
    CHECK_OK(pz_net_config_from_params(&c, empty, NULL));
    CHECK_EQ(c.residual, 3);
    CHECK_EQ(c.pooling_type, PZ_POOL_AVG);
    CHECK_EQ(c.optimizer, PZ_OPT_NADAM);
    CHECK_EQ(c.batch_size, 320);
    pz_value_free(empty);
    printf("params: %zu bad points refused, defaults are the reference network\n",
           sizeof bad / sizeof bad[0]);
}

/* 64 real images, 100 Adam steps: a network of the family must fit them. */
static void overfit(void)
{
    const char *dir = getenv("PZ_FASHION_DIR");
    pz_dataset d;
    memset(&d, 0, sizeof d);
    pz_error err;
    if (!dir || pz_dataset_load(&d, "fashion-mnist", dir, "train", 64, &err) != PZ_OK) {
        printf("skip overfit: no Fashion-MNIST (%s)\n", dir ? err.msg : "PZ_FASHION_DIR unset");
        return;
    }
    pz_value *p = small_params();
    pz_map_set(p, "conv_hiddn_units_mult", num(0.4)); /* 16, then 32 filters */
    pz_map_set(p, "residual", num(1));
    pz_map_set(p, "pooling_type", pz_value_str("max"));
    pz_map_set(p, "conv_dropout_proba", num(0));
    pz_map_set(p, "fc_dropout_proba", num(0));
    pz_map_set(p, "fc_units_1_mult", num(0.128));
    pz_map_set(p, "optimizer", pz_value_str("Adam"));
    pz_map_set(p, "l2_weight_reg_mult", num(0.1));
    pz_map_set(p, "batch_size", num(64));
    pz_net_config c;
    CHECK_OK(pz_net_config_from_params(&c, p, &err));
    pz_value_free(p);
    pz_net_f32 *net;
    CHECK_OK(pz_net_new(&net, &c, 28, 28, 1, 10, 0, 64, 1, &err));
    float *x = malloc(64 * 784 * sizeof *x);
    for (size_t i = 0; i < 64 * 784; i++)
        x[i] = d.images[i] / 255.0f - 0.5f;
    size_t np;
    pz_net_params(net, &np);
    pz_optim o;
    CHECK_OK(pz_optim_init(&o, c.optimizer, 0.001 * c.lr_rate_mult, np));
    double first = 0, ce = 0;
    for (int step = 0; step < 100; step++) {
        pz_net_forward(net, x, 64, 1, (uint64_t)step);
        pz_net_loss(net, d.fine, NULL, 1, 1, &ce, NULL, NULL, NULL);
        if (step == 0)
            first = ce;
        pz_net_backward(net);
        pz_optim_step(&o, pz_net_params(net, &np), pz_net_grads(net, &np));
    }
    pz_net_forward(net, x, 64, 1, 1000);
    int correct;
    pz_net_loss(net, d.fine, NULL, 0, 0, &ce, NULL, &correct, NULL);
    printf("overfit: 64 Fashion-MNIST images, cross-entropy %.4f -> %.4f after 100 steps, %d/64 "
           "right\n",
           first, ce, correct);
    CHECK_LT(ce, 0.1);
    CHECK_LT(ce, first);
    pz_optim_destroy(&o);
    free(x);
    pz_net_free(net);
    pz_dataset_destroy(&d);
}

int main(void)
{
    /* these nets are tiny: a second thread would only add synchronisation */
    const char *arch;
    pz_resnet_blis_setup(1, &arch);
    printf("BLIS kernels: %s\n", arch);
    params_refused();
    gradient_checks();
    overfit();
    printf("test_net: ok\n");
    return 0;
}
