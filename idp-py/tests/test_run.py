"""`Platform.run`: infrastructure runs from Python."""

from pathlib import Path

import pytest

import idp

JOB = """
timeout: 5m
orders:
  - name: a
    cmds: ["echo hello $NAME_SECRET"]
    timeout: 30s
    secrets: [NAME_SECRET]
  - name: b
    depends_on: [a]
    cmds: ["exit 3"]
    timeout: 30s
  - name: c
    depends_on: [b]
    cmds: ["echo never"]
    timeout: 30s
"""


def test_run_executes_orders_in_dependency_order_and_reports_each(tmp_path: Path) -> None:
    report = idp.Platform.memory().run(
        JOB, working_dir=tmp_path, secrets={"NAME_SECRET": "s3cr3t"}
    )
    statuses = {order["name"]: order["status"] for order in report.orders}
    assert statuses == {"a": "succeeded", "b": "failed", "c": "skipped"}
    assert report.status == "failed"
    assert report.run_id
    assert "s3cr3t" not in repr(report.to_dict())
    assert isinstance(report, idp.RunReport)


def test_a_job_given_as_a_dict_runs(tmp_path: Path) -> None:
    job = {"orders": [{"name": "only", "cmds": ["true"], "timeout": "10s"}]}
    report = idp.Platform.memory().run(job, working_dir=tmp_path, run_id="py-dict-1")
    assert (report.run_id, report.status) == ("py-dict-1", "succeeded")


def test_an_invalid_job_raises_invalid_input_listing_every_problem() -> None:
    job = {"orders": [{"name": "x", "cmds": [], "timeout": "1s", "depends_on": ["ghost"]}]}
    with pytest.raises(idp.InvalidInput) as info:
        idp.Platform.memory().run(job)
    message = str(info.value)
    assert "ghost" in message and "cmds" in message
    assert info.value.kind == "invalid_input"
