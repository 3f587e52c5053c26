/* resnet trainer: the plugin entry point (core/trainer.h's ABI). Everything
 * else lives in the pz_resnet library so tests and benchmarks call the
 * same code the study loads. */
#include "trainer.h"
#include "train.h"

static const pz_trainer resnet_trainer = {
    .abi = PZ_TRAINER_ABI,
    .struct_size = sizeof(pz_trainer),
    .name = "resnet",
    .summary = "BLIS residual CNN of the seed CIFAR-100 study (fine and coarse heads)",
    .check = pz_resnet_check,
    .train = pz_resnet_train,
    .evaluate = pz_resnet_evaluate,
};

PZ_API const pz_trainer *pz_trainer_entry_v1(void);
const pz_trainer *pz_trainer_entry_v1(void) { return &resnet_trainer; }
