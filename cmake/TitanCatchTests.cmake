# titan_catch_tests(TARGET [PREFIX p] [LABELS l...])
#
# Registers one CTest per Catch2 TEST_CASE of TARGET, found by reading the
# target's sources when CMake configures, never by running the test binary.
# Catch2 v2's catch_discover_tests runs the binary after every build to list
# its tests (v2 has no DISCOVERY_MODE PRE_TEST); a CUDA build on a machine
# without the GPU driver cannot run it (libcuda.so.1 is missing), so
# discovery failed and ctest had no unit tests at all (issue 20).
#
# The scan runs at the end of the calling directory (cmake_language DEFER),
# so sources added later with target_sources() are included; each scanned
# file is a configure dependency, so a new TEST_CASE re-runs CMake. Names are
# the TEST_CASE's string literal (\" and \\ unescaped), and the test runs
# `TARGET "<name>"` with Catch's test-spec characters , [ ] escaped, as
# catch_discover_tests does. The list of names goes to
# <binary dir>/<TARGET>_tests.txt; titan_check_catch_list() adds a test that
# compares it with the binary's own --list-test-names-only where it can run.
function(titan_catch_tests target)
  cmake_parse_arguments(T "" "PREFIX" "LABELS" ${ARGN})
  cmake_language(EVAL CODE "cmake_language(DEFER CALL _titan_catch_register [[${target}]] [[${T_PREFIX}]] [[${T_LABELS}]])")
endfunction()

function(_titan_catch_register target prefix labels)
  get_target_property(sources ${target} SOURCES)
  get_target_property(source_dir ${target} SOURCE_DIR)
  set(list_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_tests.txt")
  file(WRITE "${list_file}" "")
  foreach(src IN LISTS sources)
    if(NOT IS_ABSOLUTE "${src}")
      set(src "${source_dir}/${src}")
    endif()
    if(NOT src MATCHES "\\.(cpp|cc|cxx)$" OR NOT EXISTS "${src}")
      continue()
    endif()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${src}")
    file(READ "${src}" text)
    while(TRUE)
      string(FIND "${text}" "TEST_CASE(" at)
      if(at EQUAL -1)
        break()
      endif()
      math(EXPR at "${at} + 10")
      string(SUBSTRING "${text}" ${at} -1 text)
      # The first argument: a string literal (escaped quotes and backslashes allowed).
      if(NOT text MATCHES "^[ \t\r\n]*\"(([^\"\\\\]|\\\\.)*)\"")
        continue()
      endif()
      set(name "${CMAKE_MATCH_1}")
      string(REPLACE "\\\"" "\"" name "${name}")
      string(REPLACE "\\\\" "\\" name "${name}")
      set(spec "${name}")
      foreach(char , [ ])
        string(REPLACE "${char}" "\\${char}" spec "${spec}")
      endforeach()
      add_test(NAME "${prefix}${name}" COMMAND ${target} "${spec}")
      set_tests_properties("${prefix}${name}" PROPERTIES LABELS "${labels}")
      file(APPEND "${list_file}" "${name}\n")
    endwhile()
  endforeach()
endfunction()

# titan_check_catch_list(TARGET NAME test_name)
#   A test that runs TARGET --list-test-names-only and checks that its test
#   names are exactly those titan_catch_tests() registered (a TEST_CASE the
#   scan cannot read, e.g. a name built by a macro, would otherwise be missed).
#   Skipped where the binary cannot start (a CUDA build without the driver).
function(titan_check_catch_list target name)
  add_test(NAME ${name}
           COMMAND ${CMAKE_COMMAND} -DEXE=$<TARGET_FILE:${target}> "-DLIST=${CMAKE_CURRENT_BINARY_DIR}/${target}_tests.txt"
                   -P ${PROJECT_SOURCE_DIR}/cmake/check_catch_list.cmake)
  set_tests_properties(${name} PROPERTIES LABELS build PASS_REGULAR_EXPRESSION "catch test list matches"
                       SKIP_REGULAR_EXPRESSION "cannot run .* here")
endfunction()
