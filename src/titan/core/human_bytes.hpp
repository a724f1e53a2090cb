// Byte counts for people: "1.50 GiB".
#pragma once

#include <string>

namespace titan {

//! `bytes` in the largest binary unit (B, KiB, ... PiB) that keeps it >= 1,
//! two decimals except for plain bytes: "512 B", "1.50 GiB".
std::string human_bytes(double bytes);

}  // namespace titan
