"""Load on `anomalens serve`: DetectAnomalies throughput and latency from a
second process on loopback, with 1, 4 and 16 concurrent boto3 clients (each
its own thread and connection; every request signed with SigV4, as real
clients do). Trains and hosts a model first: Lookout's cookies when ../shared
is there, else the synthetic set. Prints a table and writes JSON.

  /usr/bin/python3 bench/server_load.py --anomalens build/native/anomalens [--requests 40] [--out FILE]

With --duration SECONDS, one sustained run instead: --clients N (default 16)
clients for that long, reporting requests served, failures, p50/p99 latency
and the server's resident memory (VmRSS) at the start (after one warm-up
request per client), every 30 s, and at the end:

  /usr/bin/python3 bench/server_load.py --duration 300 --clients 16
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "conformance"))
from lookout_server import LookoutServer  # noqa: E402


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anomalens", default="build/native/anomalens")
    ap.add_argument("--requests", type=int, default=40, help="requests per concurrency level")
    ap.add_argument("--out", default="build/bench/server_load.json")
    ap.add_argument("--duration", type=float, default=0, help="one sustained run of this many seconds")
    ap.add_argument("--clients", type=int, default=16, help="clients of the sustained run")
    args = ap.parse_args()

    cookies = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "lookout-cookies")
    work = tempfile.mkdtemp(prefix="anomalens-load-")
    if os.path.isdir(cookies):
        data, bucket_dir, key = "cookies", cookies, "manifests/train.manifest"
        image_path, content_type = os.path.join(cookies, "test-images", "test-anomaly-1.jpg"), "image/jpeg"
    else:
        data, bucket_dir, key = "synthetic", os.path.join(work, "synth"), "train.manifest"
        subprocess.run([args.anomalens, "synth", "--output", bucket_dir], check=True, capture_output=True)
        image_path, content_type = os.path.join(bucket_dir, "images", "anomaly-1.png"), "image/png"
    image = open(image_path, "rb").read()

    server = LookoutServer(args.anomalens, buckets={"data": bucket_dir})
    try:
        c = server.client()
        c.create_project(ProjectName="load")
        c.create_dataset(ProjectName="load", DatasetType="train",
                         DatasetSource={"GroundTruthManifest": {"S3Object": {"Bucket": "data", "Key": key}}})
        c.create_model(ProjectName="load", OutputConfig={"S3Location": {"Bucket": "out"}})
        while c.describe_model(ProjectName="load", ModelVersion="1")["ModelDescription"]["Status"] == "TRAINING":
            time.sleep(1)
        c.start_model(ProjectName="load", ModelVersion="1", MinInferenceUnits=1)
        while c.describe_model(ProjectName="load", ModelVersion="1")["ModelDescription"]["Status"] != "HOSTED":
            time.sleep(0.2)

        def drive(clients, per_client=None, deadline=None, on_tick=None):
            """`clients` threads, each sending `per_client` requests or until `deadline`."""
            latencies, failures = [], []
            lock = threading.Lock()
            warm = threading.Barrier(clients + 1)

            def run():
                client = server.client()
                client.detect_anomalies(ProjectName="load", ModelVersion="1", ContentType=content_type, Body=image)
                warm.wait()
                sent = 0
                while (per_client is not None and sent < per_client) or (
                        deadline is not None and time.perf_counter() < deadline[0]):
                    sent += 1
                    t = time.perf_counter()
                    try:
                        client.detect_anomalies(ProjectName="load", ModelVersion="1", ContentType=content_type,
                                                Body=image)
                        with lock:
                            latencies.append(time.perf_counter() - t)
                    except Exception as e:  # noqa: BLE001 - counted, reported
                        with lock:
                            failures.append(repr(e))

            threads = [threading.Thread(target=run) for _ in range(clients)]
            for t in threads:
                t.start()
            warm.wait()
            start = time.perf_counter()
            if deadline is not None:
                deadline[0] += start
                if on_tick:
                    on_tick(start)
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            if failures:
                print("failures:", failures[:3], file=sys.stderr)
            return {"clients": clients, "requests": len(latencies) + len(failures), "failed": len(failures),
                    "seconds": round(wall, 1), "throughput_rps": round(len(latencies) / wall, 2),
                    "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
                    "p99_ms": round(1000 * percentile(latencies, 99), 1) if latencies else None}

        if args.duration:
            rss = []

            def sample(start):
                # The server's memory every 30 s while the clients run.
                def loop():
                    while True:
                        rss.append((round(time.perf_counter() - start), rss_mib(server.process.pid)))
                        if time.perf_counter() >= start + args.duration:
                            return
                        time.sleep(min(30, max(0.1, start + args.duration - time.perf_counter())))
                threading.Thread(target=loop, daemon=True).start()

            row = drive(args.clients, deadline=[float(args.duration)], on_tick=sample)
            time.sleep(0.5)
            rss.append((round(row["seconds"]), rss_mib(server.process.pid)))
            row.update(rss_start_mib=rss[0][1], rss_end_mib=rss[-1][1], rss_max_mib=max(m for _, m in rss),
                       rss_samples=rss)
            print(f"DetectAnomalies on {data} ({os.path.basename(image_path)}), {os.cpu_count()} cores, loopback, "
                  f"SigV4: {args.clients} clients for {args.duration} s")
            for key in ("requests", "failed", "seconds", "throughput_rps", "p50_ms", "p99_ms", "rss_start_mib",
                        "rss_end_mib", "rss_max_mib"):
                print(f"  {key:>15}: {row[key]}")
            print("  RSS (s, MiB): " + ", ".join(f"{t}: {m}" for t, m in rss))
            os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
            with open(args.out, "w") as f:
                json.dump({"data": data, "image": os.path.basename(image_path), "cores": os.cpu_count(),
                           "sustained": row}, f, indent=2)
            return 1 if row["failed"] else 0

        rows = [drive(clients, per_client=max(1, args.requests // clients)) for clients in (1, 4, 16)]
        print(f"DetectAnomalies on {data} ({os.path.basename(image_path)}), {os.cpu_count()} cores, loopback, SigV4")
        print(f"{'clients':>8} {'requests':>9} {'failed':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
        for r in rows:
            print(f"{r['clients']:>8} {r['requests']:>9} {r['failed']:>7} {r['throughput_rps']:>8} "
                  f"{r['p50_ms']:>8} {r['p99_ms']:>8}")
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            json.dump({"data": data, "image": os.path.basename(image_path), "cores": os.cpu_count(), "rows": rows}, f,
                      indent=2)
        return 1 if any(r["failed"] for r in rows) else 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
