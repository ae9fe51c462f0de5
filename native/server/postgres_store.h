// The shared engine of Store (store.h): PostgreSQL through libpq, for
// replicas of `anomalens serve` that share one database
// (`serve --database postgresql://USER@HOST:PORT/DBNAME`). One connection a
// process, re-established when it breaks between transactions. A
// transaction takes a transaction-level advisory lock, so writes from all
// replicas are serialised as one SQLite file's are, and a request's checks
// and changes (a ClientToken with its effect) stay one unit across replicas.
#ifndef ANOMALENS_NATIVE_SERVER_POSTGRES_STORE_H_
#define ANOMALENS_NATIVE_SERVER_POSTGRES_STORE_H_

#include <memory>
#include <string>

#include "native/server/store.h"

namespace anomalens {

// Connects to `url` (libpq's connection URI; the password may come from
// PGPASSWORD or ~/.pgpass instead of the URL); model files go in `dir`.
StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& dir, const std::string& url);

// `sql` with each `?` outside quotes turned into $1, $2, ... (libpq's form).
std::string NumberPlaceholders(const std::string& sql);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_POSTGRES_STORE_H_
