"""Starts `anomalens serve` for the conformance tests and signs raw requests.

The server runs on a free port (--port 0; the port is read from its
"listening on" line) with a temporary data directory and credentials file.
"""
import datetime
import os
import re
import shutil
import signal
import subprocess
import tempfile
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.config

ACCESS_KEY = "AKIDANOMALENSTEST"
SECRET_KEY = "anomalens/test+secret"
SECOND_KEY = ("AKIDSECONDPROFILE", "second-secret")
REGION = "us-east-1"


class LookoutServer:
    """A running `anomalens serve`; stop() ends it and removes its folders."""

    def __init__(self, binary, buckets=None, auth=True, data_dir=None, extra_args=()):
        self.root = tempfile.mkdtemp(prefix="anomalens-conformance-")
        self.data_dir = data_dir or os.path.join(self.root, "data")
        self.out_dir = os.path.join(self.root, "out")
        os.makedirs(self.out_dir)
        args = [binary, "serve", "--data-dir", self.data_dir, "--port", "0", "--bucket", "out=" + self.out_dir]
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
        with open(self.stderr_path) as f:
            return f.read()

    def kill(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=30)

    def stop(self):
        self.kill()
        self._stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self, access_key=ACCESS_KEY, secret_key=SECRET_KEY, region=REGION):
        session = boto3.session.Session()
        return session.client("lookoutvision", endpoint_url=self.endpoint, region_name=region,
                            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                            config=botocore.config.Config(retries={"max_attempts": 1}))

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
