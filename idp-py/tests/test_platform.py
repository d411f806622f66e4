"""Every `Platform` method on the in-memory backend, and the shape of every result."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

import idp

from conftest import webhook

UTC = datetime.timezone.utc


def test_a_new_platform_lists_nothing(platform: idp.Platform) -> None:
    assert platform.list() == []
    assert repr(platform) == "Platform.memory()"


def test_create_reports_the_new_environment(platform: idp.Platform) -> None:
    before = datetime.datetime.now(UTC)
    report = platform.create("api-service", "demo", ttl="2d", owner="alice", health_check_path="/health")
    assert report.outcome == "created"
    assert report.name == "demo"
    assert report.reason is None
    assert report.cleanup is None
    env = report.environment
    assert env is not None
    assert (env.name, env.template, env.status, env.owner) == ("demo", "api-service", "active", "alice")
    assert env.image == "nginx:alpine"
    assert report.endpoint == env.endpoint and env.endpoint
    for moment in [env.created_at, env.expires_at, env.updated_at, env.status_changed_at]:
        assert moment.tzinfo is UTC
    assert env.created_at >= before
    assert env.expires_at - env.created_at == datetime.timedelta(days=2)
    assert (env.branch, env.repository, env.pr_number, env.commit, env.region) == (None,) * 5


def test_create_takes_the_image_and_config_keys(platform: idp.Platform) -> None:
    report = platform.create(
        "api-service", "demo", image="ghcr.io/o/app:1", cpu=512, memory=1024, region="eu-west-1"
    )
    assert report.environment is not None
    assert report.environment.image == "ghcr.io/o/app:1"
    assert report.environment.region == "eu-west-1"


def test_list_returns_environments_sorted_and_hides_tombstones(platform: idp.Platform) -> None:
    for name in ["zeta", "alpha", "mid"]:
        platform.create("api-service", name)
    platform.destroy("mid")
    assert [e.name for e in platform.list()] == ["alpha", "zeta"]
    everything = platform.list(all=True)
    assert [(e.name, e.status) for e in everything] == [
        ("alpha", "active"),
        ("mid", "destroyed"),
        ("zeta", "active"),
    ]


def test_status_reports_record_expiry_outputs_and_health(platform: idp.Platform) -> None:
    platform.create("api-service", "demo")
    status = platform.status("demo")
    assert status.environment.name == "demo"
    assert status.expires.startswith("expires in 6d")
    assert isinstance(status.outputs, dict)
    assert status.outputs["template"] == "api-service"
    assert status.runtime is not None and status.runtime["state"] == "running"
    assert status.service is None
    assert status.warnings == []
    # A fresh dict every time: the frozen result cannot be changed through it.
    status.outputs["template"] = "changed"
    assert status.outputs["template"] == "api-service"


def test_extend_moves_the_expiry_but_never_created_at(platform: idp.Platform) -> None:
    created = platform.create("api-service", "demo", ttl="1d").environment
    assert created is not None
    extended = platform.extend("demo", "2d")
    assert extended.outcome == "extended"
    assert extended.environment is not None
    assert extended.environment.created_at == created.created_at
    assert extended.environment.expires_at - created.expires_at >= datetime.timedelta(days=2)


def test_destroy_reports_its_cleanup_and_is_idempotent(platform: idp.Platform) -> None:
    platform.create("api-service", "demo")
    report = platform.destroy("demo")
    assert report.outcome == "destroyed"
    assert report.environment is not None and report.environment.status == "destroyed"
    assert report.cleanup is not None
    assert report.cleanup.state_objects_deleted >= 1
    assert report.cleanup.images_deleted == [] and report.cleanup.image_failures == []
    assert report.cleanup.terraform_lock_removed is False
    assert report.cleanup.terraform_digest_removed is False
    again = platform.destroy("demo")
    assert again.outcome == "no-op"
    assert again.reason


def test_destroying_what_never_existed_is_a_no_op(platform: idp.Platform) -> None:
    assert platform.destroy("ghost").outcome == "no-op"


def test_sweep_has_nothing_to_do_on_fresh_environments(platform: idp.Platform) -> None:
    platform.create("api-service", "demo")
    for dry_run in [True, False]:
        report = platform.sweep(dry_run=dry_run)
        assert report.dry_run is dry_run
        assert report.examined == 1
        assert report.actions == [] and report.errors == []


def test_unlock_reports_that_nothing_was_held(platform: idp.Platform) -> None:
    platform.create("api-service", "demo")
    report = platform.unlock("demo")
    assert (report.name, report.lease, report.terraform_lock, report.unlocked) == ("demo", None, None, False)
    with pytest.raises(idp.NotFound):
        platform.unlock("nope")


def test_logs_of_a_missing_environment_raise_not_found(platform: idp.Platform) -> None:
    with pytest.raises(idp.NotFound):
        platform.logs("nope", since="10m")


def test_logs_refuse_a_since_of_the_wrong_type(platform: idp.Platform) -> None:
    platform.create("api-service", "demo")
    with pytest.raises(TypeError):
        platform.logs("demo", since=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        platform.logs("demo", since=datetime.datetime(2026, 1, 1))


def test_results_are_frozen(platform: idp.Platform) -> None:
    report = platform.create("api-service", "demo")
    with pytest.raises(AttributeError):
        report.outcome = "x"  # type: ignore[misc]
    assert report.environment is not None
    with pytest.raises(AttributeError):
        report.environment.status = "x"  # type: ignore[misc]


def test_to_dict_nests_results_and_keeps_aware_datetimes(platform: idp.Platform) -> None:
    report = platform.create("api-service", "demo")
    data = report.to_dict()
    assert set(data) == {"outcome", "name", "reason", "environment", "endpoint", "cleanup"}
    env: dict[str, Any] = data["environment"]
    assert env["name"] == "demo" and env["status"] == "active"
    assert env["created_at"].tzinfo is UTC
    assert repr(report).startswith("ChangeReport(outcome='created'")
    status = platform.status("demo").to_dict()
    assert status["environment"]["name"] == "demo"
    assert platform.sweep().to_dict() == {
        "dry_run": False,
        "examined": 1,
        "actions": [],
        "errors": [],
        "unreadable": [],
    }
    assert platform.unlock("demo").to_dict()["unlocked"] is False


# === preview: the GitOps path ===


def test_preview_of_a_push_creates_then_redeploys(platform: idp.Platform) -> None:
    payload = webhook("push.feature-branch")
    first = platform.preview(payload, "push")
    assert first.outcome == "created"
    assert first.environment is not None
    assert first.environment.branch is not None
    assert first.environment.repository is not None
    assert first.environment.commit == payload["after"]
    second = platform.preview(payload, "push")
    assert second.outcome == "redeployed"


def test_preview_accepts_the_payload_as_json_text(platform: idp.Platform) -> None:
    import json

    text = json.dumps(webhook("push.feature-branch"))
    assert platform.preview(text, "push").outcome == "created"
    assert platform.preview(text.encode(), "push").outcome == "redeployed"


def test_preview_takes_the_event_name_from_github_event_name(
    platform: idp.Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    assert platform.preview(webhook("push.feature-branch")).outcome == "created"
    monkeypatch.delenv("GITHUB_EVENT_NAME")
    with pytest.raises(idp.InvalidEvent) as info:
        platform.preview(webhook("push.feature-branch"))
    assert "event_name" in str(info.value)


def test_preview_uses_the_given_config(platform: idp.Platform) -> None:
    config = idp.Config(image="ghcr.io/o/app:2", ttl="1d")
    report = platform.preview(webhook("push.feature-branch"), "push", config=config, owner="bob")
    env = report.environment
    assert env is not None
    assert env.image == "ghcr.io/o/app:2"
    assert env.owner == "bob"
    assert env.expires_at - env.created_at == datetime.timedelta(days=1)


def test_preview_of_a_branch_deletion_destroys_its_environment(platform: idp.Platform) -> None:
    push = webhook("push.feature-branch")
    created = platform.preview(push, "push")
    deleted = webhook("push.branch-deleted")
    deleted["ref"] = push["ref"]
    deleted["repository"] = push["repository"]
    report = platform.preview(deleted, "push")
    assert report.outcome == "destroyed"
    assert report.name == created.name


def test_preview_of_a_schedule_is_a_no_op_with_a_reason(platform: idp.Platform) -> None:
    report = platform.preview(webhook("schedule"), "schedule")
    assert report.outcome == "no-op"
    assert report.name is None
    assert report.reason


def test_preview_ignores_events_it_does_not_handle(platform: idp.Platform) -> None:
    report = platform.preview({}, "issue_comment")
    assert report.outcome == "no-op"


def test_preview_refuses_an_event_that_is_not_a_payload(platform: idp.Platform) -> None:
    with pytest.raises(TypeError):
        platform.preview(42, "push")  # type: ignore[arg-type]


def test_cost_reports_the_estimate_and_the_month_so_far(platform: idp.Platform) -> None:
    platform.create("api-service", "costly", ttl="2d", owner="alice")
    report = platform.cost("costly")
    assert report["subject"] == "environment" and report["name"] == "costly"
    assert report["estimate"]["hours"] == pytest.approx(48.0)
    assert report["estimate"]["total_usd"] > 0
    spend = report["spend"]
    # The in-memory bill has no billed day yet: everything so far is the estimate, said so.
    assert spend["billed_through"] is None
    assert spend["billed_usd"] == 0
    assert spend["unbilled_estimate_usd"] >= 0
    assert isinstance(report["actuals_note"], str) and report["actuals_note"]
    with pytest.raises(idp.NotFound):
        platform.cost("missing")
