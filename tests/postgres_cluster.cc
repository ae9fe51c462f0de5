#include "postgres_cluster.h"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace anomalens::testing {
namespace {

std::string FindBinDir() {
  if (const char* env = std::getenv("ANOMALENS_PG_BINDIR")) {
    return std::filesystem::exists(std::string(env) + "/initdb") ? env : "";
  }
  std::string best;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string bin = entry.path().string() + "/bin";
    if (std::filesystem::exists(bin + "/initdb") && std::filesystem::exists(bin + "/pg_ctl") && bin > best) best = bin;
  }
  return best;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace

std::unique_ptr<PostgresCluster> PostgresCluster::Start(std::string* why) {
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  cluster->bin_ = FindBinDir();
  if (cluster->bin_.empty()) {
    *why = "PostgreSQL binaries not found (Debian's postgresql package: tools/setup installs it; or set "
           "ANOMALENS_PG_BINDIR)";
    return nullptr;
  }
  char pattern[] = "/tmp/anomalens-pg-XXXXXX";
  if (!mkdtemp(pattern)) {
    *why = "cannot make a temporary folder";
    return nullptr;
  }
  cluster->dir_ = pattern;
  if (geteuid() == 0) {
    // initdb refuses to run as root.
    const passwd* pw = getpwnam("postgres");
    if (!pw || chown(pattern, pw->pw_uid, pw->pw_gid) != 0) {
      *why = "running as root and there is no postgres user to run the cluster as";
      return nullptr;
    }
    cluster->run_as_ = "runuser -u postgres -- ";
  }
  cluster->port_ = FreePort();
  const std::string& d = cluster->dir_;
  const std::string initdb = cluster->run_as_ + cluster->bin_ + "/initdb -D " + d + "/data -U anomalens " +
                             "--auth=trust -E UTF8 --no-sync >" + d + "/initdb.log 2>&1";
  if (std::system(initdb.c_str()) != 0) {
    *why = "initdb failed (log in " + d + "/initdb.log)";
    return nullptr;
  }
  const std::string start = cluster->run_as_ + cluster->bin_ + "/pg_ctl -D " + d + "/data -l " + d +
                            "/server.log -w -t 60 -o \"-c listen_addresses=127.0.0.1 -p " +
                            std::to_string(cluster->port_) + " -k " + d + " -c fsync=off\" start >/dev/null 2>&1";
  if (std::system(start.c_str()) != 0) {
    *why = "pg_ctl start failed (log in " + d + "/server.log)";
    return nullptr;
  }
  return cluster;
}

PostgresCluster::~PostgresCluster() {
  if (dir_.empty()) return;
  const std::string stop =
      run_as_ + bin_ + "/pg_ctl -D " + dir_ + "/data -m immediate -w stop >/dev/null 2>&1";
  if (port_) (void)std::system(stop.c_str());
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PostgresCluster::NewDatabase(std::string* error) {
  const std::string base = "postgresql://anomalens@127.0.0.1:" + std::to_string(port_) + "/";
  const std::string name = "test" + std::to_string(++databases_);
  PGconn* conn = PQconnectdb((base + "postgres").c_str());
  std::string url;
  if (PQstatus(conn) != CONNECTION_OK) {
    *error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, ("CREATE DATABASE " + name).c_str());
    if (PQresultStatus(r) == PGRES_COMMAND_OK) url = base + name;
    else *error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  return url;
}

}  // namespace anomalens::testing
