// An output file written under a temporary name and renamed into place on
// commit(), so an interrupted run never leaves a complete-looking file.
#pragma once

#include <string>

namespace titan {

class AtomicFile {
 public:
  //! Creates "<path>.tmp.<pid>" now (so an unwritable path fails early).
  //! Throws InputError when it cannot be created.
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary unless committed
  AtomicFile(AtomicFile const&) = delete;
  AtomicFile& operator=(AtomicFile const&) = delete;

  //! Writes `text` to the temporary and renames it to the final path.
  void commit(std::string const& text);
  std::string const& path() const { return _path; }

 private:
  std::string _path, _tmp;
  bool _committed = false;
};

}  // namespace titan
