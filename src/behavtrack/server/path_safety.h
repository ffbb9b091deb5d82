// Maps a URL path onto a file under one root folder, refusing anything that could leave it.
//
//   auto file = bt::server::resolve_under("/usr/share/behavtrack/web", "/js/view.js");
//   if (!file) -> 404 (never 403: a prober learns nothing about what exists outside).
//
// Input is the already percent-decoded URL path (cpp-httplib decodes once). Rejected: any
// ".." or "." component, empty components ("//"), backslashes, NUL, a second layer of
// percent-encoding ("%2e%2e" after decoding), absolute paths after the leading "/", and any
// file whose canonical path (symlinks followed) is outside the canonical root.
// Only regular files are returned. Thread safety: reentrant.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace bt::server {

// True when `url_path` is made only of safe components ("/a/b.js"); no file system access.
bool is_safe_relative_path(const std::string& url_path);

// The regular file under `root` named by `url_path`, or nullopt when the path is unsafe,
// missing, not a regular file, or resolves (through symlinks) outside `root`.
std::optional<std::filesystem::path> resolve_under(const std::filesystem::path& root,
                                                   const std::string& url_path);

}  // namespace bt::server
