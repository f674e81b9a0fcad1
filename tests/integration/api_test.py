"""`sluice api`, the offline random-user API, checked over HTTP against randomuser.me's documented
shape (version 1.4), for determinism, filters, errors and fault injection."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

BIN = os.environ["SLUICE_BIN"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """A `sluice api` process on a free port."""

    def __init__(self, *extra):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="sluice-api-")
        self.log = open(os.path.join(self.dir, "api.log"), "w+")
        self.proc = subprocess.Popen([BIN, "api", "--listen", f"127.0.0.1:{self.port}", *extra],
                                     stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("api exited: " + open(self.log.name).read())
                time.sleep(0.05)
        raise RuntimeError("api did not start")

    def get(self, query="", path="/api/"):
        url = f"http://127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=20)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return code


STRING, INT, NUMBER_OR_STRING, NULLABLE_STRING = "str", "int", "num|str", "str|null"
# randomuser.me 1.4, field by field.
SHAPE = {
    "gender": STRING,
    "name": {"title": STRING, "first": STRING, "last": STRING},
    "location": {
        "street": {"number": INT, "name": STRING},
        "city": STRING, "state": STRING, "country": STRING, "postcode": NUMBER_OR_STRING,
        "coordinates": {"latitude": STRING, "longitude": STRING},
        "timezone": {"offset": STRING, "description": STRING},
    },
    "email": STRING,
    "login": {"uuid": STRING, "username": STRING, "password": STRING, "salt": STRING,
              "md5": STRING, "sha1": STRING, "sha256": STRING},
    "dob": {"date": STRING, "age": INT},
    "registered": {"date": STRING, "age": INT},
    "phone": STRING, "cell": STRING,
    "id": {"name": STRING, "value": NULLABLE_STRING},
    "picture": {"large": STRING, "medium": STRING, "thumbnail": STRING},
    "nat": STRING,
}


def check_shape(test, value, shape, path="user"):
    if isinstance(shape, dict):
        test.assertIsInstance(value, dict, path)
        test.assertEqual(list(value), list(shape), f"{path}: fields and their order")
        for key, sub in shape.items():
            check_shape(test, value[key], sub, f"{path}.{key}")
    elif shape == STRING:
        test.assertIsInstance(value, str, path)
    elif shape == INT:
        test.assertIsInstance(value, int, path)
    elif shape == NUMBER_OR_STRING:
        test.assertIsInstance(value, (int, str), path)
    elif shape == NULLABLE_STRING:
        test.assertTrue(value is None or isinstance(value, str), path)


class Responses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = Api()

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()

    def test_shape_for_many_seeds(self):
        numeric = text = 0
        nats = set()
        for seed in range(30):
            status, body = self.api.get(f"results=100&seed=seed{seed}&page=2")
            self.assertEqual(status, 200)
            doc = json.loads(body)
            self.assertEqual(list(doc), ["results", "info"])
            self.assertEqual(doc["info"], {"seed": f"seed{seed}", "results": 100, "page": 2,
                                           "version": "1.4"})
            self.assertEqual(len(doc["results"]), 100)
            for user in doc["results"]:
                check_shape(self, user, SHAPE)
                nats.add(user["nat"])
                if isinstance(user["location"]["postcode"], int):
                    numeric += 1
                else:
                    text += 1
        self.assertGreaterEqual(len(nats), 20, "realistic variety of nationalities")
        self.assertTrue(numeric and text, "randomuser's postcode quirk: numbers and strings")

    def test_same_seed_and_page_same_bytes(self):
        a = self.api.get("results=500&seed=fixed&page=7")
        b = self.api.get("results=500&seed=fixed&page=7")
        c = self.api.get("results=500&seed=fixed&page=8")
        self.assertEqual(a, b)
        self.assertNotEqual(a[1], c[1])

    def test_limits_filters_and_errors(self):
        status, body = self.api.get("results=5000&seed=big")
        self.assertEqual(status, 200)
        self.assertEqual(len(json.loads(body)["results"]), 5000)
        users = json.loads(self.api.get("results=50&gender=male&nat=de,us&seed=f")[1])["results"]
        self.assertTrue(all(u["gender"] == "male" and u["nat"] in ("DE", "US") for u in users))
        users = json.loads(self.api.get("results=5&inc=name,nat&seed=i")[1])["results"]
        self.assertTrue(all(list(u) == ["name", "nat"] for u in users))
        status, body = self.api.get("results=many")
        self.assertEqual(status, 400)
        self.assertIn("results must be a whole number", json.loads(body)["error"])
        status, body = self.api.get(path="/nowhere")
        self.assertEqual(status, 404)
        self.assertIn("/api/", json.loads(body)["error"])
        self.assertEqual(self.api.get("results=1", path="/api")[0], 200)


class FaultInjection(unittest.TestCase):
    def test_error_rate(self):
        api = Api("--error-rate", "0.3")
        try:
            statuses = [api.get("results=1")[0] for _ in range(300)]
        finally:
            api.stop()
        failures = statuses.count(503)
        self.assertEqual(failures + statuses.count(200), 300)
        self.assertTrue(45 <= failures <= 135, f"{failures} of 300 failed, expected about 90")

    def test_malformed_bodies_and_latency(self):
        api = Api("--malformed-rate", "1", "--latency", "150ms")
        try:
            start = time.monotonic()
            status, body = api.get("results=20&seed=m")
            elapsed = time.monotonic() - start
        finally:
            api.stop()
        self.assertEqual(status, 200)
        self.assertGreaterEqual(elapsed, 0.15)
        with self.assertRaises(ValueError):
            json.loads(body)

    def test_bad_flags(self):
        r = subprocess.run([BIN, "api", "--error-rate", "2"], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--error-rate: must be 0 to 1", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
