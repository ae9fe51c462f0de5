"""The boto3/AWS CLI conformance suite (tests/conformance/test_lookout_api.py)
through HAProxy and 3 replicas on PostgreSQL: `tools/cluster up 3`, then the
suite pointed at the load balancer (ANOMALENS_ENDPOINT, lookout_server.py),
then `tools/cluster down`. Afterwards every replica must have answered some
of the suite's requests, and no request id may repeat across the replicas'
access logs. Tests that need a server of their own (other options, kill -9)
skip there; they run in lookout_conformance and lookout_conformance_postgresql.
Skips without Debian's postgresql or haproxy (fails under CI=true).

  ANOMALENS_CLI=build/native/anomalens ANOMALENS_SHARED_DIR=../shared \\
    /usr/bin/python3 tests/cluster/conformance_through_cluster.py [-k TEST]...
"""
import glob
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER = os.path.join(ROOT, "tools", "cluster")
REPLICAS = 3


def missing(message):
    if os.environ.get("CI") == "true":
        sys.exit(f"CI=true but {message}")
    print(f"skipped: {message}")
    sys.exit(0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        missing("PostgreSQL binaries not found (Debian's postgresql; tools/setup installs it)")
    if not shutil.which("haproxy"):
        missing("haproxy not found (Debian's haproxy; tools/setup installs it)")
    cli = os.path.abspath(os.environ.get("ANOMALENS_CLI", os.path.join(ROOT, "build/native/anomalens")))
    cookies = os.path.join(os.environ.get("ANOMALENS_SHARED_DIR", os.path.join(ROOT, "..", "shared")),
                           "data", "lookout-cookies")
    root = tempfile.mkdtemp(prefix="anomalens-cluster-conformance-")
    try:
        # The buckets the suite reads and writes, mapped on every replica (one machine: the shared file system).
        buckets = {"synth": os.path.join(root, "synth"), "out": os.path.join(root, "out")}
        subprocess.run([cli, "synth", "--output", buckets["synth"]], check=True, capture_output=True)
        os.makedirs(buckets["out"])
        if os.path.isdir(cookies):
            buckets["cookies"] = cookies
        # Two profiles, as the suite's own servers have (test_aws_cli signs with the second).
        credentials = os.path.join(root, "credentials")
        with open(credentials, "w") as f:
            for profile in ("default", "second"):
                f.write(f"[{profile}]\naws_access_key_id = AKID{secrets.token_hex(8).upper()}\n"
                        f"aws_secret_access_key = {secrets.token_urlsafe(24)}\n")
        # --quick-training, as the suite's own servers train; a short lease, as its PostgreSQL servers have.
        serve = ["--quick-training", "--training-lease-seconds", "5"]
        for name, path in buckets.items():
            serve += ["--bucket", f"{name}={path}"]
        env = dict(os.environ, ANOMALENS_CLI=cli)
        up = subprocess.run([CLUSTER, "up", str(REPLICAS), "--port", str(free_port()), "--credentials", credentials,
                             "--", *serve], env=env, capture_output=True, text=True, timeout=300)
        try:
            if up.returncode != 0:
                sys.exit("tools/cluster up failed:\n" + up.stdout + up.stderr)
            lines = up.stdout.strip().splitlines()
            url, used = lines[-1], lines[-2].split(": ", 1)[1]
            folder = os.path.dirname(used)
            print(lines[0], flush=True)
            env.update(ANOMALENS_ENDPOINT=url, ANOMALENS_ENDPOINT_CREDENTIALS=used,
                       ANOMALENS_ENDPOINT_BUCKETS=",".join(f"{n}={p}" for n, p in buckets.items()),
                       ANOMALENS_ENDPOINT_DATA_DIR=os.path.join(folder, "shared"),
                       ANOMALENS_ENDPOINT_LOGS=os.path.join(folder, "replica-*.access.log"))
            suite = subprocess.run([sys.executable, "-W", "ignore::ResourceWarning", "-m", "unittest", "discover",
                                    "-v", "-s", os.path.join(ROOT, "tests", "conformance"), "-p", "test_lookout_api.py",
                                    *sys.argv[1:]], env=env, cwd=ROOT)
            # Every replica served part of the suite, and request ids are unique across all of them.
            served, ids = {}, []
            for log in sorted(glob.glob(env["ANOMALENS_ENDPOINT_LOGS"])):
                with open(log) as f:
                    records = [json.loads(line) for line in f if line.startswith("{")]
                served[os.path.basename(log).split(".")[0]] = sum(1 for r in records if r["path"].startswith("/2020"))
                ids += [r["request_id"] for r in records]
            repeated = len(ids) - len(set(ids))
            print(f"through HAProxy: Lookout requests per replica {served}; {len(ids)} request ids, "
                  f"{repeated} repeated", flush=True)
            failures = []
            if suite.returncode != 0:
                failures.append(f"the suite failed (exit {suite.returncode})")
            if len(served) != REPLICAS or min(served.values()) == 0:
                failures.append(f"not every replica served requests: {served}")
            if repeated:
                failures.append(f"{repeated} request ids repeated across replicas")
            if failures:
                sys.exit("; ".join(failures))
        finally:
            subprocess.run([CLUSTER, "down"], env=env, capture_output=True, timeout=300)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
