# Test registration helpers: one function per kind of test, so the lists in
# tests/CMakeLists.txt stay readable.

find_package(Catch2 REQUIRED)
set(TITAN_MPI_TEST_ENV "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_rmaps_base_oversubscribe=1;OPENBLAS_NUM_THREADS=1")
list(APPEND TITAN_MPI_TEST_ENV ${TITAN_SANITIZER_MPI_ENV})  # empty unless TITAN_ENABLE_SANITIZERS (TitanSanitizers.cmake)

# titan_add_mpi_test(NAME n SOURCES ... RANKS 1 2 3)
#   -> one executable titan_mpi_<n>, CTest names mpi.<n>.np<N>.
function(titan_add_mpi_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;RANKS" ${ARGN})
  set(exe titan_mpi_${T_NAME})
  add_executable(${exe} ${T_SOURCES} ${PROJECT_SOURCE_DIR}/tests/main_mpi.cpp)
  target_link_libraries(${exe} PRIVATE titan_core Catch2::Catch2)
  foreach(n IN LISTS T_RANKS)
    add_test(NAME mpi.${T_NAME}.np${n}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${n} --oversubscribe ${MPIEXEC_PREFLAGS}
                     $<TARGET_FILE:${exe}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(mpi.${T_NAME}.np${n} PROPERTIES PROCESSORS ${n} TIMEOUT 300 LABELS mpi
                         ENVIRONMENT "${TITAN_MPI_TEST_ENV}")
  endforeach()
endfunction()

# titan_add_app_test(NAME n RANKS k ARGS ... [PASS_REGEX re] [FAIL_REGEX re] [WILL_FAIL])
#   Runs titan_app under mpiexec with k ranks from the source dir.
#   CTest name app.<n>.np<k>.
function(titan_add_app_test)
  cmake_parse_arguments(T "WILL_FAIL" "NAME;RANKS;PASS_REGEX;FAIL_REGEX;TIMEOUT" "ARGS" ${ARGN})
  if(NOT T_RANKS)
    set(T_RANKS 1)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set(name app.${T_NAME}.np${T_RANKS})
  add_test(NAME ${name}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${T_RANKS} --oversubscribe
                   $<TARGET_FILE:titan_app> ${T_ARGS}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES PROCESSORS ${T_RANKS} TIMEOUT ${T_TIMEOUT} LABELS app
                       ENVIRONMENT "${TITAN_MPI_TEST_ENV}")
  if(T_PASS_REGEX)
    set_tests_properties(${name} PROPERTIES PASS_REGULAR_EXPRESSION "${T_PASS_REGEX}")
  endif()
  if(T_FAIL_REGEX)
    set_tests_properties(${name} PROPERTIES FAIL_REGULAR_EXPRESSION "${T_FAIL_REGEX}")
  endif()
  if(T_WILL_FAIL)
    set_tests_properties(${name} PROPERTIES WILL_FAIL TRUE)
  endif()
endfunction()

# Failing runs skip Open MPI's grace period: mpiexec lingers ~2 s after a
# rank exits non-zero (SIGTERM -> SIGKILL wait, odls_base_sigkill_timeout).
# Without it mpiexec kills the other ranks at once, which is safe here because
# titan_app's ranks leave an error together, after rank 0 has printed (the
# MPI_Barrier in run_app), so no output is cut off.
set(TITAN_BAD_TEST_ENV ${TITAN_MPI_TEST_ENV} OMPI_MCA_odls_base_sigkill_timeout=0)

# titan_add_bad_deck_test(NAME n DECK file EXPECT "regex" [RANKS k] [EXIT_CODE c] [ARGS ...])
#   One test, app.bad.<n>.np<k>: titan_app on k ranks must exit with status c
#   (default 2, bad input) within 25 s, printing one message, matching EXPECT,
#   on stderr (cmake/expect_failure.cmake). Label "bad".
function(titan_add_bad_deck_test)
  cmake_parse_arguments(T "" "NAME;DECK;EXPECT;RANKS;EXIT_CODE" "ARGS" ${ARGN})
  if(NOT T_RANKS)
    set(T_RANKS 1)
  endif()
  if(NOT T_EXIT_CODE)
    set(T_EXIT_CODE 2)
  endif()
  set(name app.bad.${T_NAME}.np${T_RANKS})
  set(cmd ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${T_RANKS} --oversubscribe $<TARGET_FILE:titan_app> ${T_ARGS} ${T_DECK})
  add_test(NAME ${name} COMMAND ${CMAKE_COMMAND} "-DCMD=${cmd}" -DEXPECT_RC=${T_EXIT_CODE} "-DEXPECT=${T_EXPECT}"
           -P ${PROJECT_SOURCE_DIR}/cmake/expect_failure.cmake WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(${name} PROPERTIES TIMEOUT 30 LABELS bad PROCESSORS ${T_RANKS}
                       ENVIRONMENT "${TITAN_BAD_TEST_ENV}")
endfunction()

# titan_add_script_test(NAME n SCRIPT tests/app/x.sh PROCESSORS k TIMEOUT s [ARGS ...])
#   Runs `bash SCRIPT <titan_app> <mpiexec> [ARGS...]` from the source dir; CTest name
#   app.<n>, label app. For whole-program checks written as shell scripts.
function(titan_add_script_test)
  cmake_parse_arguments(T "" "NAME;SCRIPT;PROCESSORS;TIMEOUT" "ARGS" ${ARGN})
  add_test(NAME app.${T_NAME}
           COMMAND bash ${T_SCRIPT} $<TARGET_FILE:titan_app> ${MPIEXEC_EXECUTABLE} ${T_ARGS}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(app.${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} PROCESSORS ${T_PROCESSORS} LABELS app
                       ENVIRONMENT "${TITAN_MPI_TEST_ENV}")
endfunction()
