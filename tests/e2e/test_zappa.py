"""The Zappa deployment: real-shaped Lambda events through Zappa's own handler, against the emulator.

The handler is configured exactly as a deployed function is: ``ZappaCLI`` reads our
``zappa_settings.json`` and writes the settings module Zappa packages, then
``zappa.handler.LambdaHandler`` loads ``wsgi.app`` from it. Only the API key source is
swapped (Secrets Manager becomes ``API_KEY``), since the emulator has no Secrets Manager.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import importlib.util
import json
import logging
import os
import pkgutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from types import SimpleNamespace

import pytest
from zappa.cli import ZappaCLI
from zappa.handler import LambdaHandler

from tests.conftest import API_KEY
from tests.e2e.conftest import ROOT
from tests.http.helpers_chat import accumulate, sse_payloads

CHAT_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0"
EMBEDDING_MODEL = "cohere.embed-english-v3"
TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gateway/0123456789abcdef"
CONTEXT = SimpleNamespace(aws_request_id="test-invocation", function_name="bedrock-gateway-production")


def stage_settings_module(stage: str) -> str:
    """The ``zappa_settings.py`` Zappa would package for ``stage``, keys from ``API_KEY``."""
    cli = ZappaCLI()
    cli.api_stage = stage
    with contextlib.chdir(ROOT):
        cli.load_settings("zappa_settings.json")
    environment = dict(cli.environment_variables)
    environment.pop("API_KEY_SECRET_ARN", None)
    cli.environment_variables = {**environment, "API_KEY": API_KEY}
    return cli.get_zappa_settings_string()


@pytest.fixture(scope="module")
def lambda_handler(emulator, tmp_path_factory):
    """Zappa's LambdaHandler for the ``production`` stage; environment and logging restored after."""
    folder = tmp_path_factory.mktemp("zappa")
    (folder / "zappa_settings_under_test.py").write_text(stage_settings_module("production"))
    saved_environ, saved_level = dict(os.environ), logging.getLogger().level
    saved_wsgi = sys.modules.pop("wsgi", None)
    sys.path.insert(0, str(folder))
    LambdaHandler._LambdaHandler__instance = None
    try:
        yield LambdaHandler("zappa_settings_under_test")
    finally:
        LambdaHandler._LambdaHandler__instance = None
        sys.path.remove(str(folder))
        sys.modules.pop("zappa_settings_under_test", None)
        sys.modules.pop("wsgi", None)
        if saved_wsgi is not None:
            sys.modules["wsgi"] = saved_wsgi
        os.environ.clear()
        os.environ.update(saved_environ)
        logging.getLogger().setLevel(saved_level)


def rest_api_event(method: str, path: str, body: dict | None = None, auth: bool = True) -> dict:
    """API Gateway REST API (payload 1.0); binary support makes every body base64."""
    headers = {
        "Accept": "*/*",
        "Content-Type": "application/json",
        "Host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "OpenAI/Python 1.0",
        "X-Amzn-Trace-Id": "Root=1-67891233-abcdef012345678912345678",
        "X-Forwarded-For": "198.51.100.7, 130.176.0.1",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if auth:
        headers["Authorization"] = f"Bearer {API_KEY}"
    raw = json.dumps(body).encode() if body is not None else None
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "httpMethod": method,
            "identity": {"sourceIp": "198.51.100.7", "userAgent": "OpenAI/Python 1.0"},
            "path": f"/production{path}",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTimeEpoch": 1732521600000,
            "resourcePath": "/{proxy+}",
            "stage": "production",
        },
        "body": base64.b64encode(raw).decode() if raw is not None else None,
        "isBase64Encoded": raw is not None,
    }


def http_api_event(method: str, path: str, body: dict | None = None, *, stage: str = "$default") -> dict:
    """HTTP API or Lambda Function URL (payload 2.0); a named HTTP API stage prefixes rawPath."""
    domain = (
        "abcdefghij.lambda-url.us-east-1.on.aws"
        if stage == "$default"
        else "k1l2m3.execute-api.us-east-1.amazonaws.com"
    )
    raw_path = path if stage == "$default" else f"/{stage}{path}"
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": "",
        "headers": {
            "accept": "*/*",
            "authorization": f"Bearer {API_KEY}",
            "content-type": "application/json",
            "host": domain,
            "user-agent": "OpenAI/Python 1.0",
            "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
            "x-forwarded-for": "198.51.100.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "anonymous" if stage == "$default" else "123456789012",
            "apiId": domain.split(".")[0],
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "OpenAI/Python 1.0",
            },
            "requestId": "b3c8a1a2-0d0e-4f5a-9c3b-deadbeef0001",
            "routeKey": "$default",
            "stage": stage,
            "time": "25/Nov/2024:07:40:00 +0000",
            "timeEpoch": 1732520400000,
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def alb_event(method: str, path: str, body: dict | None = None) -> dict:
    """An Application Load Balancer target-group event (lower-case headers, no multi-value)."""
    return {
        "requestContext": {"elb": {"targetGroupArn": TARGET_GROUP}},
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "headers": {
            "accept": "*/*",
            "authorization": f"Bearer {API_KEY}",
            "content-type": "application/json",
            "host": "gateway-123456789.us-east-1.elb.amazonaws.com",
            "user-agent": "OpenAI/Python 1.0",
            "x-amzn-trace-id": "Root=1-67891233-abcdef012345678912345678",
            "x-forwarded-for": "198.51.100.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
        },
        "body": json.dumps(body) if body is not None else "",
        "isBase64Encoded": False,
    }


def chat_body(text: str, **extra) -> dict:
    return {"model": CHAT_MODEL, "messages": [{"role": "user", "content": text}], **extra}


def header(response: dict, name: str) -> str:
    headers = {key.lower(): value for key, value in response.get("headers", {}).items()}
    return headers[name.lower()]


def json_of(response: dict) -> dict:
    assert response.get("isBase64Encoded", False) is False
    return json.loads(response["body"])


EVENTS = {
    "rest_api": rest_api_event,
    "http_api_stage": lambda method, path, body=None: http_api_event(method, path, body, stage="production"),
    "function_url": http_api_event,
    "alb": alb_event,
}


@pytest.fixture(params=sorted(EVENTS))
def event_for(request):
    return EVENTS[request.param]


def test_health_answers_through_every_event_source(lambda_handler, event_for):
    response = lambda_handler.handler(event_for("GET", "/health"), CONTEXT)
    assert response["statusCode"] == 200
    assert json_of(response) == {"status": "ok"}
    assert header(response, "Content-Type") == "application/json"


def test_models_are_listed_with_a_bearer_key(lambda_handler, event_for):
    response = lambda_handler.handler(event_for("GET", "/v1/models"), CONTEXT)
    assert response["statusCode"] == 200
    body = json_of(response)
    assert body["object"] == "list"
    assert CHAT_MODEL in {model["id"] for model in body["data"]}


def test_missing_key_is_an_openai_401(lambda_handler):
    response = lambda_handler.handler(rest_api_event("GET", "/api/v1/models", auth=False), CONTEXT)
    assert response["statusCode"] == 401
    assert json_of(response)["error"]["code"] == "missing_api_key"
    assert json_of(response)["error"]["type"] == "authentication_error"


def test_chat_completion_returns_the_whole_reply(lambda_handler, event_for):
    event = event_for("POST", "/v1/chat/completions", chat_body("@@reply Hello from Lambda"))
    response = lambda_handler.handler(event, CONTEXT)
    assert response["statusCode"] == 200
    completion = json_of(response)
    assert completion["object"] == "chat.completion"
    message = completion["choices"][0]["message"]
    assert (message["role"], message["content"]) == ("assistant", "Hello from Lambda")
    assert completion["choices"][0]["finish_reason"] == "stop"


def test_streaming_chat_is_delivered_whole_and_still_parses_as_sse(lambda_handler, event_for):
    event = event_for("POST", "/v1/chat/completions", chat_body("@@words 40", stream=True))
    response = lambda_handler.handler(event, CONTEXT)
    assert response["statusCode"] == 200
    assert header(response, "Content-Type").startswith("text/event-stream")
    assert header(response, "Cache-Control") == "no-cache"
    assert response.get("isBase64Encoded", False) is False
    assert response["body"].endswith("data: [DONE]\n\n")
    payloads = sse_payloads(response["body"].encode())
    assert payloads[-1] == "[DONE]"
    rebuilt = accumulate(payloads[:-1])
    assert rebuilt["message"]["content"] == " ".join(f"word{n}" for n in range(1, 41))
    assert rebuilt["finish_reason"] == "stop"


def test_embeddings_are_returned_in_order(lambda_handler, event_for):
    body = {"model": EMBEDDING_MODEL, "input": ["first text", "second text"]}
    response = lambda_handler.handler(event_for("POST", "/v1/embeddings", body), CONTEXT)
    assert response["statusCode"] == 200
    result = json_of(response)
    assert [item["index"] for item in result["data"]] == [0, 1]
    assert {len(item["embedding"]) for item in result["data"]} == {1024}
    assert result["model"] == EMBEDDING_MODEL


def test_an_alb_response_carries_the_status_description_alb_requires(lambda_handler):
    response = lambda_handler.handler(alb_event("GET", "/health"), CONTEXT)
    assert response["statusDescription"] == "200 OK"
    assert response["isBase64Encoded"] is False


def test_a_gateway_error_keeps_its_status_and_openai_body_through_lambda(lambda_handler):
    event = http_api_event("POST", "/v1/chat/completions", chat_body("hi", model="no-such-model"))
    response = lambda_handler.handler(event, CONTEXT)
    assert response["statusCode"] == 404
    assert json_of(response)["error"]["code"] == "model_not_found"


@pytest.fixture(scope="module", params=["production", "dev", "production_apigateway"])
def cli(request):
    """``zappa_settings.json`` for one stage, as Zappa itself reads it."""
    cli = ZappaCLI()
    cli.api_stage = request.param
    with contextlib.chdir(ROOT):
        cli.load_settings("zappa_settings.json")
    return cli


class TestStages:
    """What each stage in zappa_settings.json deploys."""

    def test_every_stage_serves_wsgi_app_on_a_supported_python(self, cli):
        assert cli.app_function == "wsgi.app"
        assert cli.runtime in {"python3.11", "python3.12"}
        assert cli.manage_roles is True

    def test_the_lambda_outlives_the_gateways_own_bedrock_timeout(self, cli):
        env = cli.environment_variables
        read_timeout = float(env["BEDROCK_READ_TIMEOUT"])
        assert read_timeout + float(env.get("BEDROCK_CONNECT_TIMEOUT", 5)) < cli.timeout_seconds
        if cli.use_apigateway:
            # API Gateway stops waiting at 29 s: the gateway's own 504 must come first.
            assert read_timeout < 29 and env["BEDROCK_MAX_ATTEMPTS"] == "1"

    def test_the_role_may_call_only_what_the_gateway_uses(self, cli):
        policy = json.loads(cli.zappa.attach_policy)
        actions = sorted(action for statement in policy["Statement"] for action in statement["Action"])
        assert actions == [
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream",
            "bedrock:ListFoundationModels",
            "bedrock:ListInferenceProfiles",
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "s3:DeleteObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:PutObject",
            "secretsmanager:GetSecretValue",
            "ssm:GetParameter",
        ]

    def test_every_stage_stores_responses_in_s3_where_the_role_may_write(self, cli):
        # Lambda's disk is neither shared between instances nor kept: only S3 works there.
        bucket, _, prefix = cli.environment_variables["RESPONSES_STORE"].removeprefix("s3://").partition("/")
        policy = json.loads(cli.zappa.attach_policy)
        objects = next(s["Resource"] for s in policy["Statement"] if s["Sid"] == "StoredResponses")
        assert fnmatch.fnmatch(f"arn:aws:s3:::{bucket}/{prefix}/resp_1.json.gz", objects)

    def test_the_build_ships_bytecode_instead_of_compiling_on_every_cold_start(self, cli):
        assert cli.prebuild_script == "deploy.lambda_bytecode.compile_all"
        assert "*.pyc" not in cli.stage_config["exclude"]
        # Found the way Zappa finds it: a module in the named folder of the working directory.
        spec = pkgutil.get_importer(str(ROOT / "deploy")).find_spec("lambda_bytecode")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert callable(module.compile_all)

    def test_the_package_leaves_out_tests_and_the_emulator(self, cli):
        assert {"tests", "soak", "bench", "app/emulator"} <= set(cli.stage_config["exclude_glob"])

    def test_the_package_keeps_every_module_the_app_imports(self, cli, app_module_files):
        # `exclude` names match any file or folder at any depth (botocore/docs is needed at runtime);
        # `exclude_glob` paths are relative to the package root.
        names, paths = cli.stage_config["exclude"], cli.stage_config["exclude_glob"]
        for path in app_module_files:
            assert not [part for part in path.parts for name in names if fnmatch.fnmatch(part, name)], path
            assert not [glob for glob in paths if path.match(glob) or path.is_relative_to(glob)], path


@pytest.fixture(scope="module")
def app_module_files(emulator) -> list[PurePosixPath]:
    """Every module the app loads, at import or at first use, relative to site-packages or the root."""
    script = (
        "import sys, wsgi, app.rate_windows\n"
        "wsgi.app.test_client().get('/openapi.json')\n"
        "for module in list(sys.modules.values()): print(getattr(module, '__file__', None))"
    )
    env = {**os.environ, "API_KEY": API_KEY}
    listed = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    roots = [Path(path) for path in sys.path if path.endswith("site-packages")] + [ROOT]
    files = []
    for line in listed.stdout.splitlines():
        for root in roots if line != "None" else ():
            if Path(line).is_relative_to(root):
                files.append(PurePosixPath(Path(line).relative_to(root)))
                break
    assert any(str(path).startswith("botocore/docs/") for path in files)
    assert any(str(path).startswith("apispec/") for path in files)
    assert any(str(path).startswith("limits/") for path in files)
    return files
