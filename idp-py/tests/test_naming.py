import pytest

import idp


def test_env_name_follows_the_documented_examples():
    assert idp.env_name("feature/payment-api") == "preview-payment-api"
    assert idp.env_name("release/v2.0") == "preview-v2-0"


def test_a_branch_without_letters_raises_invalid_name():
    with pytest.raises(idp.InvalidName) as info:
        idp.env_name("///")
    assert isinstance(info.value, idp.IdpError)


def test_check_env_name_rejects_double_hyphens():
    assert idp.check_env_name("my-app") == "my-app"
    with pytest.raises(ValueError):
        idp.check_env_name("my--app")
