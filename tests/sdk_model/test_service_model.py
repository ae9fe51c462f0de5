"""The service model `anomalens service-model` writes, loaded by the current
botocore (the `python3` on PATH, which no longer bundles lookoutvision)
through AWS_DATA_PATH, against the model Debian's older botocore bundles:
the same operations, HTTP bindings, members, required fields, constraints
and errors (facts compared, not bytes).

Run by CTest (sdk_service_model):
  ANOMALENS_CLI=build/native/anomalens python3 -m unittest discover -s tests/sdk_model -v

Without the Debian model (python3-botocore) or a botocore for this python,
it skips with a message, and fails when CI=true.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

CLI = os.environ.get("ANOMALENS_CLI", "build/native/anomalens")
DEBIAN_MODEL = "/usr/lib/python3/dist-packages/botocore/data/lookoutvision/2020-11-20"


def require(condition, message):
    if not condition:
        if os.environ.get("CI") == "true":
            raise AssertionError("CI=true but " + message)
        raise unittest.SkipTest(message)


def shape_facts(shape, seen=None):
    """What an SDK relies on in a shape, recursively, as plain data."""
    seen = set() if seen is None else seen
    facts = {"type": shape.type_name}
    meta = shape.metadata
    for key in ("min", "max", "pattern", "streaming", "requiresLength", "exception", "fault", "error"):
        if key in meta:
            facts[key] = meta[key]
    if getattr(shape, "enum", None):
        facts["enum"] = sorted(shape.enum)
    if shape.name in seen:
        return {"ref": shape.name}
    seen = seen | {shape.name}
    if shape.type_name == "structure":
        facts["required"] = sorted(meta.get("required", []))
        facts["payload"] = shape.serialization.get("payload")
        facts["members"] = {}
        for name, member in shape.members.items():
            m = shape_facts(member, seen)
            m["location"] = member.serialization.get("location")
            m["locationName"] = member.serialization.get("name") if member.serialization.get("location") else None
            m["idempotencyToken"] = bool(member.metadata.get("idempotencyToken"))
            facts["members"][name] = m
    elif shape.type_name == "list":
        facts["member"] = shape_facts(shape.member, seen)
    return facts


class ServiceModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require(os.path.isfile(os.path.join(DEBIAN_MODEL, "service-2.json")),
                f"Debian's bundled lookoutvision model is missing at {DEBIAN_MODEL} (apt install python3-botocore)")
        try:
            import botocore.session  # noqa: F401
        except ImportError:
            require(False, "this python3 has no botocore (pip install boto3 gives the current one)")
        cls.root = tempfile.mkdtemp(prefix="anomalens-sdk-model-")
        cls.data = os.path.join(cls.root, "models")
        subprocess.run([CLI, "service-model", "--output", cls.data], check=True, capture_output=True)
        # Isolation: nothing from the user's ~/.aws, only our model.
        cls.saved = {k: os.environ.get(k) for k in ("HOME", "AWS_DATA_PATH", "AWS_CONFIG_FILE")}
        os.environ.update(HOME=cls.root, AWS_DATA_PATH=cls.data,
                          AWS_CONFIG_FILE=os.path.join(cls.root, "no-config"))
        import botocore.model
        import botocore.session
        cls.session = botocore.session.get_session()
        cls.ours = cls.session.get_service_model("lookoutvision")
        with open(os.path.join(DEBIAN_MODEL, "service-2.json")) as f:
            cls.debian = botocore.model.ServiceModel(json.load(f), "lookoutvision")

    @classmethod
    def tearDownClass(cls):
        for k, v in cls.saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(cls.root, ignore_errors=True)

    def test_loaded_from_our_files(self):
        loader = self.session.get_component("data_loader")
        self.assertIn(self.data, loader.search_paths)
        self.assertIn("lookoutvision", loader.list_available_services("service-2"))
        self.assertTrue(os.path.isfile(os.path.join(self.data, "lookoutvision", "2020-11-20", "service-2.json")))

    def test_metadata(self):
        for key in ("protocol", "signingName", "endpointPrefix", "apiVersion", "serviceId", "signatureVersion"):
            self.assertEqual(self.ours.metadata[key], self.debian.metadata[key], key)

    def test_operations(self):
        self.assertEqual(sorted(self.ours.operation_names), sorted(self.debian.operation_names))
        self.assertEqual(len(self.ours.operation_names), 22)
        for name in self.debian.operation_names:
            ours, theirs = self.ours.operation_model(name), self.debian.operation_model(name)
            with self.subTest(operation=name):
                self.assertEqual(ours.http, theirs.http)
                self.assertEqual(shape_facts(ours.input_shape), shape_facts(theirs.input_shape))
                self.assertEqual(shape_facts(ours.output_shape), shape_facts(theirs.output_shape))
                self.assertEqual(sorted(e.name for e in ours.error_shapes), sorted(e.name for e in theirs.error_shapes))
                for ours_error in ours.error_shapes:
                    self.assertEqual(shape_facts(ours_error), shape_facts(self.debian.shape_for(ours_error.name)))

    def test_every_shape(self):
        self.assertEqual(sorted(self.ours.shape_names), sorted(self.debian.shape_names))
        for name in self.debian.shape_names:
            with self.subTest(shape=name):
                self.assertEqual(shape_facts(self.ours.shape_for(name)), shape_facts(self.debian.shape_for(name)))

    def test_paginators(self):
        loader = self.session.get_component("data_loader")
        ours = loader.load_service_model("lookoutvision", "paginators-1")
        with open(os.path.join(DEBIAN_MODEL, "paginators-1.json")) as f:
            self.assertEqual(ours, json.load(f))

    def test_client_builds(self):
        client = self.session.create_client("lookoutvision", region_name="us-east-1",
                                            endpoint_url="http://127.0.0.1:9", aws_access_key_id="a",
                                            aws_secret_access_key="b")
        self.assertTrue(client.can_paginate("list_dataset_entries"))
        self.assertTrue(hasattr(client.exceptions, "ResourceNotFoundException"))

    def test_written_twice_is_the_same(self):
        again = os.path.join(self.root, "again")
        subprocess.run([CLI, "service-model", "--output", again], check=True, capture_output=True)
        for name in ("service-2.json", "paginators-1.json"):
            with open(os.path.join(self.data, "lookoutvision", "2020-11-20", name), "rb") as a, \
                    open(os.path.join(again, "lookoutvision", "2020-11-20", name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)


class SdkSetup(unittest.TestCase):
    """`anomalens sdk-setup`: installs into ~/.aws/models (or --dir), idempotent, says how to undo."""

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="anomalens-sdk-setup-")

    def tearDown(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def run_setup(self, *args):
        env = dict(os.environ, HOME=self.home)
        env.pop("AWS_DATA_PATH", None)
        r = subprocess.run([CLI, "sdk-setup", *args], env=env, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_default_dir_is_idempotent_and_found_by_botocore(self):
        folder = os.path.join(self.home, ".aws", "models", "lookoutvision", "2020-11-20")
        first = self.run_setup()
        self.assertIn("wrote the Lookout for Vision service model (2 files) to " + folder, first)
        self.assertIn("undo: rm -r " + os.path.join(self.home, ".aws", "models", "lookoutvision"), first)
        before = {n: os.stat(os.path.join(folder, n)).st_mtime_ns for n in os.listdir(folder)}
        self.assertEqual(sorted(before), ["paginators-1.json", "service-2.json"])
        second = self.run_setup()
        self.assertIn("already current; nothing changed", second)
        self.assertEqual(before, {n: os.stat(os.path.join(folder, n)).st_mtime_ns for n in os.listdir(folder)})
        try:
            import botocore.session
        except ImportError:
            require(False, "this python3 has no botocore")
        code = ("import botocore.session; s = botocore.session.get_session(); "
                "print(len(s.get_service_model('lookoutvision').operation_names))")
        env = dict(os.environ, HOME=self.home)
        env.pop("AWS_DATA_PATH", None)
        r = subprocess.run([__import__("sys").executable, "-c", code], env=env, capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "22"), r.stderr)

    def test_dir_prints_aws_data_path(self):
        target = os.path.join(self.home, "models")
        out = self.run_setup("--dir", target)
        self.assertIn("export AWS_DATA_PATH=" + target, out)
        self.assertTrue(os.path.isfile(os.path.join(target, "lookoutvision", "2020-11-20", "service-2.json")))

    def test_bad_usage(self):
        r = subprocess.run([CLI, "sdk-setup", "stray"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unexpected argument 'stray'", r.stderr)
        r = subprocess.run([CLI, "service-model"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--output DIR", r.stderr)


if __name__ == "__main__":
    unittest.main()
