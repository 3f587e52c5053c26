# Tests of the study runner's area (issue 4): the journal format, the C
# API, trainer plugins (real .so fixtures built here) and `parzen run`
# end to end, including kills and resumes.
pz_test(test_journal)

set(PZ_TEST_PLUGIN_DIR ${CMAKE_CURRENT_BINARY_DIR}/plugins)
foreach(p bowl badabi oldstruct noentry crash)
  add_library(pz_plugin_${p} MODULE plugins/${p}.c)
  set_target_properties(pz_plugin_${p} PROPERTIES OUTPUT_NAME ${p} PREFIX ""
                        LIBRARY_OUTPUT_DIRECTORY ${PZ_TEST_PLUGIN_DIR})
  target_link_libraries(pz_plugin_${p} PRIVATE parzen_static)
endforeach()

# ASan would turn a trial's deliberate segfault into its own report and exit
# status; the tests want the signal the runner has to name.
set(_study_env
  "PZ_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
  "PZ_BINARY_DIR=${PROJECT_BINARY_DIR}"
  "PZ_CLI=$<TARGET_FILE:parzen_cli>"
  "PZ_PLUGIN_DIR=${PZ_TEST_PLUGIN_DIR}"
  "ASAN_OPTIONS=handle_segv=0:handle_abort=0:detect_leaks=1")
foreach(t test_plugin test_study test_run test_torture)
  pz_test(${t})
  add_dependencies(${t} parzen_cli pz_plugin_bowl pz_plugin_badabi pz_plugin_oldstruct pz_plugin_noentry
                   pz_plugin_crash)
  set_tests_properties(${t} PROPERTIES ENVIRONMENT "${_study_env}")
endforeach()
set_tests_properties(test_torture PROPERTIES TIMEOUT 120)

# Benchmark, run by hand: build/tests/bench_study [TRIALS]
add_executable(bench_study bench/bench_study.c)
target_link_libraries(bench_study PRIVATE parzen_static)
