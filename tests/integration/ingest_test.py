"""`sluice ingest` from the random-user API into sluice's broker, read back with
confluent-kafka: exact counts, complete records, retries under faults, clear failures, and the
flush on SIGTERM."""
import json
import os
import re
import signal
import subprocess
import time
import unittest


from api_test import Api
from broker_test import Broker
from broker_test import read_topic as read_records

BIN = os.environ["SLUICE_BIN"]
FIELDS = ["id", "first_name", "last_name", "gender", "address", "post_code", "email", "username",
          "dob", "registered_date", "phone", "picture"]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def read_topic(address, topic, expected, timeout=30):
    """The values of every record of `topic`."""
    return [value for _, value, _, _, _ in read_records(address, topic, expected, timeout)]


class Ingest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def ingest(self, api, topic, *extra):
        return subprocess.run([BIN, "ingest", "--url", f"http://127.0.0.1:{api.port}/api/",
                               "--bootstrap", self.broker.address, "--topic", topic, *extra],
                              capture_output=True, text=True, timeout=120)

    def check_records(self, raw, n):
        self.assertEqual(len(raw), n)
        ids = set()
        for value in raw:
            record = json.loads(value)
            self.assertEqual(list(record), FIELDS)
            self.assertTrue(all(isinstance(v, str) and v for v in record.values()), record)
            self.assertRegex(record["id"], UUID)
            self.assertRegex(record["address"], r"^\d+ .+, .+, .+, .+$")
            ids.add(record["id"])
        self.assertEqual(len(ids), n, "every record has its own id")

    def test_exactly_n_complete_records(self):
        api = Api()
        try:
            r = self.ingest(api, "exact", "--count", "2345", "--results-per-request", "500")
        finally:
            api.stop()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("done: 2345 records to exact", r.stdout)
        self.check_records(read_topic(self.broker.address, "exact", 2345), 2345)

    def test_faults_are_retried_and_reported(self):
        # 30% of requests fail, and some take longer than the job's timeout. A slow answer holds
        # one of the API's threads for a second after the job gave up on it, so failures come in
        # runs: the job gets retries enough that exhausting them would be a bug, not bad luck.
        api = Api("--error-rate", "0.3", "--slow-rate", "0.25", "--slow-latency", "1s")
        try:
            r = self.ingest(api, "faults", "--count", "1500", "--results-per-request", "50",
                            "--retry-backoff", "10ms", "--retries", "20", "--concurrency", "3",
                            "--timeout", "400ms")
        finally:
            api.stop()
        self.assertEqual(r.returncode, 0, r.stderr)
        retries = int(re.search(r"(\d+) retries", r.stdout).group(1))
        timeouts = int(re.search(r"(\d+) timeouts", r.stdout).group(1))
        self.assertGreater(retries, 0, r.stdout)
        self.assertGreater(timeouts, 0, r.stdout)
        self.check_records(read_topic(self.broker.address, "faults", 1500), 1500)

    def test_timeouts_are_retried(self):
        api = Api("--latency", "300ms")
        try:
            r = self.ingest(api, "slow", "--count", "10", "--results-per-request", "5",
                            "--timeout", "100ms", "--retries", "1", "--retry-backoff", "10ms")
        finally:
            api.stop()
        self.assertEqual(r.returncode, 1)
        self.assertIn("no answer within 100 ms", r.stderr)
        self.assertIn("timeouts", r.stdout)

    def test_garbage_fails_with_the_reason(self):
        api = Api("--malformed-rate", "1")
        try:
            r = self.ingest(api, "garbage", "--count", "50", "--retries", "2",
                            "--retry-backoff", "10ms")
        finally:
            api.stop()
        self.assertEqual(r.returncode, 1)
        self.assertIn("the answer is not JSON", r.stderr)
        self.assertIn("failed: 0 records", r.stdout)

    def test_mapping_from_the_config(self):
        api = Api()
        cfg = os.path.join(api.dir, "ingest.yaml")
        with open(cfg, "w") as f:
            f.write("pipelines:\n"
                    "  - name: people\n"
                    "    ingest:\n"
                    f"      url: http://127.0.0.1:{api.port}/api/\n"
                    "      topic: people\n"
                    "      count: 40\n"
                    "      results_per_request: 15\n"
                    "      mapping:\n"
                    "        - {field: key, value: '{uuid}'}\n"
                    "        - {field: who, value: '{name.first} {name.last}'}\n"
                    "        - {field: where, value: '{location.city} ({nat})'}\n")
        try:
            r = subprocess.run([BIN, "-c", cfg, "ingest", "--bootstrap", self.broker.address],
                               capture_output=True, text=True, timeout=120)
        finally:
            api.stop()
        self.assertEqual(r.returncode, 0, r.stderr)
        records = [json.loads(v) for v in read_topic(self.broker.address, "people", 40)]
        self.assertEqual(len(records), 40)
        for record in records:
            self.assertEqual(list(record), ["key", "who", "where"])
            self.assertRegex(record["key"], UUID)
            self.assertRegex(record["where"], r"^.+ \([A-Z]{2}\)$")

    def test_sigterm_flushes_what_was_fetched(self):
        api = Api()
        try:
            p = subprocess.Popen(
                [BIN, "ingest", "--url", f"http://127.0.0.1:{api.port}/api/", "--bootstrap",
                 self.broker.address, "--topic", "stopped", "--duration", "60s",
                 "--results-per-request", "50", "--rate-limit", "20"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            time.sleep(2)
            p.send_signal(signal.SIGTERM)
            out, err = p.communicate(timeout=60)
        finally:
            api.stop()
        self.assertEqual(p.returncode, 0, err)
        produced = int(re.search(r"stopped: (\d+) records", out).group(1))
        self.assertGreater(produced, 0)
        self.assertEqual(len(read_topic(self.broker.address, "stopped", produced)), produced)


if __name__ == "__main__":
    unittest.main(verbosity=2)
