# cmake "-DCMD=a;b;c" -DEXPECT_RC=2 "-DEXPECT=<regex>" [-DTIMEOUT=25] -P expect_failure.cmake
# Runs CMD, a titan_app run that must fail cleanly, and passes only when it
#  - exits with status EXPECT_RC within TIMEOUT seconds (a hang is a failure),
#  - prints a message matching EXPECT (CMake regex) on stderr,
#  - prints "titan_app: error" exactly once (one message, from one rank), and
#  - never takes the abort path ("titan_app: error on rank N: ...").
if(NOT DEFINED TIMEOUT)
  set(TIMEOUT 25)
endif()
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${TIMEOUT})
set(problems "")
if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
  string(APPEND problems "expected exit status ${EXPECT_RC}, got '${rc}'\n")
endif()
if(NOT err MATCHES "${EXPECT}")
  string(APPEND problems "stderr does not match '${EXPECT}'\n")
endif()
string(REGEX MATCHALL "titan_app: error" errors "${out}${err}")
list(LENGTH errors n_errors)
if(NOT n_errors EQUAL 1)
  string(APPEND problems "expected one 'titan_app: error' message, got ${n_errors}\n")
endif()
if("${out}${err}" MATCHES "titan_app: error on rank")
  string(APPEND problems "a rank took the abort path\n")
endif()
if(problems)
  message(FATAL_ERROR "${problems}stdout:\n${out}\nstderr:\n${err}")
endif()
message(STATUS "exit status ${rc} as expected; stderr: ${err}")
