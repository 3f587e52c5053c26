/* parzen: trial isolation (internal to the study runner).
 *
 * Owns the child process of one running trial: fork, run the objective
 * in the child, send the result back as msgpack over a pipe, and turn
 * whatever happened (a result, a crash, a time-out, a cancel) into a
 * result map the study records:
 *
 *     {status = "ok"|"fail", loss = double, metrics = map, error = string,
 *      model = string}
 *
 * The params reach the child as part of the forked memory image (they are
 * built before the fork), so only messages from the child cross the pipe:
 * each is a u32 length (little-endian) and one msgpack map, either
 * {progress = event} (a trainer's progress callback) or, last,
 * {raw = result} / {error = message}. The child dies with its parent
 * (PR_SET_PDEATHSIG), so a SIGKILLed study leaves no trial running behind
 * it, and runs in its own process group, which time-outs and cancels
 * signal as a whole.
 */
#ifndef PZ_TRIAL_H
#define PZ_TRIAL_H

#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"
#include "study.h"
#include "trainer.h"
#include "value.h"

struct pz_script;

typedef enum { PZ__OBJ_NONE = 0, PZ__OBJ_LUA, PZ__OBJ_PLUGIN, PZ__OBJ_C } pz__objkind;

typedef struct pz__objective {
    pz__objkind kind;
    struct pz_script *script;   /* LUA */
    const pz_trainer *trainer;  /* PLUGIN */
    const pz_value *config;     /* PLUGIN: the `trainer` table */
    pz_objective_fn fn;         /* C */
    void *ud;
} pz__objective;

typedef struct pz__child {
    pid_t pid;            /* 0 when no child */
    int fd;               /* read end of the result pipe, -1 once at EOF */
    uint64_t id;          /* the trial */
    pz_buf out;           /* bytes received so far */
    double t0;            /* monotonic start, seconds */
    double deadline;      /* monotonic deadline, 0 = none */
    double limit;         /* the trial time limit in seconds, 0 = none */
    int timed_out;        /* killed for its time limit */
    int cancelled;        /* killed or asked to stop by the study */
    int waited;           /* waitpid has collected it; status is valid */
    int status;
    size_t parsed;        /* bytes of out already split into messages */
    pz_value *final;      /* the last message (result or error), owned */
    pz_value *progress;   /* the latest progress event, owned, or NULL */
} pz__child;

typedef struct pz__trial_input {
    uint64_t id, seed;
    const pz_value *params;
    const char *model_dir; /* NULL for objectives that save nothing */
    int threads;
    double limit;          /* seconds, 0 = none */
    int quiet_stdout;      /* send the objective's stdout to stderr (keeps --json clean) */
    int close_fd;          /* closed in the child (the journal, whose lock is the study's), or -1 */
} pz__trial_input;

/* Seconds on the monotonic clock / the Unix clock. */
double pz__now_mono(void);
double pz__now_wall(void);
/* The seed of trial id in a study seeded seed. */
uint64_t pz__trial_seed(uint64_t seed, uint64_t id);

/* Fork a child running o on in; c is filled. */
int pz__trial_spawn(pz__child *c, const pz__objective *o, const pz__trial_input *in, pz_error *err);
/* Read what is available on c->fd and take in complete messages; returns
 * 1 when the child is done (EOF, or it exited while something it started
 * still holds the pipe), 0 otherwise. */
int pz__trial_read(pz__child *c);
/* Kill the child now (SIGKILL), e.g. for a time-out or a second Ctrl-C. */
void pz__trial_kill(pz__child *c);
/* Ask the child to stop (SIGTERM: trainers see the cancel flag). */
void pz__trial_cancel(pz__child *c);
/* Wait for the child (after EOF or a kill) and build its result map
 * (*result, new). Returns PZ_ENOMEM only; every other outcome is a result. */
int pz__trial_reap(pz__child *c, pz_value **result);
/* Run o on in in this process (the ask/tell path has no child) and give
 * the raw result the objective returned. */
int pz__objective_call(const pz__objective *o, const pz__trial_input *in, const volatile int *cancel,
                       pz_value **result, pz_error *err);
/* Check and normalise a raw objective result (a double or a map) into the
 * result map above; anything malformed becomes status "fail" with the
 * reason. */
int pz__result_normalize(const pz_value *raw, pz_value **result);
/* A fail result with the given reason. */
pz_value *pz__result_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
