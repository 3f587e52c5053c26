/* resnet trainer: Adam, Nadam and RMSprop as Keras 2 computes them
 * (keras/optimizers.py of 2.2), in float with the step's scalars in
 * double. One pass over the flat parameter array per step. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "net.h"

#define BETA_1 0.9
#define BETA_2 0.999
#define RHO 0.9
#define EPSILON 1e-7
#define SCHEDULE_DECAY 0.004

int pz_optim_init(pz_optim *o, int kind, double lr, size_t n)
{
    memset(o, 0, sizeof *o);
    o->kind = kind, o->lr = lr, o->n = n, o->m_schedule = 1;
    o->m = calloc(n ? n : 1, sizeof(float));
    o->v = calloc(n ? n : 1, sizeof(float));
    if (!o->m || !o->v) {
        pz_optim_destroy(o);
        return PZ_ENOMEM;
    }
    return PZ_OK;
}

void pz_optim_destroy(pz_optim *o)
{
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

static void adam(pz_optim *o, float *restrict p, const float *restrict g)
{
    double t = (double)o->t;
    float lr_t = (float)(o->lr * sqrt(1 - pow(BETA_2, t)) / (1 - pow(BETA_1, t)));
    float *restrict m = o->m, *restrict v = o->v;
    for (size_t i = 0; i < o->n; i++) {
        m[i] = (float)BETA_1 * m[i] + (float)(1 - BETA_1) * g[i];
        v[i] = (float)BETA_2 * v[i] + (float)(1 - BETA_2) * g[i] * g[i];
        p[i] -= lr_t * m[i] / (sqrtf(v[i]) + (float)EPSILON);
    }
}

/* Nesterov Adam with Keras' warming momentum schedule. */
static void nadam(pz_optim *o, float *restrict p, const float *restrict g)
{
    double t = (double)o->t;
    double mc_t = BETA_1 * (1 - 0.5 * pow(0.96, t * SCHEDULE_DECAY));
    double mc_t1 = BETA_1 * (1 - 0.5 * pow(0.96, (t + 1) * SCHEDULE_DECAY));
    double sched_new = o->m_schedule * mc_t, sched_next = sched_new * mc_t1;
    o->m_schedule = sched_new;
    float a_g = (float)((1 - mc_t) / (1 - sched_new));    /* weight of g in m_t_bar */
    float a_m = (float)(mc_t1 / (1 - sched_next));         /* weight of m_t */
    float v_corr = (float)(1 / (1 - pow(BETA_2, t)));
    float lr = (float)o->lr;
    float *restrict m = o->m, *restrict v = o->v;
    for (size_t i = 0; i < o->n; i++) {
        m[i] = (float)BETA_1 * m[i] + (float)(1 - BETA_1) * g[i];
        v[i] = (float)BETA_2 * v[i] + (float)(1 - BETA_2) * g[i] * g[i];
        float m_bar = a_g * g[i] + a_m * m[i];
        p[i] -= lr * m_bar / (sqrtf(v[i] * v_corr) + (float)EPSILON);
    }
}

static void rmsprop(pz_optim *o, float *restrict p, const float *restrict g)
{
    float lr = (float)o->lr;
    float *restrict a = o->v;
    for (size_t i = 0; i < o->n; i++) {
        a[i] = (float)RHO * a[i] + (float)(1 - RHO) * g[i] * g[i];
        p[i] -= lr * g[i] / (sqrtf(a[i]) + (float)EPSILON);
    }
}

void pz_optim_step(pz_optim *o, float *params, const float *grads)
{
    o->t++;
    switch (o->kind) {
    case PZ_OPT_ADAM: adam(o, params, grads); break;
    case PZ_OPT_NADAM: nadam(o, params, grads); break;
    default: rmsprop(o, params, grads); break;
    }
}
