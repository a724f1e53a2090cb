# Finds Kokkos (+ Kokkos Kernels) and exposes two targets that the rest of the
# build links: titan::kokkos and titan::kokkoskernels.
#
# A standard Kokkos 4.x install (e.g. with CUDA, via -DKokkos_ROOT) provides
# Kokkos::kokkos and Kokkos::kokkoskernels; we alias those. Debian 12's
# Trilinos-built Kokkos 3.4 does not: its Kokkos::kokkos lists the
# non-existent /usr/lib/include (CMake's generate step fails when it is linked)
# and Kokkos Kernels' target is named trilinos_kokkoskernels. For that case we
# make a small interface target from the include dirs and the libraries.

find_package(Kokkos REQUIRED)
# Kokkos Kernels must be built against the Kokkos just found: look in that
# Kokkos' install prefix first (-DKokkos_ROOT=<prefix> of a CUDA install that
# also holds Kokkos Kernels), then the usual places. Without the hint a
# -DKokkos_ROOT build found Debian's Trilinos Kokkos Kernels, built against
# Kokkos 3.4 Serial, and the link failed (issue 20).
get_filename_component(_titan_kokkos_prefix "${Kokkos_DIR}/../../.." ABSOLUTE)
find_package(KokkosKernels QUIET HINTS ${_titan_kokkos_prefix})

function(_titan_target_usable tgt out)
  set(ok FALSE)
  if(TARGET ${tgt})
    set(ok TRUE)
    get_target_property(dirs ${tgt} INTERFACE_INCLUDE_DIRECTORIES)
    if(dirs)
      foreach(d IN LISTS dirs)
        if(NOT d MATCHES "\\$<" AND NOT EXISTS "${d}")
          set(ok FALSE)
        endif()
      endforeach()
    endif()
  endif()
  set(${out} ${ok} PARENT_SCOPE)
endfunction()

add_library(titan_kokkos INTERFACE)
add_library(titan::kokkos ALIAS titan_kokkos)
add_library(titan_kokkoskernels INTERFACE)
add_library(titan::kokkoskernels ALIAS titan_kokkoskernels)

_titan_target_usable(Kokkos::kokkos kokkos_ok)
if(kokkos_ok)
  target_link_libraries(titan_kokkos INTERFACE Kokkos::kokkos)
  set(TITAN_KOKKOS_FLAVOR "standard Kokkos::kokkos target")
else()
  # Debian / Trilinos layout: headers in Kokkos_INCLUDE_DIRS, core library
  # trilinos_kokkoscore (an imported target of the Trilinos export set).
  if(NOT Kokkos_INCLUDE_DIRS)
    message(FATAL_ERROR "Kokkos found but neither a usable Kokkos::kokkos target nor Kokkos_INCLUDE_DIRS")
  endif()
  target_include_directories(titan_kokkos SYSTEM INTERFACE ${Kokkos_INCLUDE_DIRS})
  if(TARGET trilinos_kokkoscore)
    target_link_libraries(titan_kokkos INTERFACE trilinos_kokkoscore)
  else()
    find_library(TITAN_KOKKOSCORE_LIB NAMES trilinos_kokkoscore kokkoscore REQUIRED)
    target_link_libraries(titan_kokkos INTERFACE ${TITAN_KOKKOSCORE_LIB})
  endif()
  set(TITAN_KOKKOS_FLAVOR "Trilinos layout, shimmed (${Kokkos_INCLUDE_DIRS})")
endif()

if(TARGET Kokkos::kokkoskernels)
  target_link_libraries(titan_kokkoskernels INTERFACE Kokkos::kokkoskernels titan::kokkos)
elseif(TARGET trilinos_kokkoskernels AND kokkos_ok)
  # A standalone Kokkos with Trilinos' Kokkos Kernels: two Kokkos in one binary.
  message(FATAL_ERROR "Kokkos ${Kokkos_VERSION} from ${Kokkos_DIR} is a standalone install, but the Kokkos Kernels "
                      "found (${KokkosKernels_DIR}) is Trilinos', built against another Kokkos. Give "
                      "-DKokkosKernels_ROOT=<prefix of a Kokkos Kernels built against this Kokkos> (docs/gpu.md).")
elseif(TARGET trilinos_kokkoskernels)
  target_link_libraries(titan_kokkoskernels INTERFACE trilinos_kokkoskernels titan::kokkos)
else()
  message(WARNING "Kokkos Kernels not found; titan::kokkoskernels links Kokkos only")
  target_link_libraries(titan_kokkoskernels INTERFACE titan::kokkos)
endif()

message(STATUS "titan: Kokkos ${Kokkos_VERSION} (${TITAN_KOKKOS_FLAVOR})")
