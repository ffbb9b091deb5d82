#include "behavtrack/server/path_safety.h"

#include <system_error>

namespace bt::server {
namespace fs = std::filesystem;

namespace {

bool is_safe_component(const std::string& part) {
  if (part.empty() || part == "." || part == "..") return false;
  // '%' left after one decoding is a second encoding layer ("%252e"): refuse rather than guess.
  for (const char c : part)
    if (c == '\\' || c == '\0' || c == '%' || c == ':') return false;
  return true;
}

}  // namespace

bool is_safe_relative_path(const std::string& url_path) {
  if (url_path.empty() || url_path.front() != '/') return false;
  std::string part;
  for (std::size_t i = 1; i <= url_path.size(); ++i) {
    if (i == url_path.size() || url_path[i] == '/') {
      if (!is_safe_component(part)) return false;
      part.clear();
    } else {
      part += url_path[i];
    }
  }
  return true;
}

std::optional<fs::path> resolve_under(const fs::path& root, const std::string& url_path) {
  if (!is_safe_relative_path(url_path)) return std::nullopt;
  std::error_code ec;
  const fs::path canonical_root = fs::canonical(root, ec);
  if (ec) return std::nullopt;
  const fs::path file = fs::canonical(canonical_root / url_path.substr(1), ec);
  if (ec || !fs::is_regular_file(file, ec)) return std::nullopt;
  // A symlink inside the root may point anywhere: compare the resolved path's prefix.
  const auto rel = file.lexically_relative(canonical_root);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  return file;
}

}  // namespace bt::server
