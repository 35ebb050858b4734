#include "storage/sqlite.h"

#include <chrono>
#include <cmath>
#include <thread>
#include <utility>

namespace reef::storage {

namespace {

// What to do about a full disk, which SQLite reports only as "database or disk is full".
std::string fullDiskHint(int rc, sqlite3* db) {
  if ((rc & 0xff) != SQLITE_FULL) return "";
  const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
  return std::string(": the disk holding '") + (file ? file : "the database") +
         "' is full; free space, then sync again (`reef db sync`): what was committed is kept";
}

}  // namespace

std::string sqliteVersion() { return sqlite3_libversion(); }

Database::Database(const std::filesystem::path& path) : path_(path) {
  const int rc =
      sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError("cannot open database '" + path.string() + "': " + message, rc);
  }
  sqlite3_busy_timeout(db_, 10000);
  sqlite3_extended_result_codes(db_, 1);
  // Switching a new database to WAL takes an exclusive lock that SQLite does not wait for: a
  // second process opening the same new index at that moment gets SQLITE_BUSY. It waits here.
  for (int attempt = 0;; ++attempt) {
    try {
      exec("PRAGMA journal_mode=WAL");
      break;
    } catch (const SqliteError& e) {
      if ((e.code() & 0xff) != SQLITE_BUSY || attempt == 1000) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  exec("PRAGMA synchronous=NORMAL");
  exec("PRAGMA foreign_keys=ON");
  exec("PRAGMA cache_size=-65536");
}

Database::Database(Database&& other) noexcept : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::exec(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw SqliteError(
        "database '" + path_.string() + "': " + message + " (in: " + text.substr(0, 120) + ")" + fullDiskHint(rc, db_),
        rc);
  }
}

Statement Database::prepare(std::string_view sql) { return Statement(db_, sql); }
int64_t Database::lastInsertId() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Statement::Statement(sqlite3* db, std::string_view sql) {
  const int rc =
      sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK)
    throw SqliteError(
        std::string("cannot prepare SQL: ") + sqlite3_errmsg(db) + " (in: " + std::string(sql.substr(0, 160)) + ")",
        rc);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

void Statement::check(int rc, const char* what) const {
  if (rc == SQLITE_OK) return;
  sqlite3* db = sqlite3_db_handle(stmt_);
  throw SqliteError(
      std::string(what) + ": " + sqlite3_errmsg(db) + " (in: " + std::string(sqlite3_sql(stmt_)).substr(0, 160) + ")",
      rc);
}

Statement& Statement::bind(int index, int64_t value) {
  check(sqlite3_bind_int64(stmt_, index, value), "cannot bind");
  return *this;
}

Statement& Statement::bind(int index, double value) {
  if (std::isnan(value)) return bindNull(index);
  check(sqlite3_bind_double(stmt_, index, value), "cannot bind");
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT), "cannot bind");
  return *this;
}

Statement& Statement::bindBlob(int index, const void* data, size_t size) {
  check(sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT), "cannot bind");
  return *this;
}

Statement& Statement::bindNull(int index) {
  check(sqlite3_bind_null(stmt_, index), "cannot bind");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3* db = sqlite3_db_handle(stmt_);
  const std::string message = sqlite3_errmsg(db);
  sqlite3_reset(stmt_);
  throw SqliteError(
      "SQL failed: " + message + " (in: " + std::string(sqlite3_sql(stmt_)).substr(0, 160) + ")" + fullDiskHint(rc, db),
      rc);
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::isNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

double Statement::real(int column) const {
  return isNull(column) ? std::nan("") : sqlite3_column_double(stmt_, column);
}

std::string Statement::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}

std::optional<double> Statement::optionalReal(int column) const {
  if (isNull(column)) return std::nullopt;
  return sqlite3_column_double(stmt_, column);
}

Json Statement::json(int column) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_INTEGER:
      return int64(column);
    case SQLITE_FLOAT:
      return sqlite3_column_double(stmt_, column);
    case SQLITE_TEXT:
      return text(column);
    default:
      return nullptr;
  }
}

const void* Statement::blob(int column) const { return sqlite3_column_blob(stmt_, column); }
int Statement::blobSize(int column) const { return sqlite3_column_bytes(stmt_, column); }
int Statement::columnCount() const { return sqlite3_column_count(stmt_); }
std::string Statement::columnName(int column) const { return sqlite3_column_name(stmt_, column); }

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // The transaction is already gone (SQLite rolls back on some errors by itself).
    }
  }
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace reef::storage
