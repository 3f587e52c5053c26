/* Test trainer plugin that exports no entry point (a typo'd name). */
#include "trainer.h"

PZ_API const pz_trainer *pz_trainer_entry_v0(void);
const pz_trainer *pz_trainer_entry_v0(void) { return 0; }
