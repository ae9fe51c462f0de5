#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora, made from the repo's test files.

    tests/fuzz/make_seeds.py OUT_DIR      # OUT_DIR/<target>/<seed>

- images, masks, manifests and model files: tests/golden (the parity set);
- requests: every Lookout for Vision operation as botocore (Debian's, with
  the lookoutvision model) builds and signs it, with the conformance suite's
  key at 2026-01-01T00:00:00Z (the fuzz targets' clock), written in
  http_text.h's form; DetectAnomalies carries the golden test images.
Nothing here is committed: the corpora are made at run time.
"""
import datetime
import json
import os
import pathlib
import sys
import types

import boto3
import botocore.auth
import botocore.config
import botocore.credentials

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
PARITY = GOLDEN / "parity"
ACCESS_KEY, SECRET_KEY = "AKIDANOMALENSTEST", "anomalens/test+secret"


class _FixedClock(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return cls(2026, 1, 1, 0, 0, 0)


def _write(directory, name, data):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def _images():
    files = sorted((PARITY / "test-images").iterdir()) + sorted((PARITY / "train" / "images").iterdir())[:4]
    return files + [GOLDEN / "anomaly_mask.png"]


def _http_text(request):
    target = request.url.split("://", 1)[1]
    target = target[target.index("/"):]
    head = f"{request.method} {target}\n"
    if "host" not in request.headers:  # the HTTP client adds it; botocore signs it
        head += "host: " + request.url.split("://", 1)[1].split("/", 1)[0] + "\n"
    for name, value in request.headers.items():
        head += f"{name}: {value.decode() if isinstance(value, bytes) else value}\n"
    body = request.body or b""
    return head.encode() + b"\n" + (body.encode() if isinstance(body, str) else body)


def _requests():
    """(name, http text) for every operation, signed as botocore signs them."""
    captured = []

    class Captured(Exception):
        pass

    def capture(request, **_):
        captured.append(request)
        raise Captured()

    client = boto3.client("lookoutvision", endpoint_url="http://127.0.0.1:8080", region_name="us-east-1",
                          aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                          config=botocore.config.Config(retries={"max_attempts": 0}))
    # Captured before botocore signs (it may pick awscrt's signer, whose clock
    # cannot be set); signed below with botocore's own SigV4Auth.
    client.meta.events.register("before-sign", capture)
    project, model_arn = "fuzz", "arn:aws:lookoutvision:us-east-1:000000000000:model/fuzz/1"
    manifest_line = (PARITY / "train" / "train.manifest").read_text().splitlines()[-1]
    changes = manifest_line.replace('"images/', '"s3://data/images/').replace('"masks/', '"s3://data/masks/')
    calls = [
        ("create_project", {"ProjectName": project, "ClientToken": "token-1"}),
        ("describe_project", {"ProjectName": project}),
        ("list_projects", {"MaxResults": 5}),
        ("delete_project", {"ProjectName": project}),
        ("create_dataset", {"ProjectName": project, "DatasetType": "train", "DatasetSource": {
            "GroundTruthManifest": {"S3Object": {"Bucket": "data", "Key": "train/train.manifest"}}}}),
        ("create_dataset", {"ProjectName": project, "DatasetType": "test"}),
        ("describe_dataset", {"ProjectName": project, "DatasetType": "train"}),
        ("list_dataset_entries", {"ProjectName": project, "DatasetType": "train", "Labeled": True,
                                  "AnomalyClass": "anomaly", "SourceRefContains": "anomaly",
                                  "BeforeCreationDate": datetime.datetime(2027, 1, 1), "MaxResults": 2}),
        ("update_dataset_entries", {"ProjectName": project, "DatasetType": "train", "Changes": changes.encode()}),
        ("delete_dataset", {"ProjectName": project, "DatasetType": "test"}),
        ("create_model", {"ProjectName": project, "OutputConfig": {"S3Location": {"Bucket": "out", "Prefix": "m/"}},
                          "Description": "first", "Tags": [{"Key": "line", "Value": "3"}]}),
        ("describe_model", {"ProjectName": project, "ModelVersion": "1"}),
        ("list_models", {"ProjectName": project}),
        ("start_model", {"ProjectName": project, "ModelVersion": "1", "MinInferenceUnits": 1,
                         "MaxInferenceUnits": 2}),
        ("stop_model", {"ProjectName": project, "ModelVersion": "1"}),
        ("delete_model", {"ProjectName": project, "ModelVersion": "1"}),
        ("start_model_packaging_job", {"ProjectName": project, "ModelVersion": "1", "JobName": "job-1",
                                       "Configuration": {"Greengrass": {"ComponentName": "c", "S3OutputLocation": {
                                           "Bucket": "out", "Prefix": "pkg/"}}}}),
        ("describe_model_packaging_job", {"ProjectName": project, "JobName": "job-1"}),
        ("list_model_packaging_jobs", {"ProjectName": project}),
        ("tag_resource", {"ResourceArn": model_arn, "Tags": [{"Key": "k", "Value": "v"}]}),
        ("untag_resource", {"ResourceArn": model_arn, "TagKeys": ["k", "other"]}),
        ("list_tags_for_resource", {"ResourceArn": model_arn}),
    ]
    for image in _images():
        content_type = "image/jpeg" if image.suffix == ".jpg" else "image/png"
        for version in ("1", "2"):
            calls.append(("detect_anomalies", {"ProjectName": project, "ModelVersion": version,
                                               "ContentType": content_type, "Body": image.read_bytes()}))
    # botocore.auth reads the clock through its `datetime` module attribute.
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(ACCESS_KEY, SECRET_KEY), "lookoutvision",
                                     "us-east-1")
    original = botocore.auth.datetime
    botocore.auth.datetime = types.SimpleNamespace(datetime=_FixedClock)
    try:
        seeds = []
        for i, (operation, params) in enumerate(calls):
            try:
                getattr(client, operation)(**params)
            except Captured:
                request = captured[-1]
                for header in ("Authorization", "X-Amz-Date"):
                    if header in request.headers:
                        del request.headers[header]
                signer.add_auth(request)
                seeds.append((f"{i:02d}-{operation}", _http_text(request.prepare())))
        return seeds
    finally:
        botocore.auth.datetime = original


def main(out):
    out = pathlib.Path(out)
    for image in _images():
        # fuzz_image_decode: the first byte picks the claimed content type.
        for type_byte, name in ((0, "png"), (1, "jpeg"), (2, "sniff")):
            _write(out / "fuzz_image_decode", f"{image.name}.{name}", bytes([type_byte]) + image.read_bytes())
    manifest = (PARITY / "train" / "train.manifest").read_text()
    _write(out / "fuzz_manifest", "train.manifest", manifest)
    for i, line in enumerate(manifest.splitlines()):
        _write(out / "fuzz_manifest", f"line-{i:02d}", line + "\n")
        entry = json.loads(line)
        if "anomaly-mask-ref" in entry:
            mask = PARITY / "train" / entry["anomaly-mask-ref"]
            _write(out / "fuzz_class_mask", f"line-{i:02d}", line.encode() + b"\n" + mask.read_bytes())
    _write(out / "fuzz_class_mask", "golden-anomaly-mask", manifest.splitlines()[-1].encode() + b"\n" +
           (GOLDEN / "anomaly_mask.png").read_bytes())
    for model in ("classification.anlm", "segmentation.anlm"):
        _write(out / "fuzz_model_file", model, (PARITY / model).read_bytes())
    for name, text in _requests():
        target = "fuzz_detect_request" if "detect_anomalies" in name else "fuzz_api_json"
        _write(out / target, name, text)
        if "detect_anomalies" not in name or name.endswith(("00", "01")) or len(text) < 4000:
            _write(out / "fuzz_sigv4", name, text)
    for target in sorted(p.name for p in out.iterdir()):
        print(f"seeds: {target}: {len(list((out / target).iterdir()))} files")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: tests/fuzz/make_seeds.py OUT_DIR")
    main(sys.argv[1])
