/* resnet trainer: softmax cross-entropy, the loss of both heads.
 *
 * Each row is shifted by its maximum before exp, so no logit overflows,
 * and the exponentials are summed in double even in the float build. The
 * pass is small (batch x classes), so the exponentials are recomputed for
 * the gradient rather than kept in a buffer the caller would have to own.
 */
#include <math.h>

#include "layers.h"

/* logits, dlogits are (N,K); labels is (N) */
double PZ_L(softmax_xent)(pz_real *restrict dlogits, int *correct, const pz_real *restrict logits,
                          const int32_t *restrict labels, int N, int K, double weight)
{
    if (N <= 0 || K <= 0) {
        if (correct)
            *correct = 0;
        return 0.0;
    }
    double total = 0.0;
    int hits = 0;
    double gscale = weight / N;
    for (int n = 0; n < N; n++) {
        const pz_real *l = logits + (size_t)n * K;
        int best = 0;
        for (int k = 1; k < K; k++)
            if (l[k] > l[best]) /* strict: a tie keeps the lowest index */
                best = k;
        double lmax = l[best];
        double sum = 0.0;
        for (int k = 0; k < K; k++)
            sum += exp((double)l[k] - lmax);
        int y = labels[n];
        /* -log softmax_y = log sum exp(l - max) - (l_y - max) */
        total += log(sum) - ((double)l[y] - lmax);
        hits += best == y;
        if (dlogits) {
            pz_real *d = dlogits + (size_t)n * K;
            double inv_sum = 1.0 / sum;
            for (int k = 0; k < K; k++)
                d[k] += (pz_real)(gscale * (exp((double)l[k] - lmax) * inv_sum - (k == y)));
        }
    }
    if (correct)
        *correct = hits;
    return weight * total / N;
}
