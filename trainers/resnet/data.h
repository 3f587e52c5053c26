/* resnet trainer: the image data sets it reads.
 *
 * CIFAR-100's binary distribution (per record: coarse label byte, fine
 * label byte, 3072 pixel bytes as R, G, B planes of 32x32) and the IDX
 * files of MNIST-like sets such as Fashion-MNIST (gzip'd or not; zlib
 * reads both). Images are kept as bytes in (n, H, W, C) order, the layout
 * the network runs in; the trainer scales them to [-0.5, 0.5] per batch.
 *
 * Ownership: a pz_dataset is caller storage (init by a load function,
 * released by pz_dataset_destroy); its arrays are owned by it. Errors name
 * the file and, for bad content, the record (0-based) or byte offset.
 */
#ifndef PZ_RESNET_DATA_H
#define PZ_RESNET_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct pz_dataset {
    size_t n;            /* images */
    int H, W, C;
    int n_fine;          /* classes of the fine (or only) label set */
    int n_coarse;        /* classes of the coarse label set; 0 when there is none */
    uint8_t *images;     /* (n, H, W, C) */
    int32_t *fine;       /* (n), in [0, n_fine) */
    int32_t *coarse;     /* (n), in [0, n_coarse); NULL when n_coarse == 0 */
} pz_dataset;

/* Read a CIFAR-100 binary file (train.bin or test.bin). limit > 0 reads at
 * most that many records (0: all). Refuses a size that is not a whole
 * number of 3074-byte records and labels out of range (coarse >= 20, fine
 * >= 100), naming the file and record. */
int pz_dataset_load_cifar100(pz_dataset *d, const char *path, size_t limit, pz_error *err);

/* Read an IDX image file (magic 0x00000803, dims n, rows, cols) and its
 * IDX label file (magic 0x00000801, dim n); checks the magic numbers, that
 * the counts agree, the file lengths, and labels < 10 (n_fine = 10). */
int pz_dataset_load_idx(pz_dataset *d, const char *images_path, const char *labels_path,
                        size_t limit, pz_error *err);

/* The data set `kind` ("cifar100" or "fashion-mnist") from folder dir:
 * split "train" or "test" (cifar100: train.bin / test.bin; fashion-mnist:
 * train-images-idx3-ubyte.gz + train-labels-idx1-ubyte.gz, t10k-... for
 * test, with or without the .gz). A missing file gives PZ_ENOENT with a
 * message naming the expected files. */
int pz_dataset_load(pz_dataset *d, const char *kind, const char *dir, const char *split,
                    size_t limit, pz_error *err);

/* Free the arrays; d becomes empty. Safe on a zeroed or destroyed d. */
void pz_dataset_destroy(pz_dataset *d);

#endif
