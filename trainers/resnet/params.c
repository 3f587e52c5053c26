/* resnet trainer: a params point of the seed network family, parsed and
 * checked (type-independent, so compiled once for both precisions). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net.h"

/* {===== params =====
 * The reference network (the best model of the original CIFAR-100 study,
 * issue 5) supplies a value for every param a space leaves out. */
static const pz_net_config reference = {
    .first_conv = 3,
    .conv_hiddn_units_mult = 1.5958,
    .nb_conv_pool_layers = 3,
    .conv_kernel_size = 3,
    .residual = 3,
    .conv_pool_res_start_idx = 0,
    .res_conv_kernel_size = 2,
    .use_BN = 1,
    .pooling_type = PZ_POOL_AVG,
    .conv_dropout_proba = 0.2592,
    .fc_units_1_mult = 1.3084,
    .fc_units_2_mult = 0,
    .fc_dropout_proba = 0.4322,
    .activation = PZ_ACT_ELU,
    .optimizer = PZ_OPT_NADAM,
    .lr_rate_mult = 0.6549,
    .l2_weight_reg_mult = 0.4121,
    .coarse_labels_weight = 0.3067,
    .batch_size = 320,
};

static const char *const param_names[] = {
    "first_conv", "conv_hiddn_units_mult", "nb_conv_pool_layers", "conv_kernel_size",
    "residual", "conv_pool_res_start_idx", "res_conv_kernel_size", "use_BN", "pooling_type",
    "conv_dropout_proba", "fc_units_1_mult", "one_more_fc", "fc_dropout_proba", "activation",
    "optimizer", "lr_rate_mult", "l2_weight_reg_mult", "coarse_labels_weight", "batch_size",
};
#define N_PARAMS (sizeof param_names / sizeof param_names[0])

static int get_number(const pz_value *params, const char *key, double lo, double hi, int lo_open,
                      int hi_open, double *out, pz_error *err)
{
    const pz_value *v = pz_map_get(params, key);
    if (!v)
        return PZ_OK; /* keeps the reference value */
    double d;
    if (pz_value_number(v, &d) != PZ_OK)
        return pz_error_set(err, PZ_ETYPE, "params.%s: expected a number, got %s", key,
                            pz_type_name(v->type));
    if (!isfinite(d) || (lo_open ? d <= lo : d < lo) || (hi_open ? d >= hi : d > hi))
        return pz_error_set(err, PZ_ERANGE, "params.%s: %g is outside %s%g, %g%s", key, d,
                            lo_open ? "(" : "[", lo, hi, hi_open ? ")" : "]");
    *out = d;
    return PZ_OK;
}

/* Integers may arrive as doubles (quniform gives 3.0, as in hyperopt). */
static int get_int(const pz_value *params, const char *key, int lo, int hi, int *out,
                   pz_error *err)
{
    double d = *out;
    int rc = get_number(params, key, lo, hi, 0, 0, &d, err);
    if (rc)
        return rc;
    if (d != floor(d))
        return pz_error_set(err, PZ_ERANGE, "params.%s: %g is not a whole number", key, d);
    *out = (int)d;
    return PZ_OK;
}

/* A choice of hp.none or a number: none gives 0. */
static int get_optional(const pz_value *params, const char *key, double lo, double hi,
                        double *out, pz_error *err)
{
    const pz_value *v = pz_map_get(params, key);
    if (v && v->type == PZ_NONE) {
        *out = 0;
        return PZ_OK;
    }
    return get_number(params, key, lo, hi, 1, 0, out, err);
}

static int get_word(const pz_value *params, const char *key, const char *const *words, int nw,
                    int *out, pz_error *err)
{
    const pz_value *v = pz_map_get(params, key);
    if (!v)
        return PZ_OK;
    if (v->type != PZ_STR)
        return pz_error_set(err, PZ_ETYPE, "params.%s: expected a string, got %s", key,
                            pz_type_name(v->type));
    for (int i = 0; i < nw; i++)
        if (strcasecmp(v->u.s.ptr, words[i]) == 0) {
            *out = i;
            return PZ_OK;
        }
    char known[256] = "";
    for (int i = 0; i < nw; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 words[i]);
    return pz_error_set(err, PZ_EINVAL, "params.%s: unknown value \"%s\" (known: %s)", key,
                        v->u.s.ptr, known);
}

int pz_net_config_from_params(pz_net_config *c, const pz_value *params, pz_error *err)
{
    *c = reference;
    if (!params || params->type != PZ_MAP)
        return pz_error_set(err, PZ_ETYPE, "params: expected a map");
    for (size_t i = 0; i < params->u.map.len; i++) {
        size_t k = 0;
        while (k < N_PARAMS && strcmp(params->u.map.keys[i], param_names[k]) != 0)
            k++;
        if (k == N_PARAMS)
            return pz_error_set(err, PZ_EINVAL,
                                "params.%s: not a parameter of the resnet family (see DESIGN.md, "
                                "\"The seed network\")",
                                params->u.map.keys[i]);
    }
    static const char *const pools[] = {"max", "avg", "all_conv", "inception"};
    static const char *const acts[] = {"relu", "elu"};
    static const char *const opts[] = {"Adam", "Nadam", "RMSprop"};
    double first = c->first_conv, fc2 = c->fc_units_2_mult, res = c->residual;
    const pz_value *bn = pz_map_get(params, "use_BN");
    int rc;
    if ((rc = get_optional(params, "first_conv", 0, 9, &first, err)) ||
        (rc = get_number(params, "conv_hiddn_units_mult", 0.025, 10, 0, 0,
                         &c->conv_hiddn_units_mult, err)) ||
        (rc = get_int(params, "nb_conv_pool_layers", 1, 6, &c->nb_conv_pool_layers, err)) ||
        (rc = get_int(params, "conv_kernel_size", 1, 9, &c->conv_kernel_size, err)) ||
        (rc = get_optional(params, "residual", 0, 8, &res, err)) ||
        (rc = get_int(params, "conv_pool_res_start_idx", 0, 6, &c->conv_pool_res_start_idx,
                      err)) ||
        (rc = get_int(params, "res_conv_kernel_size", 1, 9, &c->res_conv_kernel_size, err)) ||
        (rc = get_word(params, "pooling_type", pools, 4, &c->pooling_type, err)) ||
        (rc = get_number(params, "conv_dropout_proba", 0, 1, 0, 1, &c->conv_dropout_proba,
                         err)) ||
        (rc = get_number(params, "fc_units_1_mult", 0.001, 20, 0, 0, &c->fc_units_1_mult,
                         err)) ||
        (rc = get_optional(params, "one_more_fc", 0, 20, &fc2, err)) ||
        (rc = get_number(params, "fc_dropout_proba", 0, 1, 0, 1, &c->fc_dropout_proba, err)) ||
        (rc = get_word(params, "activation", acts, 2, &c->activation, err)) ||
        (rc = get_word(params, "optimizer", opts, 3, &c->optimizer, err)) ||
        (rc = get_number(params, "lr_rate_mult", 0, 1000, 1, 0, &c->lr_rate_mult, err)) ||
        (rc = get_number(params, "l2_weight_reg_mult", 0, 1000, 0, 0, &c->l2_weight_reg_mult,
                         err)) ||
        (rc = get_number(params, "coarse_labels_weight", 0, 100, 0, 0,
                         &c->coarse_labels_weight, err)) ||
        (rc = get_int(params, "batch_size", 1, 8192, &c->batch_size, err)))
        return rc;
    if (first != floor(first))
        return pz_error_set(err, PZ_ERANGE, "params.first_conv: %g is not a whole number", first);
    if (res != floor(res))
        return pz_error_set(err, PZ_ERANGE, "params.residual: %g is not a whole number", res);
    c->first_conv = (int)first;
    c->residual = (int)res;
    c->fc_units_2_mult = fc2;
    if (bn) {
        if (bn->type != PZ_BOOL)
            return pz_error_set(err, PZ_ETYPE, "params.use_BN: expected a boolean, got %s",
                                pz_type_name(bn->type));
        c->use_BN = bn->u.b;
    }
    if ((int)(40 * c->conv_hiddn_units_mult) < 1)
        return pz_error_set(err, PZ_ERANGE, "params.conv_hiddn_units_mult: %g gives no filters",
                            c->conv_hiddn_units_mult);
    if ((int)(1000 * c->fc_units_1_mult) < 1)
        return pz_error_set(err, PZ_ERANGE, "params.fc_units_1_mult: %g gives no units",
                            c->fc_units_1_mult);
    if (fc2 > 0 && (int)(750 * fc2) < 1)
        return pz_error_set(err, PZ_ERANGE, "params.one_more_fc: %g gives no units", fc2);
    return PZ_OK;
}
/* }===== */

