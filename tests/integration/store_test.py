"""The table store against the DataStax Python driver (Debian's python3-cassandra), and against
bad input sent by hand. Each test class starts its own store on a free loopback port, with its
own data directory, and stops it with SIGTERM (the crash test uses SIGKILL)."""
import collections
import contextlib
import datetime
import decimal
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from cassandra import AlreadyExists, AuthenticationFailed, InvalidRequest
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster, NoHostAvailable
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.connection import locally_supported_compressions
from cassandra.metadata import Murmur3Token
from cassandra.protocol import ConfigurationException, SyntaxException
from cassandra.query import BatchStatement, BatchType, SimpleStatement
from cassandra.util import Date, OrderedMap, SortedSet, Time

BIN = os.environ["SLUICE_BIN"]

# How the driver connects in these tests: the defaults, except where the store is. Protocol v4 is
# set explicitly so that each connection skips the downgrade from the driver's first guess
# (0x42, DSE v2); Connect.test_default_cluster_negotiates_down_to_v4 covers the default.
CONNECT_OPTIONS = {"contact_points": ["127.0.0.1"], "protocol_version": 4}

# The store's authentication settings, in one place to follow the config schema's key names.
AUTH_USER, AUTH_PASSWORD = "alice", "secret"
AUTH_CONFIG = (
    "store:\n"
    "  authenticator: password\n"
    "  users:\n"
    f"    - {{name: {AUTH_USER}, password: {AUTH_PASSWORD}}}\n"
)

REPLICATION = "{'class': 'SimpleStrategy', 'replication_factor': '1'}"

# The reference pipeline's schema, word for word.
REFERENCE_KEYSPACE = ("CREATE KEYSPACE spark_streams WITH replication = "
                      "{'class': 'SimpleStrategy', 'replication_factor': '1'};")
REFERENCE_TABLE = ("CREATE TABLE spark_streams.created_users (id UUID PRIMARY KEY, "
                   "first_name TEXT, last_name TEXT, gender TEXT, address TEXT, post_code TEXT, "
                   "email TEXT, username TEXT, registered_date TEXT, phone TEXT, picture TEXT);")
REFERENCE_COLUMNS = ["id", "first_name", "last_name", "gender", "address", "post_code", "email",
                     "username", "registered_date", "phone", "picture"]

# The driver offers lz4 only when /usr/bin/python3 has the lz4 module (Debian: python3-lz4).
HAVE_LZ4 = "lz4" in locally_supported_compressions


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cluster(port, **overrides):
    """A driver Cluster for the store on `port`: CONNECT_OPTIONS, then `overrides`."""
    options = dict(CONNECT_OPTIONS, port=port)
    options.update(overrides)
    return Cluster(**options)


@contextlib.contextmanager
def connected(port, **overrides):
    cluster = make_cluster(port, **overrides)
    try:
        yield cluster, cluster.connect()
    finally:
        cluster.shutdown()


class Store:
    """A `sluice store` process on a free port, with its own directory: `root` holds the log
    (store.log) and the data directory (data/)."""

    def __init__(self, root=None, extra=(), config=None, port=None):
        self.port = port or free_port()
        self.root = root or tempfile.mkdtemp(prefix="sluice-store-")
        try:
            self._start(extra, config)
        except BaseException:
            if root is None:
                shutil.rmtree(self.root, ignore_errors=True)
            raise

    def _start(self, extra, config):
        self.data_dir = os.path.join(self.root, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.log = open(os.path.join(self.root, "store.log"), "a+")
        cmd = [BIN, "store", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
               *extra]
        if config:
            cmd += ["-c", config]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("store exited with %r: %s"
                                       % (self.proc.returncode, self.output()))
                time.sleep(0.05)
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError("store did not listen within 20 s: " + self.output())

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        if not self.log.closed:
            self.log.close()
        return code

    def kill(self):
        """SIGKILL: no clean shutdown, as a crash."""
        return self.stop(signal.SIGKILL)


class StoreTest(unittest.TestCase):
    """One store and one driver session for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.store = Store()
        cls.cluster = None
        try:
            cls.cluster = make_cluster(cls.store.port)
            cls.session = cls.cluster.connect()
            cls.prepare_class()
        except BaseException:
            # tearDownClass does not run when setUpClass fails: leave no store behind.
            if cls.cluster is not None:
                cls.cluster.shutdown()
            cls.store.stop()
            raise

    @classmethod
    def prepare_class(cls):
        """Schema the class's tests share, made once on the shared session."""

    @classmethod
    def tearDownClass(cls):
        cls.cluster.shutdown()
        code = cls.store.stop()
        assert code == 0, "store exit code %r:\n%s" % (code, cls.store.output()[-5000:])
        shutil.rmtree(cls.store.root, ignore_errors=True)

    def log_tail(self):
        return "\n--- store log (tail) ---\n" + self.store.output()[-3000:]

    def rows(self, query, params=None):
        return list(self.session.execute(query, params))

    def assert_still_serving(self):
        """A new driver session on the same store connects and answers."""
        self.assertTrue(self.store.alive(), "the store died" + self.log_tail())
        with connected(self.store.port) as (_, session):
            rows = list(session.execute("SELECT data_center FROM system.local"))
        self.assertEqual([r.data_center for r in rows], ["datacenter1"], self.log_tail())


# --------------------------------------------------------------------------------------------
# 1. Connecting


class Connect(StoreTest):
    def test_connect_is_fast_and_metadata_shows_the_node(self):
        start = time.monotonic()
        cluster = make_cluster(self.store.port)
        self.addCleanup(cluster.shutdown)
        cluster.connect()
        took = time.monotonic() - start
        self.assertLess(took, 1.0, "Cluster(...).connect() took %.2f s" % took)

        md = cluster.metadata
        hosts = md.all_hosts()
        self.assertEqual(len(hosts), 1, "one node, none from system.peers(_v2): %r" % hosts)
        host = hosts[0]
        self.assertEqual(host.endpoint.address, "127.0.0.1")
        self.assertEqual(host.datacenter, "datacenter1")
        self.assertEqual(host.rack, "rack1")
        self.assertTrue(host.is_up)
        self.assertIsNotNone(host.host_id, "system.local has no host_id")
        # The driver picks its schema parser from release_version: 3.x/4.x read system_schema.
        self.assertRegex(host.release_version or "", r"^[345]\.\d+",
                         "release_version must look like a Cassandra version")
        self.assertTrue((md.partitioner or "").endswith("Murmur3Partitioner"), md.partitioner)
        self.assertIsNotNone(md.token_map, "no token map: system.local lacks tokens")
        self.assertGreaterEqual(len(md.token_map.ring), 1)
        self.assertIn("system", md.keyspaces, "system keyspaces missing from system_schema")

    def test_default_cluster_negotiates_down_to_v4(self):
        # With no protocol_version, the driver opens a connection per guess: OPTIONS at 0x42
        # (DSE v2), 0x41 (DSE v1), 5, then 4; each refusal must be an ERROR saying "unsupported
        # protocol version" for it to move on.
        start = time.monotonic()
        cluster = Cluster(contact_points=["127.0.0.1"], port=self.store.port)
        self.addCleanup(cluster.shutdown)
        session = cluster.connect()
        took = time.monotonic() - start
        self.assertEqual(cluster.protocol_version, 4)
        self.assertLess(took, 1.0, "connect with protocol negotiation took %.2f s" % took)
        rows = list(session.execute("SELECT data_center, rack FROM system.local"))
        self.assertEqual([(r.data_center, r.rack) for r in rows], [("datacenter1", "rack1")])


# --------------------------------------------------------------------------------------------
# 2-3. The reference schema and bulk writes


def user_values(i, uid):
    return (uid, f"first{i}", f"last{i}", "female" if i % 2 else "male",
            f"{i} Main Street, Springfield", f"{10000 + i}", f"user{i}@example.com", f"user{i}",
            f"2024-01-{1 + i % 28:02d}T10:00:00.000Z", f"+1-555-{i:07d}",
            f"https://example.com/pictures/{i}.jpg")


class ReferenceSchema(StoreTest):
    def test_reference_ddl_is_quick_and_shows_in_metadata(self):
        for ddl in (REFERENCE_KEYSPACE, REFERENCE_TABLE):
            start = time.monotonic()
            rs = self.session.execute(ddl)
            took = time.monotonic() - start
            self.assertLess(took, 2.0, "%r took %.2f s (schema agreement waits up to 10 s)"
                            % (ddl, took))
            self.assertTrue(rs.response_future.is_schema_agreed,
                            "the driver saw no schema agreement after %r" % ddl)

        ks = self.cluster.metadata.keyspaces.get("spark_streams")
        self.assertIsNotNone(ks, "keyspace missing from metadata")
        self.assertEqual(type(ks.replication_strategy).__name__, "SimpleStrategy")
        self.assertEqual(ks.replication_strategy.replication_factor, 1)
        self.assertIn("created_users", ks.tables, "table missing from metadata")
        table = ks.tables["created_users"]
        self.assertEqual([c.name for c in table.partition_key], ["id"])
        self.assertEqual(table.clustering_key, [])
        self.assertEqual(sorted(table.columns), sorted(REFERENCE_COLUMNS))
        self.assertEqual(list(table.columns)[0], "id", "partition key first")
        types = {name: col.cql_type for name, col in table.columns.items()}
        self.assertEqual(types, {name: "uuid" if name == "id" else "text"
                                 for name in REFERENCE_COLUMNS})

    def test_10000_rows_concurrently_then_read_page_and_count(self):
        self.session.execute(f"CREATE KEYSPACE bulk WITH replication = {REPLICATION}")
        self.session.execute(REFERENCE_TABLE.replace("spark_streams.", "bulk."))
        insert = self.session.prepare(
            "INSERT INTO bulk.created_users (%s) VALUES (%s)"
            % (", ".join(REFERENCE_COLUMNS), ", ".join("?" * len(REFERENCE_COLUMNS))))
        ids = [uuid.uuid4() for _ in range(10000)]
        params = [user_values(i, uid) for i, uid in enumerate(ids)]
        results = execute_concurrent_with_args(self.session, insert, params, concurrency=100,
                                               raise_on_first_error=False)
        failures = [r for ok, r in results if not ok]
        self.assertEqual(failures[:5], [], "%d of 10000 inserts failed" % len(failures))
        self.assertEqual(len(results), 10000)

        select = self.session.prepare("SELECT * FROM bulk.created_users WHERE id = ?")
        for i in random.Random(7).sample(range(10000), 100):
            rows = list(self.session.execute(select, (ids[i],)))
            self.assertEqual(len(rows), 1, "row %d" % i)
            got = tuple(getattr(rows[0], c) for c in REFERENCE_COLUMNS)
            self.assertEqual(got, params[i])

        rs = self.session.execute(SimpleStatement("SELECT * FROM bulk.created_users",
                                                  fetch_size=1000))
        self.assertEqual(len(rs.current_rows), 1000, "first page is fetch_size rows")
        self.assertTrue(rs.has_more_pages, "no paging state after the first page")
        seen = collections.Counter(row.id for row in rs)
        self.assertEqual([i for i, n in seen.items() if n > 1][:5], [], "ids paged twice")
        self.assertEqual(sum(seen.values()), 10000, "rows paged through")
        self.assertEqual(set(seen), set(ids))

        count = self.rows("SELECT count(*) FROM bulk.created_users")
        self.assertEqual(count[0][0], 10000)


# --------------------------------------------------------------------------------------------
# 4. Types

TYPE_COLUMNS = [
    ("u", "uuid"), ("tu", "timeuuid"), ("t", "text"), ("vc", "varchar"), ("a", "ascii"),
    ("i", "int"), ("bi", "bigint"), ("si", "smallint"), ("ti", "tinyint"), ("b", "boolean"),
    ("f", "float"), ("d", "double"), ("dec", "decimal"), ("vi", "varint"), ("ts", "timestamp"),
    ("dt", "date"), ("tm", "time"), ("bl", "blob"), ("ip", "inet"), ("l", "list<int>"),
    ("s", "set<text>"), ("m", "map<text, int>"),
]
COLS = [name for name, _ in TYPE_COLUMNS]


def plain(value):
    """The driver's collection types as plain Python ones."""
    if isinstance(value, (SortedSet, set, frozenset)):
        return set(value)
    if isinstance(value, OrderedMap):
        return dict(value)
    return value


class Types(StoreTest):
    @classmethod
    def prepare_class(cls):
        cls.session.execute(f"CREATE KEYSPACE typed WITH replication = {REPLICATION}")
        cls.session.execute("CREATE TABLE typed.all_types (id int PRIMARY KEY, %s)"
                            % ", ".join(f"{n} {t}" for n, t in TYPE_COLUMNS))
        cls.insert = cls.session.prepare("INSERT INTO typed.all_types (id, %s) VALUES (?, %s)"
                                         % (", ".join(COLS), ", ".join("?" * len(COLS))))
        cls.select = cls.session.prepare("SELECT * FROM typed.all_types WHERE id = ?")

    def read(self, id_):
        rows = list(self.session.execute(self.select, (id_,)))
        self.assertEqual(len(rows), 1, "row %d" % id_)
        return rows[0]

    def check(self, row, expected):
        for name, want in expected.items():
            got = getattr(row, name)
            with self.subTest(column=name):
                if isinstance(want, decimal.Decimal):
                    self.assertIsInstance(got, decimal.Decimal)
                    self.assertEqual(got.as_tuple(), want.as_tuple(), "decimal keeps its scale")
                elif name in ("l", "s", "m") and want is None:
                    # An empty collection is no value at all in Cassandra (it reads as null).
                    self.assertIn(plain(got), (None, [], set(), {}))
                else:
                    self.assertEqual(plain(got), plain(want))

    def test_prepared_values_round_trip(self):
        u4, u1 = uuid.uuid4(), uuid.uuid1()
        first = {
            "u": u4, "tu": u1, "t": "text ü ✓ 漢字", "vc": "varchar", "a": "ascii only",
            "i": 2**31 - 1, "bi": 2**63 - 1, "si": 32767, "ti": 127, "b": True,
            "f": 1.5, "d": 2.25, "dec": decimal.Decimal("1.25"), "vi": 2**100 + 1,
            "ts": datetime.datetime(2024, 5, 6, 7, 8, 9, 123000),
            "dt": Date(datetime.date(2024, 5, 6)),
            "tm": Time(datetime.time(7, 8, 9, 123456)),
            "bl": b"\x00\xffbytes", "ip": "127.0.0.1", "l": [3, 1, 2, -4],
            "s": {"b", "a", "c"}, "m": {"y": -2, "x": 1},
        }
        second = {
            "u": uuid.uuid4(), "tu": uuid.uuid1(), "t": "", "vc": "", "a": "",
            "i": -2**31, "bi": -2**63, "si": -32768, "ti": -128, "b": False,
            "f": 2.0**-10, "d": -1e300, "dec": decimal.Decimal("-123456789012345678901234.500"),
            "vi": -(2**200),
            # A timestamp before the epoch; empty strings, blob and collections.
            "ts": datetime.datetime(1969, 12, 31, 23, 59, 59, 999000),
            "dt": datetime.date(1970, 1, 1), "tm": datetime.time(0, 0),
            "bl": b"", "ip": "2001:db8::ff00:42:8329", "l": [], "s": set(), "m": {},
        }
        self.session.execute(self.insert, [1] + [first[c] for c in COLS])
        self.session.execute(self.insert, [2] + [second[c] for c in COLS])
        row = self.read(1)
        self.check(row, first)
        self.assertEqual(row.u, u4)
        self.assertEqual(row.tu.version, 1)
        self.assertEqual(row.f, 1.5)
        self.assertEqual(list(row.l), [3, 1, 2, -4], "list order kept")
        self.assertEqual(list(row.m.keys()), ["x", "y"], "map keys in key order")
        self.assertIsInstance(row.dt, Date)
        self.assertIsInstance(row.tm, Time)
        self.assertEqual(row.tm.nanosecond_time, (7 * 3600 + 8 * 60 + 9) * 10**9 + 123456000)
        expected = dict(second, dt=Date(datetime.date(1970, 1, 1)), tm=Time(0),
                        l=None, s=None, m=None)
        self.check(self.read(2), expected)

        # A zoned datetime is stored as UTC and read back as a naive UTC datetime.
        zoned = datetime.datetime(2024, 1, 1, 12, 0, 0, 500000,
                                  tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
        self.session.execute(self.insert, [3] + [zoned if c == "ts" else first[c] for c in COLS])
        self.assertEqual(self.read(3).ts, datetime.datetime(2024, 1, 1, 10, 0, 0, 500000))

    def test_nulls_round_trip(self):
        self.session.execute(self.insert, [10] + [None] * len(COLS))
        row = self.read(10)
        self.assertEqual({c: getattr(row, c) for c in COLS}, {c: None for c in COLS})
        self.session.execute("INSERT INTO typed.all_types (id) VALUES (11)")
        row = self.read(11)
        self.assertEqual({c: getattr(row, c) for c in COLS}, {c: None for c in COLS})
        self.session.execute("INSERT INTO typed.all_types (id, i, t, l) VALUES (12, null, null, "
                             "null)")
        self.assertEqual((self.read(12).i, self.read(12).t, self.read(12).l), (None, None, None))

    def test_literals_in_a_query_round_trip(self):
        self.session.execute(
            "INSERT INTO typed.all_types (id, %s) VALUES (100, "
            "6ab09bec-e68e-48d9-a5f8-97e6fb4c9b47, 8e46a6a0-0b5c-11ef-9262-0242ac120002, "
            "'it''s text', 'vc', 'asc', -42, 9000000000, -1000, -100, true, 1.5, -2.25, 1.25, "
            "123456789012345678901234567890, '2024-05-06 07:08:09.123+0000', '2024-05-06', "
            "'07:08:09.123456789', 0xcafe, '::1', [3, 1, 2], {'b', 'a', 'b'}, {'y': 2, 'x': 1})"
            % ", ".join(COLS))
        row = self.read(100)
        self.check(row, {
            "u": uuid.UUID("6ab09bec-e68e-48d9-a5f8-97e6fb4c9b47"),
            "tu": uuid.UUID("8e46a6a0-0b5c-11ef-9262-0242ac120002"),
            "t": "it's text", "vc": "vc", "a": "asc", "i": -42, "bi": 9000000000, "si": -1000,
            "ti": -100, "b": True, "f": 1.5, "d": -2.25, "dec": decimal.Decimal("1.25"),
            "vi": 123456789012345678901234567890,
            "ts": datetime.datetime(2024, 5, 6, 7, 8, 9, 123000),
            "dt": Date(datetime.date(2024, 5, 6)),
            "tm": Time((7 * 3600 + 8 * 60 + 9) * 10**9 + 123456789),
            "bl": b"\xca\xfe", "ip": "::1", "l": [3, 1, 2], "s": {"a", "b"},
            "m": {"x": 1, "y": 2},
        })
        self.assertEqual(list(row.m.keys()), ["x", "y"], "map literal keys sorted")
        # Other literal forms: a timestamp in milliseconds, an IPv4 address, a negative varint.
        self.session.execute("INSERT INTO typed.all_types (id, ts, ip, vi, dec, b) VALUES "
                             "(101, 1714979289123, '10.1.2.3', -5, -0.001, false)")
        row = self.read(101)
        self.assertEqual(row.ts, datetime.datetime(2024, 5, 6, 7, 8, 9, 123000))
        self.assertEqual((row.ip, row.vi, row.b), ("10.1.2.3", -5, False))
        self.assertEqual(row.dec.as_tuple(), decimal.Decimal("-0.001").as_tuple())


# --------------------------------------------------------------------------------------------
# 5. Queries: clustering, ranges, deletes, tokens, TTLs, timestamps, DDL


def token_of(*components):
    """The Murmur3 token of a partition key, from its parts' serialized values."""
    if len(components) == 1:
        key = components[0]
    else:
        key = b"".join(struct.pack(">H", len(c)) + c + b"\x00" for c in components)
    return Murmur3Token.hash_fn(key)


def int_bytes(n):
    return struct.pack(">i", n)


class Queries(StoreTest):
    @classmethod
    def prepare_class(cls):
        cls.session.execute(f"CREATE KEYSPACE cq WITH replication = {REPLICATION}")

    def clustered(self, name, partitions=3, rows=10):
        """cq.<name>: pk in [0, partitions), ck in [0, rows), v = 'pk-ck', clustering DESC."""
        self.session.execute(f"CREATE TABLE cq.{name} (pk int, ck int, v text, "
                             "PRIMARY KEY (pk, ck)) WITH CLUSTERING ORDER BY (ck DESC)")
        insert = self.session.prepare(f"INSERT INTO cq.{name} (pk, ck, v) VALUES (?, ?, ?)")
        params = [(p, c, f"{p}-{c}") for p in range(partitions) for c in range(rows)]
        for ok, result in execute_concurrent_with_args(self.session, insert, params,
                                                       concurrency=50):
            self.assertTrue(ok, result)

    def cks(self, query):
        return [r.ck for r in self.session.execute(query)]

    def test_clustering_order_desc_and_order_by_asc(self):
        self.clustered("ord")
        self.assertEqual(self.cks("SELECT ck FROM cq.ord WHERE pk = 1"), list(range(9, -1, -1)))
        self.assertEqual(self.cks("SELECT ck FROM cq.ord WHERE pk = 1 ORDER BY ck ASC"),
                         list(range(10)))
        self.assertEqual(self.cks("SELECT ck FROM cq.ord WHERE pk = 1 ORDER BY ck DESC"),
                         list(range(9, -1, -1)))
        table = self.cluster.metadata.keyspaces["cq"].tables["ord"]
        self.assertEqual([c.name for c in table.clustering_key], ["ck"])
        self.assertTrue(table.columns["ck"].is_reversed, "metadata shows ck DESC")

    def test_ranges_and_limit(self):
        self.clustered("rng")
        q = "SELECT ck FROM cq.rng WHERE pk = 1 AND ck > 3 AND ck <= 7"
        self.assertEqual(self.cks(q), [7, 6, 5, 4])
        self.assertEqual(self.cks(q + " ORDER BY ck ASC"), [4, 5, 6, 7])
        self.assertEqual(self.cks("SELECT ck FROM cq.rng WHERE pk = 1 AND ck >= 8"), [9, 8])
        self.assertEqual(self.cks("SELECT ck FROM cq.rng WHERE pk = 1 AND ck < 2"), [1, 0])
        self.assertEqual(self.cks("SELECT ck FROM cq.rng WHERE pk = 1 LIMIT 3"), [9, 8, 7])
        self.assertEqual(self.cks("SELECT ck FROM cq.rng WHERE pk = 1 ORDER BY ck ASC LIMIT 3"),
                         [0, 1, 2])
        self.assertEqual(self.cks("SELECT ck FROM cq.rng WHERE pk = 1 AND ck IN (2, 7, 5)"),
                         [7, 5, 2])
        self.assertEqual(len(self.rows("SELECT * FROM cq.rng LIMIT 12")), 12)
        self.assertEqual(self.cks("SELECT ck FROM cq.rng WHERE pk = 1 AND ck > 20"), [])
        self.assertEqual(self.cks("SELECT ck FROM cq.rng WHERE pk = 99"), [])

    def test_per_partition_limit(self):
        self.clustered("ppl", partitions=4)
        got = collections.defaultdict(list)
        for r in self.session.execute("SELECT pk, ck FROM cq.ppl PER PARTITION LIMIT 2"):
            got[r.pk].append(r.ck)
        self.assertEqual(dict(got), {p: [9, 8] for p in range(4)})
        rows = self.rows("SELECT pk, ck FROM cq.ppl PER PARTITION LIMIT 2 LIMIT 3")
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0].pk, rows[1].pk, "two of the first partition, then the next")
        self.assertEqual([r.ck for r in rows], [9, 8, 9])
        self.assertEqual(self.cks("SELECT ck FROM cq.ppl WHERE pk = 2 PER PARTITION LIMIT 1"),
                         [9])

    def test_in_on_the_partition_key(self):
        self.clustered("inp", partitions=4)
        rows = self.rows("SELECT pk, ck, v FROM cq.inp WHERE pk IN (1, 2)")
        self.assertEqual(sorted((r.pk, r.ck) for r in rows),
                         sorted((p, c) for p in (1, 2) for c in range(10)))
        for p in (1, 2):
            self.assertEqual([r.ck for r in rows if r.pk == p], list(range(9, -1, -1)))
        self.assertTrue(all(r.v == f"{r.pk}-{r.ck}" for r in rows))

    def test_deletes_of_a_row_a_range_a_partition_and_a_cell(self):
        self.clustered("del")
        self.session.execute("DELETE FROM cq.del WHERE pk = 1 AND ck = 3")
        self.assertEqual(self.cks("SELECT ck FROM cq.del WHERE pk = 1"),
                         [9, 8, 7, 6, 5, 4, 2, 1, 0])
        self.session.execute("DELETE FROM cq.del WHERE pk = 1 AND ck > 5")
        self.assertEqual(self.cks("SELECT ck FROM cq.del WHERE pk = 1"), [5, 4, 2, 1, 0])
        self.session.execute("DELETE FROM cq.del WHERE pk = 2")
        self.assertEqual(self.cks("SELECT ck FROM cq.del WHERE pk = 2"), [])
        self.assertEqual(len(self.cks("SELECT ck FROM cq.del WHERE pk = 0")), 10, "untouched")
        # Deleting a cell of an INSERTed row leaves the row (its primary key is still live).
        self.session.execute("DELETE v FROM cq.del WHERE pk = 0 AND ck = 0")
        rows = self.rows("SELECT ck, v FROM cq.del WHERE pk = 0 AND ck = 0")
        self.assertEqual([(r.ck, r.v) for r in rows], [(0, None)])
        # Writes after a partition delete are visible again.
        self.session.execute("INSERT INTO cq.del (pk, ck, v) VALUES (2, 4, 'back')")
        self.assertEqual(self.cks("SELECT ck FROM cq.del WHERE pk = 2"), [4])
        count = self.rows("SELECT count(*) FROM cq.del")[0][0]
        self.assertEqual(count, 5 + 10 + 1)

    def test_row_liveness_of_update_versus_insert(self):
        self.session.execute("CREATE TABLE cq.live (pk int, ck int, v text, "
                             "PRIMARY KEY (pk, ck))")
        self.session.execute("UPDATE cq.live SET v = 'u' WHERE pk = 1 AND ck = 1")
        self.session.execute("INSERT INTO cq.live (pk, ck, v) VALUES (1, 2, 'i')")
        self.assertEqual(self.cks("SELECT ck FROM cq.live WHERE pk = 1"), [1, 2])
        # A row made by UPDATE lives only through its cells; one made by INSERT has a row marker.
        self.session.execute("DELETE v FROM cq.live WHERE pk = 1 AND ck = 1")
        self.session.execute("DELETE v FROM cq.live WHERE pk = 1 AND ck = 2")
        self.assertEqual(self.cks("SELECT ck FROM cq.live WHERE pk = 1"), [2])

    def test_composite_partition_key(self):
        self.session.execute("CREATE TABLE cq.comp (a int, b text, c int, v text, "
                             "PRIMARY KEY ((a, b), c))")
        table = self.cluster.metadata.keyspaces["cq"].tables["comp"]
        self.assertEqual([c.name for c in table.partition_key], ["a", "b"])
        self.assertEqual([c.name for c in table.clustering_key], ["c"])
        insert = self.session.prepare("INSERT INTO cq.comp (a, b, c, v) VALUES (?, ?, ?, ?)")
        for a, b, c in [(1, "x", 3), (1, "x", 1), (1, "x", 2), (1, "y", 1), (2, "x", 1)]:
            self.session.execute(insert, (a, b, c, f"{a}{b}{c}"))
        rows = self.rows("SELECT c, v FROM cq.comp WHERE a = 1 AND b = 'x'")
        self.assertEqual([(r.c, r.v) for r in rows], [(1, "1x1"), (2, "1x2"), (3, "1x3")])
        self.assertEqual([r.v for r in self.rows("SELECT v FROM cq.comp WHERE a = 1 AND b = 'y'")],
                         ["1y1"])
        with self.assertRaises(InvalidRequest):
            self.session.execute("SELECT * FROM cq.comp WHERE a = 1")
        rows = self.rows("SELECT token(a, b), a, b FROM cq.comp WHERE a = 2 AND b = 'x'")
        self.assertEqual(rows[0][0], token_of(int_bytes(2), b"x"),
                         "token of a composite key hashes the composite serialization")
        self.assertEqual(len(self.rows("SELECT * FROM cq.comp")), 5)

    def test_token_order_and_token_restrictions(self):
        self.session.execute("CREATE TABLE cq.tok (pk int PRIMARY KEY, v int)")
        insert = self.session.prepare("INSERT INTO cq.tok (pk, v) VALUES (?, ?)")
        for pk in range(50):
            self.session.execute(insert, (pk, pk * 10))
        expected = sorted((token_of(int_bytes(pk)), pk) for pk in range(50))
        rows = [(r[0], r[1]) for r in self.session.execute("SELECT token(pk), pk FROM cq.tok")]
        self.assertEqual(rows, expected, "a full scan runs in Murmur3 token order")
        x = expected[24][0]
        rows = [(r[0], r[1]) for r in
                self.session.execute(f"SELECT token(pk), pk FROM cq.tok WHERE token(pk) > {x}")]
        self.assertEqual(rows, expected[25:])
        y = expected[40][0]
        rows = [r.pk for r in self.session.execute(
            f"SELECT pk FROM cq.tok WHERE token(pk) > {x} AND token(pk) <= {y}")]
        self.assertEqual(rows, [pk for _, pk in expected[25:41]])
        self.assertEqual(self.rows("SELECT token(pk) FROM cq.tok WHERE pk = 1")[0][0],
                         -4069959284402364209, "Cassandra's token for int 1")

    def test_allow_filtering(self):
        self.clustered("filt")
        with self.assertRaises(InvalidRequest) as cm:
            self.session.execute("SELECT pk, ck FROM cq.filt WHERE v = '1-3'")
        self.assertIn("ALLOW FILTERING", str(cm.exception))
        rows = self.rows("SELECT pk, ck FROM cq.filt WHERE v = '1-3' ALLOW FILTERING")
        self.assertEqual([(r.pk, r.ck) for r in rows], [(1, 3)])
        rows = self.rows("SELECT ck FROM cq.filt WHERE pk = 2 AND v > '2-7' ALLOW FILTERING")
        self.assertEqual([r.ck for r in rows], [9, 8])

    def test_aliases(self):
        self.clustered("alias", partitions=1)
        rs = self.session.execute("SELECT v AS value, ck AS c FROM cq.alias WHERE pk = 0 "
                                  "AND ck = 2")
        self.assertEqual(rs.column_names, ["value", "c"])
        rows = list(rs)
        self.assertEqual((rows[0].value, rows[0].c), ("0-2", 2))

    def test_update(self):
        self.clustered("upd", partitions=2)
        self.session.execute("UPDATE cq.upd SET v = 'updated' WHERE pk = 1 AND ck = 2")
        self.assertEqual(self.rows("SELECT v FROM cq.upd WHERE pk = 1 AND ck = 2")[0].v,
                         "updated")
        self.assertEqual(self.rows("SELECT v FROM cq.upd WHERE pk = 0 AND ck = 2")[0].v, "0-2")
        self.session.execute("UPDATE cq.upd SET v = 'new' WHERE pk = 7 AND ck = 7")
        self.assertEqual([r.v for r in self.rows("SELECT v FROM cq.upd WHERE pk = 7")], ["new"],
                         "UPDATE of a missing row creates it")
        update = self.session.prepare("UPDATE cq.upd SET v = ? WHERE pk = ? AND ck = ?")
        self.session.execute(update, ("prepared", 1, 3))
        self.assertEqual(self.rows("SELECT v FROM cq.upd WHERE pk = 1 AND ck = 3")[0].v,
                         "prepared")

    def test_ttl_expiry_and_ttl_writetime_functions(self):
        self.session.execute("CREATE TABLE cq.expiring (pk int PRIMARY KEY, v text)")
        before = time.time()
        self.session.execute("INSERT INTO cq.expiring (pk, v) VALUES (1, 'short') USING TTL 1")
        self.session.execute("INSERT INTO cq.expiring (pk, v) VALUES (2, 'long') USING TTL 100")
        self.session.execute("INSERT INTO cq.expiring (pk, v) VALUES (3, 'forever')")
        after = time.time()
        row = self.rows("SELECT ttl(v), writetime(v) FROM cq.expiring WHERE pk = 2")[0]
        self.assertTrue(0 < row[0] <= 100, "ttl(v) = %r" % (row[0],))
        self.assertTrue((before - 5) * 1e6 <= row[1] <= (after + 5) * 1e6,
                        "writetime(v) = %r is not now in microseconds" % (row[1],))
        self.assertIsNone(self.rows("SELECT ttl(v) FROM cq.expiring WHERE pk = 3")[0][0])
        deadline = time.monotonic() + 5
        while self.rows("SELECT v FROM cq.expiring WHERE pk = 1") and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.rows("SELECT v FROM cq.expiring WHERE pk = 1"), [],
                         "a row with TTL 1 is still there after 5 s")
        self.assertEqual(sorted(r.pk for r in self.session.execute("SELECT pk FROM cq.expiring")),
                         [2, 3])

    def test_using_timestamp_last_write_wins(self):
        self.session.execute("CREATE TABLE cq.lww (pk int PRIMARY KEY, v text)")
        self.session.execute("INSERT INTO cq.lww (pk, v) VALUES (1, 'new') USING TIMESTAMP 2000")
        self.session.execute("INSERT INTO cq.lww (pk, v) VALUES (1, 'old') USING TIMESTAMP 1000")
        row = self.rows("SELECT v, writetime(v) FROM cq.lww WHERE pk = 1")[0]
        self.assertEqual((row[0], row[1]), ("new", 2000), "the older write must lose")
        self.session.execute("DELETE FROM cq.lww USING TIMESTAMP 1500 WHERE pk = 1")
        self.assertEqual(self.rows("SELECT v FROM cq.lww WHERE pk = 1")[0].v, "new",
                         "an older delete must not remove a newer write")
        self.session.execute("DELETE FROM cq.lww USING TIMESTAMP 3000 WHERE pk = 1")
        self.assertEqual(self.rows("SELECT v FROM cq.lww WHERE pk = 1"), [])
        self.session.execute("INSERT INTO cq.lww (pk, v) VALUES (1, 'late') USING TIMESTAMP 2500")
        self.assertEqual(self.rows("SELECT v FROM cq.lww WHERE pk = 1"), [],
                         "a write older than the delete stays deleted")
        self.session.execute("UPDATE cq.lww USING TIMESTAMP 4000 SET v = 'newest' WHERE pk = 1")
        self.assertEqual(self.rows("SELECT v FROM cq.lww WHERE pk = 1")[0].v, "newest")

    def test_alter_table_add_column(self):
        self.session.execute("CREATE TABLE cq.alt (pk int PRIMARY KEY, v text)")
        self.session.execute("INSERT INTO cq.alt (pk, v) VALUES (1, 'a')")
        self.session.execute("ALTER TABLE cq.alt ADD extra int")
        table = self.cluster.metadata.keyspaces["cq"].tables["alt"]
        self.assertIn("extra", table.columns, "metadata refreshed after ALTER")
        self.assertEqual(table.columns["extra"].cql_type, "int")
        self.session.execute("INSERT INTO cq.alt (pk, v, extra) VALUES (2, 'b', 5)")
        rows = {r.pk: (r.v, r.extra) for r in self.session.execute("SELECT * FROM cq.alt")}
        self.assertEqual(rows, {1: ("a", None), 2: ("b", 5)})

    def test_truncate(self):
        self.clustered("trunc")
        self.session.execute("TRUNCATE cq.trunc")
        self.assertEqual(self.rows("SELECT * FROM cq.trunc"), [])
        self.assertEqual(self.rows("SELECT count(*) FROM cq.trunc")[0][0], 0)
        self.session.execute("INSERT INTO cq.trunc (pk, ck, v) VALUES (1, 1, 'again')")
        self.assertEqual(len(self.rows("SELECT * FROM cq.trunc")), 1)
        self.session.execute("TRUNCATE TABLE cq.trunc")
        self.assertEqual(self.rows("SELECT * FROM cq.trunc"), [])

    def test_drop_table_and_keyspace_update_metadata(self):
        self.session.execute(f"CREATE KEYSPACE dropme WITH replication = {REPLICATION}")
        self.session.execute("CREATE TABLE dropme.t (pk int PRIMARY KEY, v text)")
        self.session.execute("CREATE TABLE dropme.kept (pk int PRIMARY KEY)")
        self.session.execute("INSERT INTO dropme.t (pk, v) VALUES (1, 'x')")
        md = self.cluster.metadata
        self.assertEqual(sorted(md.keyspaces["dropme"].tables), ["kept", "t"])
        self.session.execute("DROP TABLE dropme.t")
        self.assertEqual(sorted(md.keyspaces["dropme"].tables), ["kept"])
        with self.assertRaises(InvalidRequest):
            self.session.execute("SELECT * FROM dropme.t")
        self.session.execute("DROP TABLE IF EXISTS dropme.t")
        # A table of the same name again starts empty.
        self.session.execute("CREATE TABLE dropme.t (pk int PRIMARY KEY, v text)")
        self.assertEqual(self.rows("SELECT * FROM dropme.t"), [])
        self.session.execute("DROP KEYSPACE dropme")
        self.assertNotIn("dropme", md.keyspaces)
        with self.assertRaises(InvalidRequest):
            self.session.execute("SELECT * FROM dropme.kept")
        self.session.execute("DROP KEYSPACE IF EXISTS dropme")
        with self.assertRaises((InvalidRequest, ConfigurationException)):
            self.session.execute("DROP KEYSPACE dropme")

    def test_if_not_exists_is_idempotent(self):
        for _ in range(2):
            rs = self.session.execute(
                f"CREATE KEYSPACE IF NOT EXISTS ine WITH replication = {REPLICATION}")
            self.assertTrue(rs.response_future.is_schema_agreed)
            self.session.execute("CREATE TABLE IF NOT EXISTS ine.t (pk int PRIMARY KEY, v text)")
        self.session.execute("INSERT INTO ine.t (pk, v) VALUES (1, 'kept')")
        self.session.execute("CREATE TABLE IF NOT EXISTS ine.t (pk int PRIMARY KEY, other int)")
        self.assertEqual(sorted(self.cluster.metadata.keyspaces["ine"].tables["t"].columns),
                         ["pk", "v"], "the existing table is left as it was")
        self.assertEqual(self.rows("SELECT v FROM ine.t WHERE pk = 1")[0].v, "kept")
        with self.assertRaises(AlreadyExists):
            self.session.execute("CREATE TABLE ine.t (pk int PRIMARY KEY, v text)")
        with self.assertRaises(AlreadyExists):
            self.session.execute(f"CREATE KEYSPACE ine WITH replication = {REPLICATION}")

    def test_use_keyspace_then_unqualified_names(self):
        self.session.execute(f"CREATE KEYSPACE used WITH replication = {REPLICATION}")
        session = self.cluster.connect()
        self.addCleanup(session.shutdown)
        session.execute("USE used")
        self.assertEqual(session.keyspace, "used")
        session.execute("CREATE TABLE t (pk int PRIMARY KEY, v text)")
        self.assertIn("t", self.cluster.metadata.keyspaces["used"].tables)
        session.execute("INSERT INTO t (pk, v) VALUES (1, 'unqualified')")
        insert = session.prepare("INSERT INTO t (pk, v) VALUES (?, ?)")
        session.execute(insert, (2, "prepared"))
        self.assertEqual(sorted(r.v for r in session.execute("SELECT v FROM t")),
                         ["prepared", "unqualified"])
        self.assertEqual(len(self.rows("SELECT * FROM used.t")), 2)
        # Cluster.connect(keyspace) sends USE "used" (quoted) on every connection.
        quoted = self.cluster.connect("used")
        self.addCleanup(quoted.shutdown)
        self.assertEqual(len(list(quoted.execute("SELECT * FROM t"))), 2)

    def test_named_bind_markers(self):
        self.session.execute("CREATE TABLE cq.named (pk int, ck int, v text, "
                             "PRIMARY KEY (pk, ck))")
        insert = self.session.prepare("INSERT INTO cq.named (pk, ck, v) VALUES (:pk, :ck, :v)")
        self.session.execute(insert, {"v": "named", "ck": 2, "pk": 1})
        select = self.session.prepare("SELECT v FROM cq.named WHERE pk = :p AND ck = :c")
        self.assertEqual([m.name for m in select.column_metadata], ["p", "c"],
                         "bind variables are named after their markers")
        self.assertEqual([r.v for r in self.session.execute(select, {"c": 2, "p": 1})],
                         ["named"])
        self.assertEqual(list(self.session.execute(select, {"c": 3, "p": 1})), [])

    def test_batches_are_atomic(self):
        self.session.execute("CREATE TABLE cq.batched (pk int, ck int, v text, "
                             "PRIMARY KEY (pk, ck))")
        insert = self.session.prepare("INSERT INTO cq.batched (pk, ck, v) VALUES (?, ?, ?)")
        for batch_type in (BatchType.LOGGED, BatchType.UNLOGGED):
            with self.subTest(batch_type=batch_type):
                pk = 10 if batch_type == BatchType.LOGGED else 20
                batch = BatchStatement(batch_type=batch_type)
                for ck in range(5):
                    batch.add(insert, (pk, ck, f"b{ck}"))
                batch.add(SimpleStatement(
                    f"INSERT INTO cq.batched (pk, ck, v) VALUES ({pk + 1}, 0, 'other partition')"))
                batch.add(f"UPDATE cq.batched SET v = 'changed' WHERE pk = {pk} AND ck = 4")
                self.session.execute(batch)
                self.assertEqual(
                    [(r.ck, r.v) for r in self.session.execute(
                        f"SELECT ck, v FROM cq.batched WHERE pk = {pk}")],
                    [(0, "b0"), (1, "b1"), (2, "b2"), (3, "b3"), (4, "changed")])
                self.assertEqual(len(self.rows(f"SELECT * FROM cq.batched WHERE pk = {pk + 1}")),
                                 1)
                # One bad statement refuses the whole batch: nothing of it is applied.
                bad = BatchStatement(batch_type=batch_type)
                bad.add(insert, (pk + 2, 0, "must not exist"))
                bad.add(SimpleStatement(
                    f"INSERT INTO cq.batched (pk, ck, v) VALUES ({pk + 2}, 'not an int', 'x')"))
                with self.assertRaises(InvalidRequest):
                    self.session.execute(bad)
                self.assertEqual(self.rows(f"SELECT * FROM cq.batched WHERE pk = {pk + 2}"), [])


# --------------------------------------------------------------------------------------------
# 6. Errors through the driver


class Errors(StoreTest):
    @classmethod
    def prepare_class(cls):
        cls.session.execute(f"CREATE KEYSPACE errs WITH replication = {REPLICATION}")
        cls.session.execute("CREATE TABLE errs.t (pk int PRIMARY KEY, n int, v text)")
        cls.session.execute("INSERT INTO errs.t (pk, n, v) VALUES (1, 10, 'one')")

    def assert_session_works(self):
        rows = self.rows("SELECT n, v FROM errs.t WHERE pk = 1")
        self.assertEqual([(r.n, r.v) for r in rows], [(10, "one")],
                         "the session no longer works after an error")

    def test_syntax_error_names_position_and_token(self):
        with self.assertRaises(SyntaxException) as cm:
            self.session.execute("SELECT * FRM errs.t")
        message = cm.exception.message
        self.assertRegex(message, r"line 1:\d+", "position in the message")
        self.assertIn("frm", message.lower(), "offending token in the message")
        self.assert_session_works()
        with self.assertRaises(SyntaxException):
            self.session.prepare("SELEC pk FROM errs.t WHERE pk = ?")
        self.assert_session_works()

    def test_unknown_table_keyspace_and_column(self):
        with self.assertRaises(InvalidRequest) as cm:
            self.session.execute("SELECT * FROM errs.nope")
        self.assertIn("unconfigured table", str(cm.exception))
        self.assert_session_works()
        with self.assertRaises(InvalidRequest) as cm:
            self.session.prepare("INSERT INTO errs.nope (pk) VALUES (?)")
        self.assertIn("unconfigured table", str(cm.exception))
        self.assert_session_works()
        with self.assertRaises(InvalidRequest):
            self.session.execute("SELECT * FROM nokeyspace.t")
        self.assert_session_works()
        with self.assertRaises(InvalidRequest):
            self.session.execute("SELECT nocolumn FROM errs.t")
        self.assert_session_works()

    def test_wrong_types_and_missing_keys(self):
        with self.assertRaises(InvalidRequest):
            self.session.execute("INSERT INTO errs.t (pk, n) VALUES (2, 'text')")
        self.assertEqual(self.rows("SELECT * FROM errs.t WHERE pk = 2"), [],
                         "a refused insert wrote nothing")
        self.assert_session_works()
        with self.assertRaises(InvalidRequest):
            self.session.execute("INSERT INTO errs.t (pk, v) VALUES ('text', 'x')")
        self.assert_session_works()
        with self.assertRaises(InvalidRequest):
            self.session.execute("INSERT INTO errs.t (n) VALUES (1)")
        self.assert_session_works()
        with self.assertRaises(InvalidRequest):
            self.session.execute("SELECT * FROM errs.t WHERE pk = 'one'")
        self.assert_session_works()


# --------------------------------------------------------------------------------------------
# 7. Bad input on a raw socket (native protocol v4 frames written by hand)

OP_ERROR, OP_STARTUP, OP_READY, OP_OPTIONS, OP_SUPPORTED, OP_QUERY = 0x00, 0x01, 0x02, 0x05, \
    0x06, 0x07
PROTOCOL_ERROR = 0x000A


def cql_frame(opcode, body=b"", version=4, stream=1, flags=0, length=None):
    return struct.pack(">BBhBi", version, flags, stream, opcode,
                       len(body) if length is None else length) + body


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


def recv_cql_frame(sock):
    """(version byte, flags, stream, opcode, body) of the next frame."""
    version, flags, stream, opcode, length = struct.unpack(">BBhBi", recv_exact(sock, 9))
    return version, flags, stream, opcode, recv_exact(sock, length)


def cql_string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def read_string(body, pos):
    (n,) = struct.unpack_from(">H", body, pos)
    return body[pos + 2:pos + 2 + n].decode(), pos + 2 + n


def parse_error(body):
    (code,) = struct.unpack_from(">i", body, 0)
    message, _ = read_string(body, 4)
    return code, message


def parse_string_multimap(body):
    (count,) = struct.unpack_from(">H", body, 0)
    pos, out = 2, {}
    for _ in range(count):
        key, pos = read_string(body, pos)
        (n,) = struct.unpack_from(">H", body, pos)
        pos += 2
        values = []
        for _ in range(n):
            value, pos = read_string(body, pos)
            values.append(value)
        out[key] = values
    return out


def reaction(sock, timeout=5.0):
    """What the server did next: ('closed', None), ('frame', frame) or ('silent', None)."""
    sock.settimeout(timeout)
    try:
        first = sock.recv(1)
    except ConnectionResetError:
        return "closed", None
    except socket.timeout:
        return "silent", None
    if not first:
        return "closed", None
    try:
        version, flags, stream, opcode, length = struct.unpack(">BBhBi",
                                                               first + recv_exact(sock, 8))
        body = recv_exact(sock, length) if 0 <= length < 1 << 20 else b""
    except (ConnectionError, socket.timeout):
        return "closed", None  # a partial frame, then the connection ended or stalled
    return "frame", (version, flags, stream, opcode, body)


class RawProtocol(StoreTest):
    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.store.port), timeout=10)
        self.addCleanup(s.close)
        return s

    def assert_error_or_closed(self, sock, what):
        kind, frame = reaction(sock)
        self.assertNotEqual(kind, "silent", what + ": no answer and no close within 5 s")
        if kind == "frame":
            self.assertEqual(frame[3], OP_ERROR, what + ": answered with opcode %#x" % frame[3])
        return kind, frame

    def test_options_gets_supported_with_cql_version_and_compression(self):
        s = self.connect()
        s.sendall(cql_frame(OP_OPTIONS, stream=0x1234))
        version, flags, stream, opcode, body = recv_cql_frame(s)
        self.assertEqual((version, stream, opcode), (0x84, 0x1234, OP_SUPPORTED))
        options = parse_string_multimap(body)
        self.assertIn("CQL_VERSION", options)
        self.assertTrue(options["CQL_VERSION"] and options["CQL_VERSION"][0].startswith("3."),
                        options)
        self.assertIn("COMPRESSION", options)
        # A v4 STARTUP with the advertised CQL version, on the same connection, is then READY.
        startup = (struct.pack(">H", 1) + cql_string("CQL_VERSION")
                   + cql_string(options["CQL_VERSION"][0]))
        s.sendall(cql_frame(OP_STARTUP, startup, stream=2))
        self.assertEqual(recv_cql_frame(s)[2:4], (2, OP_READY))

    def test_unsupported_protocol_versions_get_a_protocol_error(self):
        for requested in (3, 5, 0x41, 0x42):
            with self.subTest(version=requested):
                s = self.connect()
                s.sendall(cql_frame(OP_OPTIONS, version=requested, stream=7))
                version, _, stream, opcode, body = recv_cql_frame(s)
                self.assertIn(version, (0x84, 0x80 | requested), "response version byte")
                self.assertEqual((stream, opcode), (7, OP_ERROR))
                self.assertEqual(parse_error(body), (
                    PROTOCOL_ERROR, "Invalid or unsupported protocol version (%d); supported "
                    "versions are (4/v4)" % requested))
                # The connection stays open: a v4 OPTIONS on it is answered.
                s.sendall(cql_frame(OP_OPTIONS, stream=8))
                self.assertEqual(recv_cql_frame(s)[2:4], (8, OP_SUPPORTED))
        self.assert_still_serving()

    def test_unknown_opcode_is_a_protocol_error(self):
        s = self.connect()
        s.sendall(cql_frame(0x1F, b"", stream=3))
        version, _, stream, opcode, body = recv_cql_frame(s)
        self.assertEqual((version, stream, opcode), (0x84, 3, OP_ERROR))
        self.assertEqual(parse_error(body)[0], PROTOCOL_ERROR)
        self.assert_still_serving()

    def test_frame_longer_than_256_mb_is_refused(self):
        s = self.connect()
        s.sendall(cql_frame(OP_QUERY, b"", length=256 * 1024 * 1024 + 1))
        kind, frame = self.assert_error_or_closed(s, "a 256 MB + 1 frame")
        if kind == "frame":
            self.assertEqual(parse_error(frame[4])[0], PROTOCOL_ERROR)
        self.assert_still_serving()

    def test_garbage_bytes(self):
        payloads = {
            "http": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "0xff": b"\xff" * 64,
            "zeros": b"\x00" * 64,
            "random": random.Random(11).randbytes(4096),  # starts 0x6d: not a version
        }
        for name, payload in payloads.items():
            with self.subTest(payload=name):
                s = self.connect()
                try:
                    s.sendall(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # closed before all of it was sent: a reaction too
                self.assert_error_or_closed(s, name)
                self.assert_still_serving()

    def test_truncated_frame_then_close(self):
        s = socket.create_connection(("127.0.0.1", self.store.port), timeout=10)
        query = b"SELECT * FROM system.local"
        body = struct.pack(">i", len(query)) + query + struct.pack(">HB", 1, 0)
        s.sendall(cql_frame(OP_QUERY, body, length=100)[:20])
        s.close()
        time.sleep(0.2)
        self.assert_still_serving()
        # The same with a header cut short.
        s = socket.create_connection(("127.0.0.1", self.store.port), timeout=10)
        s.sendall(b"\x04\x00\x00")
        s.close()
        time.sleep(0.2)
        self.assert_still_serving()


# --------------------------------------------------------------------------------------------
# 8-9. Crash safety and restarts


class CrashSafety(unittest.TestCase):
    def test_sigkill_loses_no_acknowledged_write(self):
        store = Store()
        self.addCleanup(shutil.rmtree, store.root, True)
        self.addCleanup(store.stop)
        with connected(store.port) as (_, session):
            session.execute(f"CREATE KEYSPACE crash WITH replication = {REPLICATION}")
            session.execute("CREATE TABLE crash.acked (id int PRIMARY KEY, v text)")

        acked, failure = [], []
        stop = threading.Event()
        self.addCleanup(stop.set)  # a failed test leaves no writer running

        def writer():
            # One synchronous insert at a time; an id is recorded once its write is acknowledged.
            cluster = make_cluster(store.port)
            try:
                session = cluster.connect()
                insert = session.prepare("INSERT INTO crash.acked (id, v) VALUES (?, ?)")
                i = 0
                while not stop.is_set() and i < 200000:
                    try:
                        session.execute(insert, (i, f"value-{i}"))
                    except Exception as e:  # the store was killed under this write
                        failure.append((i, e))
                        return
                    acked.append(i)
                    i += 1
            except Exception as e:
                failure.append((None, e))
            finally:
                cluster.shutdown()

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while len(acked) < 2000 and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertGreaterEqual(len(acked), 2000, "writer stopped early: %r%s"
                                % (failure, store.output()[-3000:]))
        store.kill()
        thread.join(timeout=60)
        stop.set()
        self.assertFalse(thread.is_alive(), "the writer did not notice the crash")
        in_flight = {failure[0][0]} if failure and failure[0][0] is not None else set()

        store = Store(root=store.root)
        self.addCleanup(store.stop)
        with connected(store.port) as (_, session):
            stored = {r.id: r.v for r in session.execute("SELECT id, v FROM crash.acked")}
        missing = [i for i in acked if i not in stored]
        self.assertEqual(missing[:20], [], "%d of %d acknowledged rows lost after SIGKILL"
                         % (len(missing), len(acked)))
        self.assertEqual(sorted(set(stored) - set(acked) - in_flight), [],
                         "rows that were never written")
        wrong = [(i, v) for i, v in stored.items() if v != f"value-{i}"]
        self.assertEqual(wrong[:10], [], "rows with the wrong value")


class Restart(unittest.TestCase):
    def start(self, **kw):
        store = Store(**kw)
        self.addCleanup(store.stop)
        return store

    def test_schema_and_rows_survive_a_clean_restart(self):
        store = self.start()
        self.addCleanup(shutil.rmtree, store.root, True)
        with connected(store.port) as (_, session):
            session.execute(REFERENCE_KEYSPACE)
            session.execute(REFERENCE_TABLE)
            session.execute("CREATE TABLE spark_streams.events (pk int, ck int, v text, "
                            "PRIMARY KEY (pk, ck)) WITH CLUSTERING ORDER BY (ck DESC)")
            session.execute("CREATE TABLE spark_streams.gone (pk int PRIMARY KEY)")
            session.execute("DROP TABLE spark_streams.gone")
            session.execute("ALTER TABLE spark_streams.events ADD extra int")
            ids = [uuid.uuid4() for _ in range(200)]
            insert = session.prepare("INSERT INTO spark_streams.created_users (%s) VALUES (%s)"
                                     % (", ".join(REFERENCE_COLUMNS),
                                        ", ".join("?" * len(REFERENCE_COLUMNS))))
            for i, uid in enumerate(ids):
                session.execute(insert, user_values(i, uid))
            events = session.prepare("INSERT INTO spark_streams.events (pk, ck, v, extra) "
                                     "VALUES (?, ?, ?, ?)")
            for pk in range(5):
                for ck in range(20):
                    session.execute(events, (pk, ck, f"{pk}-{ck}", pk * ck))
            session.execute("DELETE FROM spark_streams.events WHERE pk = 4")
        self.assertEqual(store.stop(), 0, store.output()[-3000:])

        store = self.start(root=store.root)
        with connected(store.port) as (cluster, session):
            ks = cluster.metadata.keyspaces.get("spark_streams")
            self.assertIsNotNone(ks, "keyspace lost in the restart")
            self.assertEqual(sorted(ks.tables), ["created_users", "events"])
            self.assertEqual(sorted(ks.tables["created_users"].columns), sorted(REFERENCE_COLUMNS))
            self.assertIn("extra", ks.tables["events"].columns, "ALTER lost in the restart")
            rows = {r.id: tuple(getattr(r, c) for c in REFERENCE_COLUMNS)
                    for r in session.execute("SELECT * FROM spark_streams.created_users")}
            self.assertEqual(rows, {uid: user_values(i, uid) for i, uid in enumerate(ids)})
            got = [(r.ck, r.v, r.extra) for r in
                   session.execute("SELECT ck, v, extra FROM spark_streams.events WHERE pk = 3")]
            self.assertEqual(got, [(ck, f"3-{ck}", 3 * ck) for ck in range(19, -1, -1)])
            self.assertEqual(list(session.execute(
                "SELECT * FROM spark_streams.events WHERE pk = 4")), [], "delete lost")
            # DDL and writes go on after the restart.
            session.execute("CREATE TABLE spark_streams.after (pk int PRIMARY KEY, v text)")
            session.execute("INSERT INTO spark_streams.after (pk, v) VALUES (1, 'new')")
            self.assertEqual([r.v for r in session.execute("SELECT v FROM spark_streams.after")],
                             ["new"])
            self.assertEqual(list(session.execute("SELECT * FROM spark_streams.events "
                                                  "WHERE pk = 99")), [])

    def test_no_sync_store_keeps_rows_over_a_clean_restart(self):
        store = self.start(extra=("--commitlog-sync", "periodic"))
        self.addCleanup(shutil.rmtree, store.root, True)
        with connected(store.port) as (_, session):
            session.execute(f"CREATE KEYSPACE fast WITH replication = {REPLICATION}")
            session.execute("CREATE TABLE fast.t (pk int PRIMARY KEY, v text)")
            insert = session.prepare("INSERT INTO fast.t (pk, v) VALUES (?, ?)")
            execute_concurrent_with_args(session, insert, [(i, str(i)) for i in range(1000)],
                                         concurrency=50)
        self.assertEqual(store.stop(), 0, store.output()[-3000:])
        store = self.start(root=store.root, extra=("--commitlog-sync", "batch"))
        with connected(store.port) as (_, session):
            rows = {r.pk: r.v for r in session.execute("SELECT pk, v FROM fast.t")}
        self.assertEqual(rows, {i: str(i) for i in range(1000)})


# --------------------------------------------------------------------------------------------
# 10. Compression and authentication


@unittest.skipUnless(HAVE_LZ4, "no lz4 module for /usr/bin/python3 (Debian: python3-lz4)")
class Compression(StoreTest):
    def test_lz4(self):
        cluster = make_cluster(self.store.port, compression="lz4")
        self.addCleanup(cluster.shutdown)
        session = cluster.connect()
        self.assertIsNotNone(cluster.control_connection._connection.compressor,
                             "lz4 was not negotiated")
        session.execute(f"CREATE KEYSPACE lz WITH replication = {REPLICATION}")
        session.execute("CREATE TABLE lz.t (pk int PRIMARY KEY, v text)")
        big = "compressible " * 20000
        insert = session.prepare("INSERT INTO lz.t (pk, v) VALUES (?, ?)")
        for ok, result in execute_concurrent_with_args(
                session, insert, [(i, f"{i}:{big}" if i % 100 == 0 else str(i))
                                  for i in range(1000)], concurrency=50):
            self.assertTrue(ok, result)
        rows = {r.pk: r.v for r in session.execute("SELECT pk, v FROM lz.t")}
        self.assertEqual(len(rows), 1000)
        self.assertEqual(rows[300], f"300:{big}")
        self.assertEqual(rows[301], "301")


class Authentication(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="sluice-store-auth-")
        config = os.path.join(cls.root, "auth.yaml")
        with open(config, "w") as f:
            f.write(AUTH_CONFIG)
        try:
            cls.store = Store(root=cls.root, config=config)
        except BaseException:
            shutil.rmtree(cls.root, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        code = cls.store.stop()
        assert code == 0, "store exit code %r:\n%s" % (code, cls.store.output()[-5000:])
        shutil.rmtree(cls.root, ignore_errors=True)

    def assert_refused(self, auth_provider):
        cluster = make_cluster(self.store.port, auth_provider=auth_provider)
        self.addCleanup(cluster.shutdown)
        with self.assertRaises(NoHostAvailable) as cm:
            cluster.connect()
        errors = list(cm.exception.errors.values())
        self.assertTrue(any(isinstance(e, AuthenticationFailed) for e in errors), errors)

    def test_right_password_connects(self):
        provider = PlainTextAuthProvider(username=AUTH_USER, password=AUTH_PASSWORD)
        with connected(self.store.port, auth_provider=provider) as (_, session):
            session.execute(f"CREATE KEYSPACE IF NOT EXISTS authks WITH replication = "
                            f"{REPLICATION}")
            session.execute("CREATE TABLE IF NOT EXISTS authks.t (pk int PRIMARY KEY, v text)")
            session.execute("INSERT INTO authks.t (pk, v) VALUES (1, 'in')")
            self.assertEqual([r.v for r in session.execute("SELECT v FROM authks.t")], ["in"])

    def test_wrong_password_is_refused(self):
        self.assert_refused(PlainTextAuthProvider(username=AUTH_USER, password="wrong"))
        self.assert_refused(PlainTextAuthProvider(username="mallory", password=AUTH_PASSWORD))

    def test_no_credentials_are_refused(self):
        self.assert_refused(None)


class EmbeddedInUp(unittest.TestCase):
    """`sluice up` runs the store beside the broker: a driver reaches it on the configured port,
    and its data lives under the pipeline's data directory."""

    def test_up_serves_cql(self):
        root = tempfile.mkdtemp(prefix="sluice-up-")
        self.addCleanup(shutil.rmtree, root, True)
        broker_port, store_port = free_port(), free_port()
        config = os.path.join(root, "sluice.yaml")
        with open(config, "w") as f:
            f.write(f"data_dir: {root}/data\n"
                    f"broker:\n  listen: 127.0.0.1:{broker_port}\n"
                    f"store:\n  listen: 127.0.0.1:{store_port}\n"
                    f"api:\n  listen: 127.0.0.1:{free_port()}\n"
                    f"http:\n  listen: 127.0.0.1:{free_port()}\n")
        log = open(os.path.join(root, "up.log"), "w+")
        self.addCleanup(log.close)
        started = time.monotonic()
        proc = subprocess.Popen([BIN, "up", config], stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            log.seek(0)
            if "ready in" in log.read():
                break
            self.assertIsNone(proc.poll(), "sluice up exited early")
            time.sleep(0.05)
        else:
            self.fail("sluice up never became ready")
        ready_after = time.monotonic() - started
        with connected(store_port) as (_, session):
            session.execute(REFERENCE_KEYSPACE)
            session.execute(REFERENCE_TABLE)
            session.execute("INSERT INTO spark_streams.created_users (id, first_name) "
                            "VALUES (uuid(), 'ada')")
            self.assertEqual(session.execute(
                "SELECT count(*) FROM spark_streams.created_users").one()[0], 1)
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=20), 0)
        self.assertTrue(os.path.isdir(os.path.join(root, "data", "store", "db")))
        # Start-up to ready well under a second (the sanitizer build is slower than release).
        self.assertLess(ready_after, 5, f"ready after {ready_after:.2f} s")

    def test_busy_port_names_the_store(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            root = tempfile.mkdtemp(prefix="sluice-store-")
            self.addCleanup(shutil.rmtree, root, True)
            r = subprocess.run([BIN, "store", "--listen", f"127.0.0.1:{port}", "--data-dir", root],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"cannot listen on 127.0.0.1:{port}: Address already in use", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
