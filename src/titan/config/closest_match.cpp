#include "titan/config/closest_match.hpp"

#include <algorithm>

namespace titan {

int edit_distance(std::string const& a, std::string const& b) {
  std::vector<int> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(std::string const& word, std::vector<std::string> const& candidates) {
  if (word.size() > 128) return std::string();  // no suggestion, and no quadratic time, for a huge word
  std::string best;
  int best_d = 1 << 30;
  for (auto const& c : candidates) {
    int const d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  int const limit = std::max<int>(2, static_cast<int>(word.size()) / 3);
  return best_d <= limit ? best : std::string();
}

}  // namespace titan
