/* The optimizers against Keras 2's update rules: first steps computed by
 * hand, then ten steps against a double-precision transcription of
 * keras/optimizers.py (Adam, Nadam with its momentum schedule, RMSprop),
 * and a quadratic each one minimises. */
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "net.h"
#include "optim.h"

static const double grads[10] = {0.5, -0.2, 0.1, 0.3, -0.4, 0.05, 0.0, -0.1, 0.25, 0.2};

/* Keras 2.2, one scalar parameter, in double. */
static double keras(int kind, double lr, int steps)
{
    double p = 1, m = 0, v = 0, sched = 1;
    for (int t = 1; t <= steps; t++) {
        double g = grads[t - 1];
        if (kind == PZ_OPT_ADAM) {
            double lr_t = lr * sqrt(1 - pow(0.999, t)) / (1 - pow(0.9, t));
            m = 0.9 * m + 0.1 * g;
            v = 0.999 * v + 0.001 * g * g;
            p -= lr_t * m / (sqrt(v) + 1e-7);
        } else if (kind == PZ_OPT_NADAM) {
            double mc = 0.9 * (1 - 0.5 * pow(0.96, t * 0.004));
            double mc1 = 0.9 * (1 - 0.5 * pow(0.96, (t + 1) * 0.004));
            double s_new = sched * mc, s_next = sched * mc * mc1;
            sched = s_new;
            double gp = g / (1 - s_new);
            m = 0.9 * m + 0.1 * g;
            double mp = m / (1 - s_next);
            v = 0.999 * v + 0.001 * g * g;
            double vp = v / (1 - pow(0.999, t));
            double mbar = (1 - mc) * gp + mc1 * mp;
            p -= lr * mbar / (sqrt(vp) + 1e-7);
        } else {
            v = 0.9 * v + 0.1 * g * g;
            p -= lr * g / (sqrt(v) + 1e-7);
        }
    }
    return p;
}

static double ours(int kind, double lr, int steps)
{
    pz_optim o;
    CHECK_OK(pz_optim_init(&o, kind, lr, 1));
    float p = 1;
    for (int t = 0; t < steps; t++) {
        float g = (float)grads[t];
        pz_optim_step(&o, &p, &g);
    }
    pz_optim_destroy(&o);
    return p;
}

int main(void)
{
    /* by hand: Adam's first step is lr (bias-corrected m / sqrt(v) = 1);
     * RMSprop's is lr * g / sqrt(0.1 g^2) = lr sqrt(10); Nadam's works out
     * to 0.0105645 for lr 0.01, g 0.5. */
    CHECK_NEAR(1 - ours(PZ_OPT_ADAM, 0.01, 1), 0.01, 1e-6);
    CHECK_NEAR(1 - ours(PZ_OPT_RMSPROP, 0.01, 1), 0.01 * sqrt(10), 1e-6);
    CHECK_NEAR(1 - ours(PZ_OPT_NADAM, 0.01, 1), 0.0105645, 1e-6);
    const char *names[] = {"Adam", "Nadam", "RMSprop"};
    for (int k = 0; k < 3; k++) {
        double a = ours(k, 0.01, 10), b = keras(k, 0.01, 10);
        printf("%-8s after 10 steps: %.7f (Keras' rule in double: %.7f)\n", names[k], a, b);
        CHECK_NEAR(a, b, 2e-6);
        /* and each descends f(p) = (p - 3)^2 from p = 0 */
        pz_optim o;
        CHECK_OK(pz_optim_init(&o, k, 0.05, 1));
        float p = 0;
        for (int t = 0; t < 2000; t++) {
            float g = 2 * (p - 3);
            pz_optim_step(&o, &p, &g);
        }
        CHECK_NEAR(p, 3, 0.05);
        pz_optim_destroy(&o);
    }
    printf("test_optim: ok\n");
    return 0;
}
