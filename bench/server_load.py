"""Load on `anomalens serve`: DetectAnomalies throughput and latency from a
second process on loopback, with 1, 4 and 16 concurrent boto3 clients (each
its own thread and connection; every request signed with SigV4, as real
clients do). Trains and hosts a model first: Lookout's cookies when ../shared
is there, else the synthetic set. Prints a table and writes JSON.

  /usr/bin/python3 bench/server_load.py --anomalens build/native/anomalens [--requests 40] [--out FILE]

With --before BIN, a second server (another build, e.g. main's in its own
worktree) runs the same load in the same run: both train and host the same
model, then each level of clients alternates between them, --rounds times
(the one measured first changes each round), so both see the same machine.
The table then has a row per server and level, and the ratio of their
throughputs. CPU ms/req is the server process's CPU time (user + system)
over the requests it answered: what one request costs it, whatever the
other programs on the machine take. Client CPU is this load generator's own
(boto3, SigV4, all its threads) a request: it runs on the same cores, so
what it takes the server does not get.

  /usr/bin/python3 bench/server_load.py --anomalens build/native/anomalens \
      --before ../wt-main/build/native/anomalens --requests 96 --rounds 2

With --duration SECONDS, one sustained run instead: --clients N (default 16)
clients for that long, reporting requests served, failures, p50/p99 latency
and the server's resident memory (VmRSS) at the start (after one warm-up
request per client), every 30 s, and at the end:

  /usr/bin/python3 bench/server_load.py --duration 300 --clients 16
"""
import argparse
import json
import os
import shlex
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


def cpu_seconds(pid):
    """The process's CPU time so far (user + system), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--anomalens", default="build/native/anomalens")
    ap.add_argument("--requests", type=int, default=40, help="requests per concurrency level")
    ap.add_argument("--out", default="build/bench/server_load.json")
    ap.add_argument("--duration", type=float, default=0, help="one sustained run of this many seconds")
    ap.add_argument("--clients", type=int, default=16, help="clients of the sustained run")
    ap.add_argument("--before", help="a second anomalens binary measured in the same run, alternating")
    ap.add_argument("--rounds", type=int, default=0, help="measurements of each level per server "
                    "(default 1; 2 with --before), their requests and times summed")
    ap.add_argument("--levels", default="1,4,16", help="the numbers of concurrent clients, comma-separated")
    ap.add_argument("--server-args", default="", help="more `serve` options for --anomalens' server")
    ap.add_argument("--before-args", default="", help="more `serve` options for --before's server")
    args = ap.parse_args()
    rounds = args.rounds or (2 if args.before else 1)
    levels = [int(x) for x in args.levels.split(",")]

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

    servers = []

    def start(name, binary, extra):
        """A server with the model trained (CreateModel) and hosted."""
        server = LookoutServer(binary, buckets={"data": bucket_dir}, extra_args=tuple(shlex.split(extra)))
        servers.append((name, server))  # stopped at the end whatever happens next
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
        c.close()
        return server

    try:
        # One at a time: each trains alone.
        server = start("after" if args.before else "server", args.anomalens, args.server_args)
        if args.before:
            start("before", args.before, args.before_args)

        def drive(clients, per_client=None, deadline=None, on_tick=None, server=server):
            """`clients` threads, each sending `per_client` requests or until `deadline`."""
            latencies, failures = [], []
            lock = threading.Lock()
            warm = threading.Barrier(clients + 1)
            # Set once the deadline is absolute: a client that read it before
            # would stop at once (a sustained run had ~4 of 16 clients running).
            go = threading.Event()

            def run():
                client = server.client()
                client.detect_anomalies(ProjectName="load", ModelVersion="1", ContentType=content_type, Body=image)
                warm.wait()
                go.wait()
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
                # Its kept-alive connection closed now: left open it would hold
                # one of the server's HTTP workers (httplib waits 5 s on an
                # idle connection), and the next level's clients would queue
                # behind it (p99 5.3 s at 16 clients while it did).
                client.close()

            threads = [threading.Thread(target=run) for _ in range(clients)]
            for t in threads:
                t.start()
            warm.wait()
            cpu_start = cpu_seconds(server.process.pid)
            client_cpu_start = time.process_time()
            start = time.perf_counter()
            if deadline is not None:
                deadline[0] += start
                if on_tick:
                    on_tick(start)
            go.set()
            for t in threads:
                t.join()
            wall = time.perf_counter() - start
            cpu = cpu_seconds(server.process.pid) - cpu_start
            client_cpu = time.process_time() - client_cpu_start
            if failures:
                print("failures:", failures[:3], file=sys.stderr)
            return {"clients": clients, "requests": len(latencies) + len(failures), "failed": len(failures),
                    "seconds": round(wall, 1), "throughput_rps": round(len(latencies) / wall, 2),
                    "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
                    "p99_ms": round(1000 * percentile(latencies, 99), 1) if latencies else None,
                    "cpu_ms_per_request": round(1000 * cpu / max(1, len(latencies) + len(failures)), 1),
                    "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, len(latencies) + len(failures)), 1),
                    "latencies": latencies, "wall": wall, "cpu": cpu, "client_cpu": client_cpu}

        def merged(parts):
            """One row from a level's rounds: requests and times summed, percentiles over all."""
            latencies = [x for p in parts for x in p["latencies"]]
            wall, cpu = sum(p["wall"] for p in parts), sum(p["cpu"] for p in parts)
            client_cpu = sum(p["client_cpu"] for p in parts)
            requests, failed = sum(p["requests"] for p in parts), sum(p["failed"] for p in parts)
            return {"clients": parts[0]["clients"], "requests": requests, "failed": failed, "rounds": len(parts),
                    "seconds": round(wall, 1), "throughput_rps": round(len(latencies) / wall, 2),
                    "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
                    "p99_ms": round(1000 * percentile(latencies, 99), 1) if latencies else None,
                    "cpu_ms_per_request": round(1000 * cpu / max(1, requests), 1),
                    "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, requests), 1)}

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
            for internal in ("latencies", "wall", "cpu", "client_cpu"):
                row.pop(internal)
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

        load_start = os.getloadavg()[0]
        parts = {name: {} for name, _ in servers}
        for clients in levels:
            for r in range(rounds):
                # Alternate who goes first, so neither always meets the machine as the other left it.
                for name, srv in (servers if r % 2 == 0 else servers[::-1]):
                    parts[name].setdefault(clients, []).append(
                        drive(clients, per_client=max(1, args.requests // clients), server=srv))
        rows = {name: [merged(parts[name][clients]) for clients in levels] for name, _ in servers}
        load_end = os.getloadavg()[0]
        print(f"DetectAnomalies on {data} ({os.path.basename(image_path)}), {os.cpu_count()} cores, loopback, SigV4; "
              f"{rounds} round(s) a level; load average {load_start:.1f} at the start, {load_end:.1f} at the end")
        print(f"{'clients':>8} {'server':>7} {'requests':>9} {'failed':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'CPU ms/req':>11} {'client CPU':>11}")
        for i, clients in enumerate(levels):
            for name, _ in servers[::-1]:
                r = rows[name][i]
                print(f"{r['clients']:>8} {name:>7} {r['requests']:>9} {r['failed']:>7} {r['throughput_rps']:>8} "
                      f"{r['p50_ms']:>8} {r['p99_ms']:>8} {r['cpu_ms_per_request']:>11} {r['client_cpu_ms_per_request']:>11}")
        out = {"data": data, "image": os.path.basename(image_path), "cores": os.cpu_count(), "rounds": rounds,
               "load_average": [load_start, load_end], "rows": rows[servers[0][0]]}
        if args.before:
            out["before_rows"] = rows["before"]
            out["ratio_rps"] = {str(a["clients"]): round(a["throughput_rps"] / b["throughput_rps"], 2)
                                for a, b in zip(rows["after"], rows["before"]) if b["throughput_rps"]}
            print("after / before, req/s: " + ", ".join(f"{c} clients {x}x" for c, x in out["ratio_rps"].items()))
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(out, f, indent=2)
        return 1 if any(r["failed"] for rs in rows.values() for r in rs) else 0
    finally:
        for _, srv in servers:
            srv.stop()


if __name__ == "__main__":
    sys.exit(main())
