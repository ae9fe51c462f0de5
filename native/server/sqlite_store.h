// The embedded engine of Store (store.h): SQLite in DIR/anomalens.db, one
// connection, WAL journal, synchronous=FULL. The default: `serve --data-dir`.
#ifndef ANOMALENS_NATIVE_SERVER_SQLITE_STORE_H_
#define ANOMALENS_NATIVE_SERVER_SQLITE_STORE_H_

#include <memory>
#include <string>

#include "native/server/store.h"

namespace anomalens {

// Opens (creating when missing) DIR/anomalens.db; Store::Open migrates it.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& dir);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_SQLITE_STORE_H_
