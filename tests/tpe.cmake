# Tests of tpe/ (TPE, annealing) and the searcher benchmarks. Included by
# tests/CMakeLists.txt; pz_test() is defined there.
foreach(t test_parzen test_tpe test_anneal)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c)
    pz_test(${t})
    target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/tpe)
  endif()
endforeach()

# Benchmarks: built, never registered with ctest (run by hand, see README).
foreach(b bench_suggest bench_quality)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/bench/${b}.c)
    add_executable(${b} bench/${b}.c)
    target_link_libraries(${b} PRIVATE parzen_static)
    target_include_directories(${b} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/tpe)
    set_target_properties(${b} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  endif()
endforeach()
