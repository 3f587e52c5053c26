/* Test trainer plugin whose table claims to be smaller than ABI 1's (as if
 * built against a truncated trainer.h): the loader must refuse it. */
#include "trainer.h"

static int never(const pz_trainer_ctx *ctx, pz_value **result, pz_error *err)
{
    (void)ctx;
    (void)result;
    return pz_error_set(err, PZ_EPLUGIN, "must never be called");
}

static const pz_trainer table = {
    .abi = PZ_TRAINER_ABI, .struct_size = 16, .name = "oldstruct", .train = never};

PZ_API const pz_trainer *pz_trainer_entry_v1(void);
const pz_trainer *pz_trainer_entry_v1(void) { return &table; }
