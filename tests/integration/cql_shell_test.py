"""`sluice cql` tried as a new user would: scripted with -e and -f, and interactively in tmux,
against a store on a free loopback port."""
import json
import re
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from store_test import REFERENCE_KEYSPACE, REFERENCE_TABLE, Store, free_port

BIN = os.environ["SLUICE_BIN"]


class ShellTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.store = Store()

    @classmethod
    def tearDownClass(cls):
        cls.store.stop()
        shutil.rmtree(cls.store.root, ignore_errors=True)

    def cql(self, *args, stdin=None):
        return subprocess.run([BIN, "cql", "--host", f"127.0.0.1:{self.store.port}", *args],
                              capture_output=True, text=True, timeout=60, input=stdin)


class Scripted(ShellTest):
    def test_reference_table_count_and_describe_round_trip(self):
        r = self.cql("-e", REFERENCE_KEYSPACE + REFERENCE_TABLE)
        self.assertEqual(r.returncode, 0, r.stderr)
        inserts = "".join(
            f"INSERT INTO spark_streams.created_users (id, first_name, email) "
            f"VALUES (uuid(), 'user{i}', 'u{i}@example.com');" for i in range(25))
        r = self.cql("-e", inserts)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.cql("-e", "SELECT count(*) FROM spark_streams.created_users")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(?m)^\s+count\n-+\n\s+25\n\n\(1 rows\)")

        described = self.cql("-e", "DESCRIBE TABLE spark_streams.created_users")
        self.assertEqual(described.returncode, 0, described.stderr)
        self.assertIn("CREATE TABLE spark_streams.created_users (", described.stdout)
        self.assertIn("id uuid PRIMARY KEY", described.stdout)
        # The printed CQL recreates the table exactly.
        with tempfile.NamedTemporaryFile("w", suffix=".cql", delete=False) as f:
            f.write(described.stdout)
        self.addCleanup(os.unlink, f.name)
        self.assertEqual(self.cql("-e", "DROP TABLE spark_streams.created_users").returncode, 0)
        r = self.cql("-f", f.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        again = self.cql("-e", "DESCRIBE TABLE spark_streams.created_users")
        self.assertEqual(again.stdout, described.stdout)

        r = self.cql("-e", "DESCRIBE KEYSPACES")
        self.assertIn("spark_streams", r.stdout.split())
        r = self.cql("-k", "spark_streams", "-e", "DESCRIBE TABLES")
        self.assertEqual(r.stdout.split(), ["created_users"])

    def test_formats_for_scripts(self):
        self.cql("-e", "CREATE KEYSPACE IF NOT EXISTS f WITH replication = "
                       "{'class': 'SimpleStrategy', 'replication_factor': 1};"
                       "CREATE TABLE IF NOT EXISTS f.t (k int PRIMARY KEY, v text, n double, "
                       "s set<int>);"
                       "INSERT INTO f.t (k, v, n, s) VALUES (1, 'a, \"b\"', 1.5, {3, 1});"
                       "INSERT INTO f.t (k) VALUES (2);")
        r = self.cql("--format", "json", "-e", "SELECT k, v, n, s FROM f.t")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = sorted((json.loads(line) for line in r.stdout.splitlines()), key=lambda x: x["k"])
        self.assertEqual(rows, [{"k": 1, "v": 'a, "b"', "n": 1.5, "s": [1, 3]},
                                {"k": 2, "v": None, "n": None, "s": None}])
        r = self.cql("--format", "csv", "-e", "SELECT k, v FROM f.t WHERE k = 1")
        self.assertEqual(r.stdout, 'k,v\n1,"a, ""b"""\n')
        # Statements from stdin when it is not a terminal.
        r = self.cql("--format", "csv", stdin="SELECT k FROM f.t WHERE k = 2;\n")
        self.assertEqual(r.stdout, "k\n2\n")

    def test_exit_codes_and_errors(self):
        r = self.cql("-e", "SELEC nothing")
        self.assertEqual(r.returncode, 1)
        self.assertIn("SyntaxException: line 1:1", r.stderr)
        r = self.cql("-e", "SELECT * FROM nowhere.t")
        self.assertEqual(r.returncode, 1)
        self.assertIn("InvalidRequest: Keyspace nowhere does not exist", r.stderr)
        # A script stops at its first error.
        r = self.cql("-e", "SELECT key FROM system.local; SELECT * FROM missing.t; "
                           "SELECT key FROM system.local;")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout.count("local"), 1)
        r = subprocess.run([BIN, "cql", "--host", f"127.0.0.1:{free_port()}", "-e", "SELECT 1"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot connect", r.stderr)
        r = self.cql("--format", "xml", "-e", "SELECT 1")
        self.assertEqual(r.returncode, 2)


@unittest.skipIf(shutil.which("tmux") is None, "tmux is not installed")
class Interactive(ShellTest):
    """The shell in a terminal: prompt, continuation lines, paging, history, EXIT."""

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="sluice-home-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.tmux_name = f"sluice-cql-{os.getpid()}-{time.monotonic_ns()}"
        env = dict(os.environ, HOME=self.home, TERM="xterm")
        subprocess.run(["tmux", "new-session", "-d", "-s", self.tmux_name, "-x", "160", "-y", "60",
                        f"{BIN} cql --host 127.0.0.1:{self.store.port}; sleep 30"],
                       check=True, env=env)
        self.addCleanup(subprocess.run, ["tmux", "kill-session", "-t", self.tmux_name],
                        capture_output=True)

    def screen(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.tmux_name],
                              capture_output=True, text=True).stdout

    def wait_for(self, text, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.screen():
                return
            time.sleep(0.05)
        self.fail(f"{text!r} never appeared; screen:\n{self.screen()}")

    def type(self, line):
        # tmux reads an argument's trailing ';' as a command separator unless escaped.
        if line.endswith(";"):
            line = line[:-1] + "\\;"
        subprocess.run(["tmux", "send-keys", "-t", self.tmux_name, "-l", line], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.tmux_name, "Enter"], check=True)

    def test_a_session_in_a_terminal(self):
        self.wait_for("sluice>")
        self.type("CREATE KEYSPACE IF NOT EXISTS term WITH replication = "
                  "{'class': 'SimpleStrategy', 'replication_factor': 1};")
        self.type("USE term;")
        self.wait_for("sluice:term>")
        self.type("CREATE TABLE IF NOT EXISTS t (k int PRIMARY KEY)")
        self.wait_for("   ...")  # no ';' yet: a continuation line
        self.type(";")
        # A batch over several lines (a 4 KB line is slow to echo under the sanitizers), whose
        # statements' own ';' do not end it.
        self.type("BEGIN UNLOGGED BATCH")
        for first in range(0, 150, 10):
            self.type(" ".join(f"INSERT INTO t (k) VALUES ({i});" for i in range(first, first + 10)))
        self.type("APPLY BATCH;")
        self.type("SELECT count(*) FROM t;")
        self.wait_for("(1 rows)")
        self.assertRegex(self.screen(), r"\n\s+150\n")
        # 150 rows, 100 a page: the shell asks before the rest, and q stops.
        self.type("SELECT k FROM t;")
        self.wait_for("---MORE---")
        self.type("q")
        self.wait_for("(100 rows)")
        self.type("EXIT")
        # The history is saved when the shell exits: wait until it is complete.
        history = os.path.join(self.home, ".sluice_cql_history")
        deadline = time.monotonic() + 10
        saved = ""
        while time.monotonic() < deadline:
            if os.path.exists(history):
                with open(history, encoding="utf-8", errors="replace") as f:
                    saved = f.read()
                if re.search(r"USE(\\040| )term;", saved):
                    break
            time.sleep(0.05)
        # libedit's history file escapes spaces as \\040.
        self.assertRegex(saved, r"USE(\\040| )term;")


if __name__ == "__main__":
    unittest.main(verbosity=2)
