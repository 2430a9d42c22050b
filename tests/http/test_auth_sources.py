"""API keys from Secrets Manager and SSM, read through real boto3 over HTTP.

moto's server stands in for the two AWS services (a real HTTP server speaking their wire
protocol, as the emulator does for Bedrock); boto3 itself is not patched.
"""

import time
from functools import partial

import boto3
import pytest
from moto.server import ThreadedMotoServer

from app.auth import load_keys
from app.keys import digest_of
from app.local import free_port
from app.settings import ConfigError, Settings


def named(keys) -> list[tuple[str, str]]:
    """Each key's name, with the plaintext its digest was made from (among the test keys)."""
    plaintexts = {digest_of(k): k for k in ("sk-a", "sk-b", "sk-plain", "sk-env", "sk-ssm", "sk-team")}
    return [(key.name, plaintexts.get(key.digest, "?")) for key in keys]


@pytest.fixture(scope="module")
def aws_services():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(aws_services, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", aws_services)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", aws_services)
    return {
        "secrets": boto3.client("secretsmanager", endpoint_url=aws_services, region_name="us-east-1"),
        "ssm": boto3.client("ssm", endpoint_url=aws_services, region_name="us-east-1"),
    }


def test_keys_from_a_json_secret_field(aws):
    arn = aws["secrets"].create_secret(Name="gw/json", SecretString='{"api_key": "sk-a, sk-b"}')["ARN"]
    settings = Settings(api_key_secret_arn=arn, aws_region="us-east-1")
    assert named(load_keys(settings)) == [("key-1", "sk-a"), ("key-2", "sk-b")]


def test_keys_from_a_plain_secret_string(aws):
    arn = aws["secrets"].create_secret(Name="gw/plain", SecretString="sk-plain")["ARN"]
    keys = load_keys(Settings(api_key_secret_arn=arn, aws_region="us-east-1"))
    assert named(keys) == [("key-1", "sk-plain")]


def test_keys_from_an_ssm_secure_string_combine_with_api_key(aws):
    aws["ssm"].put_parameter(Name="/gw/key", Value="sk-ssm", Type="SecureString")
    settings = Settings(api_keys=("sk-env",), api_key_param_name="/gw/key", aws_region="us-east-1")
    assert named(load_keys(settings)) == [("key-1", "sk-env"), ("key-2", "sk-ssm")]


def test_the_served_app_accepts_a_key_from_secrets_manager(aws, make_app):
    arn = aws["secrets"].create_secret(Name="gw/app", SecretString='{"api_key": "sk-from-secret"}')["ARN"]
    client = make_app(api_keys=(), api_key_secret_arn=arn).test_client()
    assert client.get("/v1/models", headers={"Authorization": "Bearer sk-from-secret"}).status_code == 200
    assert client.get("/v1/models", headers={"Authorization": "Bearer sk-test-key"}).status_code == 401


def test_a_missing_parameter_stops_startup_without_naming_secrets(aws):
    with pytest.raises(ConfigError) as caught:
        load_keys(Settings(api_key_param_name="/gw/none", aws_region="us-east-1"))
    assert str(caught.value.problems) == "['could not load the API key: ParameterNotFound']"


def test_an_empty_secret_field_is_refused(aws):
    arn = aws["secrets"].create_secret(Name="gw/empty", SecretString='{"other": "x"}')["ARN"]
    with pytest.raises(ConfigError, match="holds no key"):
        load_keys(Settings(api_key_secret_arn=arn, aws_region="us-east-1"))


def test_a_registry_in_secrets_manager_combines_with_api_key(aws):
    registry = '{"keys": [{"name": "team-a", "key": "sk-team", "models": ["cohere.*"], "rpm": 5}]}'
    arn = aws["secrets"].create_secret(Name="gw/registry", SecretString=registry)["ARN"]
    keys = load_keys(Settings(api_keys=("sk-env",), api_key_secret_arn=arn, aws_region="us-east-1"))
    assert named(keys) == [("key-1", "sk-env"), ("team-a", "sk-team")]
    assert (keys[1].models, keys[1].rpm, keys[1].tpm) == (("cohere.*",), 5, None)


def test_a_registry_in_ssm_is_read_again_on_refresh(aws, make_app):
    put = partial(aws["ssm"].put_parameter, Name="/gw/registry", Type="SecureString", Overwrite=True)
    put(Value='{"keys": [{"name": "old", "key": "sk-a"}]}')
    client = make_app(api_keys=(), api_key_param_name="/gw/registry", keys_refresh_seconds=1).test_client()
    assert client.get("/v1/models", headers={"Authorization": "Bearer sk-a"}).status_code == 200
    put(Value='{"keys": [{"name": "new", "key": "sk-b"}]}')
    time.sleep(1.1)
    assert client.get("/v1/models", headers={"Authorization": "Bearer sk-b"}).status_code == 200
    assert client.get("/v1/models", headers={"Authorization": "Bearer sk-a"}).status_code == 401
