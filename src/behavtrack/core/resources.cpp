#include "behavtrack/core/resources.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "behavtrack/core/error.h"

namespace bt {
namespace fs = std::filesystem;

namespace {
fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}
}  // namespace

fs::path web_dir() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("BT_WEB_DIR")) candidates.emplace_back(env);
  const fs::path exe_dir = executable_dir();
  if (!exe_dir.empty()) candidates.push_back(exe_dir / ".." / "share" / "behavtrack" / "web");
  candidates.emplace_back(BT_WEB_DIR_SOURCE);
  std::string tried;
  for (const fs::path& c : candidates) {
    std::error_code ec;
    if (fs::is_directory(c, ec)) return fs::weakly_canonical(c);
    tried += (tried.empty() ? "" : ", ") + c.string();
  }
  throw_not_found("web files: not found (looked in " + tried + "); set BT_WEB_DIR");
}

}  // namespace bt
