// An output file written under a temporary name and renamed into place on
// commit(), so an interrupted run never leaves a complete-looking file.
//
// Path rules (issue 12, docs/input_deck.md "--report-json"):
//  - a regular file or a path that does not exist yet: written atomically,
//    through a temporary sibling ".<name>.tmp.XXXXXX" (a short name, so a
//    legal 255-character file name works) renamed over it;
//  - a symbolic link: followed (to its final target), and the target is
//    written atomically as above, so the link stays a link;
//  - a directory, character or block device, FIFO or socket (also as the
//    target of a link): refused as bad input, never renamed over;
//  - an empty path: refused.
// The temporary exists only between write() and commit()/destruction; while
// it exists, SIGINT, SIGTERM and SIGHUP remove it before the signal's usual
// effect, so an interrupted run leaves no temporary behind.
#pragma once

#include <string>

namespace titan {

class AtomicFile {
 public:
  //! Checks the path now (so an unwritable path fails early: its directory
  //! must accept a new file) but creates nothing. Throws InputError.
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary unless committed
  AtomicFile(AtomicFile const&) = delete;
  AtomicFile& operator=(AtomicFile const&) = delete;

  //! Writes `text` to the temporary and renames it to the final path.
  void commit(std::string const& text);
  //! The two halves of commit(text), so that the rename can wait until every
  //! rank agrees the run succeeded: write() creates and fills the temporary
  //! (throws RunError on an I/O error), commit() renames it to the final path.
  void write(std::string const& text);
  void commit();
  //! Throws InputError when `other` (e.g. the input deck) is the same file
  //! (same device and inode) as the one this would replace.
  void refuse_same_file(std::string const& other, std::string const& what) const;
  std::string const& path() const { return _path; }
  //! The file that will be replaced: the path, or a link's final target.
  std::string const& target() const { return _target; }
  //! The temporary's name ("" when none exists).
  std::string const& temporary() const { return _tmp; }

 private:
  void remove_temporary();
  std::string _path, _target, _tmp;
  bool _written = false;
  bool _committed = false;
};

}  // namespace titan
