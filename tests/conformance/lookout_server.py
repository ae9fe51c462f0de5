"""Starts `anomalens serve` for the conformance tests and signs raw requests.

The server runs on a free port (--port 0; the port is read from its
"listening on" line) with a temporary data directory and credentials file,
on SQLite, or on PostgreSQL with ANOMALENS_DATABASE=postgresql
(postgres_cluster.py).

The client under test is chosen by ANOMALENS_SDK:
  debian   (default) Debian's python3-boto3 1.26 and /usr/bin/aws 2.9, which
           bundle the lookoutvision model; run with /usr/bin/python3.
  current  the boto3 and AWS CLI of the interpreter that runs the suite
           (pip's 1.43 / 1.45 here), which no longer bundle it: they get
           only the model `anomalens service-model` writes.
Either way the process and the AWS CLI it runs see a temporary HOME and
AWS_DATA_PATH, never the user's ~/.aws. A client missing from the machine
skips the suite with a message, and fails it when CI=true.
"""
import atexit
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest
import urllib.error
import urllib.request

from postgres_cluster import database_url

SDK = os.environ.get("ANOMALENS_SDK", "debian")
DATABASE = os.environ.get("ANOMALENS_DATABASE", "sqlite")
CLI = os.environ.get("ANOMALENS_CLI", "build/native/anomalens")
# The AWS CLI of the client under test.
AWS = os.environ.get("ANOMALENS_AWS_CLI") or (
    "/usr/bin/aws" if SDK == "debian" else os.path.join(os.path.dirname(sys.executable), "aws"))


def client_missing(message):
    if os.environ.get("CI") == "true":
        raise AssertionError(f"CI=true but the {SDK} client is missing: {message}")
    print(f"\nskipped: the {SDK} client is missing: {message}", file=sys.stderr)
    raise unittest.SkipTest(message)


try:
    import boto3
    import botocore
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    import botocore.config
except ImportError as e:
    client_missing(f"{sys.executable} cannot import boto3 ({e})")
if not os.access(AWS, os.X_OK):
    client_missing(f"no AWS CLI at {AWS}")


def isolate_sdk():
    """Points HOME, the AWS config files and AWS_DATA_PATH at a temporary
    folder for this process and its children; for the current SDK the data
    path holds our service model, and nothing else offers lookoutvision."""
    root = tempfile.mkdtemp(prefix="anomalens-sdk-home-")
    atexit.register(shutil.rmtree, root, True)
    data = os.path.join(root, "models")
    os.makedirs(data)
    if SDK == "current":
        subprocess.run([CLI, "service-model", "--output", data], check=True, capture_output=True)
    elif SDK != "debian":
        raise ValueError(f"ANOMALENS_SDK is '{SDK}'; it is debian or current")
    os.environ.update(HOME=root, AWS_DATA_PATH=data, AWS_CONFIG_FILE=os.path.join(root, ".aws", "config"),
                      AWS_SHARED_CREDENTIALS_FILE=os.path.join(root, ".aws", "credentials"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)


isolate_sdk()


def describe_sdk():
    """One line naming the client under test, for the suite's summary."""
    r = subprocess.run([AWS, "--version"], capture_output=True, text=True)
    return f"boto3 {boto3.__version__} / botocore {botocore.__version__} + {(r.stdout or r.stderr).split()[0]}"

ACCESS_KEY = "AKIDANOMALENSTEST"
SECRET_KEY = "anomalens/test+secret"
SECOND_KEY = ("AKIDSECONDPROFILE", "second-secret")
REGION = "us-east-1"

# An external endpoint instead of a server per test class: ANOMALENS_ENDPOINT
# is its URL (e.g. tools/cluster's load balancer), and
#   ANOMALENS_ENDPOINT_CREDENTIALS  the credentials file it checks ([default] and [second] profiles)
#   ANOMALENS_ENDPOINT_BUCKETS      the buckets it maps, "name=path,name=path" (the tests read and
#                                   write the files behind them); "out" is required
#   ANOMALENS_ENDPOINT_DATA_DIR     its --data-dir (the shared model folder)
#   ANOMALENS_ENDPOINT_LOGS         a glob of its JSON access logs, one per replica
# Tests that need a server with other options, or kill it, skip there.
# tests/cluster/conformance_through_cluster.py sets these for `tools/cluster up 3`.
ENDPOINT = os.environ.get("ANOMALENS_ENDPOINT")
ENDPOINT_BUCKETS = {}
if ENDPOINT:
    import configparser
    _profiles = configparser.ConfigParser()
    if not _profiles.read(os.environ.get("ANOMALENS_ENDPOINT_CREDENTIALS", "")):
        raise ValueError("ANOMALENS_ENDPOINT needs ANOMALENS_ENDPOINT_CREDENTIALS, a readable credentials file")
    ACCESS_KEY = _profiles["default"]["aws_access_key_id"]
    SECRET_KEY = _profiles["default"]["aws_secret_access_key"]
    if _profiles.has_section("second"):
        SECOND_KEY = (_profiles["second"]["aws_access_key_id"], _profiles["second"]["aws_secret_access_key"])
    for spec in filter(None, os.environ.get("ANOMALENS_ENDPOINT_BUCKETS", "").split(",")):
        name, path = spec.split("=", 1)
        ENDPOINT_BUCKETS[name] = os.path.realpath(path)
    if "out" not in ENDPOINT_BUCKETS:
        raise ValueError("ANOMALENS_ENDPOINT_BUCKETS must map the bucket 'out'")


class LookoutServer:
    """A running `anomalens serve`; stop() ends it and removes its folders."""

    def __init__(self, binary, buckets=None, auth=True, data_dir=None, extra_args=()):
        self._clients = []
        if ENDPOINT:
            self._use_endpoint(buckets, auth, data_dir, extra_args)
            return
        self.root = tempfile.mkdtemp(prefix="anomalens-conformance-")
        self.data_dir = data_dir or os.path.join(self.root, "data")
        self.out_dir = os.path.join(self.root, "out")
        os.makedirs(self.out_dir)
        # --quick-training: CreateModel trains the default configuration; the
        # configuration search is measured by bench/quality, not here.
        args = [binary, "serve", "--data-dir", self.data_dir, "--port", "0", "--bucket", "out=" + self.out_dir,
                "--quick-training"]
        # ANOMALENS_DATABASE=postgresql: the records in a throwaway cluster's database, one per data folder.
        url = database_url(self.data_dir)
        if url:
            # A short lease, so a server killed mid-training fails its model within seconds.
            args += ["--database", url, "--training-lease-seconds", "2"]
        for name, path in (buckets or {}).items():
            args += ["--bucket", f"{name}={path}"]
        if auth:
            creds = os.path.join(self.root, "credentials")
            with open(creds, "w") as f:
                f.write(f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n\n"
                        f"[second]\naws_access_key_id={SECOND_KEY[0]}\naws_secret_access_key={SECOND_KEY[1]}\n")
            args += ["--credentials", creds]
        else:
            args += ["--no-auth"]
        args += list(extra_args)
        self.stderr_path = os.path.join(self.root, "stderr.log")
        self._stderr = open(self.stderr_path, "w+")
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self._stderr)
        self.port = self._wait_for_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"

    def _use_endpoint(self, buckets, auth, data_dir, extra_args):
        """Stands for the server at ANOMALENS_ENDPOINT; a test that needs
        other options than it was started with skips."""
        if not auth or data_dir or extra_args:
            raise unittest.SkipTest("needs a server of its own (--no-auth, a data folder or other options); "
                                    "ANOMALENS_ENDPOINT is shared")
        for name, path in (buckets or {}).items():
            if ENDPOINT_BUCKETS.get(name) != os.path.realpath(path):
                raise unittest.SkipTest(f"needs the bucket '{name}' mapped to {path}; ANOMALENS_ENDPOINT maps "
                                        f"{ENDPOINT_BUCKETS.get(name)}")
        self.root = None
        self.process = None
        self.endpoint = ENDPOINT.rstrip("/")
        self.out_dir = ENDPOINT_BUCKETS["out"]
        self.data_dir = os.environ.get("ANOMALENS_ENDPOINT_DATA_DIR")

    def _wait_for_port(self):
        import time
        deadline = time.time() + 60
        while time.time() < deadline:
            with open(self.stderr_path) as f:
                m = re.search(r"listening on http://[^:]+:(\d+)", f.read())
            if m:
                return int(m.group(1))
            if self.process.poll() is not None:
                raise RuntimeError("anomalens serve exited: " + open(self.stderr_path).read())
            time.sleep(0.05)
        raise RuntimeError("anomalens serve did not start: " + open(self.stderr_path).read())

    def stderr(self):
        if ENDPOINT:  # the access logs of every replica behind it
            import glob
            text = ""
            for log in sorted(glob.glob(os.environ.get("ANOMALENS_ENDPOINT_LOGS", ""))):
                with open(log) as f:
                    text += f.read()
            return text
        with open(self.stderr_path) as f:
            return f.read()

    def kill(self, sig=signal.SIGTERM):
        if ENDPOINT:
            return  # not ours to stop
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)

    def stop(self):
        if ENDPOINT:
            return
        # The clients' idle kept-alive connections closed first: the server's
        # drain waits for each to time out (httplib: 5 s) before it exits.
        for client in self._clients:
            client.close()
        self.kill()
        self._stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION):
        session = boto3.session.Session()
        client = session.client("lookoutvision", endpoint_url=self.endpoint, region_name=region,
                                aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                                config=botocore.config.Config(retries={"max_attempts": 1}))
        self._clients.append(client)
        return client

    def raw(self, method, path, body=b"", headers=None, sign=True, secret_key=SECRET_KEY, tamper=None):
        """Sends one request; returns (status, headers, body bytes). `tamper`
        may change the signed request before it is sent."""
        url = self.endpoint + path
        request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body, headers=headers or {})
        if sign:
            creds = botocore.credentials.Credentials(ACCESS_KEY, secret_key)
            botocore.auth.SigV4Auth(creds, "lookoutvision", REGION).add_auth(request)
        prepared = request.prepare()
        headers = dict(prepared.headers)
        data = prepared.body
        if tamper:
            headers, data = tamper(headers, data)
        req = urllib.request.Request(url, data=data if method != "GET" else None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


def stale_date(headers, data):
    """Moves X-Amz-Date 20 minutes into the past (after signing)."""
    then = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
    headers = dict(headers)
    headers["X-Amz-Date"] = then.strftime("%Y%m%dT%H%M%SZ")
    return headers, data
