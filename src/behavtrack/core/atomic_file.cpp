#include "behavtrack/core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "behavtrack/core/error.h"

namespace bt {
namespace fs = std::filesystem;

fs::path temporary_sibling(const fs::path& target) {
  static std::atomic<int> counter{0};
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  return dir / ("." + target.filename().string() + ".tmp-" + std::to_string(getpid()) + "-" +
                std::to_string(counter++));
}

AtomicFile::AtomicFile(fs::path target) : target_(std::move(target)) {
  temp_ = temporary_sibling(target_);
  out_.open(temp_, std::ios::binary | std::ios::trunc);
  if (!out_)
    throw_io("output " + quoted(target_.string()) + ": cannot create (" + std::strerror(errno) + ")");
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  out_.close();
  std::error_code ec;
  fs::remove(temp_, ec);
}

namespace {
void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}
}  // namespace

void AtomicFile::finish() {
  if (finished_) return;
  out_.flush();
  const bool ok = static_cast<bool>(out_);
  out_.close();
  if (!ok) throw_io("output " + quoted(target_.string()) + ": write failed (disk full?)");
  fsync_path(temp_);
  finished_ = true;
}

void AtomicFile::commit() {
  if (committed_) return;
  finish();
  std::error_code ec;
  fs::rename(temp_, target_, ec);
  if (ec) throw_io("output " + quoted(target_.string()) + ": cannot rename into place (" + ec.message() + ")");
  fsync_path(target_.has_parent_path() ? target_.parent_path() : fs::path("."));
  committed_ = true;
}

void write_file_atomically(const fs::path& path, const std::string& contents) {
  AtomicFile f(path);
  f.stream().write(contents.data(), static_cast<std::streamsize>(contents.size()));
  f.commit();
}

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw_not_found("file " + quoted(path.string()) + ": does not exist");
  if (fs::is_directory(path, ec)) throw_invalid("file " + quoted(path.string()) + ": is a folder");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_io("file " + quoted(path.string()) + ": cannot open (" + std::strerror(errno) + ")");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace bt
