#include "native/server/store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "native/jobs/file_io.h"

namespace anomalens {
namespace {

constexpr const char* kSchema = R"sql(
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

}  // namespace

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir) {
  RETURN_IF_ERROR(MakeDirectories(dir));
  std::unique_ptr<Store> store(new Store(dir));
  const std::string path = JoinPath(dir, "anomalens.db");
  if (sqlite3_open_v2(path.c_str(), &store->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return Internal("cannot open " + path + ": " + (store->db_ ? sqlite3_errmsg(store->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(store->db_, 10000);
  char* error = nullptr;
  const std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;") + kSchema;
  if (sqlite3_exec(store->db_, setup.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    Status s = Internal("cannot set up " + path + ": " + (error ? error : "?"));
    sqlite3_free(error);
    return s;
  }
  return store;
}

Store::~Store() {
  if (db_) sqlite3_close_v2(db_);
}

Status Store::Run(const std::string& sql, const std::vector<std::string>& params, std::vector<Row>* rows) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
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

Status Store::Exec(const std::string& sql, const std::vector<std::string>& params) {
  return Run(sql, params, nullptr);
}

StatusOr<std::vector<Row>> Store::Query(const std::string& sql, const std::vector<std::string>& params) {
  std::vector<Row> rows;
  RETURN_IF_ERROR(Run(sql, params, &rows));
  return rows;
}

Store::Transaction::Transaction(Store& store) : store_(store), lock_(store.mutex_) {
  outermost_ = store_.transaction_depth_++ == 0;
  if (outermost_) {
    store_.transaction_doomed_ = false;
    store_.after_commit_.clear();
    open_ = store_.Exec("BEGIN IMMEDIATE").ok();
    if (!open_) store_.transaction_doomed_ = true;
  } else {
    open_ = true;
  }
}

Store::Transaction::~Transaction() {
  if (open_) {
    if (outermost_) {
      (void)store_.Exec("ROLLBACK");
    } else {
      store_.transaction_doomed_ = true;
    }
  }
  --store_.transaction_depth_;
}

Status Store::Transaction::Commit() {
  if (!open_) return Internal("transaction did not begin");
  open_ = false;
  if (!outermost_) return Status::Ok();
  if (store_.transaction_doomed_) {
    (void)store_.Exec("ROLLBACK");
    return Internal("a nested transaction did not complete; rolled back");
  }
  Status committed = store_.Exec("COMMIT");
  if (!committed.ok()) {
    (void)store_.Exec("ROLLBACK");
    return committed;
  }
  std::vector<std::function<void()>> actions;
  actions.swap(store_.after_commit_);
  for (auto& action : actions) action();
  return Status::Ok();
}

void Store::RunAfterCommit(std::function<void()> action) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  if (transaction_depth_ == 0) {
    action();
  } else {
    after_commit_.push_back(std::move(action));
  }
}

StatusOr<std::string> Store::ModelDirectory(const std::string& project, const std::string& version, bool create) {
  const std::string path = JoinPath(JoinPath(JoinPath(dir_, "models"), project), version);
  if (create) RETURN_IF_ERROR(MakeDirectories(path));
  return path;
}

}  // namespace anomalens
