// The project database's schema as numbered migrations (private to bt_project).
// Migration i takes a database from schema version i-1 to i; PRAGMA user_version holds the
// version. Connections are configured for WAL, foreign keys and full durability.
// Thread safety: functions act on the connection given.
#pragma once

#include <filesystem>

#include "behavtrack/project/sqlite_db.h"

namespace bt::project {

// Runs migrations from+1 .. to inside the caller's transaction and sets user_version.
void apply_migrations(Database& db, int from, int to);
// WAL, synchronous=FULL, foreign_keys=ON (per connection).
void configure_connection(Database& db);
int schema_version(Database& db);
// Throws bt::Error naming both versions when `version` is not this build's.
void check_schema_version(const std::filesystem::path& dir, int version);
// Upgrades an older project in place (one transaction); returns the version it had.
int migrate_project(const std::filesystem::path& dir);

}  // namespace bt::project
