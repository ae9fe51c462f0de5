#include "native/server/sqlite_store.h"

#include <sqlite3.h>

#include "native/jobs/file_io.h"

namespace anomalens {
namespace {

// Version 1: the schema from before versioning (so its IF NOT EXISTS makes
// a store of then version 1 unchanged). postgres_store.cc has the same
// tables in PostgreSQL's types; a new version adds a step to both.
constexpr const char* kVersion1 = R"sql(
CREATE TABLE IF NOT EXISTS projects (
  name TEXT PRIMARY KEY, arn TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
  project TEXT NOT NULL, type TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL,
  status TEXT NOT NULL, status_message TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (project, type));
CREATE TABLE IF NOT EXISTS entries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, project TEXT NOT NULL, type TEXT NOT NULL,
  source_ref TEXT NOT NULL, line TEXT NOT NULL,
  label TEXT NOT NULL DEFAULT '',  -- 'normal', 'anomaly' or '' (unlabeled)
  created REAL NOT NULL, UNIQUE (project, type, source_ref));
CREATE TABLE IF NOT EXISTS models (
  project TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL,
  PRIMARY KEY (project, version));
CREATE TABLE IF NOT EXISTS packaging_jobs (
  project TEXT NOT NULL, name TEXT NOT NULL, created REAL NOT NULL, description TEXT NOT NULL,
  PRIMARY KEY (project, name));
CREATE TABLE IF NOT EXISTS tags (
  arn TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (arn, key));
CREATE TABLE IF NOT EXISTS client_tokens (
  operation TEXT NOT NULL, token TEXT NOT NULL, request TEXT NOT NULL, response TEXT NOT NULL,
  PRIMARY KEY (operation, token));
)sql";

// Version 2: ListDatasetEntries and training read a dataset in insertion order.
constexpr const char* kVersion2 = "CREATE INDEX IF NOT EXISTS entries_in_order ON entries (project, type, seq);";

// Version 3: the training queue, shared by the servers on one store
// (service_training_queue.cc). owner '' : queued; otherwise the server
// training it, until lease_until (seconds since the epoch).
constexpr const char* kVersion3 = R"sql(
CREATE TABLE IF NOT EXISTS training_jobs (
  project TEXT NOT NULL, version INTEGER NOT NULL, created REAL NOT NULL,
  owner TEXT NOT NULL DEFAULT '', lease_until REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (project, version));
)sql";

class SqliteStore : public Store {
 public:
  explicit SqliteStore(std::string dir) : Store(std::move(dir)) {}
  ~SqliteStore() override {
    if (db_) sqlite3_close_v2(db_);
  }

  Status Connect() {
    const std::string path = JoinPath(dir(), "anomalens.db");
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      return Internal("cannot open " + path + ": " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
    }
    sqlite3_busy_timeout(db_, 10000);
    const Status set = RunScript("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    if (!set.ok()) return Internal("cannot set up " + path + ": " + set.message());
    return Status::Ok();
  }

  const char* engine() const override { return "sqlite"; }

 protected:
  Status Run(const std::string& sql, const std::vector<std::string>& params, std::vector<Row>* rows) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
      return Internal(std::string("SQL error: ") + sqlite3_errmsg(db_));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(stmt, static_cast<int>(i + 1), params[i].data(), static_cast<int>(params[i].size()),
                        SQLITE_TRANSIENT);
    }
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      if (!rows) continue;
      Row row;
      const int n = sqlite3_column_count(stmt);
      for (int c = 0; c < n; ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        row.emplace_back(text ? reinterpret_cast<const char*>(text) : "",
                         text ? static_cast<size_t>(sqlite3_column_bytes(stmt, c)) : 0);
      }
      rows->push_back(std::move(row));
    }
    Status status;
    if (rc != SQLITE_DONE) status = Internal(std::string("SQL error: ") + sqlite3_errmsg(db_));
    sqlite3_finalize(stmt);
    return status;
  }

  Status RunScript(const std::string& sql) override {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      Status s = Internal(std::string("SQL error: ") + (error ? error : "?"));
      sqlite3_free(error);
      return s;
    }
    return Status::Ok();
  }

  // IMMEDIATE takes the write lock at once, so two writers never deadlock
  // upgrading read locks.
  Status Begin() override { return Run("BEGIN IMMEDIATE", {}, nullptr); }

  const std::vector<std::string>& Migrations() const override {
    static const std::vector<std::string> migrations = {kVersion1, kVersion2, kVersion3};
    return migrations;
  }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir) {
  std::unique_ptr<SqliteStore> store(new SqliteStore(dir));
  RETURN_IF_ERROR(store->Connect());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace anomalens
