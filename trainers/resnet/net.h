/* resnet trainer: the seed network family built from a params point
 * (DESIGN.md, "The seed network"), as a tape of layers over flat buffers.
 *
 * pz_net_config is the params point parsed and checked; pz_net is the
 * network for given input dims and a largest batch: one allocation each for
 * parameters, their gradients, the running statistics, activations,
 * activation gradients and layer caches (llm.c's size table and pointers).
 * A forward pass runs the tape in order and a backward pass runs it in
 * reverse, each layer accumulating into its inputs' gradients.
 *
 * Ownership: pz_net_new returns a net the caller frees with pz_net_free;
 * every buffer is the net's. Pointers into the net (pz_net_logits,
 * pz_net_params...) stay valid until pz_net_free.
 */
#ifndef PZ_RESNET_NET_H
#define PZ_RESNET_NET_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "real.h"
#include "value.h"

enum { PZ_ACT_RELU, PZ_ACT_ELU };
enum { PZ_POOL_MAX, PZ_POOL_AVG, PZ_POOL_ALLCONV, PZ_POOL_INCEPTION };
enum { PZ_OPT_ADAM, PZ_OPT_NADAM, PZ_OPT_RMSPROP };

typedef struct pz_net_config {
    int first_conv;             /* kernel size of the first 16-filter conv; 0: none */
    double conv_hiddn_units_mult; /* n = int(40 * mult) */
    int nb_conv_pool_layers;    /* stages */
    int conv_kernel_size;
    int residual;               /* residual blocks per stage; 0: none */
    int conv_pool_res_start_idx;
    int res_conv_kernel_size;
    int use_BN;
    int pooling_type;           /* PZ_POOL_* */
    double conv_dropout_proba;
    double fc_units_1_mult;     /* dense int(1000 * mult) */
    double fc_units_2_mult;     /* second dense int(750 * mult); 0: none */
    double fc_dropout_proba;
    int activation;             /* PZ_ACT_* */
    int optimizer;              /* PZ_OPT_* */
    double lr_rate_mult;        /* learning rate 0.001 * mult */
    double l2_weight_reg_mult;  /* L2 0.0007 * mult on every kernel */
    double coarse_labels_weight;
    int batch_size;
} pz_net_config;

/* Parse a params map. Every key of the family is optional (a missing one
 * takes the reference network's value, see net.c) so a space may fix
 * some; a key outside the family, a value of the wrong type or outside the
 * family's range is refused naming the param ("params.conv_dropout_proba:
 * -0.1 is outside [0, 1)"). */
int pz_net_config_from_params(pz_net_config *c, const pz_value *params, pz_error *err);

/* The double build of the network (for gradient tests) has its own names. */
#ifdef PZ_REAL_DOUBLE
#define pz_net pz_net_f64
#define pz_net_new pz_net_new_f64
#define pz_net_free pz_net_free_f64
#define pz_net_forward pz_net_forward_f64
#define pz_net_loss pz_net_loss_f64
#define pz_net_backward pz_net_backward_f64
#define pz_net_params pz_net_params_f64
#define pz_net_grads pz_net_grads_f64
#define pz_net_state pz_net_state_f64
#define pz_net_logits pz_net_logits_f64
#define pz_net_macs pz_net_macs_f64
#define pz_net_describe pz_net_describe_f64
#endif

typedef struct pz_net pz_net;

/* Build the network for inputs (H, W, C), n_fine classes (and n_coarse; 0
 * for one head), batches of at most max_batch images. Weights are drawn
 * from seed (Glorot uniform kernels as Keras, zero biases, BatchNorm
 * gamma 1 beta 0, running mean 0 variance 1). PZ_ERANGE when the input is
 * too small for the stages or the net would not fit in memory. */
int pz_net_new(pz_net **out, const pz_net_config *c, int H, int W, int C, int n_fine,
               int n_coarse, int max_batch, uint64_t seed, pz_error *err);
void pz_net_free(pz_net *net);

/* Forward on x (N,H,W,C) pz_reals, N <= max_batch. train: batch statistics,
 * dropout masks from dropout_seed; otherwise running statistics and no
 * dropout. The logits are then in pz_net_logits. */
void pz_net_forward(pz_net *net, const pz_real *x, int N, int train, uint64_t dropout_seed);
/* Loss of the last forward against labels: CE(fine) + coarse weight *
 * CE(coarse) (coarse may be NULL for one head), plus the L2 term when
 * with_l2. With grad, the gradient of that loss w.r.t. the logits is
 * seeded for pz_net_backward. Per-head CE and correct counts go to the
 * optional outputs. */
double pz_net_loss(pz_net *net, const int32_t *fine, const int32_t *coarse, int grad, int with_l2,
                   double *ce_fine, double *ce_coarse, int *correct_fine, int *correct_coarse);
/* Backward of the last training forward and loss(grad = 1): fills the
 * parameter gradients (zeroed first), L2 included. */
void pz_net_backward(pz_net *net);

/* The flat parameter and gradient arrays (n pz_reals each), and the running
 * statistics (n_state pz_reals), for optimizers and checkpoints. */
pz_real *pz_net_params(pz_net *net, size_t *n);
pz_real *pz_net_grads(pz_net *net, size_t *n);
pz_real *pz_net_state(pz_net *net, size_t *n);
/* logits of the last forward: fine (N, n_fine) and coarse (N, n_coarse, or
 * NULL). */
const pz_real *pz_net_logits(const pz_net *net, int head);
/* Multiply-adds of one forward pass per image, for throughput figures. */
double pz_net_macs(const pz_net *net);
/* A one-line description: layers, parameters, activation memory. */
void pz_net_describe(const pz_net *net, char *buf, size_t n);

#endif
