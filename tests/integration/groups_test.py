"""Consumer groups against the broker, with clients nobody here wrote: librdkafka's high-level
consumer (through confluent-kafka), kafka-python's KafkaConsumer, kcat -G; and protocol errors
sent by hand. Each test starts its own broker on a free loopback port."""
import io
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker_test import Broker, frame, recv_frame  # noqa: E402

PY = "/usr/bin/python3"

# Faster than the defaults, so rebalances and expiry happen within seconds.
GROUP_CONFIG = """\
broker:
  group_min_session_timeout: 1s
"""


def start_broker(data_dir=None, port=None):
    d = data_dir or tempfile.mkdtemp(prefix="sluice-groups-")
    cfg = os.path.join(d, "sluice.yaml")
    with open(cfg, "w") as f:
        f.write(GROUP_CONFIG)
    return Broker(data_dir=d, port=port, config=cfg)


def produce(address, topic, values, partitions=None):
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": address, "linger.ms": 5, "acks": "all"})
    for i, v in enumerate(values):
        if partitions:
            p.produce(topic, value=v, partition=i % partitions)
        else:
            p.produce(topic, value=v)
        p.poll(0)
    assert p.flush(30) == 0


def create_topic(address, topic, partitions):
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": address})
    for f in a.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(15)


# A librdkafka high-level consumer in its own process: it consumes in batches, appends each record
# ("partition offset value") to OUT, commits synchronously after writing (so what is committed has
# been processed), and writes its assignment to OUT.assignment after each rebalance. SIGTERM:
# commit and close (LeaveGroup).
CONSUMER = textwrap.dedent("""\
    import json, signal, sys
    from confluent_kafka import Consumer
    address, group, topic, out = sys.argv[1:5]
    stop = False
    def on_term(*_):
        global stop
        stop = True
    signal.signal(signal.SIGTERM, on_term)
    c = Consumer({"bootstrap.servers": address, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "session.timeout.ms": 3000, "heartbeat.interval.ms": 200,
                  "partition.assignment.strategy": "range"})
    def show(consumer, partitions):
        with open(out + ".assignment", "w") as f:
            json.dump(sorted(p.partition for p in partitions), f)
    def revoked(consumer, partitions):
        with open(out + ".assignment", "w") as f:
            json.dump([], f)
    c.subscribe([topic], on_assign=show, on_revoke=revoked)
    with open(out, "a") as f:
        while not stop:
            msgs = c.consume(num_messages=200, timeout=0.2)
            good = [m for m in msgs if m.error() is None]
            for m in good:
                f.write("%d %d %s\\n" % (m.partition(), m.offset(), m.value().decode()))
            f.flush()
            if good:
                c.commit(asynchronous=False)
    c.close()
""")


class Member:
    def __init__(self, address, group, topic, workdir, name):
        self.out = os.path.join(workdir, name)
        self.err = open(self.out + ".stderr", "w")
        self.proc = subprocess.Popen([PY, "-c", CONSUMER, address, group, topic, self.out],
                                     stderr=self.err)

    def assignment(self):
        try:
            with open(self.out + ".assignment") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def records(self):
        try:
            with open(self.out) as f:
                return [line.split() for line in f.read().splitlines() if line]
        except OSError:
            return []

    def stderr(self):
        with open(self.out + ".stderr") as f:
            return f.read()[-2000:]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)
        self.err.close()
        assert self.proc.returncode == 0, self.stderr()


def wait_until(what, predicate, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class GroupTest(unittest.TestCase):
    def setUp(self):
        self.broker = start_broker()
        self.work = tempfile.mkdtemp(prefix="sluice-members-")

    def tearDown(self):
        code = self.broker.stop()
        self.assertEqual(code, 0, self.broker.output()[-3000:])
        shutil.rmtree(self.broker.dir, ignore_errors=True)
        shutil.rmtree(self.work, ignore_errors=True)


class LibrdkafkaGroups(GroupTest):
    def spread(self, members, n):
        """Waits until the members hold all 6 partitions, n each, none twice."""
        def even():
            sets = [m.assignment() for m in members]
            if any(s is None for s in sets):
                return False
            flat = sorted(p for s in sets for p in s)
            return flat == list(range(6)) and all(len(s) == 6 // n for s in sets)
        wait_until(f"6 partitions spread over {n} member(s): "
                   f"{[m.assignment() for m in members]}", even)

    def test_members_join_and_leave_and_every_message_is_consumed_once(self):
        addr = self.broker.address
        create_topic(addr, "events", 6)
        sent = []

        def send(count):
            batch = [f"m{len(sent) + i}" for i in range(count)]
            produce(addr, "events", [v.encode() for v in batch], partitions=6)
            sent.extend(batch)

        send(3000)
        a = Member(addr, "workers", "events", self.work, "a")
        self.spread([a], 1)
        send(3000)
        b = Member(addr, "workers", "events", self.work, "b")
        self.spread([a, b], 2)
        send(3000)
        c = Member(addr, "workers", "events", self.work, "c")
        self.spread([a, b, c], 3)
        send(3000)
        c.stop()
        self.spread([a, b], 2)
        send(3000)
        b.stop()
        self.spread([a], 1)
        send(3000)
        members = [a, b, c]
        wait_until("every message consumed",
                   lambda: sum(len(m.records()) for m in members) >= len(sent), timeout=90)
        a.stop()
        values = [r[2] for m in members for r in m.records()]
        self.assertEqual(len(values), len(set(values)), "a message was consumed twice")
        self.assertEqual(set(values), set(sent), "a message was lost")
        for m in members:
            self.assertGreater(len(m.records()), 0, "each member did some of the work")

    def test_a_killed_member_expires_and_its_partitions_move(self):
        addr = self.broker.address
        create_topic(addr, "jobs", 6)
        a = Member(addr, "g2", "jobs", self.work, "a")
        b = Member(addr, "g2", "jobs", self.work, "b")
        self.spread([a, b], 2)
        produce(addr, "jobs", [b"j%d" % i for i in range(2000)], partitions=6)
        wait_until("both consume", lambda: a.records() and b.records())
        b.proc.send_signal(signal.SIGKILL)  # no LeaveGroup: the session timeout must notice
        b.proc.wait()
        killed_at = time.time()
        wait_until("a takes over all partitions", lambda: a.assignment() == list(range(6)),
                   timeout=30)
        self.assertGreater(time.time() - killed_at, 1.0, "not before the 3 s session timeout")
        produce(addr, "jobs", [b"k%d" % i for i in range(2000)], partitions=6)
        expected = {"j%d" % i for i in range(2000)} | {"k%d" % i for i in range(2000)}
        wait_until("nothing lost",
                   lambda: expected <= {r[2] for m in (a, b) for r in m.records()})
        a.stop()

    def test_resume_at_the_committed_offset_across_consumer_and_broker_restarts(self):
        addr = self.broker.address
        create_topic(addr, "resume", 1)
        produce(addr, "resume", [b"r%d" % i for i in range(300)])
        script = textwrap.dedent("""\
            import sys
            from confluent_kafka import Consumer
            c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "resumer",
                          "auto.offset.reset": "earliest", "enable.auto.commit": False})
            c.subscribe(["resume"])
            got = []
            while len(got) < 100:
                for m in c.consume(num_messages=100 - len(got), timeout=1):
                    if m.error() is None:
                        got.append(m)
            c.commit(message=got[-1], asynchronous=False)
            c.close()
            print(got[0].offset(), got[-1].offset())
        """)

        def run():
            r = subprocess.run([PY, "-c", script, self.broker.address], capture_output=True,
                               text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            return [int(x) for x in r.stdout.split()]

        self.assertEqual(run(), [0, 99])
        self.assertEqual(run(), [100, 199], "a restarted consumer resumes where it committed")
        self.assertEqual(self.broker.stop(), 0)
        self.broker = start_broker(self.broker.dir, self.broker.port)
        self.assertEqual(run(), [200, 299], "committed offsets survive a broker restart")


    def test_a_restarted_static_member_gets_its_partitions_back_without_waiting(self):
        addr = self.broker.address
        create_topic(addr, "static", 2)
        script = textwrap.dedent("""\
            import sys, time
            from confluent_kafka import Consumer
            c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "statics",
                          "group.instance.id": "worker-1", "session.timeout.ms": 30000,
                          "auto.offset.reset": "earliest"})
            got = []
            c.subscribe(["static"], on_assign=lambda c, ps: got.extend(p.partition for p in ps))
            start = time.time()
            while not got and time.time() - start < 20:
                c.poll(0.1)
            print(sorted(got), round(time.time() - start, 1))
            c.close()  # a static member leaves no LeaveGroup behind: its slot waits for it
        """)

        def run():
            r = subprocess.run([PY, "-c", script, addr], capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            partitions, seconds = r.stdout.rsplit(" ", 1)
            return partitions, float(seconds)

        self.assertEqual(run()[0], "[0, 1]")
        partitions, seconds = run()
        self.assertEqual(partitions, "[0, 1]")
        self.assertLess(seconds, 10, "the restarted member took over its identity at once, "
                                     "not after the 30 s session timeout")


class OtherClients(GroupTest):
    def test_kafka_python_consumer_group(self):
        addr = self.broker.address
        create_topic(addr, "kp", 3)
        produce(addr, "kp", [b"v%d" % i for i in range(500)], partitions=3)
        script = textwrap.dedent("""\
            import sys
            from kafka import KafkaConsumer, TopicPartition
            c = KafkaConsumer("kp", bootstrap_servers=sys.argv[1], group_id="kpg",
                              auto_offset_reset="earliest", enable_auto_commit=False,
                              consumer_timeout_ms=5000)
            seen = [m.value for m in c]
            c.commit()
            committed = sum(c.committed(TopicPartition("kp", p)) or 0 for p in range(3))
            c.close()
            print(len(seen), len(set(seen)), committed)
        """)
        r = subprocess.run([PY, "-c", script, addr], capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertEqual(r.stdout.split(), ["500", "500", "500"])

    def test_confluent_kafka_commit_and_committed(self):
        addr = self.broker.address
        create_topic(addr, "ck", 2)
        produce(addr, "ck", [b"c%d" % i for i in range(100)], partitions=2)
        script = textwrap.dedent("""\
            import sys
            from confluent_kafka import Consumer, TopicPartition
            c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "ckg",
                          "auto.offset.reset": "earliest"})
            c.subscribe(["ck"])
            n = 0
            while n < 100:
                for m in c.consume(num_messages=100, timeout=1):
                    n += m.error() is None
            c.commit(asynchronous=False)
            parts = c.committed([TopicPartition("ck", 0), TopicPartition("ck", 1)], timeout=10)
            print(sum(p.offset for p in parts))
            c.close()
        """)
        r = subprocess.run([PY, "-c", script, addr], capture_output=True, text=True, timeout=90)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertEqual(r.stdout.strip(), "100")

    def test_kcat_balanced_consumer(self):
        addr = self.broker.address
        create_topic(addr, "kc", 2)
        produce(addr, "kc", [b"k%d" % i for i in range(50)], partitions=2)
        # -e: leave the group once every assigned partition is read to its end.
        r = subprocess.run(["kcat", "-b", addr, "-G", "kcg", "-X", "auto.offset.reset=earliest",
                            "-e", "-f", "%s\\n", "kc"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertIn(b"rebalanced", r.stderr)
        lines = r.stdout.split(b"\n")[:-1]
        self.assertEqual(sorted(lines), sorted(b"k%d" % i for i in range(50)))


# --- protocol errors, sent by hand ------------------------------------------------------------
def s16(s):
    return struct.pack(">h", len(s)) + s


def join_body(group, member, protocol_type=b"consumer", session=10000):
    return (s16(group) + struct.pack(">ii", session, 30000) + s16(member) + s16(protocol_type)
            + struct.pack(">i", 1) + s16(b"range") + struct.pack(">i", 0))


class BadInput(GroupTest):
    def call(self, sock, key, version, body):
        sock.sendall(frame(key, version, 7, body))
        resp = recv_frame(sock)
        self.assertEqual(struct.unpack(">i", resp[:4])[0], 7)
        return resp[4:]

    def test_protocol_errors_never_hang_the_group(self):
        s = socket.create_connection(("127.0.0.1", self.broker.port), timeout=10)
        # JoinGroup v2 for a member the group does not know: UNKNOWN_MEMBER_ID (25).
        r = self.call(s, 11, 2, join_body(b"g", b"ghost"))
        self.assertEqual(struct.unpack(">h", r[4:6])[0], 25)
        # A first member joins (v2: no MEMBER_ID_REQUIRED) and becomes generation 1.
        r = self.call(s, 11, 2, join_body(b"g", b""))
        err, generation = struct.unpack(">hi", r[4:10])
        self.assertEqual((err, generation), (0, 1))
        rest = r[10:]
        proto_len = struct.unpack(">h", rest[:2])[0]
        rest = rest[2 + proto_len:]
        leader_len = struct.unpack(">h", rest[:2])[0]
        rest = rest[2 + leader_len:]
        member_len = struct.unpack(">h", rest[:2])[0]
        member = rest[2:2 + member_len]
        # Another protocol type: INCONSISTENT_GROUP_PROTOCOL (23).
        r = self.call(s, 11, 2, join_body(b"g", b"", protocol_type=b"connect"))
        self.assertEqual(struct.unpack(">h", r[4:6])[0], 23)
        # A session timeout below the minimum: INVALID_SESSION_TIMEOUT (26).
        r = self.call(s, 11, 2, join_body(b"g", b"", session=10))
        self.assertEqual(struct.unpack(">h", r[4:6])[0], 26)
        # SyncGroup v1 with a stale generation: ILLEGAL_GENERATION (22).
        r = self.call(s, 14, 1, s16(b"g") + struct.pack(">i", 0) + s16(member)
                      + struct.pack(">i", 0))
        self.assertEqual(struct.unpack(">h", r[4:6])[0], 22)
        # Heartbeat v1 for an unknown group: UNKNOWN_MEMBER_ID (25).
        r = self.call(s, 12, 1, s16(b"nope") + struct.pack(">i", 1) + s16(b"x"))
        self.assertEqual(struct.unpack(">h", r[4:6])[0], 25)
        # OffsetCommit v2 for a topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION (3).
        body = (s16(b"g") + struct.pack(">i", -1) + s16(b"") + struct.pack(">qi", -1, 1)
                + s16(b"no-such-topic") + struct.pack(">iiq", 1, 0, 5) + s16(b""))
        r = self.call(s, 8, 2, body)
        # topics[1] name, partitions[1] index, error
        self.assertEqual(struct.unpack(">h", r[-2:])[0], 25,
                         "generation -1 commits are refused while the group has members")
        # The member's generation-1 SyncGroup still completes the group: nothing is stuck.
        r = self.call(s, 14, 1, s16(b"g") + struct.pack(">i", 1) + s16(member)
                      + struct.pack(">i", 1) + s16(member) + struct.pack(">i", 2) + b"\x00\x00")
        self.assertEqual(struct.unpack(">h", r[4:6])[0], 0)
        r = self.call(s, 12, 1, s16(b"g") + struct.pack(">i", 1) + s16(member))
        self.assertEqual(struct.unpack(">h", r[4:6])[0], 0)
        # A standalone commit to another group, for an unknown topic: per-partition error 3.
        body = (s16(b"solo") + struct.pack(">i", -1) + s16(b"") + struct.pack(">qi", -1, 1)
                + s16(b"no-such-topic") + struct.pack(">iiq", 1, 0, 5) + s16(b""))
        r = self.call(s, 8, 2, body)
        self.assertEqual(struct.unpack(">h", r[-2:])[0], 3)
        s.close()

    def test_truncated_group_requests_close_only_that_connection(self):
        s = socket.create_connection(("127.0.0.1", self.broker.port), timeout=10)
        s.sendall(frame(11, 2, 1, s16(b"g") + b"\x00"))  # JoinGroup cut short
        s.settimeout(5)
        self.assertEqual(s.recv(1), b"")
        other = socket.create_connection(("127.0.0.1", self.broker.port), timeout=10)
        r = self.call(other, 16, 0, b"")  # ListGroups still answers
        self.assertEqual(struct.unpack(">h", r[:2])[0], 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
