# Helpers that give every module the same shape: one library per folder, tests beside it.

# sluice_library(NAME SOURCES a.cc b.cc DEPS dep1 dep2 [PRIVATE_DEPS ...])
# Creates the target sluice_NAME (alias sluice::NAME). Headers are included as "NAME/x.h"
# relative to src/.
function(sluice_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(sluice_${name} STATIC ${ARG_SOURCES})
  add_library(sluice::${name} ALIAS sluice_${name})
  target_include_directories(sluice_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(sluice_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# sluice_test(NAME SOURCES x_test.cc DEPS ...)
# One GoogleTest binary per module; each TEST becomes its own CTest test, discovered when
# ctest runs (so a build never runs test binaries).
function(sluice_test name)
  if(NOT SLUICE_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST
                       PROPERTIES LABELS unit ENVIRONMENT "SLUICE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# sluice_postgres_test(NAME)
# Runs the GoogleTest binary NAME's PostgreSQL cases (named *postgresql*) against a throwaway
# server that scripts/with-postgres starts; the cases fail, rather than skip, without it.
function(sluice_postgres_test name)
  if(NOT SLUICE_TESTS)
    return()
  endif()
  add_test(NAME ${name}.postgresql
           COMMAND ${PROJECT_SOURCE_DIR}/scripts/with-postgres $<TARGET_FILE:${name}>
                   --gtest_filter=*postgresql*)
  set_tests_properties(${name}.postgresql PROPERTIES
                       LABELS integration ENVIRONMENT SLUICE_TEST_POSTGRES_REQUIRED=1)
endfunction()
