"""Shared fixtures: the repository root, webhook payloads, and a fresh in-memory platform."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest

import idp

ROOT = pathlib.Path(__file__).resolve().parents[2]
WEBHOOKS = ROOT / "idp-core" / "tests" / "fixtures" / "webhooks"


def webhook(name: str) -> dict[str, Any]:
    """A recorded GitHub payload from idp-core's fixtures."""
    payload: dict[str, Any] = json.loads((WEBHOOKS / f"{name}.json").read_text())
    return payload


@pytest.fixture
def platform() -> idp.Platform:
    return idp.Platform.memory()
