"""API keys from Secrets Manager and SSM, read through real boto3 over HTTP.

moto's server stands in for the two AWS services (a real HTTP server speaking their wire
protocol, as the emulator does for Bedrock); boto3 itself is not patched.
"""

import boto3
import pytest
from moto.server import ThreadedMotoServer

from app.auth import load_keys
from app.local import free_port
from app.settings import ConfigError, Settings


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
    assert load_keys(settings) == (b"sk-a", b"sk-b")


def test_keys_from_a_plain_secret_string(aws):
    arn = aws["secrets"].create_secret(Name="gw/plain", SecretString="sk-plain")["ARN"]
    assert load_keys(Settings(api_key_secret_arn=arn, aws_region="us-east-1")) == (b"sk-plain",)


def test_keys_from_an_ssm_secure_string_combine_with_api_key(aws):
    aws["ssm"].put_parameter(Name="/gw/key", Value="sk-ssm", Type="SecureString")
    settings = Settings(api_keys=("sk-env",), api_key_param_name="/gw/key", aws_region="us-east-1")
    assert load_keys(settings) == (b"sk-env", b"sk-ssm")


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
