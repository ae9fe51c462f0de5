"""tools/cluster up/down: PostgreSQL, 3 replicas and HAProxy on loopback.
Through the load balancer boto3 works with the printed credentials; every
replica answers the same; a replica killed with SIGKILL is taken out while
requests keep succeeding; `down` leaves no process and no folder behind.
Skips without Debian's postgresql or haproxy (fails under CI=true).

  ANOMALENS_CLI=build/native/anomalens /usr/bin/python3 -m unittest discover -v -s tests/cluster
"""
import configparser
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import unittest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CLUSTER = os.path.join(ROOT, "tools", "cluster")


def missing(message):
    if os.environ.get("CI") == "true":
        raise AssertionError("CI=true but " + message)
    print("\nskipped: " + message, file=sys.stderr)
    raise unittest.SkipTest(message)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie of ours counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class ClusterUpDown(unittest.TestCase):
    def setUp(self):
        if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
            missing("PostgreSQL binaries not found (Debian's postgresql; tools/setup installs it)")
        if not shutil.which("haproxy"):
            missing("haproxy not found (Debian's haproxy; tools/setup installs it)")
        try:
            import boto3  # noqa: F401
        except ImportError:
            missing("boto3 not importable by " + sys.executable)
        self.env = dict(os.environ, ANOMALENS_CLI=os.path.abspath(os.environ.get("ANOMALENS_CLI",
                                                                               "build/native/anomalens")))

    def test_up_serves_through_haproxy_survives_a_kill_and_down_leaves_nothing(self):
        import boto3
        import botocore.config
        port = free_port()
        up = subprocess.run([CLUSTER, "up", "3", "--port", str(port)], env=self.env, capture_output=True, text=True,
                            timeout=300)
        try:
            self.assertEqual(up.returncode, 0, up.stdout + up.stderr)
            lines = up.stdout.strip().splitlines()
            self.assertEqual(lines[-1], f"http://127.0.0.1:{port}")
            self.assertTrue(lines[-2].startswith("credentials: "), lines)
            credentials = lines[-2].split(": ", 1)[1]
            folder = os.path.dirname(credentials)
            config = configparser.ConfigParser()
            config.read(credentials)
            key = config["default"]["aws_access_key_id"]
            secret = config["default"]["aws_secret_access_key"]

            def client(url, attempts=3):
                return boto3.client("lookoutvision", endpoint_url=url, region_name="us-east-1",
                                    aws_access_key_id=key, aws_secret_access_key=secret,
                                    config=botocore.config.Config(retries={"max_attempts": attempts,
                                                                           "mode": "standard"}))

            lb = client(lines[-1])
            for i in range(9):
                lb.create_project(ProjectName=f"p{i}")
            replicas = {}
            for log in sorted(glob.glob(os.path.join(folder, "replica-*.log"))):
                if log.endswith(".access.log"):
                    continue
                replica_port = re.search(r"listening on http://[^:]+:(\d+)", open(log).read()).group(1)
                pid = int(open(log[:-len(".log")] + ".pid").read())
                replicas[pid] = client(f"http://127.0.0.1:{replica_port}", attempts=1)
            self.assertEqual(len(replicas), 3)
            expected = [f"p{i}" for i in range(9)]
            for replica in replicas.values():  # the same records on every replica
                self.assertEqual(sorted(p["ProjectName"] for p in replica.list_projects()["Projects"]), expected)

            # kill -9 one replica; HAProxy retries connection failures elsewhere and its
            # health check takes the replica out.
            victim = next(iter(replicas))
            os.kill(victim, signal.SIGKILL)
            for i in range(9, 30):
                lb.create_project(ProjectName=f"p{i}")
            self.assertEqual(len(lb.list_projects(MaxResults=100)["Projects"]), 30)
            pids = [int(open(p).read()) for p in glob.glob(os.path.join(folder, "*.pid"))]
        finally:
            down = subprocess.run([CLUSTER, "down"], env=self.env, capture_output=True, text=True, timeout=300)
        self.assertEqual(down.returncode, 0, down.stdout + down.stderr)
        self.assertFalse(os.path.exists(folder), "the cluster's folder is left behind")
        self.assertFalse(os.path.exists(os.path.join(ROOT, "build", "cluster.dir")))
        time.sleep(0.5)
        self.assertEqual([p for p in pids if alive(p)], [], "processes left behind")
        postgres = subprocess.run(["pgrep", "-f", folder], capture_output=True, text=True).stdout.split()
        self.assertEqual(postgres, [], "PostgreSQL left behind")


if __name__ == "__main__":
    unittest.main()
