"""`sluice up` as a user runs it: the whole reference pipeline in one process (API -> ingest ->
broker -> processor -> store) on a config with free loopback ports; the table fills with exactly
the users ingested, progress is printed at each hop, `sluice cql` shows the count, Ctrl-C stops
everything, a second run resumes where the first stopped, and a busy port is named."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

from store_test import connected, free_port

BIN = os.environ["SLUICE_BIN"]


def write_config(root, ports, count):
    path = os.path.join(root, "sluice.yaml")
    with open(path, "w") as f:
        f.write(f"""data_dir: {root}/data
broker: {{listen: "127.0.0.1:{ports['broker']}"}}
store: {{listen: "127.0.0.1:{ports['store']}"}}
api: {{listen: "127.0.0.1:{ports['api']}"}}
http: {{listen: "127.0.0.1:{ports['http']}"}}
pipelines:
  - name: users
    ingest:
      url: "http://127.0.0.1:{ports['api']}/api/"
      count: {count}
      results_per_request: 500
    process: {{}}
dags:
  - id: user_automation
    schedule: "@daily"
    tasks: [{{id: stream_data_from_api, type: ingest, pipeline: users}}]
""")
    return path


class Up:
    def __init__(self, root, config):
        self.log = open(os.path.join(root, f"up-{time.time_ns()}.log"), "w+")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([BIN, "up", config, "--progress-interval", "1s"],
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=root)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def wait_for(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"sluice up exited ({self.proc.returncode}):\n"
                                     + self.output())
            time.sleep(0.05)
        raise AssertionError(f"no '{text}' within {timeout} s:\n" + self.output())

    def stop(self, sig=signal.SIGINT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)


def rest(port, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def table_count(port):
    with connected(port) as (_, session):
        return session.execute("SELECT count(*) FROM spark_streams.created_users").one()[0]


def wait_count(port, n, timeout=60):
    deadline, last = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        try:
            last = table_count(port)
        except Exception:  # the table may not exist yet
            last = -1
        if last >= n:
            return last
        time.sleep(0.3)
    return last


class ReferencePipeline(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="sluice-up-")
        self.addCleanup(shutil.rmtree, self.root, True)
        self.ports = {k: free_port() for k in ("broker", "store", "api", "http")}

    def test_users_flow_to_the_table_and_a_second_run_resumes(self):
        config = write_config(self.root, self.ports, 3000)
        up = Up(self.root, config)
        self.addCleanup(up.log.close)
        self.addCleanup(lambda: up.proc.poll() is None and up.proc.kill())
        up.wait_for("ready in")
        self.assertIn('query the table: sluice cql --host 127.0.0.1:'
                      f'{self.ports["store"]} -e "SELECT count(*) FROM '
                      'spark_streams.created_users"', up.output())
        self.assertEqual(wait_count(self.ports["store"], 3000), 3000)
        up.wait_for("ingest/users: done, 3,000 records to users_created")
        up.wait_for("process/users 3,000 written")
        # The verification step of the tutorial, through sluice's own shell.
        r = subprocess.run([BIN, "cql", "--host", f"127.0.0.1:{self.ports['store']}", "-e",
                            "SELECT count(*) FROM spark_streams.created_users", "--format",
                            "csv"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.split(), ["count", "3000"])
        out = up.output()
        self.assertRegex(out, r"\[\s*\d+s\] ingest/users [\d,]+ fetched, [\d,]+ produced")
        self.assertRegex(out, r"process/users [\d,]+ written \([\d,]+/s\), lag [\d,]+, p99")
        self.assertEqual(up.stop(), 0, up.output())

        # Second run on the same data, the same day: the daily DAG's interval already has its run,
        # so nothing is ingested again and the processor, resuming from its committed offsets,
        # writes nothing. A manual trigger (through the REST API) ingests 3,000 more.
        up2 = Up(self.root, config)
        self.addCleanup(up2.log.close)
        self.addCleanup(lambda: up2.proc.poll() is None and up2.proc.kill())
        up2.wait_for("ready in")
        runs = rest(self.ports["http"], "GET", "/api/v1/dags/user_automation/dagRuns")
        self.assertEqual(runs["total_entries"], 1, runs)
        self.assertEqual(runs["dag_runs"][0]["state"], "success")
        time.sleep(1.5)  # a progress line or more: nothing written
        self.assertEqual(table_count(self.ports["store"]), 3000)
        run = rest(self.ports["http"], "POST", "/api/v1/dags/user_automation/dagRuns",
                   {"conf": {}})
        self.assertEqual(run["run_type"], "manual")
        self.assertEqual(wait_count(self.ports["store"], 6000), 6000)
        up2.wait_for("process/users 3,000 written")
        time.sleep(1.5)  # a further progress line: nothing more is written
        self.assertEqual(up2.stop(), 0, up2.output())
        self.assertNotIn("process/users 3,001", up2.output())
        self.assertNotRegex(up2.output(), r"process/users [4-9],\d{3} written")
        self.assertEqual(table_count_after_stop(self), 6000)

    def test_busy_port_is_named(self):
        taken = socket.socket()
        taken.bind(("127.0.0.1", self.ports["broker"]))
        taken.listen()
        self.addCleanup(taken.close)
        config = write_config(self.root, self.ports, 10)
        r = subprocess.run([BIN, "up", config], capture_output=True, text=True, timeout=60,
                           cwd=self.root)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"127.0.0.1:{self.ports['broker']}", r.stderr)
        self.assertRegex(r.stderr, re.compile("in use", re.IGNORECASE))


def table_count_after_stop(test):
    """The store's data as a fresh `sluice store` serves it from the same directory."""
    port = free_port()
    store = subprocess.Popen([BIN, "store", "--listen", f"127.0.0.1:{port}", "--data-dir",
                              os.path.join(test.root, "data", "store")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return wait_count(port, 1, timeout=20)
    finally:
        store.terminate()
        store.wait(timeout=20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
