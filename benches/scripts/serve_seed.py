"""Give the local backend the same environments as a bucket seeded by seed.py.

usage: serve_seed.py BUCKET DIR
       (endpoint and credentials from AWS_ENDPOINT_URL / AWS_* variables)

The local backend stores the same keys as S3, one file per key under its state directory
(`idp-core/src/adapters/local/object_store.rs`: the object `environments/x/metadata.json` is the
file `DIR/environments/x/metadata.json`). This copies every `environments/<name>/metadata.json`
of BUCKET there byte for byte, so both backends of benches/serve.sh hold identical records; the
index is then built by `idp sweep --dry-run --reindex --backend local --state-dir DIR`, as on S3.
The server is not running yet, so plain writes do (no lock, no temporary file).

One boto3 client per thread, 32 threads.
"""
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3

bucket, root = sys.argv[1], sys.argv[2]
local = threading.local()


def client():
    if not hasattr(local, "s3"):
        local.s3 = boto3.client("s3")
    return local.s3


def keys():
    s3 = boto3.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="environments/"):
        for o in page.get("Contents", []):
            parts = o["Key"].split("/")
            # environments/<name>/metadata.json only: not the index, markers or other objects.
            if len(parts) == 3 and parts[2] == "metadata.json" and not parts[1].startswith("_"):
                yield o["Key"]


def copy(key):
    body = client().get_object(Bucket=bucket, Key=key)["Body"].read()
    path = os.path.join(root, *key.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(body)


wanted = list(keys())
with ThreadPoolExecutor(32) as pool:
    list(pool.map(copy, wanted))
print(f"copied {len(wanted)} metadata objects of s3://{bucket} into {root}", file=sys.stderr)
