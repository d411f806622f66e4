"""The AWS backend against moto (`IDP_TEST_AWS_ENDPOINT`, started by `.ci/moto.sh start`).

Outside CI the tests skip with one loud line when no endpoint is set; with `CI` set they fail.
Each test uses its own bucket and table, so they never see each other's state.
"""

from __future__ import annotations

import datetime
import json
import os
import uuid
from typing import Any, Iterator

import pytest

import idp

ENDPOINT = os.environ.get("IDP_TEST_AWS_ENDPOINT")
REGION = "us-east-1"
UTC = datetime.timezone.utc


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[idp.Platform, Any]]:
    if not ENDPOINT:
        if os.environ.get("CI"):
            pytest.fail("IDP_TEST_AWS_ENDPOINT is not set in CI: run `eval \"$(.ci/moto.sh start)\"` first")
        pytest.skip("SKIPPED: AWS backend tests need IDP_TEST_AWS_ENDPOINT (eval \"$(.ci/moto.sh start)\")")
    import boto3  # type: ignore[import-untyped]

    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    suffix = uuid.uuid4().hex[:12]
    bucket, table = f"idp-py-{suffix}", f"idp-py-locks-{suffix}"
    s3 = boto3.client("s3", endpoint_url=ENDPOINT, region_name=REGION)
    s3.create_bucket(Bucket=bucket)
    dynamodb = boto3.client("dynamodb", endpoint_url=ENDPOINT, region_name=REGION)
    dynamodb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    platform = idp.Platform.aws(bucket, table, REGION, endpoint_url=ENDPOINT)
    assert repr(platform) == f'Platform.aws("{bucket}", "{table}", "{REGION}")'
    yield platform, lambda meta: s3.put_object(
        Bucket=bucket,
        Key=f"environments/{meta['name']}/metadata.json",
        Body=json.dumps(meta).encode(),
    )


def record(name: str, status: str, created: datetime.datetime, expires: datetime.datetime) -> dict[str, Any]:
    at = created.isoformat().replace("+00:00", "Z")
    return {
        "schema": 1,
        "name": name,
        "template": "api-service",
        "status": status,
        "status_changed_at": at,
        "branch": f"feature/{name}",
        "repository": "octo-org/octo-repo",
        "owner": "octocat",
        "pr_number": 7,
        "created_at": at,
        "expires_at": expires.isoformat().replace("+00:00", "Z"),
        "updated_at": at,
    }


def test_list_status_extend_and_sweep_dry_run_on_s3_and_dynamodb(aws: tuple[idp.Platform, Any]) -> None:
    platform, seed = aws
    now = datetime.datetime.now(UTC).replace(microsecond=0)
    seed(record("fresh", "active", now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2)))
    seed(record("stale", "active", now - datetime.timedelta(days=8), now - datetime.timedelta(days=1)))
    seed(record("gone", "destroyed", now - datetime.timedelta(days=9), now - datetime.timedelta(days=2)))

    envs = platform.list()
    assert [(e.name, e.status) for e in envs] == [("fresh", "active"), ("stale", "active")]
    assert envs[0].branch == "feature/fresh" and envs[0].pr_number == 7
    assert envs[0].created_at == now - datetime.timedelta(hours=1)
    assert envs[0].created_at.tzinfo is UTC
    assert [e.name for e in platform.list(all=True)] == ["fresh", "gone", "stale"]

    status = platform.status("fresh")
    assert status.environment.name == "fresh"
    assert status.expires.startswith("expires in 1d")
    with pytest.raises(idp.NotFound):
        platform.status("missing")

    extended = platform.extend("fresh", "1d")
    assert extended.outcome == "extended"
    assert extended.environment is not None
    assert extended.environment.expires_at == now + datetime.timedelta(days=3)
    assert platform.status("fresh").environment.expires_at == now + datetime.timedelta(days=3)

    sweep = platform.sweep(dry_run=True)
    assert sweep.dry_run is True
    assert sweep.examined == 2
    assert [(a.name, a.reason, a.outcome) for a in sweep.actions] == [("stale", "expired", None)]
    assert platform.status("stale").environment.status == "active"  # a dry run changes nothing


def test_unlock_on_dynamodb_reports_nothing_held(aws: tuple[idp.Platform, Any]) -> None:
    platform, seed = aws
    now = datetime.datetime.now(UTC)
    seed(record("fresh", "active", now, now + datetime.timedelta(days=1)))
    report = platform.unlock("fresh")
    assert (report.unlocked, report.lease, report.terraform_lock) == (False, None, None)
