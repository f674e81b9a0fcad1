"""The stream processor's baseline: the same job (topic -> reference table) written in Python the
way the classic pipeline's tutorials write it, with kafka-python and the DataStax driver.

  sync:       one prepared INSERT per record, each awaited (session.execute), offsets committed
              after each polled batch.
  concurrent: each polled batch written with execute_concurrent_with_args (concurrency 100), then
              its offsets committed: the best a plain Python job does without threads.

Usage: pipeline_baseline.py BOOTSTRAP CQL_PORT TOPIC GROUP COUNT MODE KEYSPACE.TABLE
Reads COUNT records from the start of TOPIC in a new GROUP; prints records/s from the first
record polled to the last row acknowledged.
"""
import json
import sys
import time
import uuid

from cassandra.cluster import Cluster
from cassandra.concurrent import execute_concurrent_with_args
from kafka import KafkaConsumer

COLUMNS = ["id", "first_name", "last_name", "gender", "address", "post_code", "email", "username",
           "dob", "registered_date", "phone", "picture"]


def main():
    bootstrap, port, topic, group, count, mode, table = sys.argv[1:8]
    count = int(count)
    cluster = Cluster(["127.0.0.1"], port=int(port))
    session = cluster.connect()
    insert = session.prepare(f"INSERT INTO {table} ({', '.join(COLUMNS)}) "
                             f"VALUES ({', '.join('?' * len(COLUMNS))})")
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group,
                             auto_offset_reset="earliest", enable_auto_commit=False)
    done, t0 = 0, None
    while done < count:
        polled = consumer.poll(timeout_ms=500, max_records=500)
        if t0 is None and polled:
            t0 = time.perf_counter()
        rows = []
        for records in polled.values():
            for record in records:
                value = json.loads(record.value)
                rows.append([uuid.UUID(value["id"])] + [value.get(c) for c in COLUMNS[1:]])
        rows = rows[:count - done]
        if mode == "sync":
            for row in rows:
                session.execute(insert, row)
        else:
            results = execute_concurrent_with_args(session, insert, rows, concurrency=100)
            assert all(ok for ok, _ in results)
        if polled:
            consumer.commit()
        done += len(rows)
    elapsed = time.perf_counter() - t0
    consumer.close()
    cluster.shutdown()
    print(f"{done / elapsed:.1f}")


if __name__ == "__main__":
    main()
