// Output files that appear whole or not at all.
//
// AtomicFile writes to a temporary file beside the target and renames it over the target
// on commit(); if the writer is destroyed without commit() (an exception, a crash), the
// temporary is removed and the target is untouched. rename(2) within one folder is atomic.
//
//   bt::AtomicFile out("tracks.csv");
//   out.stream() << "frame,id\n";
//   out.commit();
//
// Thread safety: one AtomicFile per thread.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

namespace bt {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  // The temporary path, for writers that open the file themselves (e.g. a video encoder).
  const std::filesystem::path& temp_path() const { return temp_; }
  // Flushes, checks and fsyncs the temporary file (where a full disk shows), without
  // renaming it: for outputs that must all be written before any replaces its target.
  void finish();
  // finish(), then renames over the target. Throws bt::Error (kIo) on failure.
  void commit();

 private:
  std::filesystem::path target_, temp_;
  std::ofstream out_;
  bool finished_ = false, committed_ = false;
};

// Writes `contents` to `path` atomically.
void write_file_atomically(const std::filesystem::path& path, const std::string& contents);
// Reads a whole file; throws bt::Error (kNotFound / kIo) naming the file.
std::string read_file(const std::filesystem::path& path);
// Makes the temporary name used by AtomicFile: "<dir>/.<name>.tmp-<pid>-<n>".
std::filesystem::path temporary_sibling(const std::filesystem::path& target);

}  // namespace bt
