"""Records of the original platform (every value a string, no `schema`) and a record nobody can
read, in a local state directory: listed like idp's own, never dropped."""

from __future__ import annotations

import json
import pathlib
import warnings

import pytest

import idp


def seed(state: pathlib.Path, name: str, body: str) -> None:
    folder = state / "environments" / name
    folder.mkdir(parents=True)
    (folder / "metadata.json").write_text(body)


def original(name: str, status: str, expires: str) -> str:
    return json.dumps(
        {
            "name": name,
            "template": "api-service",
            "owner": "octocat@users.noreply.github.com",
            "ttl": "7d",
            "created_at": "2026-01-01T00:00:00Z",
            "expires_at": expires,
            "status": status,
            "container_image": "nginx:alpine",
            "acm_certificate_arn": "",
            "route53_zone_id": "",
            "preview_domain": "",
            "use_shared_networking": "true",
        }
    )


@pytest.fixture
def state(tmp_path: pathlib.Path) -> pathlib.Path:
    state = tmp_path / "state"
    seed(state, "app", original("app", "active", "2099-01-01T00:00:00.000Z"))
    seed(state, "old", original("old", "active", "2026-01-08T00:00:00Z"))
    seed(state, "broken", '{"name": "broken", "status": 1}')
    return state


def test_legacy_records_are_listed_and_the_unreadable_one_is_named(state: pathlib.Path) -> None:
    platform = idp.Platform.local(state_dir=state)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        environments = platform.list()
    assert [e.name for e in environments] == ["app", "old"]
    assert all(e.legacy for e in environments)
    assert environments[0].status == "active"
    assert environments[0].to_dict()["legacy"] is True
    messages = [str(w.message) for w in caught]
    assert any("environments/broken/metadata.json" in m and "idp migrate" in m for m in messages)
    with pytest.raises(idp.UnreadableRecord) as info:
        platform.list(strict=True)
    assert info.value.kind == "unreadable_record"
    assert "`status` is 1" in str(info.value)


def test_status_of_the_unreadable_record_raises_its_own_class(state: pathlib.Path) -> None:
    platform = idp.Platform.local(state_dir=state)
    with pytest.raises(idp.UnreadableRecord) as info:
        platform.status("broken")
    assert any("idp migrate" in hint for hint in info.value.hints)
    assert platform.status("app").environment.legacy


def test_a_dry_run_sweep_reports_the_unreadable_record_and_writes_nothing(
    state: pathlib.Path,
) -> None:
    before = sorted(p.relative_to(state) for p in state.rglob("*"))
    report = idp.Platform.local(state_dir=state).sweep(dry_run=True)
    assert [a.name for a in report.actions] == ["old"]
    assert [(u.name, u.key) for u in report.unreadable] == [
        ("broken", "environments/broken/metadata.json")
    ]
    after = sorted(p.relative_to(state) for p in state.rglob("*") if "locks" not in p.parts)
    assert [p for p in after if p not in before] == []
