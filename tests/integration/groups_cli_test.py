"""`sluice groups` end to end: a consumer group made by confluent-kafka against `sluice broker`,
then listed, described and its offsets reset through the command line.

Run with SLUICE_BIN set to the binary under test; starts its own broker on a free loopback port.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

from confluent_kafka import Consumer, Producer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker_test import BrokerTest  # noqa: E402

BIN = os.environ["SLUICE_BIN"]
TOPIC = "clicks"
GROUP = "g1"


def offsets(describe_stdout):
    """The TOPIC PARTITION COMMITTED LOG-END LAG MEMBER table of `groups describe`, as
    {partition: (committed, log_end, lag, member)} for TOPIC, "-" kept as None."""
    lines = describe_stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["TOPIC", "PARTITION"])
    rows = {}
    for line in lines[start + 1:]:
        if not line.strip():
            break
        topic, partition, *rest = line.split()
        if topic == TOPIC:
            rows[int(partition)] = tuple(None if v == "-" else v for v in rest)
    return rows


class GroupsCommand(BrokerTest):
    def groups(self, *args):
        return subprocess.run([BIN, "groups", "--bootstrap", self.broker.address, *args],
                              capture_output=True, text=True, timeout=60)

    def ok(self, *args):
        r = self.groups(*args)
        self.assertEqual(r.returncode, 0, f"{args}: {r.stdout}{r.stderr}")
        return r.stdout

    def committed(self):
        rows = offsets(self.ok("describe", GROUP))
        return {p: None if row[0] is None else int(row[0]) for p, row in rows.items()}

    def wait_for_state(self, state):
        deadline = time.time() + 30
        while time.time() < deadline:
            if re.search(rf"^{GROUP}\t{state}\tconsumer$", self.ok("list"), re.M):
                return
            time.sleep(0.2)
        self.fail(f"{GROUP} never became {state}: {self.ok('list')}")

    def test_list_describe_and_reset(self):
        self.assertEqual(self.ok("list"), "", "no groups yet: nothing printed")

        r = subprocess.run([BIN, "topics", "--bootstrap", self.broker.address, "create", TOPIC,
                            "--partitions", "3"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        producer = Producer({"bootstrap.servers": self.broker.address})
        for i in range(30):
            producer.produce(TOPIC, value=b"click %d" % i, partition=i % 3)
        self.assertEqual(producer.flush(30), 0)

        consumer = Consumer({"bootstrap.servers": self.broker.address, "group.id": GROUP,
                             "client.id": "groups-cli-test", "enable.auto.commit": False,
                             "auto.offset.reset": "earliest"})
        try:
            consumer.subscribe([TOPIC])
            consumed = {}  # partition -> offset after the last message read from it
            deadline = time.time() + 60
            while sum(consumed.values()) < 10:
                self.assertLess(time.time(), deadline, f"consumed only {consumed}")
                m = consumer.poll(0.5)
                if m is not None and not m.error():
                    consumed[m.partition()] = m.offset() + 1
            consumer.commit(asynchronous=False)

            # The consumer is still in the group.
            self.wait_for_state("Stable")
            out = self.ok("describe", GROUP)
            self.assertRegex(out, rf"\n{GROUP}\s+\S+ \(\d+\)\s+Stable\s+consumer\s+\S+\s+1\n")
            member = re.search(r"^(\S+)\s+groups-cli-test\s+\S+\s+-\s+clicks\(0,1,2\)$", out, re.M)
            self.assertIsNotNone(member, out)
            rows = offsets(out)
            self.assertEqual(sorted(rows), [0, 1, 2], out)
            self.assertEqual(sum(int(row[1]) for row in rows.values()), 30)
            for p, (committed, log_end, lag, who) in rows.items():
                self.assertEqual(log_end, "10")
                self.assertEqual(who, member.group(1))
                if p in consumed:
                    self.assertEqual(committed, str(consumed[p]))
                    self.assertEqual(lag, str(10 - consumed[p]))
                else:
                    self.assertEqual((committed, lag), (None, None))

            # Kafka refuses commits from outside an active group: so does reset-offsets.
            r = self.groups("reset-offsets", GROUP, "--topic", TOPIC, "--to-earliest")
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertIn("sluice groups: group 'g1' is Stable with 1 member(s)", r.stderr)
            self.assertEqual(self.committed(), {p: consumed.get(p) for p in range(3)})
        finally:
            consumer.close()

        self.wait_for_state("Empty")
        out = self.ok("describe", GROUP)
        self.assertIn("group 'g1' has no active members", out)

        out = self.ok("reset-offsets", GROUP, "--topic", TOPIC, "--to-earliest")
        for p in range(3):
            before = consumed.get(p, "-")
            self.assertRegex(out, rf"\n{TOPIC}\s+{p}\s+{before} -> 0\n")
        self.assertEqual(self.committed(), {0: 0, 1: 0, 2: 0})
        self.assertEqual({p: row[2] for p, row in offsets(self.ok("describe", GROUP)).items()},
                         {0: "10", 1: "10", 2: "10"})

        out = self.ok("reset-offsets", GROUP, "--topic", TOPIC, "--to-offset", "50")
        self.assertIn("0 -> 10 (clamped: 50 is past the log end)", out)
        self.assertEqual(self.committed(), {0: 10, 1: 10, 2: 10})

        out = self.ok("reset-offsets", GROUP, "--topic", TOPIC, "--to-offset", "5")
        self.assertNotIn("clamped", out)
        self.assertEqual(self.committed(), {0: 5, 1: 5, 2: 5})
        self.assertEqual({p: row[2] for p, row in offsets(self.ok("describe", GROUP)).items()},
                         {0: "5", 1: "5", 2: "5"})

        out = self.ok("reset-offsets", GROUP, "--topic", TOPIC, "--to-latest")
        self.assertIn("5 -> 10", out)
        self.assertEqual({p: row[1:3] for p, row in offsets(self.ok("describe", GROUP)).items()},
                         {0: ("10", "0"), 1: ("10", "0"), 2: ("10", "0")})

    def test_unknown_group_and_topic(self):
        r = self.groups("describe", "nobody")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertEqual(r.stderr.splitlines()[-1], "sluice groups: group 'nobody' does not exist")
        r = self.groups("reset-offsets", "nobody", "--topic", "nope", "--to-earliest")
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertEqual(r.stderr.splitlines()[-1], "sluice groups: unknown topic 'nope'")


if __name__ == "__main__":
    unittest.main(verbosity=2)
