"""bench/store-overhead's driver (see there)."""
import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "conformance"))
from postgres_cluster import PostgresCluster  # noqa: E402


def start_server(binary, data_dir, database):
    args = [binary, "serve", "--no-auth", "--port", "0", "--data-dir", data_dir, "--access-log", "none"]
    if database:
        args += ["--database", database]
    log = open(os.path.join(data_dir + ".stderr"), "w+")
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(1200):
        with open(log.name) as f:
            m = re.search(r"listening on http://[^:]+:(\d+)", f.read())
        if m:
            return process, int(m.group(1))
        if process.poll() is not None:
            raise RuntimeError(open(log.name).read())
        time.sleep(0.05)
    raise RuntimeError("serve did not start")


def timed(conn, method, path, body, n):
    latencies = []
    for i in range(n):
        start = time.perf_counter()
        conn.request(method, path(i), body=body(i), headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path(i)}: HTTP {response.status}")
        latencies.append(time.perf_counter() - start)
    latencies.sort()
    return {"requests": n, "per_second": round(n / sum(latencies), 1),
            "mean_ms": round(1000 * sum(latencies) / n, 3), "p50_ms": round(1000 * latencies[n // 2], 3),
            "p99_ms": round(1000 * latencies[min(n - 1, int(n * 0.99))], 3)}


def measure(binary, engine, requests):
    root = tempfile.mkdtemp(prefix="anomalens-store-bench-")
    cluster = None
    try:
        database = None
        if engine == "postgresql":
            cluster = PostgresCluster(fsync=True)  # durable, as SQLite's synchronous=FULL
            database = cluster.url_for(os.path.join(root, "data"))
        process, port = start_server(binary, os.path.join(root, "data"), database)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port)
            conn.request("POST", "/2020-11-20/projects", body=json.dumps({"ProjectName": "bench"}),
                         headers={"Content-Type": "application/json"})
            conn.getresponse().read()
            arn = "arn%3Aaws%3Alookoutvision%3Aus-east-1%3A000000000000%3Aproject%2Fbench"
            read = timed(conn, "GET", lambda i: "/2020-11-20/projects/bench", lambda i: None, requests)
            write = timed(conn, "POST", lambda i: f"/2020-11-20/tags/{arn}",
                          lambda i: json.dumps({"Tags": [{"Key": f"k{i % 40}", "Value": str(i)}]}), requests)
            return {"engine": engine, "DescribeProject": read, "TagResource": write}
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--anomalens", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    results = [measure(args.anomalens, engine, args.requests) for engine in ("sqlite", "postgresql")]
    print("| engine | call | requests | req/s (one client) | mean ms | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        for call in ("DescribeProject", "TagResource"):
            m = r[call]
            print(f"| {r['engine']} | {call} | {m['requests']} | {m['per_second']} | {m['mean_ms']} | "
                  f"{m['p50_ms']} | {m['p99_ms']} |")
    os.makedirs("build/bench", exist_ok=True)
    with open("build/bench/store_overhead.json", "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
