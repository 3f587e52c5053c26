/* resnet trainer: the shape arithmetic of convolution and pooling, and
 * the benchmarks' GEMM profile, shared by both precisions (compiled once). */
#include <string.h>

#include "layers.h"

/* TensorFlow's "same": out = ceil(in / stride), the total padding split
 * with the extra cell after. */
static void same_pad(int in, int k, int stride, int *out, int *pad_before)
{
    *out = (in + stride - 1) / stride;
    int total = (*out - 1) * stride + k - in;
    if (total < 0)
        total = 0;
    *pad_before = total / 2;
}

/* Rows of one im2col GEMM: about 4 images of 32x32 output (DESIGN.md: whole-batch
 * panels stream B from memory; 1-4 images stay in cache). */
#define PZ_CONV_CHUNK_ROWS 4096

void pz_conv_shape_init(pz_conv_shape *s, int N, int H, int W, int C, int OC, int KH, int KW,
                        int stride)
{
    s->N = N, s->H = H, s->W = W, s->C = C;
    s->OC = OC, s->KH = KH, s->KW = KW, s->stride = stride;
    same_pad(H, KH, stride, &s->OH, &s->pad_top);
    same_pad(W, KW, stride, &s->OW, &s->pad_left);
    int per = s->OH * s->OW;
    int chunk = per > 0 ? PZ_CONV_CHUNK_ROWS / per : N;
    if (chunk < 1)
        chunk = 1;
    if (chunk > N)
        chunk = N;
    s->chunk = chunk;
}

size_t pz_conv_workspace(const pz_conv_shape *s)
{
    if (s->KH == 1 && s->KW == 1 && s->stride == 1)
        return 0;
    size_t panel = (size_t)s->chunk * s->OH * s->OW * s->KH * s->KW * s->C;
    return 2 * panel;
}

void pz_pool_shape_init(pz_pool_shape *s, int N, int H, int W, int C, int K, int stride)
{
    s->N = N, s->H = H, s->W = W, s->C = C, s->K = K, s->stride = stride;
    same_pad(H, K, stride, &s->OH, &s->pad_top);
    same_pad(W, K, stride, &s->OW, &s->pad_left);
}

static pz_gemm_profile profile;

pz_gemm_profile *pz_gemm_profile_get(void) { return &profile; }

void pz_gemm_profile_reset(int on)
{
    memset(&profile, 0, sizeof profile);
    profile.on = on;
}

void pz_gemm_profile_record(int m, int n, int k, int transa, int transb, float beta,
                            double seconds)
{
    profile.seconds += seconds;
    profile.flops += 2.0 * m * n * k;
    for (int i = 0; i < profile.n; i++) {
        pz_gemm_shape *g = &profile.shapes[i];
        if (g->m == m && g->n == n && g->k == k && g->transa == transa && g->transb == transb &&
            g->beta == beta) {
            g->calls++;
            return;
        }
    }
    if (profile.n < PZ_GEMM_PROFILE_MAX)
        profile.shapes[profile.n++] = (pz_gemm_shape){m, n, k, transa, transb, beta, 1};
}
