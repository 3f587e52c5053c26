/* parzen: the study driver's internals that tests look at (not installed).
 *
 * The searcher's view of a study: every trial created so far, in id
 * order, with running and asked-but-untold trials as PZ_TRIAL_PENDING so
 * that parallel workers do not propose the same point twice. */
#ifndef PZ_STUDY_INT_H
#define PZ_STUDY_INT_H

#include "searcher.h"
#include "study.h"

/* *views is a new array of *n views (free() it); their vals are borrowed
 * from the study. */
int pz__study_views(const pz_study *s, pz_trial_view **views, size_t *n);

#endif
