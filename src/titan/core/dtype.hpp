// Storage dtypes of parameters (chosen at run time by run.dtype).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace titan {

enum class DType { float32, bfloat16 };

inline std::size_t dtype_size(DType t) { return t == DType::float32 ? 4 : 2; }
inline char const* dtype_name(DType t) { return t == DType::float32 ? "float32" : "bfloat16"; }

}  // namespace titan
