"""Seed a state bucket with N environments (a realistic mix), concurrently.

usage: seed.py BUCKET N [--layout idp|original]
       (endpoint and credentials from AWS_ENDPOINT_URL / AWS_* variables)

--layout idp (default): idp's own `metadata.json` only (schema 1). Mix: 70% active, 20% active
but expired, 5% stuck destroying (status changed 5 h ago), 5% destroyed tombstones.

--layout original: what the original platform's workflows leave behind, four objects per
environment under `environments/{name}/`:
  metadata.json      provision.yml's `jq -n --arg …` object: every value a string, no `schema`,
                     pretty-printed as jq prints it; ttl-cleanup.yml's rewrite appends
                     `status: "destroying"` and `destroying_since`
  outputs.json       `tofu output -json` of the template (`{name: {sensitive, type, value}}`)
  tfvars.json        the variables provision.yml builds (non-default values only)
  terraform.tfstate  the OpenTofu state the S3 backend writes
Mix (by index modulo 20): 70% active; 20% active but expired (ttl-cleanup has not run yet, it
is weekly); 5% `destroying` since 5 h ago (stuck: the destroy it dispatched failed); 5%
`destroying` since 40 min ago (a destroy in flight). One active environment in seven was
extended by the original CLI (`expires_at` in its `toISOString()` form with `.000Z`, `ttl`
rewritten as the total lifetime). `container_image` is `nginx:alpine` when the repository had
no Dockerfile, else the ECR image the workflow built, tagged `{name}-{sha7}`. The original never
writes `destroyed` (its destroy deletes the prefix), so there are no tombstones.

One boto3 client per thread, 32 threads.
"""
import argparse
import hashlib
import json
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import boto3

parser = argparse.ArgumentParser()
parser.add_argument("bucket")
parser.add_argument("n", type=int)
parser.add_argument("--layout", choices=("idp", "original"), default="idp")
args = parser.parse_args()
bucket, n = args.bucket, args.n
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


# --- the original platform's layout -------------------------------------------------------------

ACCOUNT, REGION = "123456789012", "us-east-1"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/mini-idp-preview"
# Sanitised branch cores (provision.yml: `preview-` + at most 24 characters).
CORES = ("payment-api", "auth-token", "checkout-v2", "search", "web", "orders-worker",
         "billing", "catalog-api", "dependabot-npm")
ACTORS = ("octocat", "hubot", "monalisa", "mona-dev", "ci-bot")


def original_name(i):
    return f"preview-{CORES[i % len(CORES)]}-{i:05d}"


def sha(i, salt=""):
    return hashlib.sha1(f"{salt}{i}".encode()).hexdigest()


def original_env(i):
    """The four objects of environment i, as the original workflows write them."""
    name = original_name(i)
    kind = i % 20
    template = ("api-service", "api-service", "api-database", "scheduled-worker")[i % 4]
    ttl_days = (7, 3, 14, 1)[i % 4]
    ttl = f"{ttl_days}d" if i % 5 else f"{ttl_days * 24}h"
    ttl_s = ttl_days * 86400
    if kind < 14:  # active, not expired: created up to ttl ago
        created = now - timedelta(seconds=(i * 7919) % max(ttl_s - 3600, 3600))
    else:  # expired: created more than ttl ago
        created = now - timedelta(seconds=ttl_s + 3 * 3600 + (i * 104729) % (5 * 86400))
    expires_at = iso(created + timedelta(seconds=ttl_s))
    provisioned_ttl = ttl
    if kind < 14 and i % 7 == 3:
        # `idp extend NAME --ttl 3d` of the original CLI: base = the current expiry (still in the
        # future), new expiry via dayjs `toISOString()`, ttl = whole hours since created_at.
        new_expiry = created + timedelta(seconds=ttl_s + 3 * 86400)
        expires_at = new_expiry.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        hours = int((new_expiry - created).total_seconds() // 3600)
        ttl = f"{hours // 24}d" if hours >= 24 and hours % 24 == 0 else f"{hours}h"
    built = i % 3 != 0  # the repository has a Dockerfile: the workflow built and pushed the image
    image = f"{ECR}:{name}-{sha(i)[:7]}" if built else "nginx:alpine"
    shared = "true" if i % 2 else "false"
    dns = template != "scheduled-worker" and i % 4 == 1
    acm = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/{uuid.UUID(sha(i, 'acm')[:32])}" if dns else ""
    zone = "Z0123456789ABCDEFGHIJ" if dns else ""
    domain = "preview.example.com" if dns else ""
    owner = f"{ACTORS[i % len(ACTORS)]}@users.noreply.github.com"
    meta = {
        "name": name, "template": template, "owner": owner, "ttl": ttl,
        "created_at": iso(created), "expires_at": expires_at, "status": "active",
        "container_image": image, "acm_certificate_arn": acm, "route53_zone_id": zone,
        "preview_domain": domain, "use_shared_networking": shared,
    }
    if kind == 18:  # marked by ttl-cleanup 5 h ago; the destroy it dispatched never finished
        meta.update(status="destroying", destroying_since=iso(now - timedelta(hours=5)))
    elif kind == 19:  # marked 40 minutes ago; its destroy is still running
        meta.update(status="destroying", destroying_since=iso(now - timedelta(minutes=40)))

    tfvars = {"environment_name": name, "owner": owner, "ttl": provisioned_ttl,
              "created_at": iso(created), "expires_at": iso(created + timedelta(seconds=ttl_s))}
    if template == "scheduled-worker":
        tfvars.update(schedule_expression="rate(1 hour)", s3_bucket_arn="")
    if dns:
        tfvars.update(acm_certificate_arn=acm, route53_zone_id=zone, preview_domain=domain)
    if built:
        tfvars["container_image"] = image
    if shared == "true":
        tfvars.update(use_shared_networking=True, state_bucket=bucket)

    short = f"idp-{name}"[:28]
    log_group = f"/ecs/idp-{name}"
    vpc = f"vpc-{sha(i, 'vpc')[:17]}" if shared == "false" else "vpc-0a1b2c3d4e5f60718"
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:idp-{name}-app-{sha(i, 's')[:6]}"
    outputs = {
        "log_group": {"sensitive": False, "type": "string", "value": log_group},
        "secret_arn": {"sensitive": False, "type": "string", "value": secret},
        "vpc_id": {"sensitive": False, "type": "string", "value": vpc},
    }
    if template == "scheduled-worker":
        outputs.update(
            event_rule_arn={"sensitive": False, "type": "string", "value": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/idp-{name}-scheduled-task"},
            event_rule_name={"sensitive": False, "type": "string", "value": f"idp-{name}-scheduled-task"},
            task_definition_arn={"sensitive": False, "type": "string", "value": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/idp-{name}:1"},
        )
    else:
        endpoint = f"https://{name}.{domain}" if dns else f"http://{short}-alb-{int(sha(i, 'alb')[:8], 16) % 10**10}.{REGION}.elb.amazonaws.com"
        outputs.update(
            cluster_arn={"sensitive": False, "type": "string", "value": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/idp-{name}"},
            endpoint={"sensitive": False, "type": "string", "value": endpoint},
            service_name={"sensitive": False, "type": "string", "value": f"idp-{name}"},
        )
        if template == "api-database":
            host = f"idp-{name}-postgres.c{sha(i, 'rds')[:12]}.{REGION}.rds.amazonaws.com"
            outputs.update(
                db_address={"sensitive": False, "type": "string", "value": host},
                db_credentials_secret_arn={"sensitive": False, "type": "string", "value": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-{uuid.UUID(sha(i, 'db')[:32])}"},
                db_endpoint={"sensitive": False, "type": "string", "value": f"{host}:5432"},
                db_name={"sensitive": False, "type": "string", "value": "app"},
                db_port={"sensitive": False, "type": "number", "value": 5432},
            )
    outputs = dict(sorted(outputs.items()))
    state = {
        "version": 4, "terraform_version": "1.8.8", "serial": 3 + i % 5,
        "lineage": str(uuid.UUID(sha(i, "lineage")[:32])),
        "outputs": {k: {"value": v["value"], "type": v["type"]} for k, v in outputs.items()},
        "resources": [
            {"module": "module.common", "mode": "managed", "type": "aws_cloudwatch_log_group", "name": "this",
             "provider": "provider[\"registry.opentofu.org/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {
                 "arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{log_group}", "name": log_group,
                 "retention_in_days": 3, "tags": {"idp:environment": name, "idp:owner": owner,
                                                  "idp:created-at": iso(created), "idp:expires-at": tfvars["expires_at"]}},
                 "sensitive_attributes": []}]},
            {"module": "module.common", "mode": "managed", "type": "aws_secretsmanager_secret", "name": "app",
             "provider": "provider[\"registry.opentofu.org/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {"arn": secret, "name": f"idp-{name}-app",
                                                                "recovery_window_in_days": 30},
                            "sensitive_attributes": []}]},
        ],
        "check_results": None,
    }
    return name, {
        "metadata.json": json.dumps(meta, indent=2) + "\n",
        "outputs.json": json.dumps(outputs, indent=2) + "\n",
        "tfvars.json": json.dumps(tfvars, indent=2) + "\n",
        "terraform.tfstate": json.dumps(state, indent=2) + "\n",
    }


def put_original(i):
    name, objects = original_env(i)
    for key, body in objects.items():
        # `aws s3 cp … --content-type application/json` for the workflow's three; the OpenTofu S3
        # backend also stores its state as application/json.
        client().put_object(Bucket=bucket, Key=f"environments/{name}/{key}", Body=body.encode(),
                            ContentType="application/json")


s3 = boto3.client("s3")
try:
    s3.create_bucket(Bucket=bucket)
except s3.exceptions.BucketAlreadyOwnedByYou:
    pass
with ThreadPoolExecutor(32) as pool:
    list(pool.map(put_original if args.layout == "original" else put, range(n)))
objects = " (4 objects each)" if args.layout == "original" else ""
print(f"seeded {n} environments in the {args.layout} layout{objects} into s3://{bucket}", file=sys.stderr)
