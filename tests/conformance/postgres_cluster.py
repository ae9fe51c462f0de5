"""A throwaway PostgreSQL cluster for the conformance suite on the
PostgreSQL engine (ANOMALENS_DATABASE=postgresql): initdb in a temporary
folder, the server on a free loopback port, trust authentication for user
"anomalens", stopped and removed at exit. One database per server data
folder, so a test that restarts a server on its data folder finds its
records again. As root, the binaries run as the `postgres` user. Missing
binaries skip the suite with a message, and fail it when CI=true; the C++
twin is tests/postgres_cluster.cc.
"""
import atexit
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import unittest


def _bin_dir():
    env = os.environ.get("ANOMALENS_PG_BINDIR")
    if env:
        return env if os.path.exists(os.path.join(env, "initdb")) else None
    found = sorted(d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.path.exists(os.path.join(d, "initdb")))
    return found[-1] if found else None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    def __init__(self, fsync=False):
        """fsync=False for tests (faster, and the cluster is thrown away);
        benchmarks keep PostgreSQL's default durability."""
        self.bin = _bin_dir()
        if not self.bin:
            message = "PostgreSQL binaries not found (Debian's postgresql: tools/setup installs it)"
            if os.environ.get("CI") == "true":
                raise AssertionError("CI=true but " + message)
            print("\nskipped: " + message, file=sys.stderr)
            raise unittest.SkipTest(message)
        self.root = tempfile.mkdtemp(prefix="anomalens-pg-")
        self.run_as = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self.run_as = ["runuser", "-u", "postgres", "--"]
        self.port = _free_port()
        self.databases = {}
        data = os.path.join(self.root, "data")
        self._run("initdb", "-D", data, "-U", "anomalens", "--auth=trust", "-E", "UTF8", "--no-sync")
        self._run("pg_ctl", "-D", data, "-l", os.path.join(self.root, "server.log"), "-w", "-t", "60", "-o",
                  f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync={'on' if fsync else 'off'}",
                  "start")
        atexit.register(self.stop)

    def _run(self, tool, *args):
        subprocess.run(self.run_as + [os.path.join(self.bin, tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def url_for(self, data_dir):
        """The database of a server data folder (created on first use)."""
        key = os.path.realpath(data_dir)
        if key not in self.databases:
            name = f"conformance{len(self.databases) + 1}"
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "anomalens", name)
            self.databases[key] = f"postgresql://anomalens@127.0.0.1:{self.port}/{name}"
        return self.databases[key]

    def stop(self):
        if self.root and os.path.exists(self.root):
            subprocess.run(self.run_as + [os.path.join(self.bin, "pg_ctl"), "-D", os.path.join(self.root, "data"),
                                          "-m", "immediate", "-w", "stop"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            shutil.rmtree(self.root, ignore_errors=True)


_cluster = None


def database_url(data_dir):
    """The --database URL for a server on `data_dir`, or None on SQLite."""
    global _cluster
    if os.environ.get("ANOMALENS_DATABASE", "sqlite") != "postgresql":
        return None
    if _cluster is None:
        _cluster = PostgresCluster()
    return _cluster.url_for(data_dir)
