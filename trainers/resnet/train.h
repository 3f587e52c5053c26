/* resnet trainer: one trial's training loop, evaluation of a saved model,
 * the trainer config, and the model/checkpoint files.
 *
 * A trial trains the network of its params on the training images,
 * scores both heads on a validation split held out from the training file
 * after every epoch, keeps the best epoch's weights as model.pzm and the
 * last epoch's full state (weights, optimizer, history) as checkpoint.pzc
 * in the trial's model folder; a re-run of the trial resumes from the
 * checkpoint. Shuffling, flips and dropout masks derive from the trial's
 * seed and the epoch and step, so a resumed trial trains exactly as an
 * uninterrupted one.
 *
 * Ownership: results and metrics are new value trees the caller frees.
 */
#ifndef PZ_RESNET_TRAIN_H
#define PZ_RESNET_TRAIN_H

#include "data.h"
#include "error.h"
#include "trainer.h"
#include "value.h"

typedef struct pz_train_config {
    char dataset[32];     /* "cifar100" or "fashion-mnist" */
    char data_dir[4096];
    int epochs;           /* default 20 */
    long validation;      /* images held out from the end of the training file; -1: 10% up to 5000 */
    long train_limit;     /* at most this many training images; 0: all */
    long test_limit;      /* at most this many test images in evaluation; 0: all */
    int threads;          /* BLIS threads; 0: the study's share of the cores */
    int flip;             /* random left-right flips of training images (default on) */
} pz_train_config;

/* The `trainer` table: dataset, data_dir, epochs, validation, train_limit,
 * test_limit, threads, flip. Unknown keys and bad values are refused naming
 * "trainer.<key>". */
int pz_train_config_parse(pz_train_config *tc, const pz_value *config, pz_error *err);

/* The plugin's check: the config parses and the data files exist. */
int pz_resnet_check(const pz_value *config, pz_error *err);
int pz_resnet_train(const pz_trainer_ctx *ctx, pz_value **result, pz_error *err);
/* Score model_path on split "validation", "test" or "train"; config may
 * override data_dir, dataset and test_limit. */
int pz_resnet_evaluate(const char *model_path, const pz_value *config, const char *split,
                       pz_value **metrics, pz_error *err);

/* BLIS set up for this process: on a CPU with AVX-512 and no
 * BLIS_ARCH_TYPE in the environment, its skx kernels are chosen (Debian's
 * BLIS 0.9 falls back to generic ones here, DESIGN.md); then threads. The
 * kernel set in use is named in *arch (static). */
void pz_resnet_blis_setup(int threads, const char **arch);

#endif
