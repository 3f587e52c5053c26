/* resnet trainer: the optimizers of the seed study, with the constants of
 * Keras 2 (the original's): Adam and Nadam with beta_1 0.9, beta_2 0.999,
 * epsilon 1e-7 (Nadam with schedule_decay 0.004), RMSprop with rho 0.9 and
 * epsilon 1e-7.
 *
 * Ownership: pz_optim is caller storage; pz_optim_init allocates its
 * moment buffers (m and v, n floats each), pz_optim_destroy frees them.
 * The step, the moments and Nadam's momentum schedule are the whole state:
 * a checkpoint that saves them resumes bit-identically.
 */
#ifndef PZ_RESNET_OPTIM_H
#define PZ_RESNET_OPTIM_H

#include <stddef.h>
#include <stdint.h>

typedef struct pz_optim {
    int kind;          /* PZ_OPT_* (net.h) */
    double lr;
    size_t n;
    float *m, *v;      /* first and second moments (RMSprop: v only) */
    int64_t t;         /* steps taken */
    double m_schedule; /* Nadam's product of momentum factors */
} pz_optim;

/* PZ_ENOMEM or PZ_OK. */
int pz_optim_init(pz_optim *o, int kind, double lr, size_t n);
/* params -= update(grads), one step. */
void pz_optim_step(pz_optim *o, float *params, const float *grads);
void pz_optim_destroy(pz_optim *o);

#endif
