// The server's state in a data directory: SQLite metadata (DIR/anomalens.db,
// WAL journal, synchronous=FULL, so a committed change survives a crash and a
// kill -9 never leaves half of one) and model files beside it
// (DIR/models/<project>/<version>/model.anml, written atomically).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(dir));
//   Store::Transaction tx(*store);       // BEGIN IMMEDIATE; rolls back unless committed
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

struct sqlite3;

namespace anomalens {

// A result row: each column as text ("" for NULL).
using Row = std::vector<std::string>;

class Store {
 public:
  // Creates DIR and its schema when missing.
  static StatusOr<std::unique_ptr<Store>> Open(const std::string& dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // One statement; parameters bind as text (columns convert by affinity).
  // Each call holds the store's lock; use a Transaction to group them.
  Status Exec(const std::string& sql, const std::vector<std::string>& params = {});
  StatusOr<std::vector<Row>> Query(const std::string& sql, const std::vector<std::string>& params = {});

  // Holds the store's lock from BEGIN IMMEDIATE to COMMIT (or the rollback its
  // destructor does when Commit was not reached). Transactions nest: an inner
  // one joins the outer, its Commit only marks it done, and an inner one left
  // without Commit makes the outer's Commit fail (and roll back), so a request
  // and its ClientToken record commit as one.
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

 private:
  explicit Store(std::string dir) : dir_(std::move(dir)) {}
  Status Run(const std::string& sql, const std::vector<std::string>& params, std::vector<Row>* rows);

  std::string dir_;
  sqlite3* db_ = nullptr;
  std::recursive_mutex mutex_;
  int transaction_depth_ = 0;       // under mutex_
  bool transaction_doomed_ = false;  // an inner transaction did not commit
  std::vector<std::function<void()>> after_commit_;
};

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_STORE_H_
