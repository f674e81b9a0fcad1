"""`sluice up` as a whole: start-up time and memory of the reference pipeline in one process.

  reference: the reference pipeline (API -> ingest at 1,000 users/s, run by the scheduler as the
             daily DAG's task -> broker -> processor -> store) for 60 s: resident memory sampled every second (the steady state is the
             median of the last 30 samples) and the peak from /usr/bin/time -v.
  flat out:  the same pipeline with the ingest rate limit off, 1,000,000 users: the peak while
             every buffer fills, and how long until every row is in the table.

Every part listens on a free loopback port; data goes to a temporary directory.
Usage: up_bench.py SLUICE_BIN [JSON_OUT] [--quick]
"""
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config(root, count, rate_limit):
    ports = {k: free_port() for k in ("broker", "store", "api", "http")}
    path = os.path.join(root, "sluice.yaml")
    with open(path, "w") as f:
        f.write(f"""data_dir: {root}/data
broker: {{listen: "127.0.0.1:{ports['broker']}"}}
store: {{listen: "127.0.0.1:{ports['store']}"}}
api: {{listen: "127.0.0.1:{ports['api']}"}}
http: {{listen: "127.0.0.1:{ports['http']}"}}
pipelines:
  - name: users
    ingest:
      url: "http://127.0.0.1:{ports['api']}/api/"
      count: {count}
      results_per_request: 500
      rate_limit: {rate_limit}
    process: {{}}
dags:
  - id: user_automation
    schedule: "@daily"
    tasks: [{{id: stream_data_from_api, type: ingest, pipeline: users}}]
""")
    return path


def rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def run(binary, count, rate_limit, seconds, until_written=False):
    root = tempfile.mkdtemp(prefix="sluice-up-bench-")
    try:
        cfg = config(root, count, rate_limit)
        log = open(os.path.join(root, "up.log"), "w+")
        timing = os.path.join(root, "time.txt")
        t0 = time.monotonic()
        proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", timing, binary, "up", cfg,
                                 "--progress-interval", "1s"], stdout=log,
                                stderr=subprocess.STDOUT, cwd=root)
        child = None
        samples, ready_ms, finished_s = [], None, None
        deadline = t0 + seconds
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(1)
            if child is None:
                kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                      text=True).stdout.split()
                child = int(kids[0]) if kids else None
            if child:
                samples.append(rss_kb(child))
            log.seek(0)
            out = log.read()
            if ready_ms is None and (m := re.search(r"ready in (\d+) ms", out)):
                ready_ms = int(m.group(1))
            written = [int(w.replace(",", "")) for w in re.findall(r"([\d,]+) written", out)]
            if until_written and written and written[-1] >= count:
                finished_s = time.monotonic() - t0
                break
        if child:
            os.kill(child, signal.SIGINT)
        proc.wait(timeout=60)
        with open(timing) as f:
            peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)",
                                    f.read()).group(1))
        log.seek(0)
        out = log.read()
        if ready_ms is None or not samples:
            raise SystemExit("sluice up did not get ready:\n" + out)
        tail = samples[len(samples) // 2:]
        return {"ready_ms": ready_ms, "steady_rss_mb": statistics.median(tail) / 1024,
                "peak_rss_mb": peak_kb / 1024, "finished_s": finished_s,
                "written": max([int(w.replace(",", "")) for w in
                                re.findall(r"([\d,]+) written", out)] or [0])}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main():
    args = [a for a in sys.argv[1:] if a != "--quick"]
    quick = "--quick" in sys.argv
    binary, json_out = os.path.abspath(args[0]), (args[1] if len(args) > 1 else None)
    ref = run(binary, 10_000_000, 2, 15 if quick else 60)
    flat = run(binary, 100_000 if quick else 1_000_000, 0, 120 if quick else 300,
               until_written=True)
    print(f"{'sluice up (release build)':<58} {'measured':>12}")
    print(f"{'start to ready':<58} {ref['ready_ms']:>9} ms")
    print(f"{'reference pipeline (1,000 users/s): steady resident memory':<58} "
          f"{ref['steady_rss_mb']:>9.1f} MB")
    print(f"{'reference pipeline: peak RSS (/usr/bin/time -v)':<58} "
          f"{ref['peak_rss_mb']:>9.1f} MB")
    label = f"flat out, {flat['written']:,} users: peak RSS"
    print(f"{label:<58} {flat['peak_rss_mb']:>9.1f} MB")
    if flat["finished_s"]:
        label = f"flat out: start to {flat['written']:,} rows in the table"
        print(f"{label:<58} {flat['finished_s']:>10.1f} s")
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"reference": ref, "flat_out": flat}, f)


if __name__ == "__main__":
    main()
