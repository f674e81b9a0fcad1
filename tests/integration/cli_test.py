"""Black-box tests of the `sluice` command line: what a user sees and the exit codes scripts rely on.

Run by CTest with SLUICE_BIN set to the binary under test and SLUICE_SOURCE_DIR to the checkout.
"""
import json
import os
import socket
import subprocess
import tempfile
import textwrap
import time
import unittest

BIN = os.environ["SLUICE_BIN"]
SRC = os.environ["SLUICE_SOURCE_DIR"]
COMMANDS = ["up", "broker", "store", "api", "ingest", "process", "scheduler", "cql", "topics",
            "groups", "dags", "version", "config"]


def sluice(*args, cwd=None):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=60, cwd=cwd)


def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HelpAndVersion(unittest.TestCase):
    def test_help_lists_every_command(self):
        r = sluice("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        for cmd in COMMANDS:
            self.assertRegex(r.stdout, rf"\n\s+{cmd}\s", cmd)

    def test_every_command_has_help(self):
        for cmd in COMMANDS + ["topics list", "groups reset-offsets", "dags trigger",
                               "config check"]:
            r = sluice(*cmd.split(), "--help")
            self.assertEqual(r.returncode, 0, cmd + ": " + r.stderr)
            self.assertIn("Usage:", r.stdout, cmd)

    def test_version(self):
        r = sluice("version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^sluice \d+\.\d+\.\d+ \(")
        self.assertRegex(sluice("--version").stdout, r"^sluice \d+\.\d+\.\d+\n$")

    def test_bare_sluice_prints_usage_and_fails(self):
        r = sluice()
        self.assertEqual(r.returncode, 2)
        self.assertIn("Usage:", r.stderr)


class UsageErrors(unittest.TestCase):
    """Unknown commands and flags: one line on stderr, exit code 2, nothing on stdout."""

    def check(self, args, expected):
        r = sluice(*args)
        self.assertEqual(r.returncode, 2, f"{args}: {r.stdout}{r.stderr}")
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertIn(expected, r.stderr)

    def test_unknown_command(self):
        self.check(["bogus"], "sluice: unknown command 'bogus'")

    def test_unknown_nested_command(self):
        self.check(["topics", "nope"], "sluice topics: unknown command 'nope'")

    def test_unknown_flag(self):
        self.check(["--bogus"], "sluice: unknown option '--bogus'")
        self.check(["up", "--frobnicate"], "sluice up: unknown option '--frobnicate'")

    def test_sibling_command_is_not_accepted(self):
        self.check(["topics", "up"], "sluice topics: unknown command 'up'")
        self.check(["broker", "version"], "sluice broker: unknown command 'version'")

    def test_extra_argument(self):
        self.check(["up", "a.yaml", "b.yaml"], "unexpected argument 'b.yaml'")

    def test_missing_argument(self):
        self.check(["config", "check"], "file is required")
        self.check(["topics"], "sluice topics: missing command")

    def test_bad_flag_value(self):
        self.check(["--log-level", "loud", "up"], "unknown log level 'loud'")

    def test_reset_offsets_needs_exactly_one_target(self):
        self.check(["groups", "reset-offsets", "g", "--topic", "t"],
                   "Exactly 1 option from [--to-earliest,--to-latest,--to-offset] is required")
        self.check(["groups", "reset-offsets", "g", "--topic", "t", "--to-earliest",
                    "--to-offset", "3"], "and 2 were given")
        self.check(["groups", "reset-offsets", "g", "--to-latest"], "--topic is required")


class ConfigCheck(unittest.TestCase):
    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        f.write(textwrap.dedent(text))
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_examples_are_valid(self):
        for name in ("sluice.yaml", "external-clusters.yaml"):
            path = os.path.join(SRC, "examples", name)
            r = sluice("config", "check", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(": ok", r.stdout)

    def test_every_problem_with_its_position(self):
        path = self.write("""\
            broker:
              listn: 127.0.0.1:9092
            api:
              enabled: yes
            pipelines:
              - ingest: {duration: soon}
            """)
        r = sluice("config", "check", path)
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr.splitlines(), [
            f"{path}:2:3: broker.listn: unknown key (did you mean 'listen'?)",
            f"{path}:4:12: api.enabled: expected true or false, got yes",
            f"{path}:6:5: pipelines[0].name: missing required key",
            f"{path}:6:24: pipelines[0].ingest.duration: expected a duration such as 500ms, "
            "30s, 5m, 1h30m, got soon",
        ])

    def test_truncated_file(self):
        path = self.write("broker:\n  listen: [127.0.0.1:9092\n")
        r = sluice("config", "check", path)
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, rf"^{path}:\d+:\d+: syntax error: ")

    def test_missing_file(self):
        r = sluice("config", "check", "/nonexistent.yaml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("/nonexistent.yaml: cannot open", r.stderr)

    def test_directories_are_refused(self):
        r = sluice("config", "check", "/etc")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(r.stderr, "/etc: not a regular file\n")

    def test_binary_garbage_is_an_error_not_a_crash(self):
        f = tempfile.NamedTemporaryFile("wb", suffix=".yaml", delete=False)
        f.write(bytes(range(256)) * 4)
        f.close()
        self.addCleanup(os.unlink, f.name)
        r = sluice("config", "check", f.name)
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_up_refuses_an_invalid_config(self):
        path = self.write("log: {level: loud}\n")
        r = sluice("up", "--dry-run", path)
        self.assertEqual(r.returncode, 2)
        self.assertIn("log.level: expected trace, debug, info, warn, error or off", r.stderr)

    def test_docs_print_the_reference(self):
        r = sluice("config", "docs")
        self.assertEqual(r.returncode, 0)
        with open(os.path.join(SRC, "docs", "config.md")) as f:
            self.assertIn(r.stdout, f.read())


class Up(unittest.TestCase):
    def test_reference_plan(self):
        with tempfile.TemporaryDirectory() as cwd:
            r = sluice("up", "--dry-run", cwd=cwd)
            self.assertEqual(r.returncode, 0, r.stderr)
            for part in ("broker", "store", "api", "process/users", "scheduler", "ingest/users",
                         "http"):
                self.assertRegex(r.stdout, rf"\n  {part}\s", part)
            self.assertIn("127.0.0.1:9092", r.stdout)
            self.assertIn("spark_streams.created_users", r.stdout)
            # Printing a plan must not create state.
            self.assertEqual(os.listdir(cwd), [])

    def test_example_file_gives_the_same_plan(self):
        builtin = sluice("up", "--dry-run").stdout.splitlines()[1:]
        from_file = sluice("up", "--dry-run",
                           os.path.join(SRC, "examples", "sluice.yaml")).stdout.splitlines()[1:]
        self.assertEqual(builtin, from_file)

    def test_external_clusters_leave_embedded_parts_out(self):
        r = sluice("up", "--dry-run", os.path.join(SRC, "examples", "external-clusters.yaml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotRegex(r.stdout, r"\n  broker\s")
        self.assertNotRegex(r.stdout, r"\n  store\s")
        self.assertIn("kafka-1:9092,kafka-2:9092,kafka-3:9092", r.stdout)

    def test_data_dir_flag(self):
        r = sluice("up", "--dry-run", "--data-dir", "/srv/x")
        self.assertIn("data /srv/x/broker", r.stdout)

    def test_json_logs_are_json(self):
        r = sluice("--log-format", "json", "up", "--dry-run", "-c",
                   os.path.join(SRC, "examples", "sluice.yaml"))
        self.assertEqual(r.returncode, 0)
        lines = r.stderr.splitlines()
        self.assertTrue(lines)
        for line in lines:
            record = json.loads(line)
            self.assertEqual(set(record), {"ts", "level", "module", "msg"})


class ProcessCommand(unittest.TestCase):
    def test_unreachable_store_is_named(self):
        store = f"127.0.0.1:{closed_port()}"
        r = sluice("process", "--cql", store, "--bootstrap", f"127.0.0.1:{closed_port()}")
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn(f"sluice process: cannot reach the table store at {store}", r.stderr)

    def test_bad_flags_are_usage_errors(self):
        r = sluice("process", "--from", "middle")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("--from: expected earliest or latest, got 'middle'", r.stderr)
        r = sluice("process", "--pipeline", "nope")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("no pipeline named 'nope' has a process stage", r.stderr)


class GroupsCommand(unittest.TestCase):
    def test_unreachable_broker(self):
        address = f"127.0.0.1:{closed_port()}"
        start = time.monotonic()
        r = sluice("groups", "list", "--bootstrap", address)
        self.assertLess(time.monotonic() - start, 30)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertIn(f"sluice groups: cannot reach the broker at {address}", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
