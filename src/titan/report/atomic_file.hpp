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
  //! The two halves of commit(text), so that the rename can wait until every
  //! rank agrees the run succeeded: write() fills the temporary (throws
  //! RunError on an I/O error), commit() renames it to the final path.
  void write(std::string const& text);
  void commit();
  std::string const& path() const { return _path; }

 private:
  std::string _path, _tmp;
  bool _written = false;
  bool _committed = false;
};

}  // namespace titan
