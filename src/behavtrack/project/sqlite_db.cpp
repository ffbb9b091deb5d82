#include "behavtrack/project/sqlite_db.h"

#include "behavtrack/core/error.h"
#include "behavtrack/project/project.h"

namespace bt::project {
namespace {

[[noreturn]] void fail(sqlite3* db, const std::string& what) {
  const int code = db ? sqlite3_errcode(db) : SQLITE_ERROR;
  const std::string msg = std::string("project database: ") + what + ": " +
                          (db ? sqlite3_errmsg(db) : "cannot allocate");
  if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) throw_invalid(msg + "; is this a behavtrack project?");
  if (code == SQLITE_CONSTRAINT) throw_invalid(msg);
  // Still locked after the busy timeout: another process holds a write transaction.
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) throw_io(msg + "; " + kBusyHint);
  throw_io(msg);
}

}  // namespace

Statement::Statement(sqlite3* db, const std::string& sql) : db_(db), sql_(sql) {
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK)
    fail(db_, "preparing '" + sql_ + "'");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
Statement& Statement::bind(int i, const std::string& v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_blob(int i, const void* data, std::size_t n) {
  sqlite3_bind_blob(stmt_, i, data, static_cast<int>(n), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  fail(db_, "running '" + sql_ + "'");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::real(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : std::string();
}
std::vector<unsigned char> Statement::blob(int col) const {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, col));
  return p ? std::vector<unsigned char>(p, p + sqlite3_column_bytes(stmt_, col))
           : std::vector<unsigned char>();
}
bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

Database::Database(const std::filesystem::path& path, bool create) : path_(path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : "cannot allocate";
    sqlite3_close(db_);
    db_ = nullptr;
    throw_io("project database " + bt::quoted(path.string()) + ": cannot open: " + msg);
  }
  // A writer waits up to 10 s for another writer instead of failing at once.
  sqlite3_busy_timeout(db_, 10000);
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    const std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    fail(db_, "'" + sql.substr(0, 60) + "'");
  }
}

void Database::begin() {
  exec(depth_ == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT nested");
  ++depth_;
}

void Database::commit() {
  exec(depth_ == 1 ? "COMMIT" : "RELEASE nested");
  --depth_;
}

void Database::rollback() {
  // Never throws: called from destructors while an exception is in flight.
  if (depth_ == 1)
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  else
    sqlite3_exec(db_, "ROLLBACK TO nested; RELEASE nested", nullptr, nullptr, nullptr);
  --depth_;
}

}  // namespace bt::project
