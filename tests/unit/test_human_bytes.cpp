// Byte counts written by people (parse_bytes, --memory-per-rank) and for
// them (human_bytes): the units' published factors, and what is refused.
#include "titan/core/human_bytes.hpp"

#include <catch2/catch.hpp>

using namespace titan;

TEST_CASE("parse_bytes reads binary and decimal units", "[human_bytes]") {
  CHECK(parse_bytes("4096") == 4096);
  CHECK(parse_bytes("1B") == 1);
  CHECK(parse_bytes("80GiB") == 80LL * 1024 * 1024 * 1024);
  CHECK(parse_bytes("80 GiB") == 80LL * 1024 * 1024 * 1024);
  CHECK(parse_bytes("80gib") == 80LL * 1024 * 1024 * 1024);
  CHECK(parse_bytes("1.5TB") == 1500000000000LL);
  CHECK(parse_bytes("2KB") == 2000);
  CHECK(parse_bytes("2KiB") == 2048);
  CHECK(parse_bytes("0.5MiB") == 524288);
  CHECK(parse_bytes("1PiB") == 1LL << 50);
  CHECK(parse_bytes("700MiB") == 700LL << 20);
}

TEST_CASE("parse_bytes refuses what is not a positive byte count", "[human_bytes]") {
  for (char const* bad : {"", "abc", "0", "0.4", "-5GiB", "80XB", "1e9", "1..5GB", ".", "GiB", "80 ", "8000000PiB",
                          "80 GiB extra", "+5"})
    CHECK_FALSE(parse_bytes(bad).has_value());
}

TEST_CASE("human_bytes and parse_bytes agree on their units", "[human_bytes]") {
  CHECK(human_bytes(static_cast<double>(*parse_bytes("80GiB"))) == "80.00 GiB");
  CHECK(human_bytes(static_cast<double>(*parse_bytes("512"))) == "512 B");
}
