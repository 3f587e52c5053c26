# Tests of the resnet trainer (issue 5): layers against naive loops and
# finite differences (in double), data readers on real files and broken
# ones, whole-network training. Each links the trainer's library and the
# double-precision build of its layers.
if(TARGET pz_resnet)
  set(_resnet_env
    "PZ_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "PZ_BINARY_DIR=${PROJECT_BINARY_DIR}"
    "PZ_CLI=$<TARGET_FILE:parzen_cli>"
    "PZ_CIFAR_SLICE=${PROJECT_SOURCE_DIR}/../shared/data/cifar100-slice"
    "PZ_FASHION_DIR=/usr/share/datasets/fashion-mnist"
    "PZ_SANITIZE=$<BOOL:${PZ_SANITIZE}>"
    # BLIS's OpenMP threads spin while they wait; two trainers spinning on
    # two cores (ctest -j2) slow each other tenfold. Waiting threads sleep.
    "OMP_WAIT_POLICY=PASSIVE"
    "OMP_NUM_THREADS=2")
  file(GLOB _resnet_tests RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}/resnet
       ${CMAKE_CURRENT_SOURCE_DIR}/resnet/test_*.c)
  foreach(src ${_resnet_tests})
    string(REGEX REPLACE "\\.c$" "" t ${src})
    add_executable(${t} resnet/${src})
    target_link_libraries(${t} PRIVATE pz_resnet pz_resnet_f64)
    target_include_directories(${t} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    add_test(NAME ${t} COMMAND ${t})
    set_tests_properties(${t} PROPERTIES ENVIRONMENT "${_resnet_env}" TIMEOUT 900)
    # the tests that train take both cores: one at a time
    if(t MATCHES "^test_(train|study_resnet|net)$")
      set_tests_properties(${t} PROPERTIES RESOURCE_LOCK cores)
    endif()
    if(TARGET pz_trainer_resnet)
      add_dependencies(${t} pz_trainer_resnet parzen_cli)
    endif()
  endforeach()
endif()

# Benchmarks, run by hand: build/bench/bench_trainer [STEPS] [THREADS] [BATCH],
# build/bench/bench_layout [THREADS]
if(TARGET pz_resnet)
  foreach(b bench_trainer bench_layout)
    add_executable(${b} bench/${b}.c)
    target_link_libraries(${b} PRIVATE pz_resnet)
    set_target_properties(${b} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  endforeach()
endif()
