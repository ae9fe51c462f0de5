"""Load on `anomalens serve`: DetectAnomalies throughput and latency from a
second process on loopback, with 1, 4 and 16 concurrent boto3 clients (each
its own thread and connection; every request signed with SigV4, as real
clients do). Trains and hosts a model first: Lookout's cookies when ../shared
is there, else the synthetic set. Prints a table and writes JSON.

  /usr/bin/python3 bench/server_load.py --anomalens build/native/anomalens [--requests 40] [--out FILE]
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anomalens", default="build/native/anomalens")
    ap.add_argument("--requests", type=int, default=40, help="requests per concurrency level")
    ap.add_argument("--out", default="build/bench/server_load.json")
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

        rows = []
        for clients in (1, 4, 16):
            per_client = max(1, args.requests // clients)
            latencies, failures = [], []
            lock = threading.Lock()

            def run():
                client = server.client()
                client.detect_anomalies(ProjectName="load", ModelVersion="1", ContentType=content_type, Body=image)
                for _ in range(per_client):
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
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            rows.append({"clients": clients, "requests": len(latencies) + len(failures), "failed": len(failures),
                         "throughput_rps": round(len(latencies) / wall, 2),
                         "p50_ms": round(1000 * statistics.median(latencies), 1),
                         "p99_ms": round(1000 * percentile(latencies, 99), 1)})
            if failures:
                print("failures:", failures[:3], file=sys.stderr)
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
