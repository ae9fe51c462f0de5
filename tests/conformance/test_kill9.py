"""Crash safety: `anomalens serve` killed with kill -9 at random moments of a
random workload of CreateModel, UpdateDatasetEntries and DeleteProject (with
the CreateProject / CreateDataset calls they need; models train in the
background meanwhile), then restarted; after every
restart the state must be consistent and hold everything acknowledged.

What is checked after each restart, against the acknowledged history (the
one request in flight at the kill may have happened or not, never half):
  - SQLite's integrity_check is "ok";
  - the projects are exactly the acknowledged ones (+/- the one in doubt);
  - each dataset holds all of an UpdateDatasetEntries or none of it;
  - every acknowledged model is there, none is still TRAINING, each has the
    tag its CreateModel carried (model and tags commit together), and each
    TRAINED model has its model file; no model folder lacks a model;
  - a CreateModel in doubt, retried with its ClientToken, makes no second model.

Each round aims at one of CreateModel, UpdateDatasetEntries and DeleteProject:
the kill comes a random moment (within about the request's duration) after
the workload sends it. KILL9_ROUNDS (default 30) sets the number of kill
points; the summary line on stderr gives the kill points by the operation in
flight ("answered" when the kill came just after the answer) and the
inconsistencies found.
"""
import base64
import collections
import itertools
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import botocore.exceptions

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lookout_server import LookoutServer  # noqa: E402

CLI = os.environ.get("ANOMALENS_CLI", "build/native/anomalens")
ROUNDS = int(os.environ.get("KILL9_ROUNDS", "30"))


LINES_PER_UPDATE = 300
TARGETS = ("CreateModel", "UpdateDatasetEntries", "DeleteProject")
# Seconds after sending within which the kill comes: about each request's
# duration here (CreateModel answers at once and trains in the background).
TARGET_WINDOW = {"CreateModel": 0.03, "UpdateDatasetEntries": 0.3, "DeleteProject": 0.05}


class Killed(Exception):
    pass


class Workload:
    """Runs random operations until the server dies, recording what was acknowledged.

    Mostly the three under test, on the projects there are: CreateModel (with
    a tag and a ClientToken), UpdateDatasetEntries (300 new entries) and
    DeleteProject (of a project without models); CreateProject and
    CreateDataset when few projects are left."""

    def __init__(self, server, round_number, expected, names, rng, variants):
        self.client = server.client()
        self.variants = variants
        self.round = round_number
        self.names = names
        self.rng = rng
        # What this workload may use: project -> has a dataset, has models.
        self.projects = {p: {"dataset": s["entries"] is not None, "models": bool(s["models"])}
                         for p, s in expected.items()}
        self.acked = []          # (operation, args, response)
        self.in_flight = None    # (operation, args) sent, not yet answered
        self.errors = []         # error responses (none expected)
        self.target = None       # the operation to kill the server in
        self.sending_target = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _call(self, operation, args, fn):
        self.in_flight = (operation, args)
        if operation == self.target:
            self.sending_target.set()
        try:
            response = fn()
        except botocore.exceptions.ClientError as e:
            # The server answered with an error: no workload request should get one.
            self.errors.append(f"{operation} {args}: {e}")
            self.in_flight = None
            raise Killed() from e
        except Exception as e:  # noqa: BLE001 - the connection dies with the server
            raise Killed() from e
        if set(response) <= {"ResponseMetadata"}:
            # A 2xx whose body the kill cut off: the status line and headers
            # left in one write, the body never did, and urllib3 1.26 does
            # not enforce Content-Length. The client cannot know what it got:
            # the operation stays in doubt, as if the connection had died.
            raise Killed()
        self.acked.append((operation, args, response))
        self.in_flight = None
        return response

    def _update_lines(self):
        # Source-refs no earlier update used: "./" runs before and after
        # "images/" make distinct refs to the same files, short ones first.
        lines = []
        while len(lines) < LINES_PER_UPDATE:
            a, b = next(self.variants)
            lines += [json.dumps({"source-ref": "s3://synth/" + "./" * a + "images/" + "./" * b + n,
                                  "anomaly-label": 0}) for n in self.names]
        return lines[:LINES_PER_UPDATE]

    def _run(self):
        c, rng = self.client, self.rng
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": "synth", "Key": "train.manifest"}}}
        try:
            for i in range(1000):
                with_dataset = [p for p, s in self.projects.items() if s["dataset"]]
                model_free = [p for p, s in self.projects.items() if not s["models"]]
                # Projects without models: one with a model may be training it.
                trainable = [p for p, s in self.projects.items() if s["dataset"] and not s["models"]]
                choice = rng.choice(["CreateModel", "UpdateDatasetEntries", "DeleteProject"])
                if len(with_dataset) < 3 or (choice == "CreateModel" and not trainable) or (
                        choice == "DeleteProject" and not model_free):
                    p = f"p-{self.round}-{i}"
                    self._call("CreateProject", p, lambda: c.create_project(ProjectName=p))
                    self.projects[p] = {"dataset": False, "models": False}
                    self._call("CreateDataset", p, lambda: c.create_dataset(
                        ProjectName=p, DatasetType="train", DatasetSource=source))
                    self.projects[p]["dataset"] = True
                elif choice == "CreateModel":
                    p, token = rng.choice(sorted(trainable)), f"token-{self.round}-{i}"
                    self._call("CreateModel", (p, token), lambda: c.create_model(
                        ProjectName=p, ClientToken=token, OutputConfig={"S3Location": {"Bucket": "out"}},
                        Tags=[{"Key": "round", "Value": str(self.round)}]))
                    self.projects[p]["models"] = True
                elif choice == "UpdateDatasetEntries":
                    p = rng.choice(sorted(with_dataset))
                    changes = ("\n".join(self._update_lines()) + "\n").encode()
                    self._call("UpdateDatasetEntries", (p, i), lambda: c.update_dataset_entries(
                        ProjectName=p, DatasetType="train", Changes=changes))
                else:
                    p = rng.choice(sorted(model_free))
                    self._call("DeleteProject", p, lambda: c.delete_project(ProjectName=p))
                    del self.projects[p]
        except Killed:
            pass


class KillNine(unittest.TestCase):
    def test_kill_9_at_random_points_keeps_state_consistent(self):
        root = tempfile.mkdtemp(prefix="anomalens-kill9-")
        synth = os.path.join(root, "synth")
        subprocess.run([CLI, "synth", "--output", synth, "--train-normal", "20", "--train-anomaly", "10",
                        "--width", "128", "--height", "96"], check=True, capture_output=True)
        names = sorted(n for n in os.listdir(os.path.join(synth, "images")))
        train_entries = sum(1 for line in open(os.path.join(synth, "train.manifest")) if line.strip())
        data = os.path.join(root, "data")
        rng = random.Random(int(os.environ.get("KILL9_SEED", "9")))
        # The acknowledged state: project -> {"entries": n or None, "models": {version: round}}.
        expected = {}
        kill_points = collections.Counter()
        inconsistencies = []
        variants = ((a, total - a) for total in itertools.count(1) for a in range(total + 1))
        try:
            in_doubt = None
            for round_number in range(ROUNDS + 1):
                server = LookoutServer(CLI, buckets={"synth": synth}, data_dir=data)
                try:
                    inconsistencies += self._check(server, data, expected, in_doubt, train_entries, round_number)
                    if round_number == ROUNDS:
                        break
                    workload = Workload(server, round_number, expected, names, rng, variants)
                    # Each round aims at one of the three operations: the kill
                    # comes a random moment after the workload sends it.
                    workload.target = TARGETS[round_number % len(TARGETS)]
                    workload.thread.start()
                    workload.sending_target.wait(timeout=30)
                    time.sleep(rng.uniform(0, TARGET_WINDOW[workload.target]))
                    server.kill(signal.SIGKILL)
                    workload.thread.join(timeout=120)
                    self.assertFalse(workload.thread.is_alive())
                    for operation, args, response in workload.acked:
                        self._apply(expected, operation, args, response, round_number, train_entries)
                    inconsistencies += [f"round {round_number}: {e}" for e in workload.errors]
                    in_doubt = workload.in_flight
                    kill_points[in_doubt[0] if in_doubt else f"{workload.target} answered"] += 1
                finally:
                    server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
        print(f"\nkill -9: {sum(kill_points.values())} kill points ({dict(kill_points)}); "
              f"{len(inconsistencies)} inconsistencies", file=sys.stderr)
        for line in inconsistencies:
            print("  " + line, file=sys.stderr)
        self.assertEqual(inconsistencies, [])
        self.assertEqual(sum(kill_points.values()), ROUNDS)

    @staticmethod
    def _apply(expected, operation, args, response, round_number, train_entries):
        if operation == "CreateProject":
            expected[args] = {"entries": None, "models": {}}
        elif operation == "CreateDataset":
            expected[args]["entries"] = train_entries
        elif operation == "UpdateDatasetEntries":
            expected[args[0]]["entries"] += LINES_PER_UPDATE
        elif operation == "CreateModel":
            expected[args[0]]["models"][response["ModelMetadata"]["ModelVersion"]] = round_number
        elif operation == "DeleteProject":
            del expected[args]

    def _check(self, server, data, expected, in_doubt, train_entries, round_number):
        """Returns the inconsistencies found after a restart; settles the
        operation in doubt in `expected` to what the server shows."""
        found = []
        where = f"after kill {round_number}"
        db = sqlite3.connect(os.path.join(data, "anomalens.db"))
        try:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()
        if integrity != "ok":
            found.append(f"{where}: integrity_check says {integrity}")
        c = server.client()
        doubt_op, doubt_args = in_doubt if in_doubt else (None, None)
        doubt_project = doubt_args[0] if isinstance(doubt_args, tuple) else doubt_args
        projects = {p["ProjectName"] for page in c.get_paginator("list_projects").paginate()
                    for p in page["Projects"]}
        for p in set(expected) | projects:
            if (p in projects) != (p in expected) and not (p == doubt_project and doubt_op in (
                    "CreateProject", "DeleteProject")):
                found.append(f"{where}: project {p} {'present' if p in projects else 'missing'} "
                             f"(acknowledged: {'present' if p in expected else 'absent'})")
        if doubt_op == "CreateProject" and doubt_project in projects:
            expected[doubt_project] = {"entries": None, "models": {}}
        if doubt_op == "DeleteProject" and doubt_project not in projects:
            expected.pop(doubt_project, None)
        for p in sorted(projects & set(expected)):
            state = expected[p]
            datasets = c.describe_project(ProjectName=p)["ProjectDescription"]["Datasets"]
            total = (c.describe_dataset(ProjectName=p, DatasetType="train")["DatasetDescription"]["ImageStats"]["Total"]
                     if datasets else None)
            allowed = {state["entries"]}
            if p == doubt_project and doubt_op == "CreateDataset":
                allowed.add(train_entries)
            if p == doubt_project and doubt_op == "UpdateDatasetEntries":
                allowed.add(state["entries"] + LINES_PER_UPDATE)
            if total not in allowed:
                found.append(f"{where}: project {p} train dataset has {total} entries; allowed {sorted(map(str, allowed))}")
            state["entries"] = total
            models = {m["ModelVersion"]: m for page in c.get_paginator("list_models").paginate(ProjectName=p)
                      for m in page["Models"]}
            if p == doubt_project and doubt_op == "CreateModel":
                # A retry with the same ClientToken runs it once: the model the
                # crash left, if any, or a new one; never a second.
                retried = c.create_model(ProjectName=p, ClientToken=doubt_args[1],
                                         OutputConfig={"S3Location": {"Bucket": "out"}},
                                         Tags=[{"Key": "round", "Value": str(round_number - 1)}])
                version = retried["ModelMetadata"]["ModelVersion"]
                after = {m["ModelVersion"]: m for page in c.get_paginator("list_models").paginate(ProjectName=p)
                         for m in page["Models"]}
                if len(after) != len(state["models"]) + 1 or version in state["models"]:
                    found.append(f"{where}: retrying CreateModel with its ClientToken left models "
                                 f"{sorted(after)} in {p} (acknowledged {sorted(state['models'])})")
                state["models"][version] = round_number - 1
                models = after
            for version in state["models"]:
                if version not in models:
                    found.append(f"{where}: acknowledged model {p}/{version} is missing")
            for version, m in models.items():
                if version not in state["models"]:
                    found.append(f"{where}: model {p}/{version} was never acknowledged")
                    continue
                if m["Status"] == "TRAINING" and not (p == doubt_project and doubt_op == "CreateModel"):
                    found.append(f"{where}: model {p}/{version} still TRAINING after a restart")
                tags = c.list_tags_for_resource(ResourceArn=m["ModelArn"])["Tags"]
                if {"Key": "round", "Value": str(state["models"][version])} not in tags:
                    found.append(f"{where}: model {p}/{version} lacks its tag (has {tags})")
                model_file = os.path.join(data, "models", p, version, "model.anml")
                if m["Status"] == "TRAINED" and not os.path.isfile(model_file):
                    found.append(f"{where}: model {p}/{version} is TRAINED without {model_file}")
        models_dir = os.path.join(data, "models")
        for p in os.listdir(models_dir) if os.path.isdir(models_dir) else []:
            for version in os.listdir(os.path.join(models_dir, p)):
                if p not in expected or version not in expected[p]["models"]:
                    found.append(f"{where}: model folder {p}/{version} has no model")
        return found


if __name__ == "__main__":
    unittest.main()
