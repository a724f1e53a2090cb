#include "titan/core/echo.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace titan {
namespace {

// Appends the escaped form of one byte.
void escape_byte(std::string& out, unsigned char c) {
  switch (c) {
    case '\n': out += "\\n"; return;
    case '\t': out += "\\t"; return;
    case '\r': out += "\\r"; return;
    case '\\': out += "\\\\"; return;
    case '\'': out += "\\'"; return;
    case '"': out += "\\\""; return;
    default: break;
  }
  if (c < 0x20 || c == 0x7f) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "\\x%02x", c);
    out += hex;
  } else {
    out += static_cast<char>(c);
  }
}

// The largest cut <= n that does not split a UTF-8 sequence.
std::size_t utf8_cut(std::string_view text, std::size_t n) {
  if (n >= text.size()) return text.size();
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

std::string length_note(std::size_t bytes) { return "\xE2\x80\xA6 (" + std::to_string(bytes) + " bytes)"; }

}  // namespace

std::string echo(std::string_view text, std::size_t max_chars) {
  std::size_t const cut = utf8_cut(text, max_chars);
  std::string out;
  out.reserve(cut + 16);
  for (std::size_t i = 0; i < cut; ++i) escape_byte(out, static_cast<unsigned char>(text[i]));
  if (cut < text.size()) out += length_note(text.size());
  return out;
}

std::string echo_text(std::string_view text, std::size_t max_chars) {
  std::size_t const cut = utf8_cut(text, max_chars);
  std::string out;
  out.reserve(cut + 16);
  for (std::size_t i = 0; i < cut; ++i) {
    unsigned char const c = static_cast<unsigned char>(text[i]);
    if (c == '\\' || c == '\'' || c == '"') out += static_cast<char>(c);
    else escape_byte(out, c);
  }
  if (cut < text.size()) out += length_note(text.size());
  return out;
}

std::string number_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char text[40];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, v);
    if (std::strtod(text, nullptr) == v) break;
  }
  return text;
}

std::string clean_message(std::string_view message, std::size_t max_chars) {
  std::string text(message);
  // Kokkos 3.4 appends this note (and a blank line) to allocation failures.
  std::string const noise = "Traceback functionality not available";
  for (std::size_t at = text.find(noise); at != std::string::npos; at = text.find(noise, at)) text.erase(at, noise.size());
  for (std::size_t at = text.find("\n\n"); at != std::string::npos; at = text.find("\n\n", at)) text.erase(at, 1);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::size_t const cut = utf8_cut(text, max_chars);
  std::string out;
  out.reserve(cut + 16);
  for (std::size_t i = 0; i < cut; ++i) {
    unsigned char const c = static_cast<unsigned char>(text[i]);
    // A newline stays only where it starts a listed item ("\n  ..."); any
    // other would let a value forge a line of output (a TITAN_SUMMARY line).
    bool const item_break = c == '\n' && i + 2 < cut && text[i + 1] == ' ' && text[i + 2] == ' ';
    if (item_break || c == '\t' || c == '\\' || c == '\'' || c == '"' || (c >= 0x20 && c != 0x7f)) out += static_cast<char>(c);
    else escape_byte(out, c);
  }
  if (cut < text.size()) out += length_note(text.size());
  return out;
}

}  // namespace titan
