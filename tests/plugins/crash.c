#define _POSIX_C_SOURCE 200809L
/* Test trainer plugin that misbehaves on request: params.mode is "ok"
 * (loss = params.x), "segv" (a wild write), "abort", "error" (an error
 * return), "cancel" (waits for the cancel flag, then PZ_ECANCEL) or
 * "hang" (ignores the cancel flag: only SIGKILL ends it) or "progress"
 * (reports epoch 1/3 through the progress callback, then takes 1.5 s) or
 * "print" (printf without a newline or flush, then succeeds). */
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trainer.h"

static int crash_train(const pz_trainer_ctx *ctx, pz_value **result, pz_error *err)
{
    const pz_value *m = pz_map_get(ctx->params, "mode");
    const char *mode = m && m->type == PZ_STR ? m->u.s.ptr : "ok";
    if (strcmp(mode, "segv") == 0) {
        /* A wild write to the unmapped first page (not NULL itself, which
         * UBSan would catch before the hardware does). */
        volatile uintptr_t addr = 64;
        *(volatile int *)addr = 1;
    } else if (strcmp(mode, "abort") == 0) {
        abort();
    } else if (strcmp(mode, "error") == 0) {
        return pz_error_set(err, PZ_EPLUGIN, "crash trainer: asked to fail");
    } else if (strcmp(mode, "cancel") == 0) {
        while (!*ctx->cancel) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
        return pz_error_set(err, PZ_ECANCEL, "crash trainer: cancelled");
    } else if (strcmp(mode, "progress") == 0) {
        pz_value *ev = pz_value_map();
        pz_map_set(ev, "epoch", pz_value_int(1));
        pz_map_set(ev, "epochs", pz_value_int(3));
        pz_map_set(ev, "val_acc", pz_value_double(0.25));
        if (ctx->progress)
            ctx->progress(ctx->progress_ud, ev);
        pz_value_free(ev);
        struct timespec ts = {1, 500000000};
        nanosleep(&ts, NULL);
    } else if (strcmp(mode, "print") == 0) {
        printf("said by the trainer");
    } else if (strcmp(mode, "hang") == 0) {
        for (;;) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    double x = 0;
    pz_value_number(pz_map_get(ctx->params, "x"), &x);
    pz_value *r = pz_value_map();
    pz_map_set(r, "loss", pz_value_double(x));
    *result = r;
    return PZ_OK;
}

static const pz_trainer table = {
    .abi = PZ_TRAINER_ABI, .struct_size = sizeof(pz_trainer), .name = "crash",
    .summary = "misbehaves on request", .train = crash_train};

PZ_API const pz_trainer *pz_trainer_entry_v1(void);
const pz_trainer *pz_trainer_entry_v1(void) { return &table; }
