// A throwaway PostgreSQL cluster for tests: initdb in a temporary folder,
// the server on a free loopback port (and a socket in that folder), trust
// authentication for user "anomalens", removed when the object goes. Uses
// Debian's `postgresql` binaries (/usr/lib/postgresql/N/bin, or
// ANOMALENS_PG_BINDIR); as root, runs them as the `postgres` user.
#ifndef ANOMALENS_TESTS_POSTGRES_CLUSTER_H_
#define ANOMALENS_TESTS_POSTGRES_CLUSTER_H_

#include <memory>
#include <string>

namespace anomalens::testing {

class PostgresCluster {
 public:
  // nullptr when it cannot start; `why` says why (binaries absent: starts
  // with "PostgreSQL binaries not found").
  static std::unique_ptr<PostgresCluster> Start(std::string* why);
  ~PostgresCluster();

  // A new empty database's URL (postgresql://anomalens@127.0.0.1:PORT/NAME);
  // "" and `error` set on failure.
  std::string NewDatabase(std::string* error);
  int port() const { return port_; }

 private:
  PostgresCluster() = default;
  std::string bin_, dir_, run_as_;
  int port_ = 0;
  int databases_ = 0;
};

}  // namespace anomalens::testing

#endif  // ANOMALENS_TESTS_POSTGRES_CLUSTER_H_
