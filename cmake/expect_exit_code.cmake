# cmake -DCMD="a;b;c" -DEXPECT_RC=2 -P expect_exit_code.cmake
# Runs CMD and fails unless it exits with EXPECT_RC within 25 s (a hang is a failure).
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 25)
if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "expected exit code ${EXPECT_RC}, got '${rc}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
message(STATUS "exit code ${rc} as expected; stderr: ${err}")
