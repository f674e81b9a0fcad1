"""`sluice scheduler` and `sluice dags` as users run them: the Airflow-shaped REST API answers
every documented path with the documented JSON, the CLI prints tables, a backfill runs its
intervals, and a scheduler killed with SIGKILL mid-task (its task's process dies with it) is
restarted without losing or duplicating runs or task tries."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from api_test import free_port

BIN = os.environ["SLUICE_BIN"]

CONFIG = """data_dir: {root}/data
http: {{listen: "127.0.0.1:{port}"}}
scheduler: {{poll_interval: 200ms}}
dags:
  - id: greet
    description: says hello
    params: {{who: world}}
    tasks:
      - {{id: hello, type: command, command: "echo hello {{{{ params.who }}}} {{{{ ds }}}}"}}
      - {{id: bye, type: command, command: "echo bye", upstream: [hello]}}
  - id: daily
    schedule: "@daily"
    start_date: 2026-01-01
    paused: true
    tasks:
      - {{id: t, type: command, command: "echo {{{{ ds }}}}"}}
  - id: flaky
    schedule: "@daily"
    start_date: 2026-01-01
    paused: true
    tasks:
      - {{id: t, type: command, command: "exit 4"}}
  - id: slow
    tasks:
      - {{id: nap, type: command,
         command: "test $SLUICE_TRY_NUMBER -ge 2 || exec sleep 31.25"}}
"""


def sluice(*args, root, timeout=60):
    return subprocess.run([BIN, "-c", os.path.join(root, "sluice.yaml"), *args],
                          capture_output=True, text=True, timeout=timeout)


class Scheduler:
    def __init__(self, root, port):
        self.log = open(os.path.join(root, f"scheduler-{time.time_ns()}.log"), "w+")
        self.proc = subprocess.Popen([BIN, "-c", os.path.join(root, "sluice.yaml"), "scheduler"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.port = port
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.log.seek(0)
            if "scheduler ready" in self.log.read():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.log.seek(0)
        raise AssertionError("scheduler did not start:\n" + self.log.read())

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        self.log.close()
        return code


def call(port, method, path, body=None, accept="application/json"):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read().decode()
            return r.status, r.headers.get("Content-Type"), raw
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def call_json(port, method, path, body=None):
    status, _, raw = call(port, method, path, body)
    return status, json.loads(raw)


def wait_run(port, dag, run_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, run = call_json(port, "GET", f"/api/v1/dags/{dag}/dagRuns/{run_id}")
        if status == 200 and run["state"] in ("success", "failed"):
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} of {dag} did not finish: {run}")


class Rest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="sluice-sched-")
        cls.port = free_port()
        with open(os.path.join(cls.root, "sluice.yaml"), "w") as f:
            f.write(CONFIG.format(root=cls.root, port=cls.port))
        cls.sched = Scheduler(cls.root, cls.port)

    @classmethod
    def tearDownClass(cls):
        cls.sched.stop()
        shutil.rmtree(cls.root, True)

    def test_dags_list_get_and_patch(self):
        status, body = call_json(self.port, "GET", "/api/v1/dags")
        self.assertEqual(status, 200)
        self.assertEqual(body["total_entries"], 4)
        by_id = {d["dag_id"]: d for d in body["dags"]}
        self.assertEqual(by_id["daily"]["schedule_interval"],
                         {"__type": "CronExpression", "value": "@daily"})
        self.assertIsNone(by_id["greet"]["schedule_interval"])
        self.assertEqual(by_id["greet"]["description"], "says hello")
        self.assertTrue(by_id["daily"]["is_paused"])
        for key in ("dag_id", "is_paused", "is_active", "schedule_interval", "tags", "owners"):
            self.assertIn(key, by_id["greet"])
        status, body = call_json(self.port, "GET", "/api/v1/dags?limit=1&offset=1")
        self.assertEqual((status, len(body["dags"]), body["total_entries"]), (200, 1, 4))
        status, body = call_json(self.port, "GET", "/api/v1/dags?paused=true")
        self.assertEqual(sorted(d["dag_id"] for d in body["dags"]), ["daily", "flaky"])
        status, dag = call_json(self.port, "GET", "/api/v1/dags/greet")
        self.assertEqual((status, dag["dag_id"]), (200, "greet"))
        status, dag = call_json(self.port, "PATCH", "/api/v1/dags/greet", {"is_paused": True})
        self.assertEqual((status, dag["is_paused"]), (200, True))
        status, dag = call_json(self.port, "PATCH", "/api/v1/dags/greet", {"is_paused": False})
        self.assertEqual((status, dag["is_paused"]), (200, False))
        status, err = call_json(self.port, "PATCH", "/api/v1/dags/greet", {"is_paused": "no"})
        self.assertEqual((status, err["status"]), (400, 400))
        status, err = call_json(self.port, "GET", "/api/v1/dags/nope")
        self.assertEqual(status, 404)
        self.assertEqual(err["title"], "DAG not found")
        self.assertEqual(err["detail"], "DAG with dag_id: 'nope' not found")
        self.assertTrue(err["type"].endswith("#section/Errors/NotFound"))

    def test_trigger_runs_tasks_logs(self):
        status, run = call_json(self.port, "POST", "/api/v1/dags/greet/dagRuns",
                                {"dag_run_id": "rest_run_1", "conf": {"who": "rest"},
                                 "logical_date": "2026-03-04T05:06:07Z"})
        self.assertEqual(status, 200, run)
        self.assertEqual(run["dag_run_id"], "rest_run_1")
        self.assertEqual(run["logical_date"], "2026-03-04T05:06:07+00:00")
        self.assertEqual(run["conf"], {"who": "rest"})
        self.assertTrue(run["external_trigger"])
        self.assertIn(run["state"], ("queued", "running", "success"))
        done = wait_run(self.port, "greet", "rest_run_1")
        self.assertEqual(done["state"], "success")
        self.assertIsNotNone(done["start_date"])
        self.assertIsNotNone(done["end_date"])
        status, body = call_json(self.port, "GET", "/api/v1/dags/greet/dagRuns")
        self.assertEqual(status, 200)
        self.assertGreaterEqual(body["total_entries"], 1)
        self.assertIn("rest_run_1", [r["dag_run_id"] for r in body["dag_runs"]])
        status, tis = call_json(self.port, "GET",
                                "/api/v1/dags/greet/dagRuns/rest_run_1/taskInstances")
        self.assertEqual((status, tis["total_entries"]), (200, 2))
        by_task = {t["task_id"]: t for t in tis["task_instances"]}
        self.assertEqual(by_task["hello"]["state"], "success")
        self.assertEqual(by_task["hello"]["try_number"], 1)
        self.assertEqual(by_task["hello"]["operator"], "BashOperator")
        self.assertGreaterEqual(by_task["bye"]["start_date"], by_task["hello"]["end_date"])
        status, ti = call_json(self.port, "GET",
                               "/api/v1/dags/greet/dagRuns/rest_run_1/taskInstances/hello")
        self.assertEqual((status, ti["task_id"]), (200, "hello"))
        status, log = call_json(
            self.port, "GET", "/api/v1/dags/greet/dagRuns/rest_run_1/taskInstances/hello/logs/1")
        self.assertEqual(status, 200)
        self.assertIn("hello rest 2026-03-04\n", log["content"])
        status, ctype, text = call(
            self.port, "GET", "/api/v1/dags/greet/dagRuns/rest_run_1/taskInstances/hello/logs/1",
            accept="text/plain")
        self.assertEqual(status, 200)
        self.assertTrue(ctype.startswith("text/plain"))
        self.assertIn("hello rest 2026-03-04\n", text)
        status, err = call_json(
            self.port, "GET", "/api/v1/dags/greet/dagRuns/rest_run_1/taskInstances/hello/logs/2")
        self.assertEqual(status, 404, err)
        # The same run id again: 409, as Airflow.
        status, err = call_json(self.port, "POST", "/api/v1/dags/greet/dagRuns",
                                {"dag_run_id": "rest_run_1",
                                 "logical_date": "2026-03-04T05:06:07Z"})
        self.assertEqual((status, err["status"]), (409, 409))
        status, err = call_json(self.port, "POST", "/api/v1/dags/greet/dagRuns", {"conf": [1]})
        self.assertEqual(status, 400)
        status, err = call_json(self.port, "POST", "/api/v1/dags/nope/dagRuns", {})
        self.assertEqual(status, 404)
        status, err = call_json(self.port, "GET", "/api/v1/dags/greet/dagRuns/nope")
        self.assertEqual((status, err["title"]), (404, "DAGRun not found"))
        status, err = call_json(self.port, "GET", "/api/v1/nothing/here")
        self.assertEqual((status, err["status"]), (404, 404))
        status, health = call_json(self.port, "GET", "/api/v1/health")
        self.assertEqual(health["scheduler"]["status"], "healthy")

    def test_cli_tables(self):
        r = sluice("dags", "list", root=self.root)
        self.assertEqual(r.returncode, 0, r.stderr)
        header = r.stdout.splitlines()[0].split()
        self.assertEqual(header[:4], ["DAG", "SCHEDULE", "PAUSED", "TASKS"])
        self.assertRegex(r.stdout, r"\ndaily\s+@daily\s+yes\s+1\s")
        r = sluice("dags", "show", "greet", root=self.root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"\nbye\s+command\s+hello\s+0\s")
        r = sluice("dags", "trigger", "greet", "--conf", '{"who": "cli"}', "--run-id", "cli_run",
                   root=self.root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("triggered greet cli_run", r.stdout)
        self.assertEqual(wait_run(self.port, "greet", "cli_run")["state"], "success")
        r = sluice("dags", "runs", "greet", root=self.root)
        self.assertRegex(r.stdout, r"\ncli_run\s+manual\s+success\s")
        r = sluice("dags", "tasks", "greet", "cli_run", root=self.root)
        self.assertRegex(r.stdout, r"\nhello\s+success\s+1\s+1\s")
        r = sluice("dags", "logs", "greet", "cli_run", "hello", root=self.root)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("hello cli ", r.stdout)
        r = sluice("dags", "trigger", "greet", "--conf", "nope", root=self.root)
        self.assertEqual(r.returncode, 1)
        self.assertIn("conf must be a JSON object", r.stderr)
        r = sluice("dags", "show", "nope", root=self.root)
        self.assertEqual(r.returncode, 2)
        self.assertIn("no DAG 'nope'", r.stderr)

    def test_backfill_runs_its_intervals(self):
        r = sluice("dags", "backfill", "daily", "--from", "2026-01-01", "--to", "2026-01-03",
                   root=self.root)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("3 run(s) created", r.stdout)
        self.assertIn("3 succeeded, 0 failed", r.stdout)
        r = sluice("dags", "logs", "daily", "backfill__2026-01-02T00:00:00+00:00", "t",
                   root=self.root)
        self.assertIn("\n2026-01-02\n", r.stdout)
        r = sluice("dags", "backfill", "flaky", "--from", "2026-01-01", "--to", "2026-01-01",
                   root=self.root)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("0 succeeded, 1 failed", r.stdout)
        # Still paused: the backfill added no scheduled runs.
        status, body = call_json(self.port, "GET", "/api/v1/dags/daily/dagRuns")
        self.assertEqual(body["total_entries"], 3)


def sleepers():
    r = subprocess.run(["pgrep", "-f", "sleep 31.25"], capture_output=True, text=True)
    return r.stdout.split()


class KilledScheduler(unittest.TestCase):
    def test_restart_neither_loses_nor_duplicates(self):
        root = tempfile.mkdtemp(prefix="sluice-kill-")
        self.addCleanup(shutil.rmtree, root, True)
        port = free_port()
        with open(os.path.join(root, "sluice.yaml"), "w") as f:
            f.write(CONFIG.format(root=root, port=port))
        first = Scheduler(root, port)
        status, run = call_json(port, "POST", "/api/v1/dags/slow/dagRuns", {"dag_run_id": "r"})
        self.assertEqual(status, 200, run)
        deadline = time.monotonic() + 20
        while not sleepers() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(sleepers(), "the task never started")
        first.stop(signal.SIGKILL)
        # The task's watchdog kills its process group once sluice is gone.
        deadline = time.monotonic() + 5
        while sleepers() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(sleepers(), [], "the task outlived its scheduler")
        second = Scheduler(root, port)
        try:
            done = wait_run(port, "slow", "r")
            self.assertEqual(done["state"], "success")
            r = sluice("dags", "runs", "slow", root=root)
            self.assertEqual(len(r.stdout.strip().splitlines()), 2, r.stdout)  # header + 1 run
            status, log1 = call_json(port, "GET",
                                     "/api/v1/dags/slow/dagRuns/r/taskInstances/nap/logs/1")
            self.assertIn("interrupted: its scheduler", log1["content"])
            status, ti = call_json(port, "GET", "/api/v1/dags/slow/dagRuns/r/taskInstances/nap")
            self.assertEqual((ti["state"], ti["try_number"]), ("success", 2))
            status, _ = call_json(port, "GET",
                                  "/api/v1/dags/slow/dagRuns/r/taskInstances/nap/logs/3")
            self.assertEqual(status, 404)
        finally:
            self.assertEqual(second.stop(), 0)


PIPELINE_CONFIG = """data_dir: {root}/data
kafka: {{bootstrap: ["{broker}"]}}
cassandra: {{contact_points: ["127.0.0.1:{store}"]}}
http: {{listen: "127.0.0.1:{port}"}}
scheduler: {{poll_interval: 200ms}}
pipelines:
  - name: users
    ingest: {{url: "http://127.0.0.1:{api}/api/", topic: etl_users, count: 700,
              results_per_request: 100}}
    process: {{topic: etl_users, keyspace: etl, table: users}}
  - name: endless
    ingest: {{url: "http://127.0.0.1:{api}/api/", topic: endless, duration: 10m, rate_limit: 2,
              results_per_request: 1}}
dags:
  - id: etl
    tasks:
      - {{id: ingest, type: ingest, pipeline: users}}
      - {{id: process, type: process, pipeline: users, upstream: [ingest]}}
      - id: audit
        type: cql
        upstream: [process]
        statements:
          - "CREATE TABLE IF NOT EXISTS etl.audit (ds text PRIMARY KEY, run text)"
          - "INSERT INTO etl.audit (ds, run) VALUES ('{{{{ ds }}}}', '{{{{ run_id }}}}')"
          - "SELECT count(*) FROM etl.users"
  - id: endless
    tasks:
      - {{id: ingest, type: ingest, pipeline: endless, execution_timeout: 2s}}
"""


class BuiltInTasks(unittest.TestCase):
    """ingest -> process (until caught up) -> cql against real broker, store and API processes."""

    @classmethod
    def setUpClass(cls):
        from api_test import Api
        from broker_test import Broker
        from store_test import Store
        cls.root = tempfile.mkdtemp(prefix="sluice-etl-")
        cls.broker, cls.store, cls.api = Broker(), Store(), Api()
        cls.port = free_port()
        with open(os.path.join(cls.root, "sluice.yaml"), "w") as f:
            f.write(PIPELINE_CONFIG.format(root=cls.root, port=cls.port, broker=cls.broker.address,
                                           store=cls.store.port, api=cls.api.port))
        cls.sched = Scheduler(cls.root, cls.port)

    @classmethod
    def tearDownClass(cls):
        cls.sched.stop()
        for part in (cls.api, cls.store, cls.broker):
            part.stop()
        shutil.rmtree(cls.root, True)

    def test_ingest_process_cql(self):
        from store_test import connected
        r = sluice("dags", "trigger", "etl", "--run-id", "etl1", "--logical-date", "2026-05-06",
                   root=self.root)
        self.assertEqual(r.returncode, 0, r.stderr)
        run = wait_run(self.port, "etl", "etl1", timeout=120)
        self.assertEqual(run["state"], "success", sluice("dags", "tasks", "etl", "etl1",
                                                         root=self.root).stdout)
        with connected(self.store.port) as (_, session):
            self.assertEqual(session.execute("SELECT count(*) FROM etl.users").one()[0], 700)
            row = session.execute("SELECT run FROM etl.audit WHERE ds = '2026-05-06'").one()
            self.assertEqual(row.run, "etl1")
        logs = {t: sluice("dags", "logs", "etl", "etl1", t, root=self.root).stdout
                for t in ("ingest", "process", "audit")}
        self.assertIn("done: 700 produced", logs["ingest"])
        self.assertIn("done: 700 written", logs["process"])
        self.assertIn("statement 3: SELECT count(*) FROM etl.users", logs["audit"])
        self.assertIn("1 row(s)", logs["audit"])

    def test_timeout_cancels_a_built_in_job(self):
        started = time.monotonic()
        status, _ = call_json(self.port, "POST", "/api/v1/dags/endless/dagRuns",
                              {"dag_run_id": "e1"})
        self.assertEqual(status, 200)
        run = wait_run(self.port, "endless", "e1", timeout=60)
        self.assertEqual(run["state"], "failed")
        self.assertLess(time.monotonic() - started, 30)
        status, ti = call_json(self.port, "GET",
                               "/api/v1/dags/endless/dagRuns/e1/taskInstances/ingest")
        self.assertEqual(ti["state"], "failed")
        r = sluice("dags", "logs", "endless", "e1", "ingest", root=self.root)
        self.assertIn("timed out after 2s (execution_timeout)", r.stdout)


if __name__ == "__main__":
    unittest.main()
