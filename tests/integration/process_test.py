"""`sluice process`, the stream processor, end to end: records produced by `sluice ingest` and by
confluent-kafka into sluice's broker, processed into sluice's store, and read back with the
DataStax driver and confluent-kafka: exact values, poison records in the dead-letter topic, no
loss across a SIGKILL or a SIGTERM, partitions shared by two instances, and a table that does not
match the schema refused at start. One broker, one store and one API for the class; each test
has its own topics, group and table."""
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

from cassandra.query import SimpleStatement
from confluent_kafka import Consumer, Producer, TopicPartition

from api_test import Api
from broker_test import Broker, read_topic
from store_test import REPLICATION, Store, make_cluster

BIN = os.environ["SLUICE_BIN"]

KEYSPACE = "e2e"
COLUMNS = ["first_name", "last_name", "gender", "address", "post_code", "email", "username",
           "dob", "registered_date", "phone", "picture"]  # the reference table's, besides id
SUMMARY = re.compile(
    r"^(?P<state>done|stopped|failed): (?P<consumed>\d+) records of (?P<topic>\S+) consumed in "
    r"[\d.]+ s: (?P<written>\d+) written to (?P<table>\S+) \([\d.]+/s\), (?P<filtered>\d+) "
    r"filtered, (?P<dead>\d+) dead-lettered, (?P<retries>\d+) write retries, (?P<unread>\d+) with "
    r"unread fields; record to row p50 [\d.]+ ms, p99 [\d.]+ ms$")
ASSIGNED = re.compile(r"assigned partition\(s\) (\S+) of (\S+)")
REVOKED = re.compile(r"partitions of (\S+) revoked")


def summary_of(test, stdout):
    """The summary line (the only line on stdout), parsed."""
    lines = stdout.splitlines()
    test.assertEqual(len(lines), 1, f"one summary line expected on stdout:\n{stdout}")
    m = SUMMARY.match(lines[0])
    test.assertIsNotNone(m, f"not a summary line: {lines[0]!r}")
    s = {k: (v if k in ("state", "topic", "table") else int(v)) for k, v in m.groupdict().items()}
    s["line"] = lines[0]
    return s


def end_offsets(address, topic):
    """{partition: (low, high)} of `topic`."""
    c = Consumer({"bootstrap.servers": address, "group.id": f"watermarks-{time.time_ns()}"})
    try:
        meta = c.list_topics(topic, timeout=10).topics[topic]
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                for p in meta.partitions}
    finally:
        c.close()


def committed(address, group, topic, partitions=(0,)):
    """The group's committed offsets of `topic` ({partition: offset}; -1001 when none)."""
    c = Consumer({"bootstrap.servers": address, "group.id": group,
                  "enable.auto.commit": False})
    try:
        return {tp.partition: tp.offset
                for tp in c.committed([TopicPartition(topic, p) for p in partitions], timeout=10)}
    finally:
        c.close()


def reference_record(i):
    """A valid record of the reference pipeline, with a fresh uuid4 id."""
    return {"id": str(uuid.uuid4()), "first_name": f"First{i}", "last_name": f"Last{i}",
            "gender": "female" if i % 2 else "male",
            "address": f"{i} Main Street, Springfield, Oregon, United States",
            "post_code": str(10000 + i), "email": f"user{i}@example.com", "username": f"user{i}",
            "dob": "1990-01-02T03:04:05.678Z", "registered_date": "2015-06-07T08:09:10.111Z",
            "phone": f"(555) 555-{i:04d}", "picture": f"https://example.com/med/{i}.jpg"}


def as_text(value):
    """A JSON scalar as the ingestion mapping writes it into a text field: strings as they are,
    numbers and booleans as their JSON text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    raise AssertionError(f"unexpected value in the API's answer: {value!r}")


def expected_row(user):
    """The row (COLUMNS order) that the reference mapping and the processor make of one user of
    the API's answer (ingest/mapping.cc, reference_templates)."""
    loc = user["location"]
    return (user["name"]["first"], user["name"]["last"], user["gender"],
            f"{as_text(loc['street']['number'])} {loc['street']['name']}, {loc['city']}, "
            f"{loc['state']}, {loc['country']}",
            as_text(loc["postcode"]), user["email"], user["login"]["username"], user["dob"]["date"],
            user["registered"]["date"], user["phone"], user["picture"]["medium"])


class Running:
    """A `sluice process` started with Popen; its stdout and stderr go to files."""

    def __init__(self, directory, name, cmd):
        self.out_path = os.path.join(directory, f"{name}.out")
        self.err_path = os.path.join(directory, f"{name}.err")
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err)

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def stdout(self):
        with open(self.out_path) as f:
            return f.read()

    def assignment(self, topic):
        """The partitions the log says are assigned now: the last assignment, unless revoked."""
        current = set()
        for line in self.stderr().splitlines():
            m = ASSIGNED.search(line)
            if m and m.group(2) == topic:
                current = set() if m.group(1) == "none" else {int(p) for p in m.group(1).split(",")}
            elif (r := REVOKED.search(line)) and r.group(1) == topic:
                current = set()
        return current

    def signal(self, sig):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout=60):
        return self.proc.wait(timeout=timeout)

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


class Process(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sluice-process-")
        cls.broker = Broker()
        cls.store = cls.api = cls.cluster = None
        try:
            cls.store = Store()
            cls.api = Api()
            cls.cluster = make_cluster(cls.store.port)
            cls.session = cls.cluster.connect()
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def stop_all(cls):
        codes = {}
        if cls.cluster is not None:
            cls.cluster.shutdown()
        for name in ("api", "store", "broker"):
            server = getattr(cls, name)
            if server is not None:
                codes[name] = server.stop()
        return codes

    @classmethod
    def tearDownClass(cls):
        codes = cls.stop_all()
        shutil.rmtree(cls.dir, ignore_errors=True)
        shutil.rmtree(cls.broker.dir, ignore_errors=True)
        shutil.rmtree(cls.store.root, ignore_errors=True)
        assert all(c == 0 for c in codes.values()), f"exit codes: {codes}"

    # ---- helpers

    def process_cmd(self, *args):
        return [BIN, "process", "--bootstrap", self.broker.address, "--cql",
                f"127.0.0.1:{self.store.port}", *args]

    def process(self, *args, timeout=120):
        """`sluice process ... --until-caught-up`, to its end."""
        return subprocess.run(self.process_cmd(*args, "--until-caught-up"), capture_output=True,
                              text=True, timeout=timeout)

    def start(self, name, *args):
        p = Running(self.dir, name, self.process_cmd(*args))
        self.addCleanup(p.cleanup)
        return p

    def ingest(self, topic, count, per_request, seed):
        r = subprocess.run([BIN, "ingest", "--url", f"http://127.0.0.1:{self.api.port}/api/",
                            "--bootstrap", self.broker.address, "--topic", topic, "--count",
                            str(count), "--results-per-request", str(per_request), "--seed", seed],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"done: {count} records to {topic}", r.stdout)

    def count(self, table):
        return self.session.execute(SimpleStatement(f"SELECT count(*) FROM {table}"),
                                    timeout=60).one()[0]

    def rows(self, table):
        return list(self.session.execute(
            SimpleStatement(f"SELECT id, {', '.join(COLUMNS)} FROM {table}", fetch_size=5000),
            timeout=60))

    def ids_of(self, topic, n):
        records = read_topic(self.broker.address, topic, n)
        self.assertEqual(len(records), n, f"records read back from {topic}")
        return {uuid.UUID(json.loads(value)["id"]) for _, value, _, _, _ in records}

    # ---- the tests

    def test_exact_values_from_the_api_to_the_table(self):
        seed, n, per = "process-exact", 3000, 500
        self.ingest("exact", n, per, seed)
        r = self.process("--topic", "exact", "--group", "g-exact", "--keyspace", KEYSPACE,
                         "--table", "exact")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = summary_of(self, r.stdout)
        self.assertEqual((s["state"], s["consumed"], s["written"], s["dead"], s["filtered"]),
                         ("done", n, n, 0, 0), s["line"])
        self.assertEqual(s["table"], f"{KEYSPACE}.exact")

        # What the API serves for the same seed and pages, mapped in Python.
        expected = collections.Counter()
        for page in range(1, n // per + 1):
            status, body = self.api.get(f"results={per}&page={page}&seed={seed}")
            self.assertEqual(status, 200)
            users = json.loads(body)["results"]
            self.assertEqual(len(users), per)
            expected.update(expected_row(u) for u in users)

        rows = self.rows(f"{KEYSPACE}.exact")
        self.assertEqual(len(rows), n)
        got = collections.Counter(tuple(getattr(row, c) for c in COLUMNS) for row in rows)
        if got != expected:
            missing, extra = expected - got, got - expected
            self.fail(f"{sum(missing.values())} expected row(s) missing, e.g. "
                      f"{list(missing)[:2]}; {sum(extra.values())} unexpected, e.g. "
                      f"{list(extra)[:2]}")
        ids = [row.id for row in rows]
        self.assertTrue(all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids), ids[:5])
        self.assertEqual(len(set(ids)), n, "every row has its own id")

        # And row by row against the records in the topic: the same id holds the same values.
        by_id = {}
        for _, value, _, _, _ in read_topic(self.broker.address, "exact", n):
            record = json.loads(value)
            by_id[uuid.UUID(record["id"])] = tuple(record[c] for c in COLUMNS)
        self.assertEqual(set(by_id), set(ids))
        for row in rows:
            self.assertEqual(tuple(getattr(row, c) for c in COLUMNS), by_id[row.id])

    def test_poison_records_go_to_the_dead_letter_topic(self):
        topic = "poison"
        good = [reference_record(i) for i in range(50)]
        missing_id = reference_record(100)
        del missing_id["id"]
        bad_id = dict(reference_record(101), id="not-a-uuid")
        email_object = dict(reference_record(102), email={"address": "user102@example.com"})
        poison = [  # key, value, the kind expected, a word the reason must contain
            (b"p-json", b"{not json", "invalid_json", "JSON"),
            (b"p-array", b"[1,2,3]", "not_an_object", "object"),
            (b"p-no-id", json.dumps(missing_id).encode(), "missing_field", "'id'"),
            (b"p-bad-id", json.dumps(bad_id).encode(), "wrong_type", "'id'"),
            (b"p-email", json.dumps(email_object).encode(), "wrong_type", "'email'"),
            (b"p-tombstone", None, "invalid_json", "no value"),
        ]
        delivered, errors = {}, []

        def report(err, msg):
            if err is not None:
                errors.append(err)
            else:
                delivered[msg.key()] = (msg.partition(), msg.offset())

        p = Producer({"bootstrap.servers": self.broker.address, "linger.ms": 5})
        for i, record in enumerate(good):  # a poison record after every 8 good ones
            p.produce(topic, key=f"good-{i}".encode(), value=json.dumps(record).encode(),
                      on_delivery=report)
            if i % 8 == 7 and i // 8 < len(poison):
                key, value, _, _ = poison[i // 8]
                p.produce(topic, key=key, value=value, on_delivery=report)
        self.assertEqual(p.flush(30), 0, "records left unsent")
        self.assertEqual(errors, [])
        self.assertEqual(len(delivered), 56)

        r = self.process("--topic", topic, "--group", "g-poison", "--keyspace", KEYSPACE,
                         "--table", "poison")
        self.assertEqual(r.returncode, 0, r.stderr)
        s = summary_of(self, r.stdout)
        self.assertEqual((s["state"], s["consumed"], s["written"], s["dead"]),
                         ("done", 56, 50, 6), s["line"])

        rows = {row.id: tuple(getattr(row, c) for c in COLUMNS)
                for row in self.rows(f"{KEYSPACE}.poison")}
        self.assertEqual(rows, {uuid.UUID(g["id"]): tuple(g[c] for c in COLUMNS) for g in good})

        dlq = f"{topic}.dlq"
        watermarks = end_offsets(self.broker.address, dlq)
        self.assertEqual(sum(hi - lo for lo, hi in watermarks.values()), 6,
                         f"records in {dlq}: {watermarks}")
        letters = {key: (value, headers)
                   for key, value, headers, _, _ in read_topic(self.broker.address, dlq, 6)}
        self.assertEqual(sorted(letters), sorted(k for k, _, _, _ in poison))
        for key, value, kind, word in poison:
            with self.subTest(key=key):
                got_value, headers = letters[key]
                self.assertEqual(got_value, value, "value bytes kept")
                h = dict(headers)
                self.assertEqual(len(h), len(headers), f"a header repeated: {headers}")
                partition, offset = delivered[key]
                self.assertEqual(h.get("sluice.error.kind"), kind.encode(), headers)
                self.assertEqual(h.get("sluice.source.topic"), topic.encode())
                self.assertEqual(h.get("sluice.source.partition"), str(partition).encode())
                self.assertEqual(h.get("sluice.source.offset"), str(offset).encode())
                self.assertIn(word, (h.get("sluice.error") or b"").decode(), headers)

    def test_no_record_lost_when_killed(self):
        topic, group, table, n = "crash", "g-crash", f"{KEYSPACE}.crash", 60000
        self.ingest(topic, n, 5000, "process-crash")
        ids = self.ids_of(topic, n)
        self.assertEqual(len(ids), n)

        first = self.start("crash-1", "--topic", topic, "--group", group, "--keyspace", KEYSPACE,
                           "--table", "crash")
        # Killed once some offsets are committed (so the restart resumes from them) and, as the
        # count below checks, before every record is written.
        deadline = time.time() + 60
        while time.time() < deadline and first.proc.poll() is None:
            offsets = committed(self.broker.address, group, topic)
            if offsets[0] > 0:
                break
            time.sleep(0.05)
        self.assertIsNone(first.proc.poll(), f"process exited early:\n{first.stderr()}")
        first.signal(signal.SIGKILL)
        self.assertEqual(first.wait(), -signal.SIGKILL)
        time.sleep(0.5)  # the broker has read what the dead process had sent
        at_kill = committed(self.broker.address, group, topic)[0]
        self.assertGreater(at_kill, 0, "no offset committed within 60 s:\n" + first.stderr())
        rows_at_kill = self.count(table)
        self.assertTrue(0 < rows_at_kill < n,
                        f"{rows_at_kill} of {n} rows were written when the processor was killed: "
                        f"the test needs a kill midway (a larger N, or an earlier kill)")
        self.assertGreaterEqual(rows_at_kill, at_kill, "offsets committed past unwritten rows")

        # The same group again (it waits for the killed member's session to expire).
        r = self.process("--topic", topic, "--group", group, "--keyspace", KEYSPACE, "--table",
                         "crash", timeout=150)
        self.assertEqual(r.returncode, 0, r.stderr)
        s = summary_of(self, r.stdout)
        self.assertEqual(s["state"], "done", s["line"])
        self.assertEqual(s["consumed"], n - at_kill,
                         "the restart resumes from the committed offset: " + s["line"])
        self.assertEqual(s["dead"], 0, s["line"])
        self.assertEqual(self.count(table), n)
        in_table = {row.id for row in self.rows(table)}
        self.assertEqual(len(ids - in_table), 0, f"{len(ids - in_table)} record(s) lost")
        self.assertEqual(in_table, ids)

    def test_two_instances_share_the_partitions(self):
        topic, group, table, n = "share", "g-share", f"{KEYSPACE}.share", 20000
        r = subprocess.run([BIN, "topics", "--bootstrap", self.broker.address, "create", topic,
                            "--partitions", "4"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        args = ("--topic", topic, "--group", group, "--keyspace", KEYSPACE, "--table", "share")
        a = self.start("share-a", *args)
        b = self.start("share-b", *args)

        deadline = time.time() + 60
        while True:
            for p in (a, b):
                self.assertIsNone(p.proc.poll(), f"an instance exited:\n{p.stderr()}")
            pa, pb = a.assignment(topic), b.assignment(topic)
            if pa and pb and not pa & pb and pa | pb == {0, 1, 2, 3}:
                break
            if time.time() > deadline:
                self.fail(f"no settled assignment within 60 s: {pa} and {pb}\n--- a:\n"
                          f"{a.stderr()}\n--- b:\n{b.stderr()}")
            time.sleep(0.2)

        records = [reference_record(i) for i in range(n)]
        errors = []
        producer = Producer({"bootstrap.servers": self.broker.address, "linger.ms": 10})
        for i, record in enumerate(records):
            while True:
                try:
                    producer.produce(topic, partition=i % 4, key=record["id"].encode(),
                                     value=json.dumps(record).encode(),
                                     on_delivery=lambda err, _: err and errors.append(err))
                    break
                except BufferError:
                    producer.poll(0.1)
            producer.poll(0)
        self.assertEqual(producer.flush(60), 0, "records left unsent")
        self.assertEqual(errors, [])

        deadline = time.time() + 90
        while (rows := self.count(table)) < n and time.time() < deadline:
            time.sleep(0.5)
        self.assertEqual(rows, n, f"rows after 90 s\n--- a:\n{a.stderr()}\n--- b:\n{b.stderr()}")

        for p in (a, b):
            p.signal(signal.SIGTERM)
        summaries = []
        for p in (a, b):
            self.assertEqual(p.wait(), 0, p.stderr())
            s = summary_of(self, p.stdout())
            self.assertEqual(s["state"], "stopped", s["line"])
            self.assertGreater(s["written"], 0, "both instances wrote: " + s["line"])
            self.assertEqual(s["dead"], 0, s["line"])
            summaries.append(s)
        self.assertGreaterEqual(sum(s["written"] for s in summaries), n,
                                [s["line"] for s in summaries])
        self.assertEqual(self.count(table), n)
        self.assertEqual({row.id for row in self.rows(table)},
                         {uuid.UUID(rec["id"]) for rec in records})

    def test_a_table_lacking_a_column_is_refused_at_start(self):
        self.session.execute(f"CREATE KEYSPACE mismatch WITH replication = {REPLICATION}")
        self.session.execute(
            "CREATE TABLE mismatch.created_users (id uuid PRIMARY KEY, first_name text, "
            "last_name text, gender text, address text, post_code text, email text, "
            "username text, registered_date text, phone text, picture text)")
        r = self.process("--topic", "mismatch", "--group", "g-mismatch", "--keyspace",
                         "mismatch", timeout=60)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("dob", r.stderr)
        self.assertIn("ALTER TABLE mismatch.created_users ADD dob", r.stderr)
        columns = {row.column_name for row in self.session.execute(
            "SELECT column_name FROM system_schema.columns WHERE keyspace_name = 'mismatch' "
            "AND table_name = 'created_users'")}
        self.assertNotIn("dob", columns, "the table is left as it was")

    def test_sigterm_drains_and_commits(self):
        topic, group, table, n = "drain", "g-drain", f"{KEYSPACE}.drain", 20000
        self.ingest(topic, n, 5000, "process-drain")
        first = self.start("drain-1", "--topic", topic, "--group", group, "--keyspace", KEYSPACE,
                           "--table", "drain")
        deadline = time.time() + 60
        while time.time() < deadline and first.proc.poll() is None:
            try:
                if self.count(table) > 0:
                    break
            except Exception:  # the table is not there yet
                pass
            time.sleep(0.02)
        self.assertIsNone(first.proc.poll(), f"process exited early:\n{first.stderr()}")
        first.signal(signal.SIGTERM)
        self.assertEqual(first.wait(), 0, first.stderr())
        s = summary_of(self, first.stdout())
        self.assertEqual(s["state"], "stopped", s["line"])
        self.assertLess(s["written"], n,
                        "every record was written before the stop: the test needs a stop midway")
        self.assertEqual(s["written"], s["consumed"], "every record taken was drained: "
                         + s["line"])
        self.assertEqual(self.count(table), s["written"])

        r = self.process("--topic", topic, "--group", group, "--keyspace", KEYSPACE, "--table",
                         "drain")
        self.assertEqual(r.returncode, 0, r.stderr)
        again = summary_of(self, r.stdout)
        self.assertEqual(again["state"], "done", again["line"])
        self.assertEqual(s["consumed"] + again["consumed"], n,
                         "the second run starts where the stop committed: "
                         f"{s['line']} / {again['line']}")
        self.assertEqual(self.count(table), n)
        self.assertEqual({row.id for row in self.rows(table)}, self.ids_of(topic, n))


if __name__ == "__main__":
    unittest.main(verbosity=2)
