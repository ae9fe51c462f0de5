// LookoutService: the training queue in the store, shared by every server
// on it. CreateModel inserts a job with its model (one transaction); any
// server's trainer claims the oldest unclaimed one, holds a lease on it that
// a thread renews while training runs, and records the outcome only while
// it still holds the job. A job whose lease runs out (its server was killed,
// or lost the store for longer than the lease) ends TRAINING_FAILED with a
// message; it is not retried, as CreateModel on Lookout was not: the client
// trains a new version. Claims run under the store's write lock (store.h),
// which serialises them across servers as `SELECT ... FOR UPDATE SKIP
// LOCKED` would, on SQLite too.
#include "native/server/lookout_errors.h"
#include "native/server/lookout_service.h"

namespace anomalens {

bool LookoutService::ClaimTrainingJob(std::string* project, std::string* version) {
  Store::Transaction tx(*store_);
  // Checked under the store's write lock, which ReleaseTraining's
  // transaction also takes: a drain either sees this claim committed and
  // releases it, or is seen here and no job is claimed.
  {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    if (released_) return false;
  }
  auto rows = ValueOrThrow(store_->Query(
      "SELECT project, version FROM training_jobs WHERE owner = '' ORDER BY created, project, version LIMIT 1"));
  if (rows.empty()) return false;
  ThrowIfError(store_->Exec("UPDATE training_jobs SET owner = ?, lease_until = ? WHERE project = ? AND version = ?",
                            {replica_id_, std::to_string(NowSeconds() + options_.training_lease_seconds), rows[0][0],
                             rows[0][1]}));
  ThrowIfError(tx.Commit());
  *project = rows[0][0];
  *version = rows[0][1];
  return true;
}

void LookoutService::ExpireTrainingLeases() {
  Store::Transaction tx(*store_);
  auto expired = ValueOrThrow(store_->Query(
      "SELECT project, version, owner FROM training_jobs WHERE owner <> '' AND lease_until < ?",
      {std::to_string(NowSeconds())}));
  if (expired.empty()) return;
  for (const Row& job : expired) {
    UpdateModel(job[0], job[1],
                {{"Status", "TRAINING_FAILED"},
                 {"StatusMessage", "The server training the model (" + job[2] +
                                       ") stopped: its lease on the job ran out. Train a new model."}});
    ThrowIfError(store_->Exec("DELETE FROM training_jobs WHERE project = ? AND version = ?", {job[0], job[1]}));
  }
  ThrowIfError(tx.Commit());
}

bool LookoutService::RenewTrainingLease(const std::string& project, const std::string& version) {
  Store::Transaction tx(*store_);
  auto ours = ValueOrThrow(store_->Query(
      "SELECT 1 FROM training_jobs WHERE project = ? AND version = ? AND owner = ?", {project, version, replica_id_}));
  if (ours.empty()) return false;
  ThrowIfError(store_->Exec("UPDATE training_jobs SET lease_until = ? WHERE project = ? AND version = ?",
                            {std::to_string(NowSeconds() + options_.training_lease_seconds), project, version}));
  ThrowIfError(tx.Commit());
  return true;
}

void LookoutService::FinishTraining(const std::string& project, const std::string& version, const Json& fields) {
  Store::Transaction tx(*store_);
  auto ours = ValueOrThrow(store_->Query(
      "SELECT 1 FROM training_jobs WHERE project = ? AND version = ? AND owner = ?", {project, version, replica_id_}));
  if (ours.empty()) return;  // expired and failed elsewhere, or released on a drain: the outcome stands
  UpdateModel(project, version, fields);
  ThrowIfError(store_->Exec("DELETE FROM training_jobs WHERE project = ? AND version = ?", {project, version}));
  ThrowIfError(tx.Commit());
}

void LookoutService::ReleaseTraining() {
  {
    std::lock_guard<std::mutex> lock(jobs_mutex_);
    released_ = true;  // no further claims (see ClaimTrainingJob)
  }
  // Every job the store says is ours, not just the trainer's current one: a
  // job is claimed in the store before the trainer records it as current.
  try {
    Store::Transaction tx(*store_);
    auto ours =
        ValueOrThrow(store_->Query("SELECT project, version FROM training_jobs WHERE owner = ?", {replica_id_}));
    for (const Row& job : ours) {
      UpdateModel(job[0], job[1],
                  {{"Status", "TRAINING_FAILED"},
                   {"StatusMessage", "The server stopped while the model was training. Train a new model."}});
      ThrowIfError(store_->Exec("DELETE FROM training_jobs WHERE project = ? AND version = ?", {job[0], job[1]}));
    }
    ThrowIfError(tx.Commit());
  } catch (...) {
    // The store is gone: the lease runs out instead.
  }
}

}  // namespace anomalens
