"""Seed a state bucket with N environments' metadata.json (a realistic mix), concurrently.

usage: seed.py BUCKET N      (endpoint and credentials from AWS_ENDPOINT_URL / AWS_* variables)

Mix: 70% active, 20% active but expired, 5% stuck destroying (status changed 5 h ago),
5% destroyed tombstones. One boto3 client per thread, 32 threads.
"""
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import boto3

bucket, n = sys.argv[1], int(sys.argv[2])
now = datetime.now(timezone.utc).replace(microsecond=0)
local = threading.local()


def client():
    if not hasattr(local, "s3"):
        local.s3 = boto3.client("s3")
    return local.s3


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def record(i):
    name = f"preview-feature-{i:05d}"
    kind = i % 20
    created = now - timedelta(days=2)
    expires, status, changed = now + timedelta(days=5), "active", now - timedelta(days=1)
    if kind in (1, 2, 3, 4):
        expires = now - timedelta(hours=3)
    elif kind == 5:
        status, changed = "destroying", now - timedelta(hours=5)
    elif kind == 6:
        status, changed = "destroyed", now - timedelta(hours=20)
    return {
        "schema": 1, "name": name, "template": "api-service", "status": status,
        "status_changed_at": iso(changed), "branch": f"feature/{i:05d}",
        "repository": "acme/shop", "owner": "octocat", "pr_number": i + 1,
        "commit": f"{i:07x}" + "a" * 33, "image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/idp-preview:{name}-{i:07x}",
        "region": "us-east-1", "endpoint": f"https://{name}.preview.example.com",
        "created_at": iso(created), "expires_at": iso(expires), "updated_at": iso(changed),
    }


def put(i):
    body = json.dumps(record(i), indent=2).encode()
    client().put_object(Bucket=bucket, Key=f"environments/preview-feature-{i:05d}/metadata.json", Body=body)


s3 = boto3.client("s3")
try:
    s3.create_bucket(Bucket=bucket)
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
with ThreadPoolExecutor(32) as pool:
    list(pool.map(put, range(n)))
print(f"seeded {n} environments into s3://{bucket}", file=sys.stderr)
