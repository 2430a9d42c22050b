"""Error wire format, every error shape via @@fault, transient faults and retries."""

import json
import urllib.error
import urllib.request

import pytest
from botocore.loaders import Loader
from emulator_helpers import ask, get_json, make_client

RUNTIME_MODEL = Loader().load_service_model("bedrock-runtime", "service-2")
ERROR_SHAPES = sorted(n for n, s in RUNTIME_MODEL["shapes"].items() if s.get("exception"))
CONVERSE_ERRORS = [e["shape"] for e in RUNTIME_MODEL["operations"]["Converse"]["errors"]]


def status_of(shape: str) -> int:
    return RUNTIME_MODEL["shapes"][shape]["error"]["httpStatusCode"]


def test_botocore_model_has_twelve_runtime_error_shapes():
    assert len(ERROR_SHAPES) == 12


@pytest.mark.parametrize("shape", ERROR_SHAPES)
def test_fault_directive_raises_each_error_shape_with_its_status(runtime, shape):
    with pytest.raises(getattr(runtime.exceptions, shape)) as info:
        ask(runtime, f"@@fault {shape} message=scripted {shape}")
    error = info.value.response
    assert error["Error"]["Code"] == shape
    assert error["Error"]["Message"] == f"scripted {shape}"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status_of(shape)


@pytest.mark.parametrize("shape", CONVERSE_ERRORS)
def test_converse_declared_errors_also_raise_on_invoke_model(runtime, shape):
    body = json.dumps({"inputText": f"hello\n@@fault {shape}"})
    with pytest.raises(getattr(runtime.exceptions, shape)):
        runtime.invoke_model(modelId="amazon.titan-embed-text-v1", body=body)


def test_error_response_has_aws_error_type_header_and_json_body(emulator):
    request = urllib.request.Request(
        f"{emulator.url}/model/acme.nothing/converse",
        data=json.dumps({"messages": []}).encode(),
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    response = info.value
    assert response.code == 400
    assert response.headers["x-amzn-ErrorType"] == (
        "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"
    )
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"]
    assert json.loads(response.read()) == {"message": "The provided model identifier is invalid."}


def test_unknown_route_is_404_unknown_operation(emulator):
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{emulator.url}/no/such/thing")
    assert info.value.code == 404
    assert info.value.headers["x-amzn-ErrorType"].startswith("UnknownOperationException:")
    assert "Unknown operation" in json.loads(info.value.read())["message"]


def test_transient_fault_fails_first_k_requests_then_succeeds_under_retries(emulator):
    client = make_client(
        emulator.url, "bedrock-runtime", retries={"mode": "standard", "total_max_attempts": 3}
    )
    response = ask(client, "@@fault ThrottlingException times=2 id=flaky-1\n@@reply finally")
    client.close()
    assert response["output"]["message"]["content"] == [{"text": "finally"}]
    assert get_json(f"{emulator.url}/_emulator/stats")["calls"]["Converse"] == 3


def test_transient_fault_state_is_per_id(runtime):
    with pytest.raises(runtime.exceptions.ServiceUnavailableException):
        ask(runtime, "@@fault ServiceUnavailableException times=1 id=a")
    with pytest.raises(runtime.exceptions.ServiceUnavailableException):
        ask(runtime, "@@fault ServiceUnavailableException times=1 id=b")
    assert ask(runtime, "@@fault ServiceUnavailableException times=1 id=a")["stopReason"] == "end_turn"


def test_fault_without_times_always_fails(runtime):
    for _ in range(3):
        with pytest.raises(runtime.exceptions.ModelTimeoutException):
            ask(runtime, "@@fault ModelTimeoutException")


def test_fault_accepts_stream_member_spelling(runtime):
    with pytest.raises(runtime.exceptions.ThrottlingException):
        ask(runtime, "@@fault throttlingException")


@pytest.mark.parametrize(
    ("directive", "fragment"),
    [
        ("@@fault NoSuchException", "Unknown error shape"),
        ("@@bogus", "Unknown emulator directive: @@bogus"),
        ("@@words many", "needs an integer"),
        ("@@stop because", "Unknown stop reason"),
        ("@@tool f [1]", "must be a JSON object"),
        ("@@usage tokens=3", "Unknown @@usage field"),
        ("@@fault ThrottlingException when=later", "before or midstream"),
    ],
)
def test_malformed_directives_are_validation_errors(runtime, directive, fragment):
    with pytest.raises(runtime.exceptions.ValidationException, match=fragment):
        ask(runtime, directive)
