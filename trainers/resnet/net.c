/* resnet trainer: the seed network family as a tape of layers.
 *
 * Building walks DESIGN.md's recipe once and appends nodes; each node
 * reads tensors produced by earlier nodes and writes one new tensor, so
 * running the tape forward is the forward pass and running it backward
 * (with accumulating layer backwards) is the backward pass. Every buffer
 * is carved from one allocation per kind, sized for the largest batch.
 * Compiled for float (training) and double (the gradient tests of whole
 * blocks), like the layers.
 */
#include "net.h"

#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers.h"

/* {===== the tape ===== */
enum { OP_CONV, OP_BN, OP_ACT, OP_DROPOUT, OP_ADD, OP_MAXPOOL, OP_AVGPOOL, OP_CONCAT, OP_DENSE };

typedef struct tensor {
    int H, W, C;      /* per image; a dense layer's output is (1, 1, O) */
    size_t off;       /* into act and dact, max_batch images */
} tensor;

#define MAX_IN 3
typedef struct node {
    int op;
    int in[MAX_IN], nin, out;
    int OC, KH, KW, stride; /* conv; pooling uses KH, stride */
    int act;                /* OP_ACT */
    double p;               /* OP_DROPOUT */
    size_t w, b;            /* params: conv/dense kernel and bias; BN gamma and beta */
    size_t wn;              /* kernel elements (conv/dense), which get L2 */
    size_t rm, rv;          /* state: BN running mean and variance */
    size_t cache;           /* bytes into the cache arena: BN stats, argmax, masks */
} node;

struct pz_net {
    pz_net_config cfg;
    int H, W, C, n_fine, n_coarse, max_batch;
    node *nodes;
    int n_nodes, cap_nodes;
    tensor *tensors;
    int n_tensors, cap_tensors;
    int logits[2];          /* tensors of the heads; -1 for no coarse head */
    size_t n_params, n_state, n_act, n_cache, n_ws;
    pz_real *params, *grads, *state, *act, *dact, *ws;
    unsigned char *cache;
    double macs;            /* per image, forward */
    int N;                  /* images in the last forward */
    int oom;
};

static int new_tensor(pz_net *net, int H, int W, int C)
{
    if (net->n_tensors == net->cap_tensors) {
        int cap = net->cap_tensors ? 2 * net->cap_tensors : 64;
        tensor *t = realloc(net->tensors, (size_t)cap * sizeof *t);
        if (!t) {
            net->oom = 1;
            return 0;
        }
        net->tensors = t, net->cap_tensors = cap;
    }
    tensor *t = &net->tensors[net->n_tensors];
    t->H = H, t->W = W, t->C = C;
    t->off = net->n_act;
    /* 16-pz_real alignment keeps every tensor on a cache line */
    net->n_act += ((size_t)net->max_batch * H * W * C + 15) & ~(size_t)15;
    return net->n_tensors++;
}

static node *new_node(pz_net *net, int op, int in0)
{
    if (net->n_nodes == net->cap_nodes) {
        int cap = net->cap_nodes ? 2 * net->cap_nodes : 64;
        node *n = realloc(net->nodes, (size_t)cap * sizeof *n);
        if (!n) {
            net->oom = 1;
            return NULL;
        }
        net->nodes = n, net->cap_nodes = cap;
    }
    node *n = &net->nodes[net->n_nodes++];
    memset(n, 0, sizeof *n);
    n->op = op, n->in[0] = in0, n->nin = 1;
    return n;
}

static size_t take(size_t *counter, size_t count)
{
    size_t off = *counter;
    *counter += (count + 15) & ~(size_t)15;
    return off;
}

static size_t take_cache(pz_net *net, size_t bytes)
{
    size_t off = net->n_cache;
    net->n_cache += (bytes + 63) & ~(size_t)63;
    return off;
}

static int out_tensor(pz_net *net, node *n, int H, int W, int C)
{
    ptrdiff_t i = n - net->nodes;
    int t = new_tensor(net, H, W, C);
    net->nodes[i].out = t; /* new_tensor never moves the nodes */
    return t;
}

/* conv k x k with OC filters and stride, bias, then the activation if act >= 0. */
static int conv(pz_net *net, int x, int OC, int k, int stride, int act)
{
    if (net->oom)
        return 0;
    tensor in = net->tensors[x];
    node *n = new_node(net, OP_CONV, x);
    if (!n)
        return 0;
    n->OC = OC, n->KH = k, n->KW = k, n->stride = stride;
    n->wn = (size_t)k * k * in.C * OC;
    n->w = take(&net->n_params, n->wn);
    n->b = take(&net->n_params, (size_t)OC);
    pz_conv_shape s;
    pz_conv_shape_init(&s, net->max_batch, in.H, in.W, in.C, OC, k, k, stride);
    size_t ws = pz_conv_workspace(&s);
    if (ws > net->n_ws)
        net->n_ws = ws;
    net->macs += (double)s.OH * s.OW * k * k * in.C * OC;
    int y = out_tensor(net, n, s.OH, s.OW, OC);
    if (act < 0 || net->oom)
        return y;
    node *a = new_node(net, OP_ACT, y);
    if (!a)
        return 0;
    a->act = act;
    return out_tensor(net, a, s.OH, s.OW, OC);
}

static int batchnorm(pz_net *net, int x)
{
    if (net->oom)
        return 0;
    tensor in = net->tensors[x];
    node *n = new_node(net, OP_BN, x);
    if (!n)
        return 0;
    n->w = take(&net->n_params, (size_t)in.C);
    n->b = take(&net->n_params, (size_t)in.C);
    n->rm = take(&net->n_state, (size_t)in.C);
    n->rv = take(&net->n_state, (size_t)in.C);
    n->cache = take_cache(net, 2 * (size_t)in.C * sizeof(pz_real));
    return out_tensor(net, n, in.H, in.W, in.C);
}

static int dropout(pz_net *net, int x, double p)
{
    if (net->oom || p <= 0)
        return x; /* p = 0 is the identity: no node, no copy */
    tensor in = net->tensors[x];
    node *n = new_node(net, OP_DROPOUT, x);
    if (!n)
        return 0;
    n->p = p;
    n->cache = take_cache(net, (size_t)net->max_batch * in.H * in.W * in.C);
    return out_tensor(net, n, in.H, in.W, in.C);
}

static int add(pz_net *net, int a, int b)
{
    if (net->oom)
        return 0;
    tensor in = net->tensors[a];
    node *n = new_node(net, OP_ADD, a);
    if (!n)
        return 0;
    n->in[1] = b, n->nin = 2;
    return out_tensor(net, n, in.H, in.W, in.C);
}

static int pool(pz_net *net, int x, int op, int k, int stride)
{
    if (net->oom)
        return 0;
    tensor in = net->tensors[x];
    node *n = new_node(net, op, x);
    if (!n)
        return 0;
    n->KH = n->KW = k, n->stride = stride;
    pz_pool_shape s;
    pz_pool_shape_init(&s, net->max_batch, in.H, in.W, in.C, k, stride);
    if (op == OP_MAXPOOL)
        n->cache = take_cache(net, (size_t)net->max_batch * s.OH * s.OW * in.C * sizeof(int32_t));
    return out_tensor(net, n, s.OH, s.OW, in.C);
}

static int concat3(pz_net *net, int a, int b, int c)
{
    if (net->oom)
        return 0;
    tensor ta = net->tensors[a];
    node *n = new_node(net, OP_CONCAT, a);
    if (!n)
        return 0;
    n->in[1] = b, n->in[2] = c, n->nin = 3;
    int C = ta.C + net->tensors[b].C + net->tensors[c].C;
    return out_tensor(net, n, ta.H, ta.W, C);
}

static int dense(pz_net *net, int x, int O, int act)
{
    if (net->oom)
        return 0;
    tensor in = net->tensors[x];
    size_t I = (size_t)in.H * in.W * in.C;
    node *n = new_node(net, OP_DENSE, x);
    if (!n)
        return 0;
    n->OC = O;
    n->wn = I * O;
    n->w = take(&net->n_params, n->wn);
    n->b = take(&net->n_params, (size_t)O);
    net->macs += (double)I * O;
    int y = out_tensor(net, n, 1, 1, O);
    if (act < 0 || net->oom)
        return y;
    node *a = new_node(net, OP_ACT, y);
    if (!a)
        return 0;
    a->act = act;
    return out_tensor(net, a, 1, 1, O);
}

/* Pooling with a 3x3 stride-2 linear convolution (+BatchNorm). */
static int all_conv(pz_net *net, int x, int n)
{
    int y = conv(net, x, n, 3, 2, -1);
    return net->cfg.use_BN ? batchnorm(net, y) : y;
}

/* DESIGN.md step 3: the seed network's recipe. */
static void build(pz_net *net)
{
    const pz_net_config *c = &net->cfg;
    int act = c->activation;
    int x = new_tensor(net, net->H, net->W, net->C);
    if (c->first_conv > 0)
        x = conv(net, x, 16, c->first_conv, 1, act);
    int n = (int)(40 * c->conv_hiddn_units_mult);
    for (int i = 0; i < c->nb_conv_pool_layers && !net->oom; i++) {
        x = conv(net, x, n, c->conv_kernel_size, 1, act);
        if (c->use_BN)
            x = batchnorm(net, x);
        if (c->residual > 0 && i >= c->conv_pool_res_start_idx) {
            for (int r = 0; r < c->residual; r++) {
                int shortcut = conv(net, x, n, 1, 1, -1);
                int branch = dropout(net, x, c->conv_dropout_proba);
                branch = conv(net, branch, n, c->res_conv_kernel_size, 1, act);
                x = add(net, shortcut, branch);
                if (c->use_BN)
                    x = batchnorm(net, x);
            }
            if (!c->use_BN)
                x = batchnorm(net, x);
            x = batchnorm(net, x);
        }
        switch (c->pooling_type) {
        case PZ_POOL_MAX: x = pool(net, x, OP_MAXPOOL, 2, 2); break;
        case PZ_POOL_AVG: x = pool(net, x, OP_AVGPOOL, 2, 2); break;
        case PZ_POOL_ALLCONV: x = all_conv(net, x, n); break;
        default: {
            int n1 = (int)(0.33 * n + 1), n2 = (int)(0.4 * n + 1);
            int a = all_conv(net, x, n2);
            int b = conv(net, x, n1, 1, 1, act);
            b = conv(net, b, n2, 3, 1, act);
            b = all_conv(net, b, n2);
            int d = conv(net, x, n2, 1, 1, act);
            d = pool(net, d, OP_MAXPOOL, 3, 2);
            x = concat3(net, a, b, d);
        }
        }
        x = dropout(net, x, c->conv_dropout_proba);
        n *= 2;
    }
    x = dense(net, x, (int)(1000 * c->fc_units_1_mult), act);
    x = dropout(net, x, c->fc_dropout_proba);
    if (c->fc_units_2_mult > 0) {
        x = dense(net, x, (int)(750 * c->fc_units_2_mult), act);
        x = dropout(net, x, c->fc_dropout_proba);
    }
    net->logits[0] = dense(net, x, net->n_fine, -1);
    net->logits[1] = net->n_coarse > 0 ? dense(net, x, net->n_coarse, -1) : -1;
}

/* Keras' glorot_uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out)). */
static void init_weights(pz_net *net, uint64_t seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r) {
        net->oom = 1;
        return;
    }
    gsl_rng_set(r, (unsigned long)(seed ^ (seed >> 32)) | 1);
    memset(net->params, 0, net->n_params * sizeof(pz_real));
    for (int i = 0; i < net->n_nodes; i++) {
        node *n = &net->nodes[i];
        tensor in = net->tensors[n->in[0]];
        if (n->op == OP_CONV || n->op == OP_DENSE) {
            size_t fan_in, fan_out, count;
            if (n->op == OP_CONV) {
                fan_in = (size_t)n->KH * n->KW * in.C, fan_out = (size_t)n->KH * n->KW * n->OC;
                count = fan_in * n->OC;
            } else {
                fan_in = (size_t)in.H * in.W * in.C, fan_out = (size_t)n->OC;
                count = fan_in * fan_out;
            }
            double lim = sqrt(6.0 / (double)(fan_in + fan_out));
            pz_real *w = net->params + n->w;
            for (size_t j = 0; j < count; j++)
                w[j] = (pz_real)((2 * gsl_rng_uniform(r) - 1) * lim);
        } else if (n->op == OP_BN) {
            for (int j = 0; j < in.C; j++) {
                net->params[n->w + j] = 1;
                net->state[n->rm + j] = 0;
                net->state[n->rv + j] = 1;
            }
        }
    }
    gsl_rng_free(r);
}

/* Above this the host would swap or die: refuse the point instead. */
#define PZ_NET_MAX_BYTES ((size_t)16 << 30)

int pz_net_new(pz_net **out, const pz_net_config *c, int H, int W, int C, int n_fine,
               int n_coarse, int max_batch, uint64_t seed, pz_error *err)
{
    *out = NULL;
    if (H < 1 || W < 1 || C < 1 || n_fine < 2 || n_coarse < 0 || max_batch < 1)
        return pz_error_set(err, PZ_EINVAL, "resnet: bad input dims %dx%dx%d or classes %d/%d",
                            H, W, C, n_fine, n_coarse);
    pz_net *net = calloc(1, sizeof *net);
    if (!net)
        return pz_error_set(err, PZ_ENOMEM, "resnet: out of memory");
    net->cfg = *c;
    net->H = H, net->W = W, net->C = C;
    net->n_fine = n_fine, net->n_coarse = n_coarse, net->max_batch = max_batch;
    build(net);
    if (net->oom) {
        pz_net_free(net);
        return pz_error_set(err, PZ_ENOMEM, "resnet: out of memory");
    }
    size_t bytes = (net->n_params * 2 + net->n_state + net->n_act * 2 + net->n_ws) * sizeof(pz_real) +
                   net->n_cache;
    if (bytes > PZ_NET_MAX_BYTES) {
        pz_net_free(net);
        return pz_error_set(err, PZ_ERANGE,
                            "resnet: this network needs %.1f GiB at batch %d (limit %.0f GiB): "
                            "use a smaller batch_size or fewer units",
                            (double)bytes / (1 << 30), max_batch,
                            (double)PZ_NET_MAX_BYTES / (1 << 30));
    }
    net->params = malloc(net->n_params * sizeof(pz_real));
    net->grads = malloc(net->n_params * sizeof(pz_real));
    net->state = malloc((net->n_state ? net->n_state : 1) * sizeof(pz_real));
    net->act = malloc(net->n_act * sizeof(pz_real));
    net->dact = malloc(net->n_act * sizeof(pz_real));
    net->ws = malloc((net->n_ws ? net->n_ws : 1) * sizeof(pz_real));
    net->cache = malloc(net->n_cache ? net->n_cache : 1);
    if (!net->params || !net->grads || !net->state || !net->act || !net->dact || !net->ws ||
        !net->cache) {
        pz_net_free(net);
        return pz_error_set(err, PZ_ENOMEM, "resnet: out of memory (%.1f GiB)",
                            (double)bytes / (1 << 30));
    }
    init_weights(net, seed);
    if (net->oom) {
        pz_net_free(net);
        return pz_error_set(err, PZ_ENOMEM, "resnet: out of memory");
    }
    *out = net;
    return PZ_OK;
}

void pz_net_free(pz_net *net)
{
    if (!net)
        return;
    free(net->nodes);
    free(net->tensors);
    free(net->params);
    free(net->grads);
    free(net->state);
    free(net->act);
    free(net->dact);
    free(net->ws);
    free(net->cache);
    free(net);
}
/* }===== */

/* {===== running the tape ===== */
static size_t per_image(const tensor *t) { return (size_t)t->H * t->W * t->C; }

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A node's layer shapes for a batch of N (the tape stores the dims). */
static pz_conv_shape conv_shape(const pz_net *net, const node *n, int N)
{
    const tensor *t = &net->tensors[n->in[0]];
    pz_conv_shape s;
    pz_conv_shape_init(&s, N, t->H, t->W, t->C, n->OC, n->KH, n->KW, n->stride);
    return s;
}

static pz_pool_shape pool_shape(const pz_net *net, const node *n, int N)
{
    const tensor *t = &net->tensors[n->in[0]];
    pz_pool_shape s;
    pz_pool_shape_init(&s, N, t->H, t->W, t->C, n->KH, n->stride);
    return s;
}

/* A concatenation's inputs, in base (act or dact), and their channels. */
static void concat_parts(const pz_net *net, const node *n, pz_real *base, pz_real **parts, int *Cs)
{
    for (int j = 0; j < n->nin; j++) {
        parts[j] = base + net->tensors[n->in[j]].off;
        Cs[j] = net->tensors[n->in[j]].C;
    }
}

void pz_net_forward(pz_net *net, const pz_real *x, int N, int train, uint64_t dropout_seed)
{
    net->N = N;
    memcpy(net->act + net->tensors[0].off, x, (size_t)N * per_image(&net->tensors[0]) * sizeof(pz_real));
    pz_real *P = net->params, *S = net->state, *A = net->act;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *n = &net->nodes[i];
        const tensor *tin = &net->tensors[n->in[0]], *tout = &net->tensors[n->out];
        const pz_real *X = A + tin->off;
        pz_real *Y = A + tout->off;
        size_t count = (size_t)N * per_image(tout);
        switch (n->op) {
        case OP_CONV: {
            pz_conv_shape s = conv_shape(net, n, N);
            PZ_L(conv2d_forward)(Y, X, P + n->w, P + n->b, &s, net->ws);
            break;
        }
        case OP_BN: {
            size_t M = (size_t)N * tin->H * tin->W;
            if (train)
                PZ_L(batchnorm_forward_train)(Y, (pz_real *)(net->cache + n->cache), X, P + n->w,
                                           P + n->b, S + n->rm, S + n->rv, M, tin->C);
            else
                PZ_L(batchnorm_forward_eval)(Y, X, P + n->w, P + n->b, S + n->rm, S + n->rv, M,
                                          tin->C);
            break;
        }
        case OP_ACT:
            if (n->act == PZ_ACT_RELU)
                PZ_L(relu_forward)(Y, X, count);
            else
                PZ_L(elu_forward)(Y, X, count);
            break;
        case OP_DROPOUT:
            if (train)
                PZ_L(dropout_forward)(Y, net->cache + n->cache, X, n->p,
                                   mix64(dropout_seed ^ mix64((uint64_t)i)), count);
            else
                memcpy(Y, X, count * sizeof(pz_real));
            break;
        case OP_ADD:
            PZ_L(add_forward)(Y, X, A + net->tensors[n->in[1]].off, count);
            break;
        case OP_MAXPOOL:
        case OP_AVGPOOL: {
            pz_pool_shape s = pool_shape(net, n, N);
            if (n->op == OP_MAXPOOL)
                PZ_L(maxpool_forward)(Y, (int32_t *)(net->cache + n->cache), X, &s);
            else
                PZ_L(avgpool_forward)(Y, X, &s);
            break;
        }
        case OP_CONCAT: {
            pz_real *parts[MAX_IN];
            int Cs[MAX_IN];
            concat_parts(net, n, A, parts, Cs);
            PZ_L(concat_forward)(Y, (const pz_real *const *)parts, Cs, n->nin, (size_t)N * tout->H * tout->W);
            break;
        }
        case OP_DENSE:
            PZ_L(dense_forward)(Y, X, P + n->w, P + n->b, N, (int)per_image(tin), n->OC);
            break;
        }
    }
}

double pz_net_loss(pz_net *net, const int32_t *fine, const int32_t *coarse, int grad, int with_l2,
                   double *ce_fine, double *ce_coarse, int *correct_fine, int *correct_coarse)
{
    int N = net->N;
    const tensor *tf = &net->tensors[net->logits[0]];
    pz_real *dF = grad ? net->dact + tf->off : NULL;
    if (dF)
        memset(dF, 0, (size_t)N * net->n_fine * sizeof(pz_real));
    double lf = PZ_L(softmax_xent)(dF, correct_fine, net->act + tf->off, fine, N, net->n_fine, 1.0);
    double loss = lf, lc = 0;
    if (net->logits[1] >= 0 && coarse) {
        const tensor *tc = &net->tensors[net->logits[1]];
        pz_real *dC = grad ? net->dact + tc->off : NULL;
        if (dC)
            memset(dC, 0, (size_t)N * net->n_coarse * sizeof(pz_real));
        double w = net->cfg.coarse_labels_weight;
        /* the unweighted CE is the metric; the weighted one the loss */
        lc = PZ_L(softmax_xent)(dC, correct_coarse, net->act + tc->off, coarse, N, net->n_coarse, 1.0);
        if (dC)
            for (size_t j = 0; j < (size_t)N * net->n_coarse; j++)
                dC[j] *= (pz_real)w;
        loss += w * lc;
    } else if (correct_coarse) {
        *correct_coarse = 0;
    }
    if (with_l2) {
        double lambda = 0.0007 * net->cfg.l2_weight_reg_mult, sum = 0;
        for (int i = 0; i < net->n_nodes; i++) {
            const node *n = &net->nodes[i];
            const pz_real *w = net->params + n->w;
            for (size_t j = 0; j < n->wn; j++)
                sum += (double)w[j] * w[j];
        }
        loss += lambda * sum;
    }
    if (ce_fine)
        *ce_fine = lf;
    if (ce_coarse)
        *ce_coarse = lc;
    return loss;
}

void pz_net_backward(pz_net *net)
{
    int N = net->N;
    pz_real *P = net->params, *G = net->grads, *A = net->act, *D = net->dact;
    memset(G, 0, net->n_params * sizeof(pz_real));
    /* The heads' gradients were seeded by pz_net_loss; every other
     * tensor's gradient is a sum over its readers, so start it at 0. */
    for (int t = 1; t < net->n_tensors; t++)
        if (t != net->logits[0] && t != net->logits[1])
            memset(D + net->tensors[t].off, 0, (size_t)N * per_image(&net->tensors[t]) * sizeof(pz_real));
    for (int i = net->n_nodes - 1; i >= 0; i--) {
        const node *n = &net->nodes[i];
        const tensor *tin = &net->tensors[n->in[0]], *tout = &net->tensors[n->out];
        const pz_real *X = A + tin->off, *Y = A + tout->off, *dY = D + tout->off;
        /* the input image needs no gradient */
        pz_real *dX = n->in[0] == 0 ? NULL : D + tin->off;
        size_t count = (size_t)N * per_image(tout);
        switch (n->op) {
        case OP_CONV: {
            pz_conv_shape s = conv_shape(net, n, N);
            PZ_L(conv2d_backward)(dX, G + n->w, G + n->b, dY, X, P + n->w, &s, net->ws);
            break;
        }
        case OP_BN:
            PZ_L(batchnorm_backward)(dX, G + n->w, G + n->b, dY, X,
                                  (const pz_real *)(net->cache + n->cache), P + n->w,
                                  (size_t)N * tin->H * tin->W, tin->C);
            break;
        case OP_ACT:
            if (n->act == PZ_ACT_RELU)
                PZ_L(relu_backward)(dX, dY, Y, count);
            else
                PZ_L(elu_backward)(dX, dY, Y, count);
            break;
        case OP_DROPOUT:
            PZ_L(dropout_backward)(dX, dY, net->cache + n->cache, n->p, count);
            break;
        case OP_ADD:
            PZ_L(accumulate)(dX, dY, count);
            PZ_L(accumulate)(D + net->tensors[n->in[1]].off, dY, count);
            break;
        case OP_MAXPOOL:
        case OP_AVGPOOL: {
            pz_pool_shape s = pool_shape(net, n, N);
            if (n->op == OP_MAXPOOL)
                PZ_L(maxpool_backward)(dX, dY, (const int32_t *)(net->cache + n->cache), &s);
            else
                PZ_L(avgpool_backward)(dX, dY, &s);
            break;
        }
        case OP_CONCAT: {
            pz_real *parts[MAX_IN];
            int Cs[MAX_IN];
            concat_parts(net, n, D, parts, Cs);
            PZ_L(concat_backward)(parts, dY, Cs, n->nin, (size_t)N * tout->H * tout->W);
            break;
        }
        case OP_DENSE:
            PZ_L(dense_backward)(dX, G + n->w, G + n->b, dY, X, P + n->w, N, (int)per_image(tin),
                              n->OC);
            break;
        }
    }
    /* d/dw of lambda * sum w^2 */
    pz_real two_lambda = (pz_real)(2 * 0.0007 * net->cfg.l2_weight_reg_mult);
    for (int i = 0; i < net->n_nodes; i++) {
        const node *n = &net->nodes[i];
        for (size_t j = n->w; j < n->w + n->wn; j++)
            G[j] += two_lambda * P[j];
    }
}
/* }===== */

pz_real *pz_net_params(pz_net *net, size_t *n)
{
    *n = net->n_params;
    return net->params;
}

pz_real *pz_net_grads(pz_net *net, size_t *n)
{
    *n = net->n_params;
    return net->grads;
}

pz_real *pz_net_state(pz_net *net, size_t *n)
{
    *n = net->n_state;
    return net->state;
}

const pz_real *pz_net_logits(const pz_net *net, int head)
{
    int t = net->logits[head ? 1 : 0];
    return t < 0 ? NULL : net->act + net->tensors[t].off;
}

double pz_net_macs(const pz_net *net) { return net->macs; }

void pz_net_describe(const pz_net *net, char *buf, size_t n)
{
    int convs = 0, bns = 0, denses = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        convs += net->nodes[i].op == OP_CONV;
        bns += net->nodes[i].op == OP_BN;
        denses += net->nodes[i].op == OP_DENSE;
    }
    size_t nparams = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const node *d = &net->nodes[i];
        if (d->op == OP_CONV || d->op == OP_DENSE)
            nparams += d->wn + (size_t)d->OC;
        else if (d->op == OP_BN)
            nparams += 2 * (size_t)net->tensors[d->in[0]].C;
    }
    snprintf(buf, n,
             "%d layers (%d conv, %d batchnorm, %d dense), %zu parameters, %.1f MMAC/image, "
             "%.2f GiB of activations at batch %d",
             net->n_nodes, convs, bns, denses, nparams, net->macs / 1e6,
             2.0 * (double)net->n_act * sizeof(pz_real) / (1 << 30), net->max_batch);
}
