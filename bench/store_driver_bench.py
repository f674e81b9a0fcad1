#!/usr/bin/python3
"""`sluice store` measured through the DataStax Python driver, as the pipeline's writer uses it.

Starts `sluice store` on a free loopback port with a temporary data directory, then, with the
driver's default Cluster settings (only the contact point and port given):

  inserts:   the reference row (spark_streams.created_users) by a prepared INSERT and
             cassandra.concurrent.execute_concurrent_with_args, concurrency 100; inserts/s, the
             median of 3 runs of 20,000 rows; with `--commitlog-sync batch` (fsync before each
             answer, the default) and `periodic`.
  reads:     point-read latency, p50 and p99, of 2,000 sequential prepared SELECT * by id over rows
             present.
  baseline:  the driver's own ceiling, in the same run against the same process: the same
             execute_concurrent loop (and the same sequential loop) on a prepared
             `SELECT key FROM system.local WHERE key = 'local'`, which the store answers without
             touching its tables. The ratio shows how much of the time is the store's. The
             driver's default row factory builds a namedtuple class per result with rows (an
             INSERT's has none), so the loop is also timed with row_factory = tuple_factory.
  cpu:       CPU time per statement of the store process and of this (the driver's) process, for
             each execute_concurrent loop: where the time goes, whatever the wall clock says.
  process:   the store's peak RSS (VmHWM) after the run, and the time from process start to the
             port accepting connections (median of 5 starts on an empty directory).

Usage: store_driver_bench.py SLUICE_BINARY [JSON_OUT] [--quick]. Prints a table; writes JSON.
"""

import json
import logging
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from cassandra import __version__ as driver_version
from cassandra.cluster import Cluster
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.query import tuple_factory

CONCURRENCY = 100

CREATE_KEYSPACE = (
    "CREATE KEYSPACE IF NOT EXISTS spark_streams WITH replication = "
    "{'class': 'SimpleStrategy', 'replication_factor': '1'}"
)
CREATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS spark_streams.created_users (id uuid PRIMARY KEY, first_name text, "
    "last_name text, gender text, address text, post_code text, email text, username text, "
    "registered_date text, phone text, picture text)"
)
INSERT = (
    "INSERT INTO spark_streams.created_users (id, first_name, last_name, gender, address, "
    "post_code, email, username, registered_date, phone, picture) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT = "SELECT * FROM spark_streams.created_users WHERE id = ?"
LOCAL = "SELECT key FROM system.local WHERE key = 'local'"


def reference_rows(n, rng):
    """Rows as randomuser.me produces them (the same shapes as bench/store_bench.cc)."""
    out = []
    for _ in range(n):
        first = rng.choice(["Jennifer", "Mathias", "Aurélie", "Sebastian", "Noah", "Eleanor",
                            "Vanessa", "Kristian", "Maximilian", "Lotta"])
        last = rng.choice(["Hoffmann", "Lefebvre", "Kristiansen", "Okafor", "Wheeler", "Martínez",
                           "Karjalainen", "Thompson", "Vasquez", "Noor"])
        gender = rng.choice(["female", "male"])
        address = "{} {}, {}, {}, {}".format(
            rng.randint(1000, 9999),
            rng.choice(["Rue de L'Abbé-Migeon", "Mill Road", "Kirkegårdsveien",
                        "Calle de Segovia", "Hauptstraße", "Oak Lawn Ave"]),
            rng.choice(["Saint-Étienne", "Worcester", "Trondheim", "Valencia", "Düsseldorf"]),
            rng.choice(["Haute-Corse", "Hampshire", "Trøndelag", "Galicia", "Hessen"]),
            rng.choice(["France", "United Kingdom", "Norway", "Spain", "Germany"]))
        out.append((
            uuid.UUID(int=rng.getrandbits(128), version=4),
            first,
            last,
            gender,
            address,
            str(rng.randint(10000, 99999)),
            "{}.{}{}@example.com".format(first, last, rng.randint(0, 99)),
            "{}{}{}".format(rng.choice(["blue", "silver", "crazy", "tiny", "heavy", "lazy"]),
                            rng.choice(["bird", "tiger", "panda", "swan", "koala", "goose"]),
                            rng.randint(0, 999)),
            "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z".format(
                rng.randint(2, 24), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999)),
            "({:03})-{:03}-{:04}".format(rng.randint(100, 999), rng.randint(100, 999),
                                         rng.randint(0, 9999)),
            "https://randomuser.me/api/portraits/med/{}/{}.jpg".format(
                "women" if gender == "female" else "men", rng.randint(0, 99)),
        ))
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Store:
    """A `sluice store` process on a free port and a fresh data directory."""

    def __init__(self, binary, sync="batch"):
        self.dir = tempfile.mkdtemp(prefix="sluice-store-driver-")
        self.port = free_port()
        self.log = open(os.path.join(self.dir, "store.log"), "wb")
        start = time.perf_counter()
        self.proc = subprocess.Popen(
            [binary, "store", "--listen", "127.0.0.1:{}".format(self.port), "--data-dir",
             os.path.join(self.dir, "data"), "--commitlog-sync", sync],
            stdout=self.log, stderr=subprocess.STDOUT)
        while True:
            if self.proc.poll() is not None:
                self.stop()
                sys.exit("sluice store exited with {}".format(self.proc.returncode))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                time.sleep(0.0005)
        self.startup_ms = (time.perf_counter() - start) * 1000

    def status_kb(self, field):
        with open("/proc/{}/status".format(self.proc.pid)) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def cpu_s(self):
        """User + system CPU seconds used by the store process so far."""
        with open("/proc/{}/stat".format(self.proc.pid)) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def connect(port):
    cluster = Cluster(contact_points=["127.0.0.1"], port=port)
    return cluster, cluster.connect()


class Cpu:
    """CPU µs per statement of the store and of this process, summed over loops."""

    def __init__(self):
        self.store_s = self.driver_s = 0.0
        self.statements = 0

    def per_statement(self):
        n = max(1, self.statements)
        return {"store_us": self.store_s / n * 1e6, "driver_us": self.driver_s / n * 1e6}


def concurrent_rate(session, statement, params, store, cpu):
    """Statements/s of one execute_concurrent_with_args pass over params."""
    store_cpu, own_cpu = store.cpu_s(), time.process_time()
    start = time.perf_counter()
    results = execute_concurrent_with_args(session, statement, params, concurrency=CONCURRENCY)
    elapsed = time.perf_counter() - start
    cpu.store_s += store.cpu_s() - store_cpu
    cpu.driver_s += time.process_time() - own_cpu
    cpu.statements += len(params)
    failed = [r for r in results if not r.success]
    if failed:
        sys.exit("{} of {} statements failed: {}".format(len(failed), len(params),
                                                        failed[0].result_or_exc))
    return len(params) / elapsed


def sequential_latency_us(session, statement, params, want_rows):
    """p50 and p99 (µs) of one statement at a time."""
    times = []
    for p in params:
        start = time.perf_counter()
        rows = session.execute(statement, p).all()
        times.append((time.perf_counter() - start) * 1e6)
        if len(rows) != want_rows:
            sys.exit("{} returned {} rows".format(statement.query_string, len(rows)))
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))]


def insert_runs(session, rows_per_run, runs, rng, store, cpu):
    insert = session.prepare(INSERT)
    rates, written = [], []
    for _ in range(runs):
        rows = reference_rows(rows_per_run, rng)
        rates.append(concurrent_rate(session, insert, rows, store, cpu))
        written.extend(rows)
    return statistics.median(rates), written


def main():
    args = [a for a in sys.argv[1:] if a != "--quick"]
    quick = "--quick" in sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    binary = args[0]
    json_out = args[1] if len(args) > 1 else "store_driver_bench.json"
    logging.basicConfig(level=logging.ERROR)  # the driver's warnings (no local_dc given) aside
    runs = 1 if quick else 3
    rows_per_run = 2000 if quick else 20000
    reads = 200 if quick else 2000
    starts = 2 if quick else 5
    rng = random.Random(42)

    # Start-up: process start to the port accepting connections, on an empty directory.
    startup = []
    for _ in range(starts):
        s = Store(binary)
        startup.append(s.startup_ms)
        s.stop()

    out = {"driver_version": driver_version, "concurrency": CONCURRENCY,
           "rows_per_run": rows_per_run, "runs": runs, "reads": reads}
    store = Store(binary, "batch")
    try:
        cluster, session = connect(store.port)
        out["connection_class"] = cluster.connection_class.__name__
        session.execute(CREATE_KEYSPACE)
        session.execute(CREATE_TABLE)
        local = session.prepare(LOCAL)

        # The driver's ceiling, then the store's inserts, then the ceiling again; the median of
        # all the ceiling runs, so that drift over the run shows in neither figure alone.
        cpu_local, cpu_batch, cpu_tuples = Cpu(), Cpu(), Cpu()
        nothing = [()] * rows_per_run
        ceiling = [concurrent_rate(session, local, nothing, store, cpu_local) for _ in range(runs)]
        out["inserts_per_s_batch"], written = insert_runs(session, rows_per_run, runs, rng, store,
                                                          cpu_batch)
        ceiling += [concurrent_rate(session, local, nothing, store, cpu_local) for _ in range(runs)]
        out["ceiling_per_s"] = statistics.median(ceiling)
        # The default row factory builds a namedtuple class for every result; an INSERT's (void)
        # result has none. Plain tuples show the ceiling without that cost.
        default_row_factory = session.row_factory
        session.row_factory = tuple_factory
        out["ceiling_per_s_tuple_factory"] = statistics.median(
            [concurrent_rate(session, local, nothing, store, cpu_tuples) for _ in range(runs)])
        session.row_factory = default_row_factory

        select = session.prepare(SELECT)
        keys = [(rng.choice(written)[0],) for _ in range(reads)]
        out["read_p50_us"], out["read_p99_us"] = sequential_latency_us(session, select, keys, 1)
        out["local_p50_us"], out["local_p99_us"] = sequential_latency_us(
            session, local, [()] * reads, 1)
        cluster.shutdown()
        out["peak_rss_mb"] = store.status_kb("VmHWM") / 1024
        out["rss_mb"] = store.status_kb("VmRSS") / 1024
        out["rows_written"] = len(written)
    finally:
        store.stop()

    # The same inserts with the write-ahead log left to the OS (`commitlog_sync: periodic`).
    store = Store(binary, "periodic")
    try:
        cluster, session = connect(store.port)
        session.execute(CREATE_KEYSPACE)
        session.execute(CREATE_TABLE)
        cpu_periodic = Cpu()
        out["inserts_per_s_periodic"], _ = insert_runs(session, rows_per_run, runs, rng, store,
                                                       cpu_periodic)
        cluster.shutdown()
    finally:
        store.stop()
    out["startup_ms"] = statistics.median(startup)
    out["cpu_per_statement"] = {
        "insert_batch": cpu_batch.per_statement(), "insert_periodic": cpu_periodic.per_statement(),
        "system_local": cpu_local.per_statement(),
        "system_local_tuple_factory": cpu_tuples.per_statement()}
    out["startup_ms_all"] = startup

    ceiling = out["ceiling_per_s"]
    print("DataStax Python driver {} ({}), concurrency {}, medians of {} runs of {} rows".format(
        driver_version, out["connection_class"], CONCURRENCY, runs, rows_per_run))
    print("{:<62} {:>13} {:>8}".format("measure", "median", "ceiling"))
    for label, key in [
            ("insert, execute_concurrent (commitlog_sync batch)", "inserts_per_s_batch"),
            ("insert, execute_concurrent (commitlog_sync periodic)", "inserts_per_s_periodic"),
            ("baseline: execute_concurrent of SELECT .. system.local", "ceiling_per_s"),
            ("  the same with row_factory = tuple_factory", "ceiling_per_s_tuple_factory")]:
        print("{:<62} {:>10,.0f} /s {:>7.0%}".format(label, out[key], out[key] / ceiling))
    print("{:<62} {:>13} {:>8}".format("CPU per statement", "store", "driver"))
    for label, key in [("insert (batch)", "insert_batch"), ("insert (periodic)", "insert_periodic"),
                       ("SELECT .. system.local", "system_local"),
                       ("SELECT .. system.local, tuple_factory", "system_local_tuple_factory")]:
        c = out["cpu_per_statement"][key]
        print("{:<62} {:>10.1f} us {:>5.0f} us".format(label, c["store_us"], c["driver_us"]))
    for label, key in [("point read by id, sequential, p50", "read_p50_us"),
                       ("point read by id, sequential, p99", "read_p99_us"),
                       ("baseline: SELECT .. system.local, sequential, p50", "local_p50_us"),
                       ("baseline: SELECT .. system.local, sequential, p99", "local_p99_us")]:
        print("{:<62} {:>10.0f} us".format(label, out[key]))
    print("{:<62} {:>10.1f} MB".format("store peak RSS (VmHWM) after the run", out["peak_rss_mb"]))
    print("{:<62} {:>10.1f} ms".format("process start -> port accepting (median of {})".format(
        starts), out["startup_ms"]))
    with open(json_out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
