// The server's state: metadata in a SQL engine, model files in a folder.
// Two engines hold the same records with the same transactions:
//   - SQLite (the default, embedded): DIR/anomalens.db, WAL journal,
//     synchronous=FULL, so a committed change survives a crash and a kill -9
//     never leaves half of one (sqlite_store.h);
//   - PostgreSQL through libpq (`serve --database postgresql://...`), for
//     replicas that share one database (postgres_store.h).
// Model files live under DIR/models/<project>/<version>/model.anml, written
// atomically; with PostgreSQL, DIR is the replicas' shared volume.
//
// SQL is written once for both: `?` placeholders, parameters bound as text
// (the engine converts them to the column's type), `INSERT ... ON CONFLICT
// (...) DO UPDATE`, and nothing either engine lacks.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(dir));
//   Store::Transaction tx(*store);       // the write lock; rolls back unless committed
//   tx.Exec("INSERT INTO projects VALUES (?, ?, ?)", {name, arn, now});
//   tx.Commit();
#ifndef ANOMALENS_NATIVE_SERVER_STORE_H_
#define ANOMALENS_NATIVE_SERVER_STORE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/base/status.h"

namespace anomalens {

// A result row: each column as text ("" for NULL).
using Row = std::vector<std::string>;

class Store {
 public:
  // SQLite in DIR (created with its schema when missing).
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& dir);
  // `database_url` "" : SQLite in DIR; "postgresql://..." (or "postgres://"):
  // that database, with model files in DIR. Either way the schema is
  // migrated to this build's version first (a newer one is refused).
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& dir, const std::string& database_url);
  virtual ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // One statement; parameters bind as text (the engine converts them to the
  // column's type). Each call holds the store's lock; use a Transaction to
  // group them.
  Status Exec(const std::string& sql, const std::vector<std::string>& params = {});
  StatusOr<std::vector<Row>> Query(const std::string& sql, const std::vector<std::string>& params = {});

  // Holds the store's lock and its engine's write lock (SQLite: BEGIN
  // IMMEDIATE; PostgreSQL: a transaction-level advisory lock, so replicas'
  // writes are serialised as one SQLite file's are) from its start to COMMIT
  // (or the rollback its destructor does when Commit was not reached).
  // Transactions nest: an inner one joins the outer, its Commit only marks it
  // done, and an inner one left without Commit makes the outer's Commit fail
  // (and roll back), so a request and its ClientToken record commit as one.
  class Transaction {
   public:
    explicit Transaction(Store& store);
    ~Transaction();
    Status Commit();

   private:
    Store& store_;
    std::unique_lock<std::recursive_mutex> lock_;
    bool outermost_ = false;
    bool open_ = false;
  };

  // Runs `action` once the current transaction commits (now, outside one);
  // dropped if it rolls back. For file changes that must follow the commit,
  // such as removing a deleted model's files.
  void RunAfterCommit(std::function<void()> action);

  const std::string& dir() const { return dir_; }
  // DIR/models/<project>/<version>; created when `create`.
  StatusOr<std::string> ModelDirectory(const std::string& project, const std::string& version, bool create);

  // "sqlite" or "postgresql".
  virtual const char* engine() const = 0;
  // The schema version the store is at (after Open: this build's).
  StatusOr<int> SchemaVersion();

 protected:
  explicit Store(std::string dir) : dir_(std::move(dir)) {}

  // The engine's side, always called under mutex_.
  virtual Status Run(const std::string& sql, const std::vector<std::string>& params, std::vector<Row>* rows) = 0;
  // Several statements without parameters (schema migrations).
  virtual Status RunScript(const std::string& sql) = 0;
  // Starts a transaction holding the engine's write lock.
  virtual Status Begin() = 0;
  // Migrations()[i] takes the schema from version i to i + 1.
  virtual const std::vector<std::string>& Migrations() const = 0;

  // Brings the schema to Migrations().size(), one transaction for all steps.
  Status Migrate();

  std::recursive_mutex mutex_;
  int transaction_depth_ = 0;  // under mutex_

 private:
  std::string dir_;
  bool transaction_doomed_ = false;  // an inner transaction did not commit
  std::vector<std::function<void()>> after_commit_;
};

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_STORE_H_
