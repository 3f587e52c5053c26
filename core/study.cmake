# The study runner's area (issue 4): journal, trial isolation, results
# folder, plugin loader, the study driver and its C API.
list(APPEND PZ_CORE_SOURCES core/journal.c core/plugin.c core/results.c core/trial.c core/study.c)
list(APPEND PZ_EXTRA_HEADERS core/journal.h core/plugin.h core/study.h)
