#include "native/server/store.h"

#include "native/jobs/file_io.h"
#include "native/server/postgres_store.h"
#include "native/server/sqlite_store.h"

namespace anomalens {

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir) { return Open(dir, ""); }

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir, const std::string& database_url) {
  RETURN_IF_ERROR(MakeDirectories(dir));
  std::unique_ptr<Store> store;
  if (database_url.empty()) {
    ASSIGN_OR_RETURN(store, OpenSqliteStore(dir));
  } else if (database_url.rfind("postgresql://", 0) == 0 || database_url.rfind("postgres://", 0) == 0) {
    ASSIGN_OR_RETURN(store, OpenPostgresStore(dir, database_url));
  } else {
    return InvalidInput("--database must be a postgresql:// URL (postgresql://USER@HOST:PORT/DBNAME); got '" +
                        database_url.substr(0, database_url.find(':')) + ":...'");
  }
  RETURN_IF_ERROR(store->Migrate());
  return store;
}

Store::~Store() = default;

Status Store::Exec(const std::string& sql, const std::vector<std::string>& params) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  return Run(sql, params, nullptr);
}

StatusOr<std::vector<Row>> Store::Query(const std::string& sql, const std::vector<std::string>& params) {
  std::lock_guard<std::recursive_mutex> lock(mutex_);
  std::vector<Row> rows;
  RETURN_IF_ERROR(Run(sql, params, &rows));
  return rows;
}

StatusOr<int> Store::SchemaVersion() {
  ASSIGN_OR_RETURN(std::vector<Row> rows, Query("SELECT MAX(version) FROM schema_version"));
  return rows.empty() || rows[0][0].empty() ? 0 : std::stoi(rows[0][0]);
}

Status Store::Migrate() {
  const int latest = static_cast<int>(Migrations().size());
  // Under the write lock, so replicas starting together migrate once.
  Transaction tx(*this);
  RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  // A store from before versioning has the version 1 tables and no row: its
  // migration 1 (CREATE TABLE IF NOT EXISTS) changes nothing.
  ASSIGN_OR_RETURN(int current, SchemaVersion());
  if (current > latest) {
    return Unsupported(std::string("the ") + engine() + " store's schema is version " + std::to_string(current) +
                       "; this anomalens knows versions up to " + std::to_string(latest) +
                       ": run a newer anomalens on it");
  }
  for (int v = current; v < latest; ++v) {
    std::lock_guard<std::recursive_mutex> lock(mutex_);
    const Status applied = RunScript(Migrations()[static_cast<size_t>(v)]);
    if (!applied.ok()) {
      return Internal("schema migration " + std::to_string(v) + " -> " + std::to_string(v + 1) + " failed: " +
                      applied.message());
    }
  }
  if (current < latest) {
    RETURN_IF_ERROR(Exec("DELETE FROM schema_version"));
    RETURN_IF_ERROR(Exec("INSERT INTO schema_version VALUES (?)", {std::to_string(latest)}));
  }
  return tx.Commit();
}

Store::Transaction::Transaction(Store& store) : store_(store), lock_(store.mutex_) {
  outermost_ = store_.transaction_depth_++ == 0;
  if (outermost_) {
    store_.transaction_doomed_ = false;
    store_.after_commit_.clear();
    open_ = store_.Begin().ok();
    if (!open_) store_.transaction_doomed_ = true;
  } else {
    open_ = true;
  }
}

Store::Transaction::~Transaction() {
  if (open_) {
    if (outermost_) {
      (void)store_.Run("ROLLBACK", {}, nullptr);
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
    (void)store_.Run("ROLLBACK", {}, nullptr);
    return Internal("a nested transaction did not complete; rolled back");
  }
  Status committed = store_.Run("COMMIT", {}, nullptr);
  if (!committed.ok()) {
    (void)store_.Run("ROLLBACK", {}, nullptr);
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
