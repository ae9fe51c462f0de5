"""Conformance: `anomalens serve` driven by real clients, boto3 and the AWS
CLI, exactly as scripts written for Amazon Lookout for Vision call them.
ANOMALENS_SDK picks the client (lookout_server.py): Debian's boto3 1.26 and
AWS CLI 2.9, or the current boto3 and AWS CLI with only our service model.

Run by CTest (lookout_conformance with /usr/bin/python3; and
lookout_conformance_current_sdk with the python3 on PATH):
  ANOMALENS_CLI=build/native/anomalens ANOMALENS_SHARED_DIR=../shared \
    /usr/bin/python3 -m unittest discover -s tests/conformance -v
  ANOMALENS_SDK=current ANOMALENS_CLI=build/native/anomalens python3 -m unittest discover -s tests/conformance \
    -p test_lookout_api.py -k GettingStarted -k ProjectsDatasetsModels -k Auth -k BadInput -v

Tests on the cookie data need ../shared: they skip without it, and fail
when CI=true.
"""
import base64
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import botocore.session

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lookout_server import (ACCESS_KEY, AWS, CLI, DATABASE, ENDPOINT, ENDPOINT_BUCKETS, REGION, SDK,  # noqa: E402
                            SECOND_KEY, SECRET_KEY, LookoutServer, describe_sdk, stale_date)

SHARED = os.environ.get("ANOMALENS_SHARED_DIR", os.path.join(os.path.dirname(__file__), "../../../shared"))
COOKIES = os.path.join(SHARED, "data", "lookout-cookies")

SERVER_OF_ITS_OWN = ("starts servers with options of its own, or kills them; the server at ANOMALENS_ENDPOINT "
                     "is shared")

# (operation, outcome) for every boto3 call: outcome is "ok" or the error code.
CALLS = collections.Counter()


def track(client):
    def after_call(event_name=None, parsed=None, **kwargs):
        op = event_name.split(".")[-1]
        CALLS[(op, parsed.get("Error", {}).get("Code", "ok") if isinstance(parsed, dict) else "ok")] += 1
    client.meta.events.register("after-call.lookoutvision", after_call)
    return client


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def require_shared(test):
    if not os.path.isdir(COOKIES):
        if os.environ.get("CI") == "true":
            test.fail(f"CI=true but the shared datasets are missing at {COOKIES}")
        test.skipTest(f"shared datasets not found at {COOKIES}; place ../shared beside the repository")


def wait_status(client, project, version, done, timeout=900):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = client.describe_model(ProjectName=project, ModelVersion=version)["ModelDescription"]
        if d["Status"] in done:
            return d
        time.sleep(0.5)
    raise AssertionError(f"model {project}/{version} still {d['Status']} after {timeout} s")


def aws_cli(server, *args, key=ACCESS_KEY, secret=SECRET_KEY):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
    env.pop("AWS_PROFILE", None)
    return subprocess.run([AWS, "lookoutvision", *args, "--endpoint-url", server.endpoint, "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=300)


class GettingStartedCookies(unittest.TestCase):
    """Lookout's getting-started flow on the cookie data, with boto3 and the AWS CLI."""

    @classmethod
    def setUpClass(cls):
        cls.server = None
        if os.path.isdir(COOKIES):
            cls.server = LookoutServer(CLI, buckets={"cookies": COOKIES})
            cls.client = track(cls.server.client())

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.stop()

    def test_getting_started_flow(self):
        require_shared(self)
        c, p = self.client, "getting-started"
        self.assertEqual(c.create_project(ProjectName=p)["ProjectMetadata"]["ProjectName"], p)
        ds = c.create_dataset(ProjectName=p, DatasetType="train", DatasetSource={
            "GroundTruthManifest": {"S3Object": {"Bucket": "cookies", "Key": "manifests/train.manifest"}}})
        self.assertEqual(ds["ResponseMetadata"]["HTTPStatusCode"], 202)
        self.assertEqual(ds["DatasetMetadata"]["DatasetType"], "train")
        stats = c.describe_dataset(ProjectName=p, DatasetType="train")["DatasetDescription"]["ImageStats"]
        self.assertEqual(stats, {"Total": 63, "Labeled": 63, "Normal": 31, "Anomaly": 32})
        # Relative refs are stored as the s3:// URIs they resolved to.
        entries = c.list_dataset_entries(ProjectName=p, DatasetType="train", AnomalyClass="anomaly",
                                         SourceRefContains="anomaly-1.jpg")["DatasetEntries"]
        self.assertEqual([json.loads(e)["source-ref"] for e in entries], ["s3://cookies/training-images/anomaly-1.jpg"])
        project = c.describe_project(ProjectName=p)["ProjectDescription"]
        self.assertEqual([d["DatasetType"] for d in project["Datasets"]], ["train"])

        model = c.create_model(ProjectName=p, Description="cookies",
                               OutputConfig={"S3Location": {"Bucket": "out", "Prefix": "getting-started/"}},
                               Tags=[{"Key": "line", "Value": "cookies-1"}])["ModelMetadata"]
        self.assertEqual((model["ModelVersion"], model["Status"]), ("1", "TRAINING"))
        d = wait_status(c, p, "1", {"TRAINED", "TRAINING_FAILED"})
        self.assertEqual(d["Status"], "TRAINED", d.get("StatusMessage"))
        for metric in ("F1Score", "Recall", "Precision"):
            self.assertGreaterEqual(d["Performance"][metric], 0.5)
        for output in ("EvaluationResult", "EvaluationManifest"):
            self.assertEqual(d[output]["Bucket"], "out")
            self.assertTrue(os.path.isfile(os.path.join(self.server.out_dir, d[output]["Key"])), output)
        with open(os.path.join(self.server.out_dir, d["EvaluationResult"]["Key"])) as f:
            self.assertIn("AggregatedEvaluationResults", json.load(f))
        self.assertEqual([m["ModelVersion"] for m in c.list_models(ProjectName=p)["Models"]], ["1"])
        self.assertEqual(c.list_tags_for_resource(ResourceArn=d["ModelArn"])["Tags"],
                         [{"Key": "line", "Value": "cookies-1"}])

        image = read_bytes(os.path.join(COOKIES, "test-images", "test-anomaly-1.jpg"))
        with self.assertRaises(c.exceptions.ConflictException):
            c.detect_anomalies(ProjectName=p, ModelVersion="1", ContentType="image/jpeg", Body=image)
        self.assertEqual(c.start_model(ProjectName=p, ModelVersion="1", MinInferenceUnits=1)["Status"],
                         "STARTING_HOSTING")
        self.assertEqual(wait_status(c, p, "1", {"HOSTED", "HOSTING_FAILED"})["Status"], "HOSTED")
        result = c.detect_anomalies(ProjectName=p, ModelVersion="1", ContentType="image/jpeg",
                                    Body=image)["DetectAnomalyResult"]
        self.assertTrue(result["IsAnomalous"])
        self.assertEqual(result["Source"], {"Type": "direct"})
        self.assertEqual(result["Anomalies"][0]["Name"], "background")

        # The body is the core's serializer output, byte for byte what the CLI prints.
        status, _, raw = self.server.raw("POST", f"/2020-11-20/projects/{p}/models/1/detect", body=image,
                                         headers={"Content-Type": "image/jpeg"})
        self.assertEqual(status, 200)
        model_file = os.path.join(self.server.data_dir, "models", p, "1", "model.anml")
        cli = subprocess.run([CLI, "detect", model_file, os.path.join(COOKIES, "test-images", "test-anomaly-1.jpg")],
                             capture_output=True, text=True, check=True)
        self.assertEqual(raw.decode(), cli.stdout.strip().splitlines()[-1])

        # A normal cookie is not anomalous; a bad image is a ValidationException.
        normal = read_bytes(os.path.join(COOKIES, "test-images", "test-normal-1.jpg"))
        self.assertFalse(c.detect_anomalies(ProjectName=p, ModelVersion="1", ContentType="image/jpeg",
                                            Body=normal)["DetectAnomalyResult"]["IsAnomalous"])
        with self.assertRaises(c.exceptions.ValidationException):
            c.detect_anomalies(ProjectName=p, ModelVersion="1", ContentType="image/png", Body=image)

        # The same calls from the AWS CLI.
        r = aws_cli(self.server, "describe-model", "--project-name", p, "--model-version", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["ModelDescription"]["Status"], "HOSTED")
        r = aws_cli(self.server, "detect-anomalies", "--project-name", p, "--model-version", "1",
                    "--content-type", "image/jpeg", "--body", os.path.join(COOKIES, "test-images", "test-anomaly-1.jpg"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(json.loads(r.stdout)["DetectAnomalyResult"]["IsAnomalous"])

        with self.assertRaises(c.exceptions.ConflictException):
            c.delete_model(ProjectName=p, ModelVersion="1")  # hosted
        self.assertEqual(c.stop_model(ProjectName=p, ModelVersion="1")["Status"], "STOPPING_HOSTING")
        self.assertEqual(wait_status(c, p, "1", {"TRAINED"})["Status"], "TRAINED")
        with self.assertRaises(c.exceptions.ConflictException):
            c.detect_anomalies(ProjectName=p, ModelVersion="1", ContentType="image/jpeg", Body=image)
        r = aws_cli(self.server, "stop-model", "--project-name", p, "--model-version", "1")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ConflictException", r.stderr)


class ProjectsDatasetsModels(unittest.TestCase):
    """Every other operation's success path and error paths, on synthetic data."""

    @classmethod
    def setUpClass(cls):
        cls.synth_root = tempfile.mkdtemp(prefix="anomalens-synth-")
        cls.synth = os.path.join(cls.synth_root, "synth")
        if ENDPOINT and "synth" in ENDPOINT_BUCKETS:
            cls.synth = ENDPOINT_BUCKETS["synth"]  # `anomalens synth` output, mapped when the endpoint started
        else:
            subprocess.run([CLI, "synth", "--output", cls.synth], check=True, capture_output=True)
        cls.server = LookoutServer(CLI, buckets={"synth": cls.synth})
        cls.client = track(cls.server.client())

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.synth_root, ignore_errors=True)

    def test_projects_pagination_and_idempotency(self):
        c = self.client
        names = [f"page-{i}" for i in range(5)]
        for n in names:
            c.create_project(ProjectName=n)
        first = c.list_projects(MaxResults=2)
        self.assertEqual(len(first["Projects"]), 2)
        self.assertIn("NextToken", first)
        listed = [p["ProjectName"] for page in c.get_paginator("list_projects").paginate(PaginationConfig={"PageSize": 2})
                  for p in page["Projects"]]
        for n in names:
            self.assertIn(n, listed)
        with self.assertRaises(c.exceptions.ValidationException):
            c.list_projects(NextToken="bm90LWEtdG9rZW4=")
        # ClientToken: a repeat returns the first answer; another request with it is a conflict.
        a = c.create_project(ProjectName="idem", ClientToken="token-1")["ProjectMetadata"]
        b = c.create_project(ProjectName="idem", ClientToken="token-1")["ProjectMetadata"]
        self.assertEqual(a, b)
        with self.assertRaises(c.exceptions.ConflictException):
            c.create_project(ProjectName="idem-2", ClientToken="token-1")
        with self.assertRaises(c.exceptions.ConflictException) as e:
            c.create_project(ProjectName="idem")
        self.assertEqual(e.exception.response["ResourceType"], "PROJECT")
        self.assertEqual(e.exception.response["ResourceId"], "idem")
        for n in names + ["idem"]:
            self.assertEqual(c.delete_project(ProjectName=n)["ProjectArn"].split("/")[-1], n)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.delete_project(ProjectName="idem")

    def test_name_checks(self):
        c = self.client
        for bad in ["bad name", "-leading-dash", "x" * 256, "semi;colon"]:
            with self.assertRaises(c.exceptions.ValidationException, msg=bad):
                c.create_project(ProjectName=bad)
        c.create_project(ProjectName="names")
        with self.assertRaises(c.exceptions.ValidationException):
            c.describe_model(ProjectName="names", ModelVersion="0")
        with self.assertRaises(c.exceptions.ValidationException):
            c.create_model(ProjectName="names", Description="spaces are not allowed",
                           OutputConfig={"S3Location": {"Bucket": "out"}})
        with self.assertRaises(c.exceptions.ValidationException):
            c.create_dataset(ProjectName="names", DatasetType="validation")
        c.delete_project(ProjectName="names")

    def test_unknown_resources(self):
        c = self.client
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.describe_project(ProjectName="no-such-project")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.create_dataset(ProjectName="no-such-project", DatasetType="train")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.list_models(ProjectName="no-such-project")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.list_dataset_entries(ProjectName="no-such-project", DatasetType="train")
        c.create_project(ProjectName="unknowns")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.describe_dataset(ProjectName="unknowns", DatasetType="test")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.describe_model(ProjectName="unknowns", ModelVersion="7")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.start_model(ProjectName="unknowns", ModelVersion="7", MinInferenceUnits=1)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.list_tags_for_resource(ResourceArn="arn:aws:lookoutvision:us-east-1:000000000000:model/unknowns/7")
        with self.assertRaises(c.exceptions.ValidationException):
            c.create_model(ProjectName="unknowns", OutputConfig={"S3Location": {"Bucket": "out"}})  # no dataset
        c.delete_project(ProjectName="unknowns")

    def test_dataset_sources(self):
        c = self.client
        c.create_project(ProjectName="sources")
        with self.assertRaises(c.exceptions.ValidationException) as e:
            c.create_dataset(ProjectName="sources", DatasetType="train", DatasetSource={
                "GroundTruthManifest": {"S3Object": {"Bucket": "unmapped", "Key": "train.manifest"}}})
        self.assertIn("not mapped", e.exception.response["Error"]["Message"])
        with self.assertRaises(c.exceptions.ValidationException):
            c.create_dataset(ProjectName="sources", DatasetType="train", DatasetSource={
                "GroundTruthManifest": {"S3Object": {"Bucket": "synth", "Key": "missing.manifest"}}})
        c.create_dataset(ProjectName="sources", DatasetType="test")  # empty dataset
        with self.assertRaises(c.exceptions.ConflictException) as e:
            c.create_dataset(ProjectName="sources", DatasetType="test")
        self.assertEqual(e.exception.response["ResourceType"], "DATASET")
        self.assertEqual(c.describe_dataset(ProjectName="sources", DatasetType="test")["DatasetDescription"]
                         ["ImageStats"]["Total"], 0)
        self.assertEqual(c.delete_dataset(ProjectName="sources", DatasetType="test")["ResponseMetadata"]
                         ["HTTPStatusCode"], 202)
        c.delete_project(ProjectName="sources")

    def own_folder(self, prefix):
        """(folder, bucket, key prefix) for a test's own images: a new
        server's "synth" bucket, or through ANOMALENS_ENDPOINT (whose buckets
        are fixed when it starts) a new folder inside its synth bucket."""
        if ENDPOINT:
            folder = tempfile.mkdtemp(prefix=prefix, dir=self.synth)
            return folder, self.synth, os.path.basename(folder) + "/"
        folder = os.path.join(tempfile.mkdtemp(prefix=prefix), "synth")
        return folder, folder, ""

    def test_image_moved_after_create_dataset(self):
        # Datasets reference their images, as Lookout's referenced S3: an image
        # gone before training fails the model with a message naming it.
        c, p = self.client, "moved-image"
        folder, bucket, key = self.own_folder("anomalens-moved-")
        root = os.path.dirname(folder) if not ENDPOINT else folder
        try:
            for part in ("images", "masks"):
                shutil.copytree(os.path.join(self.synth, part), os.path.join(folder, part))
            shutil.copy(os.path.join(self.synth, "train.manifest"), folder)
            server = LookoutServer(CLI, buckets={"synth": bucket})
            try:
                c = track(server.client())
                c.create_project(ProjectName=p)
                c.create_dataset(ProjectName=p, DatasetType="train", DatasetSource={
                    "GroundTruthManifest": {"S3Object": {"Bucket": "synth", "Key": key + "train.manifest"}}})
                gone = json.loads(c.list_dataset_entries(ProjectName=p, DatasetType="train")["DatasetEntries"][0])
                name = gone["source-ref"].rsplit("/", 1)[1]
                os.remove(os.path.join(folder, "images", name))
                model = c.create_model(ProjectName=p, OutputConfig={"S3Location": {"Bucket": "synth"}})
                d = wait_status(c, p, model["ModelMetadata"]["ModelVersion"], {"TRAINED", "TRAINING_FAILED"})
                self.assertEqual(d["Status"], "TRAINING_FAILED")
                self.assertIn(name, d["StatusMessage"])
            finally:
                server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def test_normal_only_training_needs_the_switch(self):
        # Lookout refused a dataset without anomalies; so does the server by
        # default. serve --allow-normal-only-training trains it.
        synth, bucket, key = self.own_folder("anomalens-normal-only-")
        root = os.path.dirname(synth) if not ENDPOINT else synth
        cases = (((), "TRAINING_FAILED"), (("--allow-normal-only-training",), "TRAINED"))
        if ENDPOINT:
            cases = cases[:1]  # the endpoint runs without the switch
        try:
            subprocess.run([CLI, "synth", "--output", synth, "--train-normal", "20", "--train-anomaly", "0",
                            "--test-normal", "0", "--test-anomaly", "0"], check=True, capture_output=True)
            for extra, status in cases:
                server = LookoutServer(CLI, buckets={"synth": bucket}, extra_args=extra)
                try:
                    c, p = track(server.client()), "normal-only"
                    c.create_project(ProjectName=p)
                    c.create_dataset(ProjectName=p, DatasetType="train", DatasetSource={
                        "GroundTruthManifest": {"S3Object": {"Bucket": "synth", "Key": key + "train.manifest"}}})
                    model = c.create_model(ProjectName=p, OutputConfig={"S3Location": {"Bucket": "synth"}})
                    d = wait_status(c, p, model["ModelMetadata"]["ModelVersion"], {"TRAINED", "TRAINING_FAILED"})
                    self.assertEqual(d["Status"], status, d.get("StatusMessage"))
                    if status == "TRAINING_FAILED":
                        self.assertIn("needs at least 20 normal and 10 anomalous images", d["StatusMessage"])
                finally:
                    server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def test_datasets_entries_models_tags(self):
        c, p = self.client, "synthetic"
        c.create_project(ProjectName=p)
        for kind in ("train", "test"):
            c.create_dataset(ProjectName=p, DatasetType=kind, DatasetSource={
                "GroundTruthManifest": {"S3Object": {"Bucket": "synth", "Key": f"{kind}.manifest"}}})
        stats = c.describe_dataset(ProjectName=p, DatasetType="test")["DatasetDescription"]["ImageStats"]
        self.assertEqual((stats["Normal"], stats["Anomaly"]), (10, 10))
        pages = list(c.get_paginator("list_dataset_entries").paginate(
            ProjectName=p, DatasetType="train", PaginationConfig={"PageSize": 7}))
        entries = [json.loads(e) for page in pages for e in page["DatasetEntries"]]
        self.assertEqual(len(entries), 34)
        self.assertEqual(len(pages), 5)
        normal = c.list_dataset_entries(ProjectName=p, DatasetType="train", AnomalyClass="normal")["DatasetEntries"]
        self.assertEqual(len(normal), 24)
        self.assertEqual(c.list_dataset_entries(ProjectName=p, DatasetType="train", Labeled=False)["DatasetEntries"], [])
        future = c.list_dataset_entries(ProjectName=p, DatasetType="train", AfterCreationDate=time.time() + 3600)
        self.assertEqual(future["DatasetEntries"], [])

        # UpdateDatasetEntries merges by source-ref: one relabelled, one added.
        relabel = dict(entries[0])
        relabel["anomaly-label"] = 1
        relabel["anomaly-label-metadata"] = dict(relabel["anomaly-label-metadata"], **{"class-name": "anomaly"})
        added = dict(entries[1])
        added["source-ref"] = entries[1]["source-ref"].replace("s3://synth/", "s3://synth/./")
        changes = (json.dumps(relabel) + "\n" + json.dumps(added) + "\n").encode()
        self.assertEqual(c.update_dataset_entries(ProjectName=p, DatasetType="train", Changes=changes)["Status"],
                         "UPDATE_COMPLETE")
        stats = c.describe_dataset(ProjectName=p, DatasetType="train")["DatasetDescription"]["ImageStats"]
        self.assertEqual(stats, {"Total": 35, "Labeled": 35, "Normal": 24, "Anomaly": 11})
        with self.assertRaises(c.exceptions.ValidationException):
            c.update_dataset_entries(ProjectName=p, DatasetType="train", Changes=b'{"source-ref": "images/x.png"}')
        with self.assertRaises(c.exceptions.ValidationException):
            c.update_dataset_entries(ProjectName=p, DatasetType="train", Changes=b"not json")

        model = c.create_model(ProjectName=p, OutputConfig={"S3Location": {"Bucket": "out", "Prefix": "synthetic/"}},
                               ClientToken="model-token")["ModelMetadata"]
        again = c.create_model(ProjectName=p, OutputConfig={"S3Location": {"Bucket": "out", "Prefix": "synthetic/"}},
                               ClientToken="model-token")["ModelMetadata"]
        self.assertEqual(model["ModelVersion"], again["ModelVersion"])
        with self.assertRaises(c.exceptions.ValidationException):
            c.create_model(ProjectName=p, OutputConfig={"S3Location": {"Bucket": "unmapped"}})
        d = wait_status(c, p, model["ModelVersion"], {"TRAINED", "TRAINING_FAILED"})
        self.assertEqual(d["Status"], "TRAINED", d.get("StatusMessage"))
        self.assertEqual(c.describe_model(ProjectName=p, ModelVersion="latest")["ModelDescription"]["ModelVersion"],
                         model["ModelVersion"])
        with self.assertRaises(c.exceptions.ConflictException):
            c.stop_model(ProjectName=p, ModelVersion=model["ModelVersion"])
        with self.assertRaises(c.exceptions.ConflictException):  # trained, not hosted
            c.detect_anomalies(ProjectName=p, ModelVersion=model["ModelVersion"], ContentType="image/png",
                               Body=read_bytes(os.path.join(self.synth, "images", "anomaly-1.png")))
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.delete_model(ProjectName=p, ModelVersion="99")
        with self.assertRaises(c.exceptions.ConflictException):
            c.delete_project(ProjectName=p)  # it has a model

        # Model packaging: a folder with the binary, its weights and the model, which runs.
        config = {"Greengrass": {"ComponentName": "synthetic.inspection", "ComponentVersion": "1.2.3",
                                 "TargetPlatform": {"Os": "LINUX", "Arch": "X86_64"},
                                 "S3OutputLocation": {"Bucket": "out", "Prefix": "packages/"}}}
        job = c.start_model_packaging_job(ProjectName=p, ModelVersion=model["ModelVersion"], JobName="pack-1",
                                          Configuration=config, Description="first package")["JobName"]
        self.assertEqual(job, "pack-1")
        deadline = time.time() + 120
        while True:
            pj = c.describe_model_packaging_job(ProjectName=p, JobName=job)["ModelPackagingDescription"]
            if pj["Status"] not in ("CREATED", "RUNNING") or time.time() > deadline:
                break
            time.sleep(0.2)
        self.assertEqual(pj["Status"], "SUCCEEDED", pj.get("StatusMessage"))
        self.assertEqual(pj["ModelPackagingOutputDetails"]["Greengrass"]["ComponentVersion"], "1.2.3")
        folder = os.path.join(self.server.out_dir, "packages", "synthetic.inspection", "1.2.3")
        run = subprocess.run([os.path.join(folder, "anomalens"), "detect", os.path.join(folder, "model.anml"),
                              os.path.join(self.synth, "images", "normal-1.png")],
                             capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("DetectAnomalyResult", run.stdout)
        self.assertEqual([j["JobName"] for j in c.list_model_packaging_jobs(ProjectName=p)["ModelPackagingJobs"]],
                         ["pack-1"])
        with self.assertRaises(c.exceptions.ConflictException):
            c.start_model_packaging_job(ProjectName=p, ModelVersion=model["ModelVersion"], JobName="pack-1",
                                        Configuration=config)
        both = {"Greengrass": dict(config["Greengrass"], TargetDevice="jetson_xavier")}
        with self.assertRaises(c.exceptions.ValidationException):
            c.start_model_packaging_job(ProjectName=p, ModelVersion=model["ModelVersion"], Configuration=both)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.describe_model_packaging_job(ProjectName=p, JobName="no-such-job")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.list_model_packaging_jobs(ProjectName="no-such-project")

        arn = d["ModelArn"]
        c.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "qa"}, {"Key": "site", "Value": "plant 2"}])
        self.assertEqual(c.list_tags_for_resource(ResourceArn=arn)["Tags"],
                         [{"Key": "site", "Value": "plant 2"}, {"Key": "team", "Value": "qa"}])
        c.untag_resource(ResourceArn=arn, TagKeys=["team"])
        self.assertEqual(c.list_tags_for_resource(ResourceArn=arn)["Tags"], [{"Key": "site", "Value": "plant 2"}])
        with self.assertRaises(c.exceptions.ValidationException):
            c.tag_resource(ResourceArn=arn, Tags=[{"Key": "bad;key", "Value": "x"}])
        # Over the 200-tag quota across calls: 402, QuotaCode set, nothing of the call kept.
        c.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(150)])
        with self.assertRaises(c.exceptions.ServiceQuotaExceededException) as e:
            c.tag_resource(ResourceArn=arn, Tags=[{"Key": f"more{i}", "Value": "v"} for i in range(60)])
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 402)
        self.assertEqual((e.exception.response["QuotaCode"], e.exception.response["ServiceCode"]),
                         ("tags-per-resource", "lookoutvision"))
        self.assertEqual(len(c.list_tags_for_resource(ResourceArn=arn)["Tags"]), 151)
        c.untag_resource(ResourceArn=arn, TagKeys=[f"k{i}" for i in range(150)])
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.untag_resource(ResourceArn=arn + "9", TagKeys=["team"])

        self.assertEqual(c.delete_model(ProjectName=p, ModelVersion=model["ModelVersion"])["ModelArn"], arn)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.describe_model(ProjectName=p, ModelVersion=model["ModelVersion"])
        c.delete_dataset(ProjectName=p, DatasetType="test")
        c.delete_dataset(ProjectName=p, DatasetType="train")
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.delete_dataset(ProjectName=p, DatasetType="train")
        c.delete_project(ProjectName=p)

    def test_aws_cli(self):
        r = aws_cli(self.server, "create-project", "--project-name", "from-cli")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["ProjectMetadata"]["ProjectName"], "from-cli")
        r = aws_cli(self.server, "list-projects")
        self.assertIn("from-cli", [p["ProjectName"] for p in json.loads(r.stdout)["Projects"]])
        r = aws_cli(self.server, "describe-project", "--project-name", "not-there")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ResourceNotFoundException", r.stderr)
        r = aws_cli(self.server, "list-projects", key=ACCESS_KEY, secret="wrong")
        self.assertIn("AccessDeniedException", r.stderr)
        r = aws_cli(self.server, "delete-project", "--project-name", "from-cli", key=SECOND_KEY[0], secret=SECOND_KEY[1])
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_aws_cli_getting_started_commands(self):
        """The issue's command lines, as a user types them, on the synthetic set."""
        def ok(*args):
            r = aws_cli(self.server, *args)
            self.assertEqual(r.returncode, 0, r.stderr)
            return json.loads(r.stdout) if r.stdout.strip() else {}
        p = "cli-getting-started"
        ok("create-project", "--project-name", p)
        ok("create-dataset", "--project-name", p, "--dataset-type", "train", "--dataset-source",
           '{"GroundTruthManifest":{"S3Object":{"Bucket":"synth","Key":"train.manifest"}}}')
        ok("create-dataset", "--project-name", p, "--dataset-type", "test", "--dataset-source",
           '{"GroundTruthManifest":{"S3Object":{"Bucket":"synth","Key":"test.manifest"}}}')
        version = ok("create-model", "--project-name", p, "--output-config",
                     '{"S3Location":{"Bucket":"out","Prefix":"cli/"}}')["ModelMetadata"]["ModelVersion"]
        deadline = time.time() + 600
        while True:
            d = ok("describe-model", "--project-name", p, "--model-version", version)["ModelDescription"]
            if d["Status"] != "TRAINING" or time.time() > deadline:
                break
            time.sleep(1)
        self.assertEqual(d["Status"], "TRAINED", d.get("StatusMessage"))
        self.assertEqual(set(d["Performance"]), {"F1Score", "Recall", "Precision"})
        self.assertEqual(ok("start-model", "--project-name", p, "--model-version", version,
                            "--min-inference-units", "1")["Status"], "STARTING_HOSTING")
        while ok("describe-model", "--project-name", p, "--model-version", version)["ModelDescription"]["Status"] \
                != "HOSTED":
            time.sleep(0.2)
        result = ok("detect-anomalies", "--project-name", p, "--model-version", version, "--content-type",
                    "image/png", "--body", os.path.join(self.synth, "images", "anomaly-1.png"))["DetectAnomalyResult"]
        self.assertTrue(result["IsAnomalous"])
        self.assertEqual(ok("stop-model", "--project-name", p, "--model-version", version)["Status"],
                         "STOPPING_HOSTING")
        models = ok("list-models", "--project-name", p)["Models"]
        self.assertEqual([m["ModelVersion"] for m in models], [version])


class Auth(unittest.TestCase):
    """Signature Version 4: what is refused, and --no-auth."""

    @classmethod
    def setUpClass(cls):
        cls.server = LookoutServer(CLI)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def assertDenied(self, status, headers, body, fragment):
        self.assertEqual(status, 403)
        self.assertEqual({k.lower(): v for k, v in headers.items()}["x-amzn-errortype"], "AccessDeniedException")
        self.assertIn(fragment, json.loads(body)["message"])

    def test_signed_request_is_accepted(self):
        status, _, body = self.server.raw("GET", "/2020-11-20/projects")
        self.assertEqual(status, 200)
        self.assertIn("Projects", json.loads(body))

    def test_unsigned_request(self):
        self.assertDenied(*self.server.raw("GET", "/2020-11-20/projects", sign=False), "not signed")

    def test_wrong_secret(self):
        self.assertDenied(*self.server.raw("GET", "/2020-11-20/projects", secret_key="wrong"), "does not match")
        c = track(self.server.client(secret_key="wrong"))
        with self.assertRaises(c.exceptions.AccessDeniedException):
            c.list_projects()

    def test_unknown_key(self):
        c = track(self.server.client(access_key="AKIDUNKNOWN"))
        with self.assertRaises(c.exceptions.AccessDeniedException):
            c.list_projects()

    def test_other_region(self):
        c = track(self.server.client(region="eu-west-1"))
        with self.assertRaises(c.exceptions.AccessDeniedException) as e:
            c.list_projects()
        self.assertIn("signed for region 'eu-west-1'", str(e.exception))

    def test_stale_date(self):
        self.assertDenied(*self.server.raw("GET", "/2020-11-20/projects", tamper=stale_date), "expired")

    def test_tampered_body(self):
        body = json.dumps({"ProjectName": "signed"}).encode()
        tamper = lambda h, d: (h, json.dumps({"ProjectName": "tampered"}).encode())  # noqa: E731
        self.assertDenied(*self.server.raw("POST", "/2020-11-20/projects", body=body, tamper=tamper), "does not match")

    def test_no_auth_server(self):
        server = LookoutServer(CLI, auth=False)
        try:
            self.assertIn("WARNING: --no-auth", server.stderr())
            status, _, body = server.raw("GET", "/2020-11-20/projects", sign=False)
            self.assertEqual((status, json.loads(body)), (200, {"Projects": []}))
            status, headers, _ = server.raw("GET", "/2020-11-20/nothing-here", sign=False)
            self.assertEqual(status, 404)
        finally:
            server.stop()


class OperatorEndpoints(unittest.TestCase):
    """/healthz, /readyz and /metrics answer without a signature on an
    authenticating server, Lookout's routes still need one, and the request id
    boto3 reports is the one in the server's JSON access log (docs/operations.md)."""

    @classmethod
    def setUpClass(cls):
        cls.server = LookoutServer(CLI)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_health_endpoints_need_no_signature(self):
        status, _, body = self.server.raw("GET", "/healthz", sign=False)
        self.assertEqual((status, json.loads(body)), (200, {"status": "alive"}))
        status, _, body = self.server.raw("GET", "/readyz", sign=False)
        self.assertEqual((status, json.loads(body)), (200, {"ready": True}))
        status, headers, body = self.server.raw("GET", "/metrics", sign=False)
        self.assertEqual(status, 200)
        self.assertIn("text/plain", {k.lower(): v for k, v in headers.items()}["content-type"])
        self.assertIn("# TYPE lookoutvision_ProcessedImageCount_total counter", body.decode())
        status, _, _ = self.server.raw("GET", "/2020-11-20/projects", sign=False)
        self.assertEqual(status, 403)

    def test_request_id_is_in_the_access_log(self):
        c = track(self.server.client())
        c.create_project(ProjectName="logged")
        with self.assertRaises(c.exceptions.ResourceNotFoundException) as e:
            c.describe_project(ProjectName="not-there")
        request_id = e.exception.response["ResponseMetadata"]["RequestId"]
        self.assertTrue(request_id)
        lines = [json.loads(line) for line in self.server.stderr().splitlines() if line.startswith("{")]
        logged = [line for line in lines if line["request_id"] == request_id]
        self.assertEqual(len(logged), 1, lines[-5:])
        self.assertEqual((logged[0]["operation"], logged[0]["status"], logged[0]["error_type"]),
                         ("DescribeProject", 404, "ResourceNotFoundException"))
        self.assertEqual(len({line["request_id"] for line in lines}), len(lines))  # one id a request


class BadInput(unittest.TestCase):
    """Malformed requests get Lookout's errors, and the server keeps serving."""

    @classmethod
    def setUpClass(cls):
        cls.server = LookoutServer(CLI)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_malformed_requests(self):
        cases = [
            ("POST", "/2020-11-20/projects", b"not json", 400),
            ("POST", "/2020-11-20/projects", b"[1, 2]", 400),
            ("POST", "/2020-11-20/projects", b'{"ProjectName": 5}', 400),
            ("POST", "/2020-11-20/projects", b'{"ProjectName": "\xff\xfe"}', 400),
            ("POST", "/2020-11-20/projects", b"{}", 400),
            ("POST", "/2020-11-20/projects", b'{"ProjectName": "' + b"a" * 100000 + b'"}', 400),
            ("GET", "/2020-11-20/projects?maxResults=0", b"", 400),
            ("GET", "/2020-11-20/projects?maxResults=abc", b"", 400),
            ("GET", "/2020-11-20/projects?nextToken=abc", b"", 400),
            ("GET", "/2020-11-20/projects/%ZZ", b"", 400),
            ("GET", "/2020-11-20/projects/x/models/0", b"", 400),
            ("GET", "/2020-11-20/projects/x/datasets/other", b"", 400),
            ("PATCH", "/2020-11-20/projects/x/datasets/train/entries", b'{"Changes": 7}', 404),
            ("POST", "/2020-11-20/projects/x/models/1/detect", b"\x00" * 100, 404),
            ("POST", "/2020-11-20/tags/arn%3Aaws%3Alookoutvision%3Aus-east-1%3A000000000000%3Amodel%2Fx%2F1",
             b'{"Tags": "no"}', 404),
            ("DELETE", "/2020-11-20/projects", b"", 404),
            ("GET", "/", b"", 404),
        ]
        for method, path, body, status in cases:
            got, headers, raw = self.server.raw(method, path, body=body,
                                                headers={"Content-Type": "application/json"})
            self.assertEqual(got, status, (method, path, raw[:200]))
            self.assertIn("x-amzn-errortype", {k.lower() for k in headers}, (method, path))
            self.assertIn("message", json.loads(raw))
        # Over the 16 MiB request cap.
        got, headers, raw = self.server.raw("POST", "/2020-11-20/projects/x/models/1/detect", body=b"\xff" * (17 << 20),
                                            headers={"Content-Type": "image/jpeg"}, sign=False)
        self.assertEqual((got, {k.lower(): v for k, v in headers.items()}.get("x-amzn-errortype")),
                         (400, "ValidationException"))
        c = track(self.server.client())
        c.create_project(ProjectName="still-serving")
        self.assertEqual(c.describe_project(ProjectName="still-serving")["ProjectDescription"]["ProjectName"],
                         "still-serving")


@unittest.skipIf(ENDPOINT, SERVER_OF_ITS_OWN)
class Throttling(unittest.TestCase):
    """--max-concurrent-detects: detections beyond it get ThrottlingException."""

    def test_concurrent_detects_beyond_the_limit_are_throttled(self):
        root = tempfile.mkdtemp(prefix="anomalens-throttle-")
        synth = os.path.join(root, "synth")
        subprocess.run([CLI, "synth", "--output", synth], check=True, capture_output=True)
        server = LookoutServer(CLI, buckets={"synth": synth}, extra_args=["--max-concurrent-detects", "1"])
        try:
            c, p = track(server.client()), "throttle"
            c.create_project(ProjectName=p)
            c.create_dataset(ProjectName=p, DatasetType="train", DatasetSource={
                "GroundTruthManifest": {"S3Object": {"Bucket": "synth", "Key": "train.manifest"}}})
            c.create_model(ProjectName=p, OutputConfig={"S3Location": {"Bucket": "out"}})
            self.assertEqual(wait_status(c, p, "1", {"TRAINED", "TRAINING_FAILED"})["Status"], "TRAINED")
            c.start_model(ProjectName=p, ModelVersion="1", MinInferenceUnits=1)
            wait_status(c, p, "1", {"HOSTED"})
            # A large image (1600 px, a 3.5 MB PNG) keeps each detect busy for
            # many milliseconds, and a barrier starts the six clients together,
            # so requests overlap however fast detection has become.
            big = os.path.join(root, "big")
            subprocess.run([CLI, "synth", "--output", big, "--width", "1600", "--height", "1600", "--train-normal",
                            "0", "--train-anomaly", "1", "--test-normal", "0", "--test-anomaly", "0"],
                           check=True, capture_output=True)
            image = read_bytes(os.path.join(big, "images", "anomaly-1.png"))
            outcomes = collections.Counter()
            lock = threading.Lock()
            start = threading.Barrier(6)

            def detect():
                client = track(server.client())
                start.wait()
                for _ in range(3):
                    try:
                        client.detect_anomalies(ProjectName=p, ModelVersion="1", ContentType="image/png", Body=image)
                        outcome = "ok"
                    except client.exceptions.ThrottlingException:
                        outcome = "throttled"
                    with lock:
                        outcomes[outcome] += 1
            threads = [threading.Thread(target=detect) for _ in range(6)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertGreater(outcomes["ok"], 0)
            self.assertGreater(outcomes["throttled"], 0)
            self.assertEqual(sum(outcomes.values()), 18)
        finally:
            server.stop()
            shutil.rmtree(root, ignore_errors=True)


@unittest.skipIf(ENDPOINT, SERVER_OF_ITS_OWN)
class RateLimit(unittest.TestCase):
    """--max-requests-per-second: requests over the rate get ThrottlingException (429)."""

    def test_requests_over_the_rate_are_throttled(self):
        # One a second (a burst of one): slow enough that back-to-back calls
        # exceed it even on a loaded machine.
        server = LookoutServer(CLI, extra_args=["--max-requests-per-second", "1"])
        try:
            c = track(server.client())  # one attempt: botocore would otherwise retry throttling
            outcomes = collections.Counter()
            for _ in range(10):
                try:
                    c.list_projects()
                    outcomes["ok"] += 1
                except c.exceptions.ThrottlingException as e:
                    self.assertEqual(e.response["ResponseMetadata"]["HTTPStatusCode"], 429)
                    self.assertIn("--max-requests-per-second", e.response["Error"]["Message"])
                    outcomes["throttled"] += 1
            self.assertGreaterEqual(outcomes["ok"], 1)
            self.assertGreater(outcomes["throttled"], 0)
            time.sleep(1.1)
            c.list_projects()  # refilled
        finally:
            server.stop()


@unittest.skipIf(ENDPOINT, SERVER_OF_ITS_OWN)
class CrashSafety(unittest.TestCase):
    """kill -9 during training and during UpdateDatasetEntries, then a restart."""

    def test_kill_during_training_and_update(self):
        root = tempfile.mkdtemp(prefix="anomalens-crash-")
        synth = os.path.join(root, "synth")
        subprocess.run([CLI, "synth", "--output", synth, "--width", "640", "--height", "480"], check=True,
                       capture_output=True)
        data = os.path.join(root, "data")
        first = LookoutServer(CLI, buckets={"synth": synth}, data_dir=data)
        try:
            c, p = track(first.client()), "crash"
            c.create_project(ProjectName=p)
            c.create_dataset(ProjectName=p, DatasetType="train", DatasetSource={
                "GroundTruthManifest": {"S3Object": {"Bucket": "synth", "Key": "train.manifest"}}})
            c.create_model(ProjectName=p, OutputConfig={"S3Location": {"Bucket": "out"}})
            time.sleep(0.3)
            self.assertEqual(c.describe_model(ProjectName=p, ModelVersion="1")["ModelDescription"]["Status"],
                             "TRAINING")
            first.kill(signal.SIGKILL)
            second = LookoutServer(CLI, buckets={"synth": synth}, data_dir=data)
            try:
                c = track(second.client())
                d = c.describe_model(ProjectName=p, ModelVersion="1")["ModelDescription"]
                if DATABASE == "postgresql":
                    # Other servers may share the store: the job fails when its lease runs out.
                    deadline = time.time() + 30
                    while d["Status"] == "TRAINING" and time.time() < deadline:
                        time.sleep(0.2)
                        d = c.describe_model(ProjectName=p, ModelVersion="1")["ModelDescription"]
                    self.assertEqual(d["Status"], "TRAINING_FAILED")
                    self.assertIn("its lease on the job ran out", d["StatusMessage"])
                else:
                    self.assertEqual(d["Status"], "TRAINING_FAILED")
                    self.assertIn("stopped while the model was training", d["StatusMessage"])
                self.assertEqual(c.describe_dataset(ProjectName=p, DatasetType="train")["DatasetDescription"]
                                 ["ImageStats"]["Total"], 34)
                second.kill(signal.SIGKILL)
            finally:
                second.stop()
            # Large UpdateDatasetEntries killed at several moments: after each
            # restart the dataset holds all of a request or none of it.
            names = sorted(os.listdir(os.path.join(synth, "images")))
            lines = [json.dumps({"source-ref": "s3://synth/" + "./" * k + "images/" + n, "anomaly-label": 0})
                     for k in range(1, 200) for n in names]
            changes = base64.b64encode(("\n".join(lines) + "\n").encode())
            body = b'{"Changes": "' + changes + b'"}'
            totals, interrupted = [], 0
            for delay in (0.02, 0.05, 0.1, 0.2, 0.4):
                server = LookoutServer(CLI, buckets={"synth": synth}, data_dir=data)
                try:
                    outcome = {}

                    def send():
                        try:
                            outcome["status"] = server.raw("PATCH", f"/2020-11-20/projects/{p}/datasets/train/entries",
                                                           body=body, headers={"Content-Type": "application/json"})[0]
                        except Exception as e:  # noqa: BLE001 - the connection dies with the server
                            outcome["error"] = repr(e)
                    sender = threading.Thread(target=send)
                    sender.start()
                    time.sleep(delay)
                    server.kill(signal.SIGKILL)
                    sender.join(timeout=60)
                    interrupted += "status" not in outcome
                finally:
                    server.stop()
                third = LookoutServer(CLI, buckets={"synth": synth}, data_dir=data)
                try:
                    c = track(third.client())
                    total = c.describe_dataset(ProjectName=p, DatasetType="train")["DatasetDescription"]["ImageStats"][
                        "Total"]
                    self.assertIn(total, (34, 34 + len(lines)), f"killed after {delay} s")
                    entries = [e for page in c.get_paginator("list_dataset_entries").paginate(
                        ProjectName=p, DatasetType="train") for e in page["DatasetEntries"]]
                    self.assertEqual(len(entries), total)
                    totals.append(total)
                finally:
                    third.stop()
            print(f"\ncrash: UpdateDatasetEntries of {len(lines)} entries killed 5 times, {interrupted} mid-request; "
                  f"totals after restart {totals}", file=sys.stderr)
            self.assertGreater(interrupted, 0)
            third = LookoutServer(CLI, buckets={"synth": synth}, data_dir=data)
            try:
                c = track(third.client())
                # The store still takes writes and trains after the crashes.
                c.update_dataset_entries(ProjectName=p, DatasetType="train", Changes=(lines[0] + "\n").encode())
                c.create_model(ProjectName=p, OutputConfig={"S3Location": {"Bucket": "out"}})
            finally:
                third.stop()
        finally:
            first.stop()
            shutil.rmtree(root, ignore_errors=True)


def tearDownModule():
    ops = sorted({op for op, _ in CALLS})
    ok = sorted({op for op, outcome in CALLS if outcome == "ok"})
    errors = sorted({(op, outcome) for op, outcome in CALLS if outcome != "ok"})
    print(f"\nconformance [{SDK}: {describe_sdk()}]: {len(ops)} operations called through boto3, {len(ok)} on their success path; "
          f"{len(errors)} distinct (operation, error) cases, {sum(n for (o, r), n in CALLS.items() if r != 'ok')} "
          f"error responses in all", file=sys.stderr)
    print("  success: " + ", ".join(ok), file=sys.stderr)
    print("  errors:  " + ", ".join(f"{o}:{e}" for o, e in errors), file=sys.stderr)
    # The whole suite (as CTest runs it) with the cookie data must call every
    # operation of the service model on its success path and an error path.
    if os.environ.get("ANOMALENS_CONFORMANCE_FULL") == "1" and os.path.isdir(COOKIES):
        every = set(botocore.session.get_session().get_service_model("lookoutvision").operation_names)
        missing_ok = every - set(ok)
        missing_error = every - {o for o, _ in errors}
        if missing_ok or missing_error:
            raise AssertionError(f"not covered: success {sorted(missing_ok)}, error {sorted(missing_error)}")


if __name__ == "__main__":
    unittest.main()
