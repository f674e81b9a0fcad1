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

BIN = os.environ["SLUICE_BIN"]
PY = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """A `sluice broker` process on a free port, with its own data directory."""

    def __init__(self, data_dir=None, extra=()):
        self.port = free_port()
        self.dir = data_dir or tempfile.mkdtemp(prefix="sluice-broker-")
        self.log = open(os.path.join(self.dir, "broker.log"), "a+")
        self.proc = subprocess.Popen(
            [BIN, "broker", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.dir, *extra],
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


def frame(api_key, version, correlation, body=b"", client_id=b"test", flexible=False):
    header = struct.pack(">hhih", api_key, version, correlation, len(client_id)) + client_id
    if flexible:
        header += b"\x00"
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


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


class KafkaPython(BrokerTest):
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
