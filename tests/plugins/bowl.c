/* Test trainer plugin: a quadratic bowl with its optimum at x = 1,
 * y = -2 (loss 0). train() saves a model file (the standard header
 * carrying the params, nothing else) so `parzen eval` can score it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "trainer.h"

static double bowl(const pz_value *params, int *ok)
{
    double x, y;
    *ok = pz_value_number(pz_map_get(params, "x"), &x) == PZ_OK &&
          pz_value_number(pz_map_get(params, "y"), &y) == PZ_OK;
    return *ok ? (x - 1) * (x - 1) + (y + 2) * (y + 2) : NAN;
}

static int bowl_check(const pz_value *config, pz_error *err)
{
    for (size_t i = 0; config && i < pz_value_len(config); i++)
        if (strcmp(config->u.map.keys[i], "scale") != 0)
            return pz_error_set(err, PZ_EINVAL, "trainer.%s: unknown option for bowl (known: scale)",
                                config->u.map.keys[i]);
    return PZ_OK;
}

static int bowl_train(const pz_trainer_ctx *ctx, pz_value **result, pz_error *err)
{
    int ok;
    double loss = bowl(ctx->params, &ok);
    if (!ok)
        return pz_error_set(err, PZ_EINVAL, "bowl needs numeric params x and y");
    double scale = 1;
    pz_value_number(pz_map_get(ctx->config, "scale"), &scale);
    loss *= scale;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.pzm", ctx->model_dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return pz_error_set(err, PZ_EIO, "cannot write %s", path);
    pz_value *h = pz_value_map();
    pz_map_set(h, "trainer", pz_value_str("bowl"));
    pz_map_set(h, "format", pz_value_int(1));
    pz_map_set(h, "params", pz_value_copy(ctx->params));
    int rc = pz_model_header_write(f, h, err);
    pz_value_free(h);
    if (fclose(f) != 0 && !rc)
        rc = pz_error_set(err, PZ_EIO, "cannot write %s", path);
    if (rc)
        return rc;
    pz_value *r = pz_value_map(), *m = pz_value_map();
    pz_map_set(m, "threads", pz_value_int(ctx->threads));
    pz_map_set(r, "loss", pz_value_double(loss));
    pz_map_set(r, "metrics", m);
    pz_map_set(r, "model", pz_value_str(path));
    *result = r;
    return PZ_OK;
}

static int bowl_evaluate(const char *model_path, const pz_value *config, const char *split,
                         pz_value **metrics, pz_error *err)
{
    (void)config;
    FILE *f = fopen(model_path, "rb");
    if (!f)
        return pz_error_set(err, PZ_EIO, "cannot open %s", model_path);
    pz_value *h;
    int rc = pz_model_header_read(f, model_path, &h, err);
    fclose(f);
    if (rc)
        return rc;
    int ok;
    double loss = bowl(pz_map_get(h, "params"), &ok);
    pz_value_free(h);
    pz_value *m = pz_value_map();
    pz_map_set(m, "split", pz_value_str(split));
    pz_map_set(m, "loss", pz_value_double(loss));
    *metrics = m;
    return PZ_OK;
}

static const pz_trainer bowl_trainer = {
    .abi = PZ_TRAINER_ABI,
    .struct_size = sizeof(pz_trainer),
    .name = "bowl",
    .summary = "quadratic bowl, optimum (1, -2)",
    .check = bowl_check,
    .train = bowl_train,
    .evaluate = bowl_evaluate,
};

PZ_API const pz_trainer *pz_trainer_entry_v1(void);
const pz_trainer *pz_trainer_entry_v1(void) { return &bowl_trainer; }
