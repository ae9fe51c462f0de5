"""bench/cluster-load's driver (see there)."""
import argparse
import configparser
import glob
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

import boto3
import botocore.config
import botocore.exceptions


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def up(replicas, port):
    run = subprocess.run(["tools/cluster", "up", str(replicas), "--port", str(port or free_port())],
                         capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError("tools/cluster up failed: " + run.stdout + run.stderr)
    out = run.stdout.strip().splitlines()
    credentials = out[-2].split(": ", 1)[1]
    config = configparser.ConfigParser()
    config.read(credentials)
    return out[-1], os.path.dirname(credentials), config["default"]


def client(url, keys, attempts):
    return boto3.client("lookoutvision", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=keys["aws_access_key_id"], aws_secret_access_key=keys["aws_secret_access_key"],
                        config=botocore.config.Config(retries={"max_attempts": attempts, "mode": "standard"},
                                                      max_pool_connections=2))


def run(replicas, clients, seconds, kill_after, attempts, port):
    url, folder, keys = up(replicas, port)
    try:
        setup = client(url, keys, 3)
        setup.create_project(ProjectName="bench")
        stop = time.time() + seconds
        lock = threading.Lock()
        stats = {"reads": 0, "writes": 0, "failed": 0, "errors": {}}
        acknowledged = []

        def worker(w):
            c = client(url, keys, attempts)
            i = 0
            while time.time() < stop:
                i += 1
                write = i % 4 == 0  # one CreateProject in four: records to check afterwards
                name = f"w{w}-{i}"
                try:
                    if write:
                        c.create_project(ProjectName=name)
                    else:
                        c.describe_project(ProjectName="bench")
                    with lock:
                        stats["writes" if write else "reads"] += 1
                        if write:
                            acknowledged.append(name)
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    kind = type(e).__name__
                    if isinstance(e, botocore.exceptions.ClientError):
                        kind = e.response["Error"]["Code"]
                    with lock:
                        stats["failed"] += 1
                        stats["errors"][kind] = stats["errors"].get(kind, 0) + 1

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
        start = time.time()
        for t in threads:
            t.start()
        killed = None
        if kill_after is not None:
            time.sleep(kill_after)
            pidfile = sorted(glob.glob(os.path.join(folder, "replica-*.pid")))[-1]
            killed = os.path.basename(pidfile)[:-4]
            os.kill(int(open(pidfile).read()), signal.SIGKILL)
        for t in threads:
            t.join()
        elapsed = time.time() - start
        # Every acknowledged CreateProject is there once; nothing else is.
        listed, token = [], None
        while True:
            page = setup.list_projects(MaxResults=100, **({"NextToken": token} if token else {}))
            listed += [p["ProjectName"] for p in page["Projects"]]
            token = page.get("NextToken")
            if not token:
                break
        listed = [n for n in listed if n != "bench"]
        lost = sorted(set(acknowledged) - set(listed))
        duplicated = len(listed) - len(set(listed))
        # Created but not acknowledged: the client was told it failed (a retry
        # that then found the project would say ConflictException).
        unacknowledged = len(set(listed) - set(acknowledged))
        total = stats["reads"] + stats["writes"]
        return {"replicas": replicas, "clients": clients, "seconds": round(elapsed, 1), "sdk_attempts": attempts,
                "killed": killed, "requests_ok": total, "per_second": round(total / elapsed, 1),
                "failed": stats["failed"], "errors": stats["errors"], "writes_acknowledged": len(acknowledged),
                "lost": len(lost), "duplicated": duplicated, "created_but_reported_failed": unacknowledged}
    finally:
        subprocess.run(["tools/cluster", "down"], capture_output=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicas", default="1,2,3")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kill-after", type=float, default=None, help="kill -9 the last replica after S seconds")
    parser.add_argument("--attempts", default="3", help="the SDK's max_attempts (standard retry mode); 1: none")
    parser.add_argument("--port", type=int, default=0, help="the load balancer's port (0: a free one)")
    args = parser.parse_args()
    results = []
    for replicas in [int(r) for r in args.replicas.split(",")]:
        for attempts in [int(a) for a in args.attempts.split(",")]:
            r = run(replicas, args.clients, args.seconds, args.kill_after, attempts, args.port)
            print(json.dumps(r), flush=True)
            results.append(r)
    os.makedirs("build/bench", exist_ok=True)
    with open("build/bench/cluster_load.json", "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
