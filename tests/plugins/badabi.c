/* Test trainer plugin built for a future ABI: the loader must refuse it. */
#include "trainer.h"

static int never(const pz_trainer_ctx *ctx, pz_value **result, pz_error *err)
{
    (void)ctx;
    (void)result;
    return pz_error_set(err, PZ_EPLUGIN, "must never be called");
}

static const pz_trainer table = {
    .abi = 99, .struct_size = sizeof(pz_trainer), .name = "badabi", .train = never};

PZ_API const pz_trainer *pz_trainer_entry_v1(void);
const pz_trainer *pz_trainer_entry_v1(void) { return &table; }
