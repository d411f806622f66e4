"""Module-level functions and `idp.Config`."""

from __future__ import annotations

import datetime
import pathlib

import pytest

import idp

from conftest import ROOT


def test_parse_ttl_gives_a_timedelta() -> None:
    assert idp.parse_ttl("30m") == datetime.timedelta(minutes=30)
    assert idp.parse_ttl("12h") == datetime.timedelta(hours=12)
    assert idp.parse_ttl("7d") == datetime.timedelta(days=7)
    assert idp.parse_ttl("2w") == datetime.timedelta(weeks=2)


@pytest.mark.parametrize("text", ["", "0d", "-1h", "7 d", "1y", "9999999d"])
def test_parse_ttl_refuses_malformed_ttls(text: str) -> None:
    with pytest.raises(idp.InvalidTtl) as info:
        idp.parse_ttl(text)
    assert info.value.kind == "invalid_ttl"
    assert isinstance(info.value, ValueError)


def test_json_schema_describes_every_config_key() -> None:
    schema = idp.json_schema()
    assert isinstance(schema, dict)
    for key in ["template", "ttl", "cpu", "memory", "local", "health_check_path"]:
        assert key in schema["properties"]


def test_config_defaults_match_the_documentation() -> None:
    config = idp.Config()
    assert config.template == "api-service"
    assert config.image == "nginx:alpine"
    assert config.container_port == 80
    assert config.ttl == datetime.timedelta(days=7)
    assert (config.cpu, config.memory) == (256, 512)
    assert config.log_retention_days == 3
    assert config.health_check_path == "/"
    assert config.build_context == "."
    assert config.dockerfile is None
    assert config.environment == {}
    assert config.secrets == {}
    assert config.use_shared_networking is False
    assert config.schedule_expression is None
    assert config.s3_bucket_arn is None
    assert config.region is None
    assert config.local_command is None


def test_config_from_yaml_keeps_environment_values_as_written() -> None:
    config = idp.Config.from_yaml("cpu: 512\nmemory: 1024\nenvironment:\n  PORT: 8080\n  FLAG: no\n")
    assert (config.cpu, config.memory) == (512, 1024)
    assert config.environment == {"PORT": "8080", "FLAG": "no"}


def test_config_load_reads_the_example_file() -> None:
    config = idp.Config.load(ROOT / "examples" / "consumer" / ".idp" / "config.yml")
    assert config.template == "api-service"
    assert config.container_port == 3000
    assert config.ttl == datetime.timedelta(days=3)


def test_config_load_of_a_missing_file_raises_not_found(tmp_path: pathlib.Path) -> None:
    with pytest.raises(idp.NotFound) as info:
        idp.Config.load(tmp_path / "config.yml")
    assert isinstance(info.value, LookupError)
    assert info.value.hints


def test_config_errors_locate_every_problem_in_the_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("cpu: 256\nmemroy: 1024\n")
    with pytest.raises(idp.ConfigError) as info:
        idp.Config.load(path)
    error = info.value
    assert error.kind == "invalid_config"
    assert (error.file, error.line, error.column, error.key) == (str(path), 2, 1, "memroy")
    assert error.hints == ["did you mean `memory`?"]
    assert [e["key"] for e in error.errors] == ["memroy"]
    assert set(error.errors[0]) == {"file", "line", "column", "key", "value", "message", "fix"}
    assert f"{path}:2:1: key `memroy`" in str(error)


def test_config_from_yaml_names_the_given_path() -> None:
    with pytest.raises(idp.ConfigError) as info:
        idp.Config.from_yaml("cpu: 3\n", path="repo/.idp/config.yml")
    assert info.value.file == "repo/.idp/config.yml"
    assert info.value.key == "cpu"


def test_config_keyword_arguments_are_validated_like_the_file() -> None:
    with pytest.raises(idp.ConfigError) as info:
        idp.Config(cpu=3, container_prot=80)
    assert {e["key"] for e in info.value.errors} == {"container_prot", "cpu"}
    assert info.value.file == "<arguments>"


def test_config_keyword_arguments_that_are_not_data_raise_type_error() -> None:
    with pytest.raises(TypeError):
        idp.Config(environment={"A": object()})


def test_config_to_dict_round_trips_through_keyword_arguments() -> None:
    config = idp.Config(
        cpu=512,
        memory=1024,
        ttl="3d",
        environment={"A": 1, "B": "no"},
        local={"command": "python3 app.py"},
    )
    as_dict = config.to_dict()
    assert as_dict["ttl"] == "3d"
    assert as_dict["local"] == {"command": "python3 app.py"}
    assert as_dict["environment"] == {"A": "1", "B": "no"}
    assert idp.Config(**as_dict) == config
    assert config.local_command == "python3 app.py"
    assert idp.Config.from_yaml(config.to_yaml()) == config
    assert repr(config).startswith("Config(**{")


def test_config_is_frozen() -> None:
    config = idp.Config()
    with pytest.raises(AttributeError):
        config.cpu = 512  # type: ignore[misc]
    config.environment["X"] = "1"
    assert config.environment == {}
