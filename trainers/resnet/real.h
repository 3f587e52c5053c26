/* resnet trainer: the scalar type the layers are compiled for.
 *
 * The layer sources are compiled twice: once for float (what the trainer
 * runs) and once with PZ_REAL_DOUBLE defined (what the finite-difference
 * tests run), so the gradient checks exercise the very code that trains,
 * in double precision. PZ_L(name) names a layer function for the current
 * type: pz_name for float, pz_name_f64 for double.
 */
#ifndef PZ_RESNET_REAL_H
#define PZ_RESNET_REAL_H

#ifdef PZ_REAL_DOUBLE
typedef double pz_real;
#define PZ_L(name) pz_##name##_f64
#define PZ_GEMM bli_dgemm
#else
typedef float pz_real;
#define PZ_L(name) pz_##name
#define PZ_GEMM bli_sgemm
#endif

#endif
