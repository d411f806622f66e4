"""The embedded local backend end to end: a real app process answering over HTTP."""

from __future__ import annotations

import json
import pathlib
import threading
import time
import urllib.error
import urllib.request

import pytest

import idp

from conftest import ROOT

APP = {"command": "python3 examples/app/server.py"}


@pytest.fixture
def local(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> idp.Platform:
    # `local.command` runs from the current directory, as `idp` does from the repository root.
    monkeypatch.chdir(ROOT)
    return idp.Platform.local(state_dir=tmp_path / "state")


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


def test_an_app_is_created_answers_is_extended_and_destroyed(local: idp.Platform, tmp_path: pathlib.Path) -> None:
    assert repr(local) == f"Platform.local({str(tmp_path / 'state')!r})".replace("'", '"')
    report = local.create("api-service", "demo", ttl="1h", local=APP, health_check_path="/health")
    try:
        assert report.outcome == "created"
        assert report.endpoint is not None and report.endpoint.startswith("http://127.0.0.1:")
        assert get(report.endpoint + "/health") == (200, "ok\n")
        status, page = get(report.endpoint + "/")
        assert status == 200 and "demo" in page

        assert [e.name for e in local.list()] == ["demo"]
        status_report = local.status("demo")
        assert status_report.environment.status == "active"
        assert status_report.runtime is not None

        logs = local.logs("demo", since="10m")
        assert any("/health" in event.message for event in logs.events)
        assert all(event.timestamp.tzinfo is not None for event in logs.events)
        only_health = local.logs("demo", since="10m", filter="/health")
        assert only_health.events and all("/health" in e.message for e in only_health.events)
        assert len(only_health.events) < len(logs.events)

        before = report.environment
        assert before is not None
        extended = local.extend("demo", "1d")
        assert extended.environment is not None
        assert extended.environment.expires_at > before.expires_at
        assert extended.environment.created_at == before.created_at
    finally:
        destroyed = local.destroy("demo")
    assert destroyed.outcome == "destroyed"
    with pytest.raises(urllib.error.URLError):
        get(report.endpoint + "/health")
    assert local.list() == []


def test_a_second_create_while_the_first_runs_raises_conflict(local: idp.Platform) -> None:
    slow = {"command": "sleep 2; exec python3 examples/app/server.py"}
    results: list[object] = []
    first = threading.Thread(
        target=lambda: results.append(local.create("api-service", "busy", local=slow, health_check_path="/health"))
    )
    first.start()
    try:
        # Wait until the first create has written its record (it holds the lease by then).
        deadline = time.monotonic() + 10
        while not local.list():
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert local.list()[0].status == "provisioning"
        # One create applies; the other is refused as a conflict, naming who holds it.
        with pytest.raises(idp.Conflict) as info:
            local.create("api-service", "busy", local=slow)
        error = info.value
        assert error.kind == "conflict"
        assert "being created or deployed by `deploy:" in str(error)
        assert any("idp unlock busy" in hint for hint in error.hints)
    finally:
        first.join()
        local.destroy("busy")
    assert len(results) == 1


def test_a_failing_command_marks_the_environment_failed(local: idp.Platform) -> None:
    with pytest.raises(idp.IdpError):
        local.create("api-service", "broken", local={"command": "exit 3"})
    assert [(e.name, e.status) for e in local.list()] == [("broken", "failed")]
    assert local.destroy("broken").outcome == "destroyed"


def test_local_without_a_state_dir_uses_idp_state_dir(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = {
        "schema": 1,
        "name": "seeded",
        "template": "api-service",
        "status": "active",
        "status_changed_at": "2026-01-01T00:00:00Z",
        "owner": "octocat",
        "created_at": "2026-01-01T00:00:00Z",
        "expires_at": "2026-01-02T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    path = tmp_path / "environments" / "seeded" / "metadata.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(record))
    monkeypatch.setenv("IDP_STATE_DIR", str(tmp_path))
    assert [e.name for e in idp.Platform.local().list()] == ["seeded"]


def test_list_skips_an_unreadable_record_with_a_warning(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "environments" / "broken" / "metadata.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    platform = idp.Platform.local(state_dir=tmp_path)
    with pytest.warns(RuntimeWarning, match="environments/broken/metadata.json"):
        assert platform.list() == []
