"""Settings are read from the environment once, validated together, and never leak keys."""

import pytest

from app.settings import ConfigError, Settings

BASE = {"API_KEY": "sk-one"}


def test_defaults_match_the_reference_project():
    settings = Settings.from_env(BASE)
    assert settings.api_route_prefix == "/api/v1"
    assert settings.default_model == "anthropic.claude-3-5-sonnet-20240620-v1:0"
    assert settings.default_embedding_model == "cohere.embed-multilingual-v3"
    assert settings.api_keys == ("sk-one",)
    assert settings.model_aliases == {}


def test_several_api_keys_are_split_on_commas():
    assert Settings.from_env({"API_KEY": " a , b,,c "}).api_keys == ("a", "b", "c")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            '{"gpt-4o": "us.anthropic.claude-sonnet-4-20250514-v1:0"}',
            {"gpt-4o": "us.anthropic.claude-sonnet-4-20250514-v1:0"},
        ),
        (
            "fast=amazon.nova-micro-v1:0, smart=us.deepseek.r1-v1:0",
            {"fast": "amazon.nova-micro-v1:0", "smart": "us.deepseek.r1-v1:0"},
        ),
        ("", {}),
    ],
)
def test_model_aliases_accept_json_or_pairs(raw, expected):
    assert Settings.from_env({**BASE, "MODEL_ALIASES": raw}).model_aliases == expected


@pytest.mark.parametrize(
    ("raw", "expected"), [("api/v2", "/api/v2"), ("/custom/", "/custom"), ("/v1", "/v1")]
)
def test_route_prefix_is_normalised(raw, expected):
    assert Settings.from_env({**BASE, "API_ROUTE_PREFIX": raw}).api_route_prefix == expected


def test_aws_default_region_is_used_when_aws_region_is_absent():
    assert Settings.from_env({**BASE, "AWS_DEFAULT_REGION": "eu-west-1"}).aws_region == "eu-west-1"


def test_every_bad_variable_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(
            {**BASE, "BEDROCK_READ_TIMEOUT": "soon", "DISABLE_AUTH": "maybe", "BEDROCK_MAX_ATTEMPTS": "0"}
        )
    problems = caught.value.problems
    assert [problem.split("=")[0] for problem in problems] == [
        "DISABLE_AUTH",
        "BEDROCK_READ_TIMEOUT",
        "BEDROCK_MAX_ATTEMPTS",
    ]


def test_refuses_to_start_without_any_key_source():
    with pytest.raises(ConfigError, match="no API key configured"):
        Settings.from_env({})


def test_auth_may_be_disabled_explicitly():
    assert Settings.from_env({"DISABLE_AUTH": "true"}).disable_auth is True


def test_key_source_may_be_a_secret_or_a_parameter():
    assert Settings.from_env({"API_KEY_SECRET_ARN": "arn:aws:secretsmanager:x"}).has_key_source
    assert Settings.from_env({"API_KEY_PARAM_NAME": "/gateway/key"}).has_key_source


def test_a_bad_api_key_value_is_never_echoed():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"API_KEY": "sk-secret", "MODEL_ALIASES": "nonsense"})
    assert "sk-secret" not in str(caught.value)
    assert "MODEL_ALIASES='nonsense'" in str(caught.value)


def test_replace_returns_a_changed_copy():
    settings = Settings.from_env(BASE)
    changed = settings.replace(enable_prompt_caching=True)
    assert changed.enable_prompt_caching and not settings.enable_prompt_caching


def test_image_size_cannot_exceed_what_bedrock_accepts():
    assert Settings.from_env({**BASE, "IMAGE_MAX_BYTES": "1000000"}).image_max_bytes == 1_000_000
    with pytest.raises(ConfigError, match="at most 3750000"):
        Settings.from_env({**BASE, "IMAGE_MAX_BYTES": "5000000"})


@pytest.mark.parametrize(("raw", "expected"), [(None, "lean"), ("boto3", "boto3"), (" LEAN ", "lean")])
def test_bedrock_client_is_lean_unless_boto3_is_asked_for(raw, expected):
    environ = BASE if raw is None else {**BASE, "BEDROCK_CLIENT": raw}
    assert Settings.from_env(environ).bedrock_client == expected


def test_an_unknown_bedrock_client_is_a_config_error():
    with pytest.raises(ConfigError, match="BEDROCK_CLIENT='requests': must be lean or boto3"):
        Settings.from_env({**BASE, "BEDROCK_CLIENT": "requests"})


def test_a_registry_alone_is_a_key_source():
    assert Settings.from_env({"API_KEYS_JSON": '{"keys": []}'}).api_keys_json == '{"keys": []}'


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"KEYS_REFRESH_SECONDS": "0.5"}, "KEYS_REFRESH_SECONDS='0.5': must be 0 (never) or at least 1"),
        (
            {"RATE_LIMIT_STORAGE_URI": "memcached://cache:11211"},
            "RATE_LIMIT_STORAGE_URI=<redacted>: must be memory:// or a redis URI "
            "(redis, rediss, redis+unix, redis+cluster, redis+sentinel)",
        ),
        ({"RATE_LIMIT_FAIL_OPEN": "perhaps"}, "RATE_LIMIT_FAIL_OPEN='perhaps': expected true or false"),
    ],
)
def test_key_and_limit_settings_are_checked(env, problem):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({**BASE, **env})
    assert caught.value.problems == [problem]


def test_limit_settings_default_to_one_process_and_failing_open():
    settings = Settings.from_env(BASE)
    assert (
        settings.rate_limit_storage_uri,
        settings.rate_limit_fail_open,
        settings.keys_refresh_seconds,
    ) == (
        "memory://",
        True,
        0.0,
    )
