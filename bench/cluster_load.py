"""bench/cluster-load's driver (see there)."""
import argparse
import configparser
import datetime
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
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


def up(replicas, port, serve_args=()):
    run = subprocess.run(["tools/cluster", "up", str(replicas), "--port", str(port or free_port()), "--",
                          *serve_args], capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError("tools/cluster up failed: " + run.stdout + run.stderr)
    out = run.stdout.strip().splitlines()
    credentials = out[-2].split(": ", 1)[1]
    config = configparser.ConfigParser()
    config.read(credentials)
    database = re.search(r"postgresql://[^\s,]+", out[0]).group(0)
    return out[-1], os.path.dirname(credentials), config["default"], database


def training_owner_pid(database, project):
    """The pid of the replica holding the lease on `project`'s training job
    (the owner is "host:pid:start", service_projects.cc), or None."""
    psql = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    out = subprocess.run([psql, database, "-Atc", f"SELECT owner FROM training_jobs WHERE project = '{project}'"],
                         capture_output=True, text=True).stdout.strip()
    return int(out.split(":")[-2]) if out.count(":") >= 2 else None


def haproxy_counters(folder):
    """HAProxy's own counts so far (its stats socket, tools/cluster-haproxy.cfg):
    requests it sent again to another replica, and the 5xx it answered."""
    import csv
    import socket
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(os.path.join(folder, "haproxy.sock"))
        s.sendall(b"show stat\n")
        text = b""
        while chunk := s.recv(65536):
            text += chunk
    rows = list(csv.DictReader(text.decode().lstrip("# ").splitlines()))
    backend = next(r for r in rows if r["pxname"] == "replicas" and r["svname"] == "BACKEND")
    frontend = next(r for r in rows if r["pxname"] == "lookout" and r["svname"] == "FRONTEND")
    return {"retries": int(backend["wretr"] or 0), "redispatches": int(backend["wredis"] or 0),
            "response_errors": int(backend["eresp"] or 0), "answered_5xx": int(frontend["hrsp_5xx"] or 0)}


def wait_model(c, project, version, done, timeout):
    deadline = time.time() + timeout
    while True:
        d = c.describe_model(ProjectName=project, ModelVersion=version)["ModelDescription"]
        if d["Status"] in done or time.time() > deadline:
            return d
        time.sleep(0.5)


def prepare_work(c, image_bucket):
    """The failover run's real work, through the load balancer before the
    load: project "bench" with a hosted model (its detections are in the
    mix), and project "failover-training" with a dataset, trained during
    the load on the replica that is then killed."""
    for project in ("bench", "failover-training"):
        c.create_dataset(ProjectName=project, DatasetType="train", DatasetSource={
            "GroundTruthManifest": {"S3Object": {"Bucket": image_bucket, "Key": "train.manifest"}}})
    c.create_model(ProjectName="bench", OutputConfig={"S3Location": {"Bucket": "out"}}, ClientToken="bench-1")
    d = wait_model(c, "bench", "1", {"TRAINED", "TRAINING_FAILED"}, 600)
    if d["Status"] != "TRAINED":
        raise RuntimeError(f"the hosted model did not train: {d}")
    c.start_model(ProjectName="bench", ModelVersion="1", MinInferenceUnits=1)
    if wait_model(c, "bench", "1", {"HOSTED", "HOSTING_FAILED"}, 120)["Status"] != "HOSTED":
        raise RuntimeError("the model was not hosted")


def client(url, keys, attempts):
    return boto3.client("lookoutvision", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=keys["aws_access_key_id"], aws_secret_access_key=keys["aws_secret_access_key"],
                        config=botocore.config.Config(retries={"max_attempts": attempts, "mode": "standard"},
                                                      max_pool_connections=2))


def run(replicas, clients, seconds, kill_after, attempts, port, lease_seconds, work_dir):
    # Failover runs carry real work: detections on a hosted model in the mix,
    # and a training on the replica that is killed (a short lease, so it
    # fails within the run). Scale runs keep the store-bound mix only.
    work = kill_after is not None
    serve_args = []
    if work:
        serve_args = ["--quick-training", "--training-lease-seconds", str(lease_seconds),
                      "--bucket", "synth=" + os.path.join(work_dir, "synth"), "--bucket", "out=" + work_dir]
    url, folder, keys, database = up(replicas, port, serve_args)
    try:
        setup = client(url, keys, 3)
        setup.create_project(ProjectName="bench")
        if work:
            setup.create_project(ProjectName="failover-training")
            prepare_work(setup, "synth")
            with open(os.path.join(work_dir, "synth", "images", "anomaly-1.png"), "rb") as f:
                image = f.read()
        stop = time.time() + seconds
        lock = threading.Lock()
        stats = {"reads": 0, "writes": 0, "failed": 0, "errors": {}, "ok_by_operation": {},
                 "failed_by_operation": {}}
        acknowledged = []

        def worker(w):
            c = client(url, keys, attempts)
            i = 0
            while time.time() < stop:
                i += 1
                write = i % 4 == 0  # one CreateProject in four: records to check afterwards
                detect = work and i % 4 == 2  # with real work, one DetectAnomalies in four
                op = "CreateProject" if write else "DetectAnomalies" if detect else "DescribeProject"
                name = f"w{w}-{i}"
                try:
                    if write:
                        c.create_project(ProjectName=name)
                    elif detect:
                        c.detect_anomalies(ProjectName="bench", ModelVersion="1", ContentType="image/png", Body=image)
                    else:
                        c.describe_project(ProjectName="bench")
                    with lock:
                        stats["writes" if write else "reads"] += 1
                        stats["ok_by_operation"][op] = stats["ok_by_operation"].get(op, 0) + 1
                        if write:
                            acknowledged.append(name)
                except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                    kind = type(e).__name__
                    if isinstance(e, botocore.exceptions.ClientError):
                        kind = e.response["Error"]["Code"]
                    with lock:
                        stats["failed"] += 1
                        stats["errors"][kind] = stats["errors"].get(kind, 0) + 1
                        stats["failed_by_operation"][op] = stats["failed_by_operation"].get(op, 0) + 1

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
        start = time.time()
        for t in threads:
            t.start()
        killed = None
        training = {}
        if kill_after is not None:
            pidfiles = {int(open(p).read()): os.path.basename(p)[:-4]
                        for p in glob.glob(os.path.join(folder, "replica-*.pid"))}
            # CreateModel a few seconds before the kill (a quick training takes
            # longer than that under this load), then kill the replica that
            # claimed the job.
            time.sleep(max(0.0, kill_after - 4))
            version = setup.create_model(ProjectName="failover-training", ClientToken="failover-1",
                                         OutputConfig={"S3Location": {"Bucket": "out"}})["ModelMetadata"]["ModelVersion"]
            owner = None
            while time.time() < start + kill_after:
                owner = owner or training_owner_pid(database, "failover-training")
                time.sleep(0.2)
            victim = owner if owner in pidfiles else max(pidfiles, key=lambda pid: pidfiles[pid])
            status_at_kill = setup.describe_model(ProjectName="failover-training",
                                                  ModelVersion=version)["ModelDescription"]["Status"]
            os.kill(victim, signal.SIGKILL)
            killed_at = time.time()
            killed = pidfiles[victim]
            training = {"training_on_killed_replica": owner == victim, "status_at_kill": status_at_kill}
            # The killed replica's training ends as documented: TRAINING_FAILED once its lease runs out
            # (polled during the load, so the time is the failure's, not the load's end).
            d = wait_model(setup, "failover-training", version, {"TRAINED", "TRAINING_FAILED"}, lease_seconds + 120)
            training.update(status=d["Status"], message=d.get("StatusMessage", ""),
                            message_names_killed_replica=f":{victim}:" in d.get("StatusMessage", ""),
                            ended_after_kill_s=round(time.time() - killed_at, 1))
        for t in threads:
            t.join()
        elapsed = time.time() - start
        if kill_after is not None:
            # One model from the one acknowledged CreateModel, whatever the retries.
            training["model_versions"] = [m["ModelVersion"] for m in
                                          setup.list_models(ProjectName="failover-training")["Models"]]
        # Every acknowledged CreateProject is there once; nothing else is.
        listed, token = [], None
        while True:
            page = setup.list_projects(MaxResults=100, **({"NextToken": token} if token else {}))
            listed += [p["ProjectName"] for p in page["Projects"]]
            token = page.get("NextToken")
            if not token:
                break
        listed = [n for n in listed if n not in ("bench", "failover-training")]
        lost = sorted(set(acknowledged) - set(listed))
        duplicated = len(listed) - len(set(listed))
        # Created but not acknowledged: the client was told it failed (a retry
        # that then found the project would say ConflictException).
        unacknowledged = len(set(listed) - set(acknowledged))
        balancer = haproxy_counters(folder)
        # What each replica served (its access log); for the killed one, in its last second: requests
        # that reached it then were answered, so others were likely in flight when it died.
        served, last_second = {}, None
        for log in sorted(glob.glob(os.path.join(folder, "replica-*.access.log"))):
            name = os.path.basename(log).split(".")[0]
            with open(log) as f:
                times = [datetime.datetime.strptime(r["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=datetime.timezone.utc).timestamp()
                         for r in map(json.loads, f) if r["path"].startswith("/2020")]
            served[name] = len(times)
            if name == killed:
                last_second = sum(1 for t in times if t > killed_at - 1)
        total = stats["reads"] + stats["writes"]
        return {"replicas": replicas, "clients": clients, "seconds": round(elapsed, 1), "sdk_attempts": attempts,
                "killed": killed, "requests_ok": total, "per_second": round(total / elapsed, 1),
                "failed": stats["failed"], "errors": stats["errors"], "writes_acknowledged": len(acknowledged),
                "lost": len(lost), "duplicated": duplicated, "created_but_reported_failed": unacknowledged,
                "ok_by_operation": stats["ok_by_operation"], "failed_by_operation": stats["failed_by_operation"],
                "haproxy": balancer, "served_by_replica": served, "killed_replica_answered_in_its_last_second": last_second,
                **({"training": training} if training else {})}
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
    parser.add_argument("--training-lease-seconds", type=int, default=5,
                        help="the replicas' training lease in failover runs (serve's default is 60)")
    args = parser.parse_args()
    results = []
    # Failover runs' images (`anomalens synth`) and model outputs.
    work_dir = tempfile.mkdtemp(prefix="anomalens-cluster-load-")
    try:
        if args.kill_after is not None:
            subprocess.run([os.environ.get("ANOMALENS_CLI", "build/native/anomalens"), "synth", "--output",
                            os.path.join(work_dir, "synth")], check=True, capture_output=True)
        for replicas in [int(r) for r in args.replicas.split(",")]:
            for attempts in [int(a) for a in args.attempts.split(",")]:
                r = run(replicas, args.clients, args.seconds, args.kill_after, attempts, args.port,
                        args.training_lease_seconds, work_dir)
                print(json.dumps(r), flush=True)
                results.append(r)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    os.makedirs("build/bench", exist_ok=True)
    with open("build/bench/cluster_load.json", "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
