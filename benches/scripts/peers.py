"""The boto3 peers of `idp list` / `idp sweep --dry-run`: one GetObject per environment.

usage: peers.py BUCKET sequential|concurrent list|sweep [THREADS] [SAMPLE]

`sequential` is a plain boto3 script; `concurrent` is the raw concurrent GetObject client
(one client per thread, THREADS threads, default 32): the server's own ceiling.
Prints the listing (JSON array) or the names the sweep would act on, one per line. Reads idp's
records and the original platform's (every value a string, `destroying_since` instead of
`status_changed_at`).
"""
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import boto3

bucket, mode, task = sys.argv[1], sys.argv[2], sys.argv[3]
threads = int(sys.argv[4]) if len(sys.argv) > 4 else 32
sample = int(sys.argv[5]) if len(sys.argv) > 5 else 0
s3 = boto3.client("s3")
keys = [
    o["Key"]
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="environments/")
    for o in page.get("Contents", [])
    if o["Key"].endswith("/metadata.json")
]
if sample:
    keys = keys[:sample]
local = threading.local()


def get(key):
    if mode == "sequential":
        c = s3
    else:
        if not hasattr(local, "s3"):
            local.s3 = boto3.client("s3")
        c = local.s3
    return json.loads(c.get_object(Bucket=bucket, Key=key)["Body"].read())


if mode == "sequential":
    records = [get(k) for k in keys]
else:
    with ThreadPoolExecutor(threads) as pool:
        records = list(pool.map(get, keys))

now = datetime.now(timezone.utc)
if task == "list":
    out = sorted((r for r in records if r["status"] != "destroyed"), key=lambda r: r["name"])
    json.dump(out, sys.stdout)
else:
    def parse(t):
        return datetime.fromisoformat(t.replace("Z", "+00:00"))

    def since(r):
        # idp's records say when the status changed; the original's say `destroying_since`
        # (none: the original's ttl-cleanup retries it).
        return r.get("status_changed_at") or r.get("destroying_since")
    for r in records:
        if r["status"] in ("active", "failed") and parse(r["expires_at"]) < now:
            print(r["name"], "expired")
        elif r["status"] == "destroying" and (
                not since(r) or now - parse(since(r)) > timedelta(hours=2)):
            print(r["name"], "stuck_destroying")
