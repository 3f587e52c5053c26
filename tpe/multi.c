/* parzen: joint Parzen estimators for TPE's "multivariate" option (see
 * tpe.h). A density costs O(kernels x d) at worst: a kernel is dropped as
 * soon as its partial log term plus a bound on the dimensions still to
 * come falls e^-40 below the largest kernel term met so far. The log
 * families' Jacobian is the same for every kernel and is added once. */
#include "tpe.h"

#include <math.h>
#include <string.h>

#define LOG_SQRT_2PI 0.91893853320467274178
#define SIGMA0 0.2 /* Optuna's SIGMA0_MAGNITUDE */
#define PRUNE 40.0

int pz_parzen_joint_fit(pz_parzen_joint *p, pz_arena *a, const pz_parzen_prior *prior, size_t d,
                        const double *obs, size_t nobs, double prior_weight, size_t lf)
{
    memset(p, 0, sizeof *p);
    size_t n = nobs + 1;
    p->d = d;
    p->prior = prior;
    p->n = n;
    p->w = pz_arena_alloc(a, sizeof *p->w * n);
    p->logw = pz_arena_alloc(a, sizeof *p->logw * n);
    p->mu = pz_arena_alloc(a, sizeof *p->mu * n * d);
    p->logz = pz_arena_alloc(a, sizeof *p->logz * n * d);
    p->sigma = pz_arena_alloc(a, sizeof *p->sigma * 2 * d);
    p->logsig = pz_arena_alloc(a, sizeof *p->logsig * 2 * d);
    p->rest = pz_arena_alloc(a, sizeof *p->rest * (d + 1));
    if (!p->w || !p->logw || !p->mu || !p->logz || !p->sigma || !p->logsig || !p->rest)
        return PZ_ENOMEM;
    double wsum = 0;
    for (size_t i = 0; i < n; i++) {
        p->w[i] = i < nobs ? pz_parzen_forget_weight(i, nobs, lf) : prior_weight;
        wsum += p->w[i];
    }
    for (size_t i = 0; i < n; i++) {
        p->w[i] /= wsum;
        p->logw[i] = log(p->w[i]);
    }
    p->fill = prior_weight / (double)n;
    double shrink = SIGMA0 * pow(nobs > 0 ? (double)nobs : 1.0, -1.0 / ((double)d + 4));
    for (size_t j = 0; j < d; j++) {
        const pz_parzen_prior *pr = &prior[j];
        double s = 1.0, sp = 1.0;
        if (pr->kind == PZ_PARZEN_GMM) {
            double minsigma = pr->sigma / (n + 1.0 < 100.0 ? n + 1.0 : 100.0);
            s = shrink * pr->sigma;
            s = s < minsigma ? minsigma : s > pr->sigma ? pr->sigma : s;
            sp = pr->sigma;
        }
        p->sigma[2 * j] = s;
        p->sigma[2 * j + 1] = sp;
        p->logsig[2 * j] = log(s);
        p->logsig[2 * j + 1] = log(sp);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < d; j++) {
            const pz_parzen_prior *pr = &prior[j];
            double m = i < nobs ? obs[i * d + j] : pr->kind == PZ_PARZEN_GMM ? pr->mu : NAN;
            p->mu[i * d + j] = m;
            double lz = 0;
            if (pr->kind == PZ_PARZEN_GMM && (isfinite(pr->low) || isfinite(pr->high))) {
                double s = p->sigma[2 * j + (i == nobs)];
                lz = log(pz__gauss_mass((pr->low - m) / s, (pr->high - m) / s));
            }
            p->logz[i * d + j] = lz;
        }
    }
    /* Bounds of a kernel's log term per dimension: probabilities and
     * masses are <= 1 (so <= -logz), a density <= 1 / (sigma sqrt(2 pi) Z). */
    p->rest[d] = 0;
    for (size_t j = d; j-- > 0;) {
        const pz_parzen_prior *pr = &prior[j];
        double b = 0;
        if (pr->kind == PZ_PARZEN_GMM)
            for (size_t i = 0; i < n; i++) {
                double t = -p->logz[i * d + j];
                if (pr->q <= 0)
                    t -= p->logsig[2 * j + (i == nobs)] + LOG_SQRT_2PI;
                b = t > b || i == 0 ? t : b;
            }
        p->rest[j] = p->rest[j + 1] + b;
    }
    return PZ_OK;
}

/* log of kernel i's density (mass) on dimension j at value x */
static double kernel_log(const pz_parzen_joint *p, size_t i, size_t j, double x)
{
    const pz_parzen_prior *pr = &p->prior[j];
    int is_prior = i == p->n - 1;
    if (pr->kind == PZ_PARZEN_CAT) {
        double k = x - (double)pr->cat_low;
        if (!(k >= 0 && k < (double)pr->ncat) || (double)(int64_t)x != x)
            return -HUGE_VAL;
        double pc = pr->probs ? pr->probs[(size_t)k] : 1.0 / (double)pr->ncat;
        if (is_prior)
            return log(pc);
        double ncat = (double)pr->ncat;
        return log(((p->mu[i * p->d + j] == x) + p->fill * ncat * pc) / (1 + p->fill * ncat));
    }
    double mu = p->mu[i * p->d + j], s = p->sigma[2 * j + is_prior];
    double lz = p->logz[i * p->d + j];
    if (pr->q > 0) {
        double lo = x - 0.5 * pr->q, hi = x + 0.5 * pr->q;
        double vlo = pr->logspace ? (isfinite(pr->low) ? exp(pr->low) : 0.0) : pr->low;
        double vhi = pr->logspace ? exp(pr->high) : pr->high;
        lo = lo > vlo ? lo : vlo;
        hi = hi < vhi ? hi : vhi;
        if (pr->logspace)
            lo = lo > 0 ? lo : 0;
        if (!(hi > lo))
            return -HUGE_VAL;
        if (pr->logspace) {
            lo = lo > 0 ? log(lo) : -HUGE_VAL;
            hi = log(hi);
        }
        double m = pz__gauss_mass((lo - mu) / s, (hi - mu) / s);
        return (m > 0 ? log(m) : -HUGE_VAL) - lz;
    }
    double y = x;
    if (pr->logspace) {
        if (!(x > 0))
            return -HUGE_VAL;
        y = log(x);
    }
    if (y < pr->low || y > pr->high)
        return -HUGE_VAL;
    double z = (y - mu) / s;
    return -0.5 * z * z - p->logsig[2 * j + is_prior] - LOG_SQRT_2PI - lz; /* Jacobian: below */
}

double pz_parzen_joint_lpdf(const pz_parzen_joint *p, const double *x)
{
    double jac = 0; /* dy/dx = 1/x for continuous log labels */
    for (size_t j = 0; j < p->d; j++) {
        const pz_parzen_prior *pr = &p->prior[j];
        if (pr->kind == PZ_PARZEN_GMM && pr->logspace && !(pr->q > 0))
            jac -= x[j] > 0 ? log(x[j]) : 0;
    }
    double mx = -HUGE_VAL, s = 0; /* online log-sum-exp */
    for (size_t i = 0; i < p->n; i++) {
        double t = p->logw[i];
        for (size_t j = 0; j < p->d && t + p->rest[j] >= mx - PRUNE; j++)
            t += kernel_log(p, i, j, x[j]);
        if (t + p->rest[p->d] < mx - PRUNE || t == -HUGE_VAL || isnan(t))
            continue; /* dropped (or partial: it is negligible either way) */
        if (t > mx) {
            s = s * exp(mx - t) + 1;
            mx = t;
        } else {
            s += exp(t - mx);
        }
    }
    return mx == -HUGE_VAL ? mx : mx + log(s) + jac;
}

void pz_parzen_joint_sample(const pz_parzen_joint *p, gsl_rng *r, double *x)
{
    double u = gsl_rng_uniform(r);
    size_t i = 0;
    while (i + 1 < p->n && u >= p->w[i]) {
        u -= p->w[i];
        i++;
    }
    int is_prior = i == p->n - 1;
    for (size_t j = 0; j < p->d; j++) {
        const pz_parzen_prior *pr = &p->prior[j];
        if (pr->kind == PZ_PARZEN_CAT) {
            double keep = is_prior ? 0 : 1 / (1 + p->fill * (double)pr->ncat);
            x[j] = gsl_rng_uniform(r) < keep ? p->mu[i * p->d + j] : pz__draw_prior_cat(pr, r);
        } else {
            x[j] = pz__draw_gmm(pr, p->mu[i * p->d + j], p->sigma[2 * j + is_prior], r);
        }
    }
}
