/* parzen: adaptive Parzen estimators of TPE (see tpe.h), and the scratch
 * arena they live in.
 *
 * A GMM estimator is hyperopt's adaptive_parzen_normal: the prior
 * component plus one Gaussian per observation, sorted by mean, each
 * observation's width the larger gap to its sorted neighbours (the prior
 * mean counts as a neighbour), clipped to [prior_sigma / min(100, m + 1),
 * prior_sigma] with m = observations + 1; weights from the linear
 * forgetting ramp and prior_weight, normalised; neighbours with equal mean
 * and width merged. Densities are exact up to one pruning: components are
 * grouped in blocks of PZ_PARZEN_BLOCK by sorted mean, and a block whose
 * upper bound is below e^-40 of the part of the sum already known is
 * skipped, so evaluating at one point costs about n / PZ_PARZEN_BLOCK
 * bounds plus the blocks within reach, with a relative error under
 * (n / PZ_PARZEN_BLOCK) * 4e-18.
 *
 * Knowing differences from hyperopt, all deliberate:
 *  - Continuous log families (loguniform, lognormal are not truncated, so
 *    only loguniform is affected) divide the density by the truncated
 *    mixture's mass on [low, high], as the other truncated forms do;
 *    hyperopt's LGMM1_lpdf forgets this normaliser.
 *  - Truncated components are drawn by inverting the Gaussian CDF on the
 *    accepted interval, the component being chosen with probability
 *    proportional to weight x accepted mass; that is the distribution of
 *    hyperopt's rejection loop, drawn without the loop.
 *  - Densities outside [low, high] are 0 (hyperopt evaluates the
 *    untruncated formula there; TPE never asks, candidates lie inside).
 *  - Ties between equal observations keep chronological order (numpy's
 *    argsort is not stable), so equal values get their widths and ramp
 *    weights in a reproducible order.
 */
#include "tpe.h"

#include <math.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#define LOG_SQRT_2PI 0.91893853320467274178 /* log(sqrt(2 pi)) */
#define OBS_FLOOR 1e-12                      /* hyperopt's EPS */
#define PRUNE 40.0                           /* skip blocks below e^-40 of the known sum */
#define TAIL_Z 8.5                           /* Q(8.5) < 1e-17: a tail that rounds away */

/* {===== arena ===== */

struct pz__arena_block {
    pz__arena_block *next;
    size_t cap, used;
    alignas(16) unsigned char data[];
};

void pz_arena_init(pz_arena *a) { a->head = NULL; }

void *pz_arena_alloc(pz_arena *a, size_t bytes)
{
    size_t need = (bytes + 15) & ~(size_t)15;
    if (need < bytes)
        return NULL;
    pz__arena_block *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = b ? 2 * b->cap : (size_t)64 << 10;
        if (cap < need)
            cap = need;
        pz__arena_block *nb = malloc(sizeof *nb + cap);
        if (!nb)
            return NULL;
        nb->next = b;
        nb->cap = cap;
        nb->used = 0;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += need;
    return p;
}

void pz_arena_reset(pz_arena *a)
{
    pz__arena_block *b = a->head;
    if (!b)
        return;
    if (!b->next) {
        b->used = 0;
        return;
    }
    /* Several blocks: the last use needed their sum; replace them by one
     * block that size so the next use allocates nothing. */
    size_t total = 0;
    while (b) {
        pz__arena_block *next = b->next;
        total += b->cap;
        free(b);
        b = next;
    }
    a->head = malloc(sizeof *a->head + total);
    if (a->head) {
        a->head->next = NULL;
        a->head->cap = total;
        a->head->used = 0;
    }
}

void pz_arena_destroy(pz_arena *a)
{
    pz__arena_block *b = a->head;
    while (b) {
        pz__arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
/* }===== */

/* {===== Gaussian helpers (GSL's CDFs; no hand-rolled special functions) ===== */

static double norm_P(double z)
{
    if (z == -HUGE_VAL)
        return 0;
    if (z == HUGE_VAL)
        return 1;
    return gsl_cdf_ugaussian_P(z);
}

static double norm_Q(double z) { return norm_P(-z); }

/* P(za < Z < zb) for a standard Gaussian Z, za <= zb, computed on the side
 * of the tails so that far-tail intervals keep their precision. */
static double gauss_mass(double za, double zb)
{
    if (za >= 0)
        return norm_Q(za) - norm_Q(zb);
    if (zb <= 0)
        return norm_P(zb) - norm_P(za);
    return 1.0 - norm_P(za) - norm_Q(zb);
}

static double log_add(double a, double b)
{
    if (a == -HUGE_VAL)
        return b;
    if (b == -HUGE_VAL)
        return a;
    return a > b ? a + log1p(exp(b - a)) : b + log1p(exp(a - b));
}
/* }===== */

/* {===== priors ===== */

int pz_parzen_prior_of(const pz_node *node, pz_parzen_prior *out)
{
    memset(out, 0, sizeof *out);
    out->kind = PZ_PARZEN_GMM;
    out->low = -HUGE_VAL;
    out->high = HUGE_VAL;
    switch (node->kind) {
    case PZ_NODE_UNIFORM:
    case PZ_NODE_QUNIFORM:
    case PZ_NODE_LOGUNIFORM:
    case PZ_NODE_QLOGUNIFORM:
    case PZ_NODE_UNIFORMINT:
        out->mu = 0.5 * (node->low + node->high);
        out->sigma = node->high - node->low;
        out->low = node->low;
        out->high = node->high;
        out->q = node->kind == PZ_NODE_UNIFORMINT ? 1.0 : node->q;
        out->logspace = pz_node_is_log(node->kind);
        return PZ_OK;
    case PZ_NODE_NORMAL:
    case PZ_NODE_QNORMAL:
    case PZ_NODE_LOGNORMAL:
    case PZ_NODE_QLOGNORMAL:
        out->mu = node->mu;
        out->sigma = node->sigma;
        out->q = node->q;
        out->logspace = pz_node_is_log(node->kind);
        return PZ_OK;
    case PZ_NODE_RANDINT:
        out->kind = PZ_PARZEN_CAT;
        out->cat_low = (int64_t)node->low;
        out->ncat = (uint64_t)((int64_t)node->high - (int64_t)node->low);
        return PZ_OK;
    case PZ_NODE_CHOICE:
    case PZ_NODE_PCHOICE:
        out->kind = PZ_PARZEN_CAT;
        out->ncat = node->n;
        out->probs = node->kind == PZ_NODE_PCHOICE ? node->probs : NULL;
        return PZ_OK;
    default:
        return PZ_EINVAL;
    }
}

double pz_parzen_to_model(const pz_parzen_prior *pr, double v)
{
    if (pr->kind != PZ_PARZEN_GMM || !pr->logspace)
        return v;
    double lowest = OBS_FLOOR;
    /* hyperopt's ap_qloguniform_sampler lifts values quantised below
     * exp(low), 0 in particular, back up to exp(low). */
    if (pr->q > 0 && isfinite(pr->low) && exp(pr->low) > lowest)
        lowest = exp(pr->low);
    return log(v > lowest ? v : lowest);
}
/* }===== */

/* {===== fitting ===== */

/* The ramp as numpy.linspace(1/n, 1, n - lf) computes it: start + k * step. */
typedef struct ramp {
    size_t nramp;
    double lo, step;
} ramp;

static ramp ramp_of(size_t n, size_t lf)
{
    ramp r = {0, 1.0, 0.0};
    if (lf == 0 || n <= lf)
        return r;
    r.nramp = n - lf;
    r.lo = 1.0 / (double)n;
    r.step = r.nramp > 1 ? (1.0 - r.lo) / (double)(r.nramp - 1) : 0.0;
    return r;
}

static double ramp_weight(const ramp *r, size_t rank)
{
    return rank < r->nramp ? (double)rank * r->step + r->lo : 1.0;
}

double pz_parzen_forget_weight(size_t rank, size_t n, size_t lf)
{
    ramp r = ramp_of(n, lf);
    return ramp_weight(&r, rank);
}

#define ALLOC(a, ptr, count) ((ptr) = pz_arena_alloc((a), sizeof *(ptr) * (count)))

static int fit_cat(pz_parzen *p, pz_arena *a, const double *sorted, const uint32_t *rank,
                   size_t n, size_t lf)
{
    const pz_parzen_prior *pr = &p->prior;
    if (!ALLOC(a, p->cat_val, n) || !ALLOC(a, p->cat_cnt, n))
        return PZ_ENOMEM;
    size_t u = 0;
    double total = 0;
    ramp rw = ramp_of(rank ? n : 0, lf);
    for (size_t i = 0; i < n; i++) {
        double v = sorted[i];
        double k = v - (double)pr->cat_low;
        if (!(k >= 0 && k < (double)pr->ncat) || (double)(int64_t)v != v)
            return PZ_EINVAL; /* (in range, so the cast is defined) */
        double w = rank ? ramp_weight(&rw, rank[i]) : 1.0;
        if (u > 0 && p->cat_val[u - 1] == v) {
            p->cat_cnt[u - 1] += w;
        } else {
            p->cat_val[u] = v;
            p->cat_cnt[u++] = w;
        }
        total += w;
    }
    p->nuniq = u;
    p->cnt_total = total;
    /* hyperopt's tpe_cat_pseudocounts: counts + ncat * prior_weight * p,
     * i.e. prior_weight per category for choice and randint. */
    p->total = total + p->prior_weight * (double)pr->ncat;
    return PZ_OK;
}

/* Merge neighbours with equal mean and width, then fill the pruning
 * blocks and the sampling table of a fitted GMM. */
static int finish_gmm(pz_parzen *p, pz_arena *a)
{
    size_t m = 0;
    for (size_t j = 0; j < p->n; j++) {
        if (m > 0 && p->mu[j] == p->mu[m - 1] && p->sigma[j] == p->sigma[m - 1]) {
            p->w[m - 1] += p->w[j];
        } else {
            p->mu[m] = p->mu[j];
            p->sigma[m] = p->sigma[j];
            p->w[m++] = p->w[j];
        }
        if (j == p->prior_pos)
            p->prior_pos = m - 1;
    }
    p->n = m;
    const pz_parzen_prior *pr = &p->prior;
    if (!ALLOC(a, p->ws, m) || !ALLOC(a, p->cum, m))
        return PZ_ENOMEM;
    int bounded = isfinite(pr->low) || isfinite(pr->high);
    double acc_sum = 0;
    for (size_t i = 0; i < m; i++) {
        p->ws[i] = p->w[i] / p->sigma[i];
        double acc = 1.0;
        if (bounded) { /* a tail beyond TAIL_Z sigmas rounds away: skip its CDF */
            double za = (pr->low - p->mu[i]) / p->sigma[i];
            double zb = (pr->high - p->mu[i]) / p->sigma[i];
            if (za < -TAIL_Z && zb < TAIL_Z)
                acc = norm_P(zb);
            else if (za > -TAIL_Z && zb > TAIL_Z)
                acc = norm_Q(za);
            else if (!(za < -TAIL_Z && zb > TAIL_Z))
                acc = gauss_mass(za, zb);
        }
        acc_sum += p->w[i] * acc;
        p->cum[i] = acc_sum;
    }
    p->log_accept = bounded ? log(acc_sum) : 0.0;

    size_t nb = (m + PZ_PARZEN_BLOCK - 1) / PZ_PARZEN_BLOCK;
    p->nblocks = nb;
    if (!ALLOC(a, p->blk_lo, nb) || !ALLOC(a, p->blk_hi, nb) || !ALLOC(a, p->blk_smax, nb) ||
        !ALLOC(a, p->blk_cmax, nb) || !ALLOC(a, p->blk_lw, nb))
        return PZ_ENOMEM;
    for (size_t b = 0; b < nb; b++) {
        size_t i0 = b * PZ_PARZEN_BLOCK, i1 = i0 + PZ_PARZEN_BLOCK < m ? i0 + PZ_PARZEN_BLOCK : m;
        double smax = 0, cmax = 0, wsum = 0;
        for (size_t i = i0; i < i1; i++) {
            smax = p->sigma[i] > smax ? p->sigma[i] : smax;
            cmax = p->ws[i] > cmax ? p->ws[i] : cmax;
            wsum += p->w[i];
        }
        p->blk_lo[b] = p->mu[i0];
        p->blk_hi[b] = p->mu[i1 - 1];
        p->blk_smax[b] = smax;
        /* the block's density bound, without 1/sqrt(2 pi): count * max ws */
        p->blk_cmax[b] = log(cmax * (double)(i1 - i0));
        p->blk_lw[b] = log(wsum);
    }
    return PZ_OK;
}

int pz_parzen_fit(pz_parzen *p, pz_arena *a, const pz_parzen_prior *pr, const double *sorted,
                  const uint32_t *rank, size_t n, double prior_weight, size_t lf)
{
    memset(p, 0, sizeof *p);
    p->prior = *pr;
    p->prior_weight = prior_weight;
    if (pr->kind == PZ_PARZEN_CAT)
        return fit_cat(p, a, sorted, rank, n, lf);

    size_t m = n + 1;
    p->n = m;
    if (!ALLOC(a, p->w, m) || !ALLOC(a, p->mu, m) || !ALLOC(a, p->sigma, m))
        return PZ_ENOMEM;
    /* Where the prior goes among the sorted observations: numpy's
     * searchsorted (left) for two or more, hyperopt's `prior_mu < mus[0]`
     * for one. */
    size_t pos;
    if (n == 0) {
        pos = 0;
    } else if (n == 1) {
        pos = pr->mu < sorted[0] ? 0 : 1;
    } else {
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (sorted[mid] < pr->mu)
                lo = mid + 1;
            else
                hi = mid;
        }
        pos = lo;
    }
    p->prior_pos = pos;
    ramp rw = ramp_of(rank ? n : 0, lf);
    for (size_t j = 0, i = 0; j < m; j++) {
        if (j == pos) {
            p->mu[j] = pr->mu;
            p->w[j] = prior_weight;
            continue;
        }
        p->mu[j] = sorted[i];
        p->w[j] = rank ? ramp_weight(&rw, rank[i]) : 1.0;
        i++;
    }
    if (n == 1) {
        p->sigma[pos] = pr->sigma;
        p->sigma[1 - pos] = 0.5 * pr->sigma;
    } else if (n >= 2) {
        for (size_t j = 1; j + 1 < m; j++) {
            double left = p->mu[j] - p->mu[j - 1], right = p->mu[j + 1] - p->mu[j];
            p->sigma[j] = left > right ? left : right;
        }
        p->sigma[0] = p->mu[1] - p->mu[0];
        p->sigma[m - 1] = p->mu[m - 1] - p->mu[m - 2];
    }
    /* hyperopt's "magic formula" */
    double maxsigma = pr->sigma;
    double minsigma = pr->sigma / (m + 1.0 < 100.0 ? m + 1.0 : 100.0);
    double wsum = 0;
    for (size_t j = 0; j < m; j++) {
        double sg = p->sigma[j];
        p->sigma[j] = sg < minsigma ? minsigma : sg > maxsigma ? maxsigma : sg;
        wsum += p->w[j];
    }
    p->sigma[pos] = pr->sigma;
    for (size_t j = 0; j < m; j++)
        p->w[j] /= wsum;
    return finish_gmm(p, a);
}

typedef struct obs_sort {
    double v;
    uint32_t i;
} obs_sort;

static int cmp_obs(const void *pa, const void *pb)
{
    const obs_sort *x = pa, *y = pb;
    if (x->v != y->v)
        return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int pz_parzen_fit_values(pz_parzen *p, pz_arena *a, const pz_parzen_prior *pr,
                         const double *values, size_t n, double prior_weight, size_t lf)
{
    obs_sort *o;
    double *sorted;
    uint32_t *rank;
    if (!ALLOC(a, o, n) || !ALLOC(a, sorted, n) || !ALLOC(a, rank, n))
        return PZ_ENOMEM;
    for (size_t i = 0; i < n; i++)
        o[i] = (obs_sort){pz_parzen_to_model(pr, values[i]), (uint32_t)i};
    qsort(o, n, sizeof *o, cmp_obs);
    for (size_t i = 0; i < n; i++) {
        sorted[i] = o[i].v;
        rank[i] = o[i].i;
    }
    return pz_parzen_fit(p, a, pr, sorted, rank, n, prior_weight, lf);
}
/* }===== */

/* {===== densities ===== */

static size_t block_end(const pz_parzen *p, size_t b)
{
    size_t e = (b + 1) * PZ_PARZEN_BLOCK;
    return e < p->n ? e : p->n;
}

static double gap(const pz_parzen *p, size_t b, double lo, double hi)
{
    if (hi < p->blk_lo[b])
        return p->blk_lo[b] - hi;
    if (lo > p->blk_hi[b])
        return lo - p->blk_hi[b];
    return 0;
}

/* The block holding y's position among the sorted means (the first whose
 * largest mean is >= y, else the last): the reference of the pruning. */
static size_t block_near(const pz_parzen *p, double y)
{
    size_t lo = 0, hi = p->nblocks - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->blk_hi[mid] >= y)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* sum of ws_i exp(-z_i^2 / 2) over block b (the density times
 * sqrt(2 pi)), leaving out the terms with z^2 > zcut2, each below the
 * pruning threshold. */
static double block_sum(const pz_parzen *p, size_t b, double y, double zcut2)
{
    size_t i0 = b * PZ_PARZEN_BLOCK, i1 = block_end(p, b);
    double s = 0;
    for (size_t i = i0; i < i1; i++) {
        double z = (y - p->mu[i]) / p->sigma[i];
        if (z * z <= zcut2)
            s += p->ws[i] * exp(-0.5 * z * z);
    }
    return s;
}

/* The same in log space, for points so far out that every term underflows. */
static double block_log_sum(const pz_parzen *p, size_t b, double y)
{
    size_t i0 = b * PZ_PARZEN_BLOCK, i1 = block_end(p, b);
    double t[PZ_PARZEN_BLOCK], mx = -HUGE_VAL;
    for (size_t i = i0; i < i1; i++) {
        double z = (y - p->mu[i]) / p->sigma[i];
        t[i - i0] = log(p->ws[i]) - 0.5 * z * z;
        mx = t[i - i0] > mx ? t[i - i0] : mx;
    }
    if (mx == -HUGE_VAL)
        return mx;
    double s = 0;
    for (size_t i = i0; i < i1; i++)
        s += exp(t[i - i0] - mx);
    return mx + log(s);
}

static double block_density_bound(const pz_parzen *p, size_t b, double y)
{
    double d = gap(p, b, y, y) / p->blk_smax[b];
    return p->blk_cmax[b] - 0.5 * d * d;
}

static double mix_log_density(const pz_parzen *p, double y)
{
    size_t ref = block_near(p, y);
    double s = block_sum(p, ref, y, HUGE_VAL);
    if (s > 1e-250) { /* the usual case: sum in linear space */
        /* A term ws_i e^(-z^2/2) <= e^(blk_cmax - z^2/2) is negligible
         * once z^2 > 2 (blk_cmax - ls + PRUNE); whole blocks likewise. */
        double cut = log(s) - PRUNE;
        for (size_t b = 0; b < p->nblocks; b++)
            if (b != ref && block_density_bound(p, b, y) >= cut)
                s += block_sum(p, b, y, 2 * (p->blk_cmax[b] - cut));
        return log(s) - LOG_SQRT_2PI;
    }
    double ls = block_log_sum(p, ref, y);
    for (size_t b = 0; b < p->nblocks; b++)
        if (b != ref && block_density_bound(p, b, y) >= ls - PRUNE)
            ls = log_add(ls, block_log_sum(p, b, y));
    return ls - LOG_SQRT_2PI;
}

/* The mass of block b on [lo, hi], leaving out the components whose
 * distance d to the interval, in their own sigmas, has d^2 > dcut2: their
 * mass is below w e^(-d^2/2), under the pruning threshold. */
static double block_mass(const pz_parzen *p, size_t b, double lo, double hi, double dcut2)
{
    size_t i0 = b * PZ_PARZEN_BLOCK, i1 = block_end(p, b);
    double s = 0;
    for (size_t i = i0; i < i1; i++) {
        double za = (lo - p->mu[i]) / p->sigma[i], zb = (hi - p->mu[i]) / p->sigma[i];
        double d = za > 0 ? za : zb < 0 ? -zb : 0;
        if (d * d <= dcut2)
            s += p->w[i] * gauss_mass(za, zb);
    }
    return s;
}

/* log of the block's mass bound on [lo, hi]: sum(w) * exp(-d^2 / 2 smax^2)
 * bounds each component's tail beyond the gap d. */
static double block_mass_bound(const pz_parzen *p, size_t b, double lo, double hi)
{
    double d = gap(p, b, lo, hi) / p->blk_smax[b];
    return p->blk_lw[b] - 0.5 * d * d;
}

static double mix_mass(const pz_parzen *p, double lo, double hi)
{
    size_t ref = block_near(p, isfinite(hi) ? hi : lo);
    double s = block_mass(p, ref, lo, hi, HUGE_VAL);
    double cut = log(s) - PRUNE;
    for (size_t b = 0; b < p->nblocks; b++)
        if (b != ref && block_mass_bound(p, b, lo, hi) >= cut)
            s += block_mass(p, b, lo, hi, 2 * (p->blk_lw[b] - cut));
    return s;
}

static double cat_lpdf(const pz_parzen *p, double x)
{
    const pz_parzen_prior *pr = &p->prior;
    double k = x - (double)pr->cat_low;
    if (!(k >= 0 && k < (double)pr->ncat) || x != floor(x))
        return -HUGE_VAL;
    double c = 0;
    size_t lo = 0, hi = p->nuniq;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->cat_val[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->nuniq && p->cat_val[lo] == x)
        c = p->cat_cnt[lo];
    double prior = pr->probs ? p->prior_weight * (double)pr->ncat * pr->probs[(size_t)k]
                             : p->prior_weight;
    return log((c + prior) / p->total);
}

double pz_parzen_lpdf(const pz_parzen *p, double x)
{
    const pz_parzen_prior *pr = &p->prior;
    if (pr->kind == PZ_PARZEN_CAT)
        return cat_lpdf(p, x);
    if (isnan(x))
        return -HUGE_VAL;
    if (pr->q > 0) {
        double lo = x - 0.5 * pr->q, hi = x + 0.5 * pr->q;
        double vlo = pr->logspace ? (isfinite(pr->low) ? exp(pr->low) : 0.0) : pr->low;
        double vhi = pr->logspace ? exp(pr->high) : pr->high;
        lo = fmax(lo, vlo);
        hi = fmin(hi, vhi);
        if (pr->logspace)
            lo = fmax(lo, 0.0);
        if (!(hi > lo))
            return -HUGE_VAL;
        if (pr->logspace) {
            lo = lo > 0 ? log(lo) : -HUGE_VAL;
            hi = log(hi);
        }
        double mass = mix_mass(p, lo, hi);
        return (mass > 0 ? log(mass) : -HUGE_VAL) - p->log_accept;
    }
    double y = x;
    if (pr->logspace) {
        if (!(x > 0))
            return -HUGE_VAL;
        y = log(x);
    }
    if (y < pr->low || y > pr->high)
        return -HUGE_VAL;
    double r = mix_log_density(p, y) - p->log_accept;
    return pr->logspace ? r - y : r; /* dy/dx = 1/x */
}
/* }===== */

/* {===== sampling ===== */

/* Uniform on [0, n), n >= 1, without bias for any n up to 2^64 - 1. */
static uint64_t draw_below(gsl_rng *r, uint64_t n)
{
    if (n - 1 <= gsl_rng_max(r) - gsl_rng_min(r))
        return gsl_rng_uniform_int(r, (unsigned long)n);
    uint64_t reject = (UINT64_C(0) - n) % n, u;
    do {
        u = 0;
        for (int i = 0; i < 8; i++)
            u = u << 8 | gsl_rng_uniform_int(r, 256);
    } while (u < reject);
    return u % n;
}

static double cat_sample(const pz_parzen *p, gsl_rng *r)
{
    const pz_parzen_prior *pr = &p->prior;
    double u = gsl_rng_uniform(r) * p->total;
    if (u < p->cnt_total) {
        for (size_t i = 0; i < p->nuniq; i++) {
            if (u < p->cat_cnt[i])
                return p->cat_val[i];
            u -= p->cat_cnt[i];
        }
        return p->cat_val[p->nuniq - 1];
    }
    return pz__draw_prior_cat(pr, r);
}

double pz__draw_prior_cat(const pz_parzen_prior *pr, gsl_rng *r)
{
    if (pr->probs) {
        size_t pick = pr->ncat - 1;
        while (pick > 0 && pr->probs[pick] == 0)
            pick--;
        double v = gsl_rng_uniform(r), acc = 0;
        for (size_t i = 0; i < pr->ncat; i++) {
            acc += pr->probs[i];
            if (v < acc)
                return (double)(pr->cat_low + (int64_t)i);
        }
        return (double)(pr->cat_low + (int64_t)pick);
    }
    return (double)(pr->cat_low + (int64_t)draw_below(r, pr->ncat));
}

double pz_parzen_sample(const pz_parzen *p, gsl_rng *r)
{
    const pz_parzen_prior *pr = &p->prior;
    if (pr->kind == PZ_PARZEN_CAT)
        return cat_sample(p, r);
    /* The component, with probability w_i * accepted mass_i. */
    double u = gsl_rng_uniform(r) * p->cum[p->n - 1];
    size_t lo = 0, hi = p->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return pz__draw_gmm(pr, p->mu[lo], p->sigma[lo], r);
}

double pz__draw_gmm(const pz_parzen_prior *pr, double mu, double s, gsl_rng *r)
{
    double y;
    if (!isfinite(pr->low) && !isfinite(pr->high)) {
        y = mu + gsl_ran_gaussian(r, s);
    } else {
        double za = (pr->low - mu) / s, zb = (pr->high - mu) / s, z;
        double v = gsl_rng_uniform_pos(r);
        if (za >= 0) {
            double qa = norm_Q(za), qb = norm_Q(zb);
            z = gsl_cdf_ugaussian_Qinv(qb + (qa - qb) * v);
        } else {
            double pa = norm_P(za), pb = norm_P(zb);
            z = gsl_cdf_ugaussian_Pinv(pa + (pb - pa) * v);
        }
        y = fmin(fmax(mu + s * z, pr->low), pr->high);
    }
    double x = pr->logspace ? exp(y) : y;
    if (pr->q > 0)
        x = nearbyint(x / pr->q) * pr->q; /* numpy's round: half to even */
    return x;
}

double pz__gauss_mass(double za, double zb) { return gauss_mass(za, zb); }
/* }===== */
