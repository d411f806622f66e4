"""Branch → environment name, and names typed by hand."""

from __future__ import annotations

import pytest

import idp


def test_env_name_follows_the_documented_examples() -> None:
    assert idp.env_name("feature/payment-api") == "preview-payment-api"
    assert idp.env_name("release/v2.0") == "preview-v2-0"
    assert idp.env_name("HOTFIX/Critical_Issue") == "preview-critical-issue"


def test_a_branch_without_letters_raises_invalid_name() -> None:
    with pytest.raises(idp.InvalidName) as info:
        idp.env_name("///")
    assert isinstance(info.value, idp.IdpError)
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "invalid_name"


def test_check_env_name_rejects_double_hyphens() -> None:
    assert idp.check_env_name("my-app") == "my-app"
    with pytest.raises(idp.InvalidName):
        idp.check_env_name("my--app")
