/* resnet trainer: the layer functions (conventions in layers.h), declared
 * for the scalar type PZ_LT with names PZ_LN(name). layers.h includes this
 * file twice, for float and for double; nothing else includes it. No
 * include guard on purpose. */

/* {===== convolution and dense (conv.c): shapes in layers.h ===== */
/* y (N,OH,OW,OC) = conv(x (N,H,W,C), w (KH,KW,C,OC)) + b (OC). b may be NULL. */
void PZ_LN(conv2d_forward)(PZ_LT *y, const PZ_LT *x, const PZ_LT *w, const PZ_LT *b,
                          const pz_conv_shape *s, PZ_LT *ws);
/* dx (N,H,W,C) += ..., dw (KH,KW,C,OC) += ..., db (OC) += ... given dy
 * (N,OH,OW,OC). dx and db may be NULL. */
void PZ_LN(conv2d_backward)(PZ_LT *dx, PZ_LT *dw, PZ_LT *db, const PZ_LT *dy,
                           const PZ_LT *x, const PZ_LT *w, const pz_conv_shape *s, PZ_LT *ws);
/* The reference: direct loops, no BLIS, no workspace. */
void PZ_LN(conv2d_forward_naive)(PZ_LT *y, const PZ_LT *x, const PZ_LT *w, const PZ_LT *b,
                                const pz_conv_shape *s);
void PZ_LN(conv2d_backward_naive)(PZ_LT *dx, PZ_LT *dw, PZ_LT *db, const PZ_LT *dy,
                                 const PZ_LT *x, const PZ_LT *w, const pz_conv_shape *s);

/* y (N,O) = x (N,I) w (I,O) + b (O). b may be NULL. */
void PZ_LN(dense_forward)(PZ_LT *y, const PZ_LT *x, const PZ_LT *w, const PZ_LT *b, int N,
                         int I, int O);
/* dx (N,I) += dy w^T, dw (I,O) += x^T dy, db (O) += sum_n dy. dx, db may be NULL. */
void PZ_LN(dense_backward)(PZ_LT *dx, PZ_LT *dw, PZ_LT *db, const PZ_LT *dy,
                          const PZ_LT *x, const PZ_LT *w, int N, int I, int O);
void PZ_LN(dense_forward_naive)(PZ_LT *y, const PZ_LT *x, const PZ_LT *w, const PZ_LT *b,
                               int N, int I, int O);
void PZ_LN(dense_backward_naive)(PZ_LT *dx, PZ_LT *dw, PZ_LT *db, const PZ_LT *dy,
                                const PZ_LT *x, const PZ_LT *w, int N, int I, int O);
/* }===== */

/* {===== BatchNorm (norm.c): conventions in layers.h ===== */
/* Training: batch statistics; updates run_mean/run_var (may be NULL to
 * leave them, as the gradient tests do). */
void PZ_LN(batchnorm_forward_train)(PZ_LT *y, PZ_LT *stats, const PZ_LT *x,
                                   const PZ_LT *gamma, const PZ_LT *beta, PZ_LT *run_mean,
                                   PZ_LT *run_var, size_t M, int C);
/* Evaluation: running statistics. */
void PZ_LN(batchnorm_forward_eval)(PZ_LT *y, const PZ_LT *x, const PZ_LT *gamma,
                                  const PZ_LT *beta, const PZ_LT *run_mean,
                                  const PZ_LT *run_var, size_t M, int C);
/* dx += ..., dgamma += ..., dbeta += ..., from the training forward's
 * stats. */
void PZ_LN(batchnorm_backward)(PZ_LT *dx, PZ_LT *dgamma, PZ_LT *dbeta, const PZ_LT *dy,
                              const PZ_LT *x, const PZ_LT *stats, const PZ_LT *gamma,
                              size_t M, int C);
/* }===== */

/* {===== activations (act.c) =====
 * Backward reads the forward's output y (ReLU: y > 0; ELU with alpha 1:
 * dy/dx = y + 1 where y < 0). y may alias x in forward. */
void PZ_LN(relu_forward)(PZ_LT *y, const PZ_LT *x, size_t n);
void PZ_LN(relu_backward)(PZ_LT *dx, const PZ_LT *dy, const PZ_LT *y, size_t n);
void PZ_LN(elu_forward)(PZ_LT *y, const PZ_LT *x, size_t n);
void PZ_LN(elu_backward)(PZ_LT *dx, const PZ_LT *dy, const PZ_LT *y, size_t n);
/* }===== */

/* {===== pooling (pool.c): shapes in layers.h ===== */
/* argmax (N,OH,OW,C): index into x of each window's maximum, kept for
 * backward. */
void PZ_LN(maxpool_forward)(PZ_LT *y, int32_t *argmax, const PZ_LT *x, const pz_pool_shape *s);
void PZ_LN(maxpool_backward)(PZ_LT *dx, const PZ_LT *dy, const int32_t *argmax,
                            const pz_pool_shape *s);
void PZ_LN(avgpool_forward)(PZ_LT *y, const PZ_LT *x, const pz_pool_shape *s);
void PZ_LN(avgpool_backward)(PZ_LT *dx, const PZ_LT *dy, const pz_pool_shape *s);
/* }===== */

/* {===== shape and mixing ops (ops.c) ===== */
/* Inverted dropout with drop probability p: mask[i] = 1 to keep; kept
 * values are scaled by 1/(1-p). The mask comes from a counter-based hash
 * of (seed, i), so it costs no generator state and a given seed always
 * gives the same mask. p = 0 copies. */
void PZ_LN(dropout_forward)(PZ_LT *y, uint8_t *mask, const PZ_LT *x, double p, uint64_t seed,
                           size_t n);
void PZ_LN(dropout_backward)(PZ_LT *dx, const PZ_LT *dy, const uint8_t *mask, double p,
                            size_t n);
/* y (M, C0+C1+...) = channel concatenation of parts[i] (M, Cs[i]). */
void PZ_LN(concat_forward)(PZ_LT *y, const PZ_LT *const *parts, const int *Cs, int nparts,
                          size_t M);
/* dparts[i] += the matching channel slice of dy. */
void PZ_LN(concat_backward)(PZ_LT *const *dparts, const PZ_LT *dy, const int *Cs, int nparts,
                           size_t M);
/* y = a + b (the residual add). Backward is da += dy, db += dy: use
 * pz_accumulate for each. */
void PZ_LN(add_forward)(PZ_LT *y, const PZ_LT *a, const PZ_LT *b, size_t n);
/* dst += src */
void PZ_LN(accumulate)(PZ_LT *dst, const PZ_LT *src, size_t n);
/* }===== */

/* {===== loss (loss.c) =====
 * Softmax cross-entropy, mean over the batch, scaled by weight. logits
 * (N,K), labels (N) in [0,K). Returns weight * mean CE; dlogits (N,K) +=
 * weight * (softmax - onehot) / N (dlogits may be NULL in evaluation).
 * *correct (may be NULL) receives the number of rows whose argmax is the
 * label (ties: the lowest index). Numerically stable (max subtracted). */
double PZ_LN(softmax_xent)(PZ_LT *dlogits, int *correct, const PZ_LT *logits,
                          const int32_t *labels, int N, int K, double weight);
/* }===== */

