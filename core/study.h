/* parzen: studies, the C API.
 *
 * A pz_study is one optimisation persisted in a results folder,
 * <results>/<name>/, holding its journal ("journal.pzj", see journal.h),
 * one JSON file per finished trial and models/ for trainers' models.
 * Opening a study whose folder already holds a journal resumes it:
 * finished trials are read back, trials that never finished are queued to
 * run again with the vals they were created with, and the searcher goes
 * on from there. A trial's proposal depends only on (study seed, trial id,
 * the trials before it), so a study killed at any moment and resumed with
 * one worker ends with exactly the trials of an uninterrupted run.
 *
 * Two ways to drive it:
 *  - pz_study_run: the runner. Each trial runs in a child process forked
 *    from this one (a crash, an abort, a Lua error, a non-finite loss or a
 *    trial time-out fails that trial, never the study), up to `workers`
 *    at once, until a stop condition holds.
 *  - pz_study_ask / pz_study_tell: the caller evaluates trials itself, in
 *    its own process, and reports each result.
 *
 * Configuration is a map of the study fields a script may set (script.h's
 * PZ_STUDY_FIELDS): name, results, algo, seed, max_evals, timeout,
 * trial_timeout, loss_threshold, no_improvement, points_to_evaluate,
 * workers, max_consecutive_failures, objective (a trainer plugin's name or
 * path), trainer.
 *
 * Errors follow error.h: functions return PZ_OK or a negative code and
 * fill the optional pz_error; the handle also keeps the last failure's
 * message (pz_study_errmsg), valid until the next call on the handle.
 *
 * A writable handle holds an exclusive lock on its journal until
 * pz_study_free, so one study is driven by one handle at a time (a second
 * open fails with PZ_EIO). A handle is not thread-safe; pz_study_run
 * installs SIGINT/SIGTERM handlers (process-wide) for its duration.
 *
 * Ownership: a pz_study owns its space (or script), searcher, journal,
 * plugin and trials. Pointers it hands out (params, vals, info strings)
 * are borrowed and valid until the next call that changes the study
 * (ask, tell, run) or pz_study_free.
 */
#ifndef PZ_STUDY_H
#define PZ_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "searcher.h"
#include "space.h"
#include "value.h"

typedef struct pz_study pz_study;

/* Flags for opening. */
#define PZ_STUDY_FORCE_SPACE_CHANGE 0x1u /* resume even if the space changed */
#define PZ_STUDY_NEW_ONLY 0x2u           /* refuse to resume an existing journal */

/* A C objective for pz_study_run, called in the trial's child process.
 * On success *result is a new map {loss = double, status = "ok"|"fail",
 * metrics = map, error = string} (loss required when ok) or a bare
 * double; an error return fails the trial with err's message. */
typedef int (*pz_objective_fn)(void *ud, const pz_value *params, pz_value **result, pz_error *err);

/* {===== opening ===== */
/* Open or resume the study described by config (borrowed; a map with at
 * least `name`) over space (ownership taken, also on failure). */
PZ_API int pz_study_open(pz_study **out, pz_space *space, const pz_value *config, unsigned flags,
                         pz_error *err);
/* Load the study script at path (see script.h) and open or resume it;
 * fields of overrides (a map or NULL, borrowed) replace the script's (a map
 * merges into the script's map of the same key, key by key). A
 * Lua function objective is run by pz_study_run. */
PZ_API int pz_study_open_script(pz_study **out, const char *path, const pz_value *overrides,
                                unsigned flags, pz_error *err);
/* Open a results folder (<results>/<name>) read-only, for inspection:
 * no searcher, no objective; ask, tell and run are refused. */
PZ_API int pz_study_open_dir(pz_study **out, const char *dir, pz_error *err);
/* Release everything; NULL is a no-op. Trials asked and never told stay
 * in the journal as unfinished and are queued again on the next open. */
PZ_API void pz_study_free(pz_study *s);
/* }===== */

/* {===== running ===== */
/* Use fn(ud, params, ...) as the objective of pz_study_run. */
PZ_API void pz_study_set_objective(pz_study *s, pz_objective_fn fn, void *ud);

typedef enum pz_output {
    PZ_OUTPUT_AUTO = 0, /* a live status line on a terminal, else one line per trial */
    PZ_OUTPUT_LINES,    /* one line per finished trial */
    PZ_OUTPUT_JSON,     /* one JSON object per finished trial on stdout */
    PZ_OUTPUT_QUIET     /* nothing but warnings */
} pz_output;
/* What pz_study_run prints on stdout (default PZ_OUTPUT_QUIET). */
PZ_API void pz_study_set_output(pz_study *s, pz_output mode);

typedef enum pz_stop_reason {
    PZ_STOP_NONE = 0,
    PZ_STOP_MAX_EVALS,      /* max_evals trials exist and finished */
    PZ_STOP_TIMEOUT,        /* the study's time limit */
    PZ_STOP_LOSS_THRESHOLD, /* a loss <= loss_threshold */
    PZ_STOP_NO_IMPROVEMENT, /* no better loss in the last no_improvement trials */
    PZ_STOP_FAILURES,       /* max_consecutive_failures trials failed in a row */
    PZ_STOP_INTERRUPTED     /* SIGINT or SIGTERM */
} pz_stop_reason;

/* Run trials until a stop condition holds. SIGINT and SIGTERM are caught
 * for the duration: the first cancels running trials (recorded as
 * interrupted, queued again on resume) and returns; a second kills them
 * at once. Returns PZ_OK when max_evals, timeout, loss_threshold or
 * no_improvement ended the run, PZ_ECANCEL when a signal or the
 * consecutive-failure limit did (err says which), other codes on I/O
 * errors. */
PZ_API int pz_study_run(pz_study *s, pz_error *err);
PZ_API pz_stop_reason pz_study_stop_reason(const pz_study *s);
/* }===== */

/* {===== ask and tell ===== */
/* The next trial to evaluate: a trial queued by an interrupted run if
 * any, else a new one (points_to_evaluate first, then the searcher's).
 * The searcher sees every trial asked and not yet told as pending.
 * *params and *vals (either may be NULL) are borrowed. PZ_ERANGE once
 * max_evals trials exist. */
PZ_API int pz_study_ask(pz_study *s, uint64_t *id, const pz_value **params, const pz_value **vals,
                        pz_error *err);
/* Report trial id's result: a map as pz_objective_fn describes (borrowed).
 * A non-finite or missing loss makes the trial fail. */
PZ_API int pz_study_tell(pz_study *s, uint64_t id, const pz_value *result, pz_error *err);
/* Shorthand for a plain loss. */
PZ_API int pz_study_tell_loss(pz_study *s, uint64_t id, double loss, pz_error *err);
/* }===== */

/* {===== inspecting ===== */
typedef struct pz_trial_info {
    uint64_t id;
    pz_trial_status status; /* PENDING (queued or running), OK or FAIL */
    double loss;            /* when OK */
    const pz_value *vals;   /* the searcher's vals (choice indices) */
    const pz_value *params; /* what the objective saw (choice values) */
    const pz_value *metrics;/* map or NULL */
    const char *error;      /* failure reason or NULL */
    const char *model;      /* model path or NULL */
    double start, end;      /* Unix times in seconds (0 when unknown) */
    unsigned interrupted;   /* times it was interrupted */
} pz_trial_info;

PZ_API const char *pz_study_name(const pz_study *s);
PZ_API const char *pz_study_dir(const pz_study *s);
PZ_API uint64_t pz_study_seed(const pz_study *s);
/* Trials in id order. */
PZ_API size_t pz_study_ntrials(const pz_study *s);
PZ_API int pz_study_trial(const pz_study *s, size_t i, pz_trial_info *out);
/* The finished trial of least loss (lowest id among equals); PZ_ENOENT
 * when none finished ok. */
PZ_API int pz_study_best(const pz_study *s, pz_trial_info *out);
/* Trial i as the JSON document its results file holds (a new map the
 * caller frees): study, trial, status, loss, params, vals, metrics, error,
 * model, timings {start, end, duration}. */
PZ_API int pz_study_trial_doc(const pz_study *s, size_t i, pz_value **doc);
/* Labels of the space as recorded in the journal, in order. */
PZ_API size_t pz_study_nlabels(const pz_study *s);
PZ_API const char *pz_study_label(const pz_study *s, size_t i);
/* What opening found: finished ok, failed, and queued again. resumed is 0
 * for a new study. */
PZ_API void pz_study_counts(const pz_study *s, int *resumed, size_t *ok, size_t *failed,
                            size_t *requeued);
/* Warnings from opening (a dropped torn record, a forced space change),
 * one per line, or "". */
PZ_API const char *pz_study_warnings(const pz_study *s);
PZ_API const char *pz_study_errmsg(const pz_study *s);
/* The results-file name of a finished trial: an order-preserving key of
 * the loss (failed trials after every loss), the loss, the trial id. */
PZ_API int pz_result_filename(char *out, size_t n, uint64_t id, int ok, double loss);
/* }===== */

#endif
