#include "titan/config/deck_source.hpp"

#include "titan/core/echo.hpp"
#include "titan/core/errors.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace titan {
namespace {

std::string limit_text(std::size_t limit) {
  if (limit % (std::size_t(1) << 20) == 0) return std::to_string(limit >> 20) + " MiB";
  return std::to_string(limit) + " bytes";
}

}  // namespace

std::string read_deck_source(std::string const& path, std::size_t limit) {
  std::string const name = echo(path, 200);
  require(!path.empty(), "the input deck path is empty");
  int const fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(name + ": cannot open the input deck (" + std::strerror(errno) + ")");
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw InputError(name + ": cannot read the input deck (" + std::strerror(EISDIR) + ")");
  }
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    ssize_t const n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      int const error = errno;
      ::close(fd);
      throw InputError(name + ": cannot read the input deck (" + std::strerror(error) + ")");
    }
    if (n == 0) break;
    if (text.size() + static_cast<std::size_t>(n) > limit) {
      ::close(fd);
      throw InputError(name + ": the input deck is larger than the " + limit_text(limit) +
                       " limit of an input deck (stopped reading at " + std::to_string(text.size() + n) + " bytes)");
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace titan
