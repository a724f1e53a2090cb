// RAII Kokkos profiling region (Kokkos 3.4 has no ScopedRegion).
#pragma once

#include <Kokkos_Core.hpp>

#include <string>

namespace titan {

class ProfileRegion {
 public:
  explicit ProfileRegion(std::string const& name) { Kokkos::Profiling::pushRegion(name); }
  ~ProfileRegion() { Kokkos::Profiling::popRegion(); }
  ProfileRegion(ProfileRegion const&) = delete;
  ProfileRegion& operator=(ProfileRegion const&) = delete;
};

}  // namespace titan
