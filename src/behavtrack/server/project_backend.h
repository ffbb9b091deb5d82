// The annotation server's backend over a project folder (behavtrack.db, the project store).
//
//   auto backend = bt::server::ProjectBackend::open("study/");
//   bt::server::AnnotationServer server(options, *backend);
//
// Translates between the server's types (annotation_backend.h) and bt::project's; every
// edit is one store transaction (WAL, synchronous=FULL), so an acknowledged edit survives
// kill -9. Edits are recorded with the author "annotate".
// Thread safety: safe from several threads: each call leases one of a pool of SQLite
// connections (WAL: readers run in parallel, writers commit one at a time).
#pragma once

#include <filesystem>
#include <memory>

#include "behavtrack/server/annotation_backend.h"

namespace bt::server {

// Opens the project at `dir`; throws bt::Error (kNotFound when there is no project).
std::unique_ptr<AnnotationBackend> open_project_backend(const std::filesystem::path& dir);

}  // namespace bt::server
