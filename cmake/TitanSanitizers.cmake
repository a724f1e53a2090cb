# Instrumented builds, each in a build directory of its own:
#   -DTITAN_ENABLE_SANITIZERS=ON  AddressSanitizer + UndefinedBehaviorSanitizer
#                                 on every target (scripts/run_sanitizers.sh,
#                                 build-asan: the whole CTest suite);
#   -DTITAN_ENABLE_FUZZ=ON        the libFuzzer deck fuzzer in tests/fuzz
#                                 (clang++ only; also ASan + UBSan; scripts/fuzz.sh,
#                                 build-fuzz).
# Included before any target is made, so the flags reach every target.
option(TITAN_ENABLE_SANITIZERS "Build everything with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(TITAN_ENABLE_FUZZ "Build the libFuzzer deck fuzzer (clang++; with ASan and UBSan)" OFF)

if(TITAN_ENABLE_SANITIZERS OR TITAN_ENABLE_FUZZ)
  # -fno-sanitize-recover=all: undefined behaviour halts the program (non-zero
  # exit) instead of printing a line and carrying on.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(TITAN_ENABLE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TITAN_ENABLE_FUZZ needs clang++ (libFuzzer): configure with -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Coverage for libFuzzer in every object; only the fuzz target links the
  # fuzzer's main (-fsanitize=fuzzer, tests/fuzz/CMakeLists.txt).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Environment of the tests that mpiexec launches (added to TITAN_MPI_TEST_ENV
# in TitanTesting.cmake). Open MPI keeps memory from MPI_Init to exit on
# purpose (hwloc topology, PMIx and opal caches), so LeakSanitizer would fail
# every MPI process on leaks that are not ours: leak checking is off for them.
# The serial unit tests keep it (scripts/run_sanitizers.sh turns it on).
# Any UBSan report halts (see above) and prints a stack.
set(TITAN_SANITIZER_MPI_ENV "")
if(TITAN_ENABLE_SANITIZERS)
  set(TITAN_SANITIZER_MPI_ENV "ASAN_OPTIONS=detect_leaks=0:abort_on_error=0"
                              "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1")
endif()
