/* parzen: the trainer plugin ABI, and the header every saved model begins
 * with.
 *
 * A trainer is a shared object that exports one function,
 *
 *     PZ_API const pz_trainer *pz_trainer_entry_v1(void);
 *
 * returning a static table whose abi field is PZ_TRAINER_ABI. Plugins may
 * link libparzen (static) for the value tree; value trees cross the
 * boundary freely since both sides use the same malloc. The study
 * loads it with dlopen once, before forking trial processes, and calls
 * train() inside each trial's child process, so a crash or an abort in a
 * trainer costs one trial, never the study.
 *
 * Ownership: everything in pz_trainer_ctx is owned by the host and
 * borrowed for the call. *result (train) and *metrics (evaluate) are new
 * value trees the host frees. The trainer owns the files it writes under
 * ctx->model_dir; nothing else writes there.
 */
#ifndef PZ_TRAINER_H
#define PZ_TRAINER_H

#include <stdint.h>

#include "error.h"
#include "export.h"
#include "value.h"

#define PZ_TRAINER_ABI 1
#define PZ_TRAINER_ENTRY "pz_trainer_entry_v1"

typedef struct pz_trainer_ctx {
    const pz_value *params; /* the trial's params (space_eval of its vals) */
    const pz_value *config; /* the study script's `trainer` table (a map; maybe empty) */
    /* A directory that exists and is the same for a trial across resumes:
     * the trainer writes its model here ("model.pzm") and may keep a
     * per-epoch checkpoint here, which a re-run of the same trial resumes
     * from. */
    const char *model_dir;
    uint64_t seed;              /* the trial's seed (from study seed and trial id) */
    int threads;                /* compute threads for this trial (>= 1) */
    /* Set asynchronously by the host (a signal handler) to ask the trainer
     * to stop soon; train() then returns PZ_ECANCEL. Checked between
     * batches. */
    const volatile int *cancel;
    /* Progress events, a map such as {epoch=2, epochs=20, batch=10,
     * batches=100, loss=1.7, val_acc=0.4}; may be NULL. The event is
     * borrowed for the call. */
    void (*progress)(void *ud, const pz_value *event);
    void *progress_ud;
} pz_trainer_ctx;

typedef struct pz_trainer {
    /* The host refuses another abi, and reads fields past those of ABI 1
     * only when struct_size covers them: new fields are only appended. */
    uint32_t abi;         /* PZ_TRAINER_ABI */
    uint32_t struct_size; /* sizeof(pz_trainer) as the plugin was built */
    const char *name;    /* "resnet": what `objective = "resnet"` names */
    const char *summary;
    /* Validate the `trainer` config table before any trial runs (unknown
     * keys, missing data files), naming the field: "trainer.data_dir: ...".
     * May be NULL. */
    int (*check)(const pz_value *config, pz_error *err);
    /* Train one trial. On success *result is a map:
     *   loss    (double, required, finite; lower is better),
     *   metrics (map, optional: accuracies, losses, per-epoch history, ...),
     *   model   (string, optional: path of the saved model file).
     * An error return marks the trial failed with err's message. */
    int (*train)(const pz_trainer_ctx *ctx, pz_value **result, pz_error *err);
    /* Score a saved model on a data split ("test", "validation", ...);
     * config overrides the data settings the model was trained with
     * (data_dir, say; may be NULL). *metrics is a map. */
    int (*evaluate)(const char *model_path, const pz_value *config, const char *split,
                    pz_value **metrics, pz_error *err);
} pz_trainer;

typedef const pz_trainer *(*pz_trainer_entry_fn)(void);

/* {===== model files =====
 * A saved model is "PZMODEL1" (8 bytes), the header's byte length (4
 * bytes, little-endian), then the header, one msgpack-encoded map: { trainer = name, format = trainer's own format version,
 * params = ..., config = ... } and anything else the trainer adds; then
 * the trainer's payload. So `parzen eval MODEL` learns which plugin to
 * load without knowing any trainer's format. */
#define PZ_MODEL_MAGIC "PZMODEL1"

/* Write magic + header to f (a FILE *, passed as void * to keep stdio out
 * of this header). */
PZ_API int pz_model_header_write(void *f, const pz_value *header, pz_error *err);
/* Read and check magic + header from f, leaving f at the payload. path
 * only names the file in errors. *header is new; the caller frees it. */
PZ_API int pz_model_header_read(void *f, const char *path, pz_value **header, pz_error *err);
/* }===== */

#endif
