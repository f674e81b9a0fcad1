"""The broker against clients nobody here wrote (kcat/librdkafka, kafka-python), and against bad
input sent by hand. Each test class starts its own broker on a free loopback port."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest
import urllib.request

from confluent_kafka import Consumer

BIN = os.environ["SLUICE_BIN"]
PY = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_topic(address, topic, expected, timeout=60):
    """Every record of `topic` as (key, value, headers, partition, offset), reading until
    `expected` have arrived and one more poll brings nothing, or `timeout`."""
    c = Consumer({"bootstrap.servers": address, "group.id": f"check-{topic}-{time.time_ns()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    records, deadline = [], time.time() + timeout
    try:
        while time.time() < deadline:
            batch = c.consume(num_messages=5000, timeout=0.5)
            if not batch and len(records) >= expected:
                break
            for m in batch:
                if m.error():
                    continue
                records.append((m.key(), m.value(), list(m.headers() or []), m.partition(),
                                m.offset()))
    finally:
        c.close()
    return records


class Broker:
    """A `sluice broker` process on a free port, with its own data directory."""

    def __init__(self, data_dir=None, extra=(), port=None, config=None):
        self.port = port or free_port()
        self.dir = data_dir or tempfile.mkdtemp(prefix="sluice-broker-")
        self.log = open(os.path.join(self.dir, "broker.log"), "a+")
        self.proc = subprocess.Popen(
            [BIN, *(("-c", config) if config else ()), "broker", "--listen",
             f"127.0.0.1:{self.port}", "--data-dir", self.dir, *extra],
            stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("broker exited: " + self.output())
                time.sleep(0.05)
        raise RuntimeError("broker did not start: " + self.output())

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        self.log.close()
        return code

    def kill(self):
        """SIGKILL: no clean shutdown, as a crash."""
        return self.stop(signal.SIGKILL)


def frame(api_key, version, correlation, body=b"", client_id=b"test", flexible=False):
    header = struct.pack(">hhih", api_key, version, correlation, len(client_id)) + client_id
    if flexible:
        header += b"\x00"
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def kstr(b):
    return struct.pack(">h", len(b)) + b


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def zigzag_varint(n):
    n = (n << 1) ^ (n >> 63)
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def record_batch(values, ts=1700000000000):
    """An uncompressed record batch v2, written from the protocol's description."""
    records = b""
    for i, v in enumerate(values):
        body = (b"\x00" + zigzag_varint(0) + zigzag_varint(i) + zigzag_varint(-1)
                + zigzag_varint(len(v)) + v + zigzag_varint(0))
        records += zigzag_varint(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", 0, len(values) - 1, ts, ts, -1, -1, -1,
                            len(values)) + records
    rest = struct.pack(">ibI", 0, 2, crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(rest)) + rest


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def recv_frame(sock):
    (size,) = struct.unpack(">i", recv_exact(sock, 4))
    return recv_exact(sock, size)


def closed_by_peer(sock, timeout=5):
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


class BrokerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker()

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        assert code == 0, cls.broker.output()
        shutil.rmtree(cls.broker.dir, ignore_errors=True)

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.broker.port), timeout=10)
        self.addCleanup(s.close)
        return s

    def assert_still_serving(self):
        s = self.connect()
        s.sendall(frame(18, 0, 99))
        body = recv_frame(s)
        self.assertEqual(struct.unpack(">i", body[:4])[0], 99)


class Kcat(BrokerTest):
    def test_metadata_listing_and_auto_create(self):
        r = subprocess.run(["kcat", "-L", "-J", "-b", self.broker.address, "-t", "kcat_topic"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        md = json.loads(r.stdout)
        self.assertEqual(md["brokers"], [{"id": 0, "name": self.broker.address}])
        topic = next(t for t in md["topics"] if t["topic"] == "kcat_topic")
        self.assertEqual([p["partition"] for p in topic["partitions"]], [0])
        self.assertEqual(topic["partitions"][0]["leader"], 0)

    def test_kcat_negotiates_api_versions(self):
        # librdkafka sends ApiVersions v3 first; a working -L proves the exchange, debug shows it.
        r = subprocess.run(["kcat", "-L", "-b", self.broker.address, "-d", "protocol"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ApiVersionRequest", r.stderr)
        self.assertNotIn("ApiVersionRequest failed", r.stderr)


def kcat(*args, input=None, timeout=120):
    return subprocess.run(["kcat", *args], input=input, capture_output=True, timeout=timeout)


class ProduceFetch(BrokerTest):
    def roundtrip(self, topic, payload, *produce_args):
        p = kcat("-P", "-b", self.broker.address, "-t", topic, "-X", "acks=all", *produce_args,
                 input=payload)
        self.assertEqual(p.returncode, 0, p.stderr)
        c = kcat("-C", "-b", self.broker.address, "-t", topic, "-o", "beginning", "-e", "-q")
        self.assertEqual(c.returncode, 0, c.stderr)
        return c.stdout

    def test_kcat_100k_messages_round_trip_byte_identical(self):
        payload = b"".join(b"message-%06d-%s\n" % (i, b"x" * (i % 50)) for i in range(100_000))
        self.assertEqual(self.roundtrip("kcat_100k", payload), payload)

    def test_every_compression_codec(self):
        payload = b"".join(b"compressible record %d %s\n" % (i, b"abc" * 20) for i in range(20_000))
        for codec in ("gzip", "snappy", "lz4", "zstd"):
            with self.subTest(codec=codec):
                got = self.roundtrip("codec_" + codec, payload, "-X", "compression.codec=" + codec)
                self.assertEqual(got, payload)

    def test_order_per_partition_with_keys(self):
        # A broker whose auto-created topics have three partitions; keyed messages: each key
        # lands in one partition, in order.
        cfg = os.path.join(self.broker.dir, "three.yaml")
        with open(cfg, "w") as f:
            f.write("broker: {default_partitions: 3}\n")
        b = Broker(extra=("-c", cfg))
        self.addCleanup(shutil.rmtree, b.dir, True)
        self.addCleanup(b.stop)
        lines = b"".join(b"k%d:%d\n" % (i % 7, i) for i in range(3000))
        p = kcat("-P", "-b", b.address, "-t", "keyed", "-K", ":", input=lines)
        self.assertEqual(p.returncode, 0, p.stderr)
        c = kcat("-C", "-b", b.address, "-t", "keyed", "-o", "beginning", "-e", "-q",
                 "-f", "%p %k %s\n")
        seen = {}
        for line in c.stdout.split(b"\n"):
            if not line:
                continue
            part, key, value = line.split(b" ")
            seen.setdefault(key, []).append((int(part), int(value)))
        self.assertEqual(sum(len(v) for v in seen.values()), 3000)
        self.assertEqual({p for items in seen.values() for p, _ in items}, {0, 1, 2})
        for key, items in seen.items():
            self.assertEqual(len({p for p, _ in items}), 1, key)
            values = [v for _, v in items]
            self.assertEqual(values, sorted(values), key)

    def test_long_poll_is_woken_by_an_append(self):
        kcat("-P", "-b", self.broker.address, "-t", "wake", input=b"first\n")
        consumer = subprocess.Popen(
            ["kcat", "-C", "-b", self.broker.address, "-t", "wake", "-o", "beginning", "-c", "2",
             "-q", "-X", "fetch.wait.max.ms=5000"], stdout=subprocess.PIPE)
        time.sleep(1.0)
        start = time.time()
        kcat("-P", "-b", self.broker.address, "-t", "wake", input=b"second\n")
        out, _ = consumer.communicate(timeout=30)
        self.assertEqual(out, b"first\nsecond\n")
        # The parked fetch answered on the append, well before its 5 s max wait.
        self.assertLess(time.time() - start, 3.0)

    def test_a_parked_fetch_wakes_only_for_its_own_partitions(self):
        kcat("-P", "-b", self.broker.address, "-t", "quiet", input=b"x\n")
        kcat("-P", "-b", self.broker.address, "-t", "noisy", input=b"x\n")

        def fetch_from_end(correlation, wait_ms):
            # Fetch v4 at offset 1 (the end): min_bytes 1 makes it wait for new data.
            body = (struct.pack(">iiiib", -1, wait_ms, 1, 1 << 20, 0) + struct.pack(">i", 1)
                    + kstr(b"quiet") + struct.pack(">i", 1) + struct.pack(">iqi", 0, 1, 1 << 20))
            return frame(1, 4, correlation, body=body)

        s = self.connect()
        start = time.time()
        s.sendall(fetch_from_end(1, 1500))
        time.sleep(0.2)
        kcat("-P", "-b", self.broker.address, "-t", "noisy", input=b"y\n")
        recv_frame(s)
        self.assertGreater(time.time() - start, 1.3, "an append elsewhere woke the fetch")
        start = time.time()
        s.sendall(fetch_from_end(2, 5000))
        time.sleep(0.2)
        kcat("-P", "-b", self.broker.address, "-t", "quiet", input=b"z\n")
        recv_frame(s)
        self.assertLess(time.time() - start, 2.0, "its own partition's append did not wake it")

    def test_list_offsets_by_time(self):
        kcat("-P", "-b", self.broker.address, "-t", "times", input=b"a\nb\nc\n")
        r = kcat("-Q", "-b", self.broker.address, "-t", "times:0:0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"offset 0", r.stdout)
        future = str(int(time.time() * 1000) + 3_600_000)
        r = kcat("-Q", "-b", self.broker.address, "-t", "times:0:" + future)
        self.assertIn(b"offset -1", r.stdout)


class KafkaPython(BrokerTest):
    def test_producer_and_assigned_consumer(self):
        script = f"""
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
p = KafkaProducer(bootstrap_servers="{self.broker.address}", acks="all", linger_ms=5)
futures = [p.send("py_pc", value=b"value-%d" % i, key=b"k") for i in range(5000)]
p.flush()
offsets = [f.get(timeout=10).offset for f in futures]
assert offsets == list(range(5000)), offsets[:10]
c = KafkaConsumer(bootstrap_servers="{self.broker.address}", enable_auto_commit=False,
                  consumer_timeout_ms=5000)
tp = TopicPartition("py_pc", 0)
c.assign([tp])
c.seek_to_beginning(tp)
got = [m.value for m in c]
assert got == [b"value-%d" % i for i in range(5000)], len(got)
print("ok", len(got), c.end_offsets([tp])[tp])
"""
        r = subprocess.run([PY, "-c", script], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn("ok 5000 5000", r.stdout)


class ConfluentKafka(BrokerTest):
    def test_producer_and_assigned_consumer(self):
        script = f"""
from confluent_kafka import Producer, Consumer, TopicPartition
acked = []
p = Producer({{"bootstrap.servers": "{self.broker.address}", "acks": "all",
              "compression.type": "lz4"}})
for i in range(20000):
    p.produce("ck", value=b"v%d" % i, on_delivery=lambda e, m: acked.append((e, m.offset())))
    if i % 1000 == 0:
        p.poll(0)
assert p.flush(30) == 0
assert all(e is None for e, _ in acked) and len(acked) == 20000, acked[:3]
c = Consumer({{"bootstrap.servers": "{self.broker.address}", "group.id": "unused",
              "enable.auto.commit": False}})
c.assign([TopicPartition("ck", 0, 0)])
got = []
while len(got) < 20000:
    msgs = c.consume(1000, timeout=10)
    assert msgs, "no progress at %d" % len(got)
    for m in msgs:
        assert m.error() is None, m.error()
        got.append(m.value())
assert got == [b"v%d" % i for i in range(20000)]
lo, hi = c.get_watermark_offsets(TopicPartition("ck", 0), timeout=10)
print("ok", len(got), lo, hi)
"""
        r = subprocess.run([PY, "-c", script], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-3000:])
        self.assertIn("ok 20000 0 20000", r.stdout)


class KafkaPythonMetadata(BrokerTest):
    def test_metadata(self):
        script = f"""
from kafka import KafkaClient
c = KafkaClient(bootstrap_servers="{self.broker.address}", api_version_auto_timeout_ms=10000)
c.poll(timeout_ms=1000)
fut = c.cluster.request_update()
c.add_topic("py_topic")
c.poll(future=fut, timeout_ms=10000)
import time
deadline = time.time() + 10
while "py_topic" not in c.cluster.topics() and time.time() < deadline:
    c.poll(future=c.cluster.request_update(), timeout_ms=1000)
print(sorted(c.cluster.topics()))
print(c.cluster.partitions_for_topic("py_topic"))
"""
        r = subprocess.run([PY, "-c", script], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("py_topic", r.stdout)
        self.assertIn("{0}", r.stdout)


class BadInput(BrokerTest):
    def test_unknown_api_version_gets_kip511_fallback(self):
        s = self.connect()
        s.sendall(frame(18, 99, 7, body=b"\x00", flexible=True))
        body = recv_frame(s)
        correlation, error, count = struct.unpack(">ihi", body[:10])
        self.assertEqual((correlation, error), (7, 35))  # UNSUPPORTED_VERSION
        apis = {struct.unpack(">hhh", body[10 + 6 * i:16 + 6 * i])[0]:
                struct.unpack(">hhh", body[10 + 6 * i:16 + 6 * i])[1:] for i in range(count)}
        self.assertEqual(apis[18], (0, 3))
        self.assertEqual(apis[3][0], 0)  # ranges start at 0 for librdkafka
        # The connection stays usable: a supported version now works on it.
        s.sendall(frame(18, 0, 8))
        self.assertEqual(struct.unpack(">ih", recv_frame(s)[:6]), (8, 0))

    def test_garbage_closes_only_that_connection(self):
        s = self.connect()
        s.sendall(b"\x00\x00\x00\x08garbage!")
        self.assertTrue(closed_by_peer(s))
        self.assert_still_serving()

    def test_oversized_frame_is_refused_before_reading_it(self):
        s = self.connect()
        s.sendall(struct.pack(">i", 2**31 - 1))
        self.assertTrue(closed_by_peer(s))
        s = self.connect()
        s.sendall(struct.pack(">i", -5))
        self.assertTrue(closed_by_peer(s))
        self.assertIn("request frame of 2147483647 bytes", self.broker.output())
        self.assert_still_serving()

    def test_truncated_frame_then_disconnect(self):
        s = self.connect()
        s.sendall(struct.pack(">i", 100) + b"\x00\x12")
        s.close()
        self.assert_still_serving()

    def test_unknown_api_key(self):
        s = self.connect()
        s.sendall(frame(9999, 0, 1))
        self.assertTrue(closed_by_peer(s))
        self.assertIn("unknown API key 9999", self.broker.output())
        self.assert_still_serving()

    def test_unsupported_version_of_a_known_api(self):
        s = self.connect()
        s.sendall(frame(3, 50, 1))
        self.assertTrue(closed_by_peer(s))
        self.assertIn("Metadata v50 is not supported", self.broker.output())

    def test_malformed_body(self):
        s = self.connect()
        # Metadata v1 claiming 1000 topics in two bytes.
        s.sendall(frame(3, 1, 1, body=struct.pack(">i", 1000) + b"\x00\x01"))
        self.assertTrue(closed_by_peer(s))
        self.assertIn("array of 1000 elements", self.broker.output())
        self.assert_still_serving()

    def test_bad_crc_is_refused_and_stored_data_is_unharmed(self):
        kcat("-P", "-b", self.broker.address, "-t", "crc", input=b"good-1\ngood-2\n")
        batch = bytearray(record_batch([b"evil"]))
        batch[-1] ^= 0xFF  # the CRC no longer matches
        body = (struct.pack(">hhi", -1, -1, 5000) + struct.pack(">i", 1) + kstr(b"crc")
                + struct.pack(">i", 1) + struct.pack(">ii", 0, len(batch)) + bytes(batch))
        s = self.connect()
        s.sendall(frame(0, 3, 77, body=body))
        resp = recv_frame(s)
        correlation, topics = struct.unpack(">ii", resp[:8])
        (name_len,) = struct.unpack(">h", resp[8:10])
        partitions, index, error = struct.unpack(">iih", resp[10 + name_len:20 + name_len])
        self.assertEqual((correlation, topics, partitions, index, error), (77, 1, 1, 0, 2))
        self.assertIn("CRC", self.broker.output())
        # The connection still serves, and what was stored before is intact and alone.
        s.sendall(frame(18, 0, 78))
        self.assertEqual(struct.unpack(">i", recv_frame(s)[:4])[0], 78)
        c = kcat("-C", "-b", self.broker.address, "-t", "crc", "-o", "beginning", "-e", "-q")
        self.assertEqual(c.stdout, b"good-1\ngood-2\n")

    def test_pipelined_requests_answer_in_order(self):
        s = self.connect()
        s.sendall(b"".join(frame(18, v % 4, 1000 + i, flexible=(v % 4 == 3),
                                 body=(b"\x01\x01\x00" if v % 4 == 3 else b""))
                           for i, v in enumerate(range(50))))
        got = [struct.unpack(">i", recv_frame(s)[:4])[0] for _ in range(50)]
        self.assertEqual(got, list(range(1000, 1050)))

    def test_many_concurrent_connections(self):
        socks = [self.connect() for _ in range(100)]
        for i, s in enumerate(socks):
            s.sendall(frame(18, 1, i))
        for i, s in enumerate(socks):
            self.assertEqual(struct.unpack(">i", recv_frame(s)[:4])[0], i)


class CrashSafety(unittest.TestCase):
    def test_sigkill_during_acks_all_produce_loses_nothing_acknowledged(self):
        b = Broker()
        try:
            # A producer that records every acknowledged offset, killed broker mid-stream.
            script = f"""
import sys, time
from confluent_kafka import Producer
acked = []
ready = False
p = Producer({{"bootstrap.servers": "{b.address}", "acks": "all", "linger.ms": 2,
              "message.timeout.ms": 4000, "retries": 0}})
for i in range(200000):
    try:
        p.produce("crash", value=b"m%d" % i,
                  on_delivery=lambda e, m: acked.append(m.value()) if e is None else None)
    except BufferError:
        p.poll(0.05)
    p.poll(0)
    if len(acked) >= 5000 and not ready:
        ready = True
        print("ready", flush=True)
p.flush(10)
sys.stderr.write("acked %d\\n" % len(acked))
open(sys.argv[1], "wb").write(b"\\n".join(acked))
"""
            acked_file = os.path.join(b.dir, "acked")
            prod = subprocess.Popen([PY, "-c", script, acked_file], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            self.assertEqual(prod.stdout.readline().strip(), b"ready")
            time.sleep(0.3)
            b.kill()
            _, err = prod.communicate(timeout=60)
            with open(acked_file, "rb") as f:
                acked = [x for x in f.read().split(b"\n") if x]
            self.assertGreaterEqual(len(acked), 5000, err)
            b = Broker(data_dir=b.dir)
            c = kcat("-C", "-b", b.address, "-t", "crash", "-o", "beginning", "-e", "-q")
            stored = c.stdout.split(b"\n")[:-1]
            stored_set = set(stored)
            missing = [m for m in acked if m not in stored_set]
            self.assertEqual(missing, [], "acknowledged messages lost after SIGKILL")
            # The log is consistent: offsets dense and every stored batch readable.
            self.assertEqual(len(stored), len(stored_set), "no duplicates without retries")
            self.assertIn("recovered after an unclean stop", b.output())
        finally:
            b.stop()
            shutil.rmtree(b.dir, ignore_errors=True)

    def test_corrupt_segment_tail_recovers_to_last_good_batch(self):
        b = Broker()
        try:
            p = kcat("-P", "-b", b.address, "-t", "tail", "-X", "acks=all",
                     "-X", "batch.num.messages=50", "-X", "linger.ms=0",
                     input=b"".join(b"line %d\n" % i for i in range(1000)))
            self.assertEqual(p.returncode, 0, p.stderr)
            b.kill()
            seg = os.path.join(b.dir, "tail-0", "00000000000000000000.log")
            size = os.path.getsize(seg)
            with open(seg, "r+b") as f:  # damage the last batch and add a torn write
                f.seek(size - 3)
                f.write(b"\xff\xff\xff")
                f.seek(size)
                f.write(b"\x00" * 30)
            b = Broker(data_dir=b.dir)
            self.assertIn("truncating", b.output())
            c = kcat("-C", "-b", b.address, "-t", "tail", "-o", "beginning", "-e", "-q")
            lines = c.stdout.split(b"\n")[:-1]
            self.assertGreater(len(lines), 0)
            self.assertEqual(lines, [b"line %d" % i for i in range(len(lines))])
            # New writes continue right after the last good batch.
            kcat("-P", "-b", b.address, "-t", "tail", input=b"after\n")
            c = kcat("-C", "-b", b.address, "-t", "tail", "-o", "beginning", "-e", "-q")
            self.assertEqual(c.stdout.split(b"\n")[:-1][-1], b"after")
        finally:
            b.stop()
            shutil.rmtree(b.dir, ignore_errors=True)


class Idempotence(unittest.TestCase):
    def test_idempotent_producer_across_a_broker_crash_gets_exactly_once(self):
        b = Broker()
        try:
            script = f"""
import sys
from confluent_kafka import Producer
errors, acked = [], 0
def done(e, m):
    global acked
    if e is None:
        acked += 1
    else:
        errors.append(str(e))
p = Producer({{"bootstrap.servers": "{b.address}", "enable.idempotence": True,
              "acks": "all", "linger.ms": 5, "message.timeout.ms": 60000}})
ready = False
for i in range(50000):
    while True:
        try:
            p.produce("exactly_once", value=b"m%d" % i, on_delivery=done)
            break
        except BufferError:
            p.poll(0.05)
    # Pace the producer so that the broker is killed with most messages
    # still to send: an unpaced loop can enqueue all 50,000 before the
    # first 5,000 are acknowledged.
    p.poll(0.005 if i % 250 == 0 else 0)
    if acked >= 5000 and not ready:
        ready = True
        print("ready", flush=True)
left = p.flush(90)
print("left", left, "acked", acked, "errors", errors[:3], flush=True)
"""
            prod = subprocess.Popen([PY, "-c", script], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            self.assertEqual(prod.stdout.readline().strip(), b"ready")
            b.kill()
            time.sleep(0.5)
            b = Broker(data_dir=b.dir, port=b.port)
            out, err = prod.communicate(timeout=120)
            self.assertIn(b"left 0 acked 50000 errors []", out, err[-2000:])
            c = kcat("-C", "-b", b.address, "-t", "exactly_once", "-o", "beginning", "-e", "-q")
            stored = c.stdout.split(b"\n")[:-1]
            self.assertEqual(len(stored), 50000, "every message exactly once")
            self.assertEqual(sorted(stored), sorted(b"m%d" % i for i in range(50000)))
        finally:
            b.stop()
            shutil.rmtree(b.dir, ignore_errors=True)

    def test_librdkafka_cpp_idempotent_producer_reads_back_exactly_what_was_acked(self):
        b = Broker()
        try:
            r = subprocess.run([os.environ["SLUICE_RDKAFKA_IDEMPOTENT"], b.address, "cpp_idem",
                                "30000"], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            self.assertEqual(r.stdout, "ok 30000\n")
        finally:
            b.stop()
            shutil.rmtree(b.dir, ignore_errors=True)

    def test_transactional_producer_is_refused_not_hung(self):
        b = Broker()
        try:
            script = f"""
from confluent_kafka import Producer, KafkaException
p = Producer({{"bootstrap.servers": "{b.address}", "transactional.id": "t1"}})
try:
    p.init_transactions(10)
    print("initialized")
except KafkaException as e:
    print("refused", e.args[0].code())
"""
            r = subprocess.run([PY, "-c", script], capture_output=True, text=True, timeout=60)
            self.assertIn("refused", r.stdout, r.stderr[-2000:])
        finally:
            b.stop()
            shutil.rmtree(b.dir, ignore_errors=True)


class TopicsCommand(BrokerTest):
    def topics(self, *args):
        return subprocess.run([BIN, "topics", "--bootstrap", self.broker.address, *args],
                              capture_output=True, text=True, timeout=60)

    def test_create_list_describe_delete(self):
        r = self.topics("create", "orders", "--partitions", "4")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "created orders\n")
        r = self.topics("create", "orders")
        self.assertEqual(r.returncode, 1)
        self.assertIn("already exists", r.stderr)
        self.assertIn("orders\t4 partition(s)", self.topics("list").stdout)
        kcat("-P", "-b", self.broker.address, "-t", "orders", "-p", "2", input=b"a\nb\nc\n")
        d = self.topics("describe", "orders")
        self.assertEqual(d.returncode, 0, d.stderr)
        self.assertIn("2\t0\t1\t1\t0\t3\n", d.stdout)  # partition 2: offsets 0..3
        self.assertIn("cleanup.policy\tdelete", d.stdout)
        r = self.topics("create", "replicated", "--replication-factor", "3")
        self.assertEqual(r.returncode, 1)
        self.assertIn("replication factor 3 on a single-node broker", r.stderr)
        r = self.topics("delete", "orders")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("orders", self.topics("list").stdout)
        r = self.topics("describe", "orders")
        self.assertEqual(r.returncode, 1)
        self.assertNotIn("orders", self.topics("list").stdout, "describe must not create")

    def test_invalid_names_are_refused(self):
        r = self.topics("create", "bad name")
        self.assertEqual(r.returncode, 1)
        self.assertIn("outside [a-zA-Z0-9._-]", r.stderr)

    def test_unreachable_broker(self):
        r = subprocess.run([BIN, "topics", "--bootstrap", f"127.0.0.1:{free_port()}", "list"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("sluice topics:", r.stderr)


class Up(unittest.TestCase):
    def test_up_serves_the_embedded_broker_until_sigterm(self):
        d = tempfile.mkdtemp(prefix="sluice-up-")
        port, store_port, http_port = free_port(), free_port(), free_port()
        cfg = os.path.join(d, "up.yaml")
        with open(cfg, "w") as f:
            f.write(f"data_dir: {d}/data\nbroker: {{listen: 127.0.0.1:{port}}}\n"
                    f"store: {{listen: 127.0.0.1:{store_port}}}\n"
                    f"api: {{listen: 127.0.0.1:{free_port()}}}\n"
                    f"http: {{listen: 127.0.0.1:{http_port}}}\n")
        start = time.time()
        p = subprocess.Popen([BIN, "up", cfg], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out = b""
            while b"ready in" not in out:
                line = p.stdout.readline()
                if not line:
                    self.fail("sluice up exited: " + p.stderr.read().decode())
                out += line
            self.assertLess(time.time() - start, 5)
            self.assertNotIn(b"not in this version yet", out)
            # The HTTP listener serves the (here empty) REST API.
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/api/v1/dags",
                                        timeout=10) as r:
                self.assertEqual(json.loads(r.read()), {"dags": [], "total_entries": 0})
            r = kcat("-L", "-b", f"127.0.0.1:{port}", "-t", "users_created")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(b"users_created", r.stdout)
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(timeout=20), 0)
            shutil.rmtree(d, ignore_errors=True)

    def test_busy_port_names_the_part(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            d = tempfile.mkdtemp(prefix="sluice-up-")
            cfg = os.path.join(d, "up.yaml")
            with open(cfg, "w") as f:
                f.write(f"data_dir: {d}/data\nbroker: {{listen: 127.0.0.1:{port}}}\n")
            r = subprocess.run([BIN, "up", cfg], capture_output=True, text=True, timeout=30)
            shutil.rmtree(d, ignore_errors=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"starting broker: cannot listen on 127.0.0.1:{port}: Address already in use",
                      r.stderr)


class Lifecycle(unittest.TestCase):
    def test_topics_survive_restart(self):
        b = Broker()
        try:
            subprocess.run(["kcat", "-L", "-b", b.address, "-t", "kept"], capture_output=True,
                           timeout=30, check=True)
            self.assertEqual(b.stop(), 0)
            b = Broker(data_dir=b.dir)
            r = subprocess.run(["kcat", "-L", "-J", "-b", b.address], capture_output=True,
                               text=True, timeout=30)
            self.assertIn("kept", [t["topic"] for t in json.loads(r.stdout)["topics"]])
        finally:
            b.stop()
            shutil.rmtree(b.dir, ignore_errors=True)

    def test_advertised_address_is_what_metadata_announces(self):
        b = Broker(extra=("--advertised", "kafka.example:19092"))
        try:
            r = kcat("-L", "-J", "-b", b.address)
            self.assertEqual(json.loads(r.stdout)["brokers"],
                             [{"id": 0, "name": "kafka.example:19092"}])
        finally:
            b.stop()
            shutil.rmtree(b.dir, ignore_errors=True)

    def test_busy_port_is_a_clear_error(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            d = tempfile.mkdtemp()
            r = subprocess.run([BIN, "broker", "--listen", f"127.0.0.1:{port}", "--data-dir", d],
                               capture_output=True, text=True, timeout=30)
            shutil.rmtree(d, ignore_errors=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"cannot listen on 127.0.0.1:{port}: Address already in use", r.stderr)

    def test_sigint_stops_cleanly(self):
        b = Broker()
        self.assertEqual(b.stop(signal.SIGINT), 0)
        self.assertIn("stopped", b.output())
        shutil.rmtree(b.dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
