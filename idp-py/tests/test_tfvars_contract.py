"""`Platform.aws(...).create(...)` hands the provisioner the tfvars of the contract in
`tests/fixtures/platform-tfvars` (the CLI's and the Action's tests check the same file): the
template inputs given as keyword arguments reach the tfvars. Runs against moto
(`IDP_TEST_AWS_ENDPOINT`), with a `tofu` that records the `-var-file` it is given; with `CI` set
and no endpoint it fails instead of skipping.
"""

from __future__ import annotations

import datetime
import json
import os
import pathlib
import uuid
from typing import Any

import pytest

import idp

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "tests" / "fixtures" / "platform-tfvars"
ENDPOINT = os.environ.get("IDP_TEST_AWS_ENDPOINT")


def test_create_on_aws_hands_the_provisioner_the_contract_tfvars(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not ENDPOINT:
        if os.environ.get("CI"):
            pytest.fail("IDP_TEST_AWS_ENDPOINT is not set in CI: run `eval \"$(.ci/moto.sh start)\"` first")
        pytest.skip("SKIPPED: the tfvars contract needs IDP_TEST_AWS_ENDPOINT (eval \"$(.ci/moto.sh start)\")")
    import boto3  # type: ignore[import-untyped]

    inputs: dict[str, str] = json.loads((CONTRACT / "inputs.json").read_text())
    region = inputs["region"]
    for key, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "IDP_CONFIG_FILE": str(tmp_path / "no-settings.toml"),
        "IDP_TEST_TFVARS_OUT": str(tmp_path / "tfvars.json"),
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "IDP_ACM_CERTIFICATE_ARN", "IDP_ROUTE53_ZONE_ID", "IDP_PREVIEW_DOMAIN"):
        monkeypatch.delenv(key, raising=False)
    suffix = uuid.uuid4().hex[:12]
    bucket, table = f"idp-py-tfvars-{suffix}", f"idp-py-tfvars-{suffix}"
    boto3.client("s3", endpoint_url=ENDPOINT, region_name=region).create_bucket(Bucket=bucket)
    boto3.client("dynamodb", endpoint_url=ENDPOINT, region_name=region).create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    platform = idp.Platform.aws(
        bucket,
        table,
        region,
        endpoint_url=ENDPOINT,
        templates_dir=ROOT / "infrastructure" / "templates",
        tofu=CONTRACT / "record-tofu",
        acm_certificate_arn=inputs["acm_certificate_arn"],
        route53_zone_id=inputs["route53_zone_id"],
        preview_domain=inputs["preview_domain"],
        alb_access_logs_bucket=inputs["alb_access_logs_bucket"],
        cost_center=inputs["cost_center"],
        nat_gateway_per_az=inputs["nat_gateway_per_az"] == "true",
        vpc_flow_logs=inputs["vpc_flow_logs"] == "true",
        alarm_topic_arn=inputs["alarm_topic_arn"],
    )
    # The keys of config.yml, as keyword arguments.
    platform.create(
        "api-service",
        inputs["environment_name"],
        owner=inputs["owner"],
        container_port=8080,
        health_check_path="/health",
        environment={"LOG_LEVEL": "debug"},
    )
    recorded: dict[str, Any] = json.loads((tmp_path / "tfvars.json").read_text())
    created = datetime.datetime.fromisoformat(recorded["created_at"].replace("Z", "+00:00"))
    expires = datetime.datetime.fromisoformat(recorded["expires_at"].replace("Z", "+00:00"))
    assert expires - created == datetime.timedelta(days=7)
    assert recorded["state_bucket"] == bucket
    recorded.update(created_at="<created_at>", expires_at="<created_at + 7d>", state_bucket="<state bucket>")
    assert recorded == json.loads((CONTRACT / "expected.json").read_text())


def test_aws_arguments_left_out_come_from_the_environment_then_the_settings_file(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "config.toml"
    settings.write_text('[aws]\nregion = "ap-south-1"\nstateBucket = "file-bucket"\nlockTable = "file-table"\n')
    for key, value in {
        "IDP_CONFIG_FILE": str(settings),
        "IDP_STATE_BUCKET": "env-bucket",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("IDP_LOCK_TABLE", "IDP_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    platform = idp.Platform.aws(lock_table="kwarg-table")
    assert repr(platform) == 'Platform.aws("env-bucket", "kwarg-table", "ap-south-1")'
