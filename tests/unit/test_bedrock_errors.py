"""Every Bedrock exception maps to an OpenAI-style status, type and Retry-After."""

import botocore.loaders
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    ReadTimeoutError,
)

from app import errors
from app.bedrock import ERROR_MAP, from_client_error, translate_errors


def _error_shapes(service: str) -> set[str]:
    model = botocore.loaders.Loader().load_service_model(service, "service-2")
    return {name for name, shape in model["shapes"].items() if shape.get("exception")}


def test_every_bedrock_runtime_exception_is_mapped():
    assert _error_shapes("bedrock-runtime") - set(ERROR_MAP) == set()


def _client_error(code: str, status: int, message: str = "upstream says no", headers=None) -> ClientError:
    response = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}},
    }
    return ClientError(response, "Converse")


@pytest.mark.parametrize(
    ("code", "status", "type_", "retry_after"),
    [
        ("ValidationException", 400, "invalid_request_error", None),
        ("ConflictException", 409, "invalid_request_error", None),
        ("AccessDeniedException", 403, "permission_error", None),
        ("ResourceNotFoundException", 404, "invalid_request_error", None),
        ("ThrottlingException", 429, "rate_limit_error", 1),
        ("ServiceQuotaExceededException", 429, "rate_limit_error", 10),
        ("ModelNotReadyException", 429, "rate_limit_error", 5),
        ("ModelTimeoutException", 504, "server_error", None),
        ("ServiceUnavailableException", 503, "server_error", 1),
        ("InternalServerException", 502, "server_error", None),
        ("ModelErrorException", 502, "server_error", None),
        ("ModelStreamErrorException", 502, "server_error", None),
    ],
)
def test_client_errors_map_to_status_type_and_retry_after(code, status, type_, retry_after):
    mapped = from_client_error(_client_error(code, 400))
    assert (mapped.status, mapped.type, mapped.retry_after) == (status, type_, retry_after)


def test_validation_message_reaches_the_client_unchanged():
    mapped = from_client_error(_client_error("ValidationException", 400, "The model is unsupported."))
    assert mapped.to_body() == {
        "error": {
            "message": "The model is unsupported.",
            "type": "invalid_request_error",
            "param": None,
            "code": "validation",
        }
    }


def test_access_denied_hides_the_iam_details():
    secret = "User: arn:aws:sts::123456789012:assumed-role/gateway is not authorized"
    mapped = from_client_error(_client_error("AccessDeniedException", 403, secret))
    assert "123456789012" not in mapped.message
    assert mapped.status == 403


def test_upstream_retry_after_header_wins():
    mapped = from_client_error(_client_error("ThrottlingException", 429, headers={"retry-after": "7"}))
    assert mapped.retry_after == 7


def test_unknown_codes_fall_back_on_their_http_status():
    assert from_client_error(_client_error("BrandNewException", 418)).status == 400
    assert from_client_error(_client_error("BrandNewException", 500)).status == 502


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (ConnectTimeoutError(endpoint_url="http://x"), errors.UpstreamTimeoutError),
        (ReadTimeoutError(endpoint_url="http://x"), errors.UpstreamTimeoutError),
        (EndpointConnectionError(endpoint_url="http://x"), errors.UpstreamError),
        (NoCredentialsError(), errors.UpstreamError),
        (ParamValidationError(report="Invalid length for parameter x"), errors.InvalidRequestError),
    ],
)
def test_connection_and_client_side_failures_are_mapped(exc, cls):
    with pytest.raises(cls) as caught, translate_errors():
        raise exc
    assert type(caught.value) is cls
    assert caught.value.__cause__ is exc


@pytest.mark.parametrize(
    "message",
    [
        "Input is too long for requested model.",
        "prompt is too long: 210000 tokens > 200000 maximum",
        "The input exceeds the model's maximum context length.",
        "Too many input tokens. Max input tokens: 128000, request input token count: 130000",
    ],
)
def test_context_overflow_is_context_length_exceeded_with_bedrocks_words(message):
    mapped = from_client_error(_client_error("ValidationException", 400, message))
    assert (mapped.status, mapped.to_body()) == (
        400,
        {
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": None,
                "code": "context_length_exceeded",
            }
        },
    )


def test_a_streamed_context_overflow_is_mapped_the_same_way():
    error = _client_error("validationException", 400, "Input is too long for requested model.")
    mapped = from_client_error(error)
    assert mapped.code == "context_length_exceeded"


def test_other_validation_errors_keep_their_code():
    mapped = from_client_error(_client_error("ValidationException", 400, "The model is unsupported."))
    assert mapped.code == "validation"
