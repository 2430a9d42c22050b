"""The rest-json protocol pieces of the lean client, against botocore's own service model."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.exceptions import ParamValidationError

from app.restjson import Operation, client_error

MODEL = botocore.session.get_session().get_service_model("bedrock-runtime")
ARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/team01"


def operation(name: str) -> Operation:
    return Operation(MODEL.operation_model(name))


def test_a_model_arn_is_one_encoded_path_label():
    path, _, _ = operation("Converse").serialize({"modelId": ARN, "messages": []})
    encoded = "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fteam01"
    assert path == f"/model/{encoded}/converse"


def test_blob_members_are_base64_in_the_json_body():
    image = {"image": {"format": "png", "source": {"bytes": b"\x89PNG"}}}
    _, headers, body = operation("Converse").serialize(
        {"modelId": "m", "messages": [{"role": "user", "content": [image]}]}
    )
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {
        "messages": [
            {"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": "iVBORw=="}}}]}
        ]
    }


def test_a_payload_member_is_the_raw_body_and_header_members_are_headers():
    path, headers, body = operation("InvokeModel").serialize(
        {"modelId": "m", "body": b'{"a": 1}', "contentType": "application/json", "accept": "*/*"}
    )
    assert (path, body) == ("/model/m/invoke", b'{"a": 1}')
    assert (headers["Content-Type"], headers["Accept"]) == ("application/json", "*/*")


def test_invalid_parameters_are_refused_as_botocore_refuses_them():
    with pytest.raises(ParamValidationError, match="Missing required parameter"):
        operation("Converse").serialize({"messages": []})


def test_only_post_operations_without_input_streams_are_taken():
    names = {name for name in MODEL.operation_names if Operation.supports(MODEL.operation_model(name))}
    assert {
        "Converse",
        "ConverseStream",
        "InvokeModel",
        "InvokeModelWithResponseStream",
        "CountTokens",
    } <= names
    assert not names & {"ListAsyncInvokes", "GetAsyncInvoke", "InvokeModelWithBidirectionalStream"}


@pytest.mark.parametrize(
    ("headers", "body", "code", "message"),
    [
        (
            {"x-amzn-errortype": "ThrottlingException:http://internal/"},
            b'{"message": "Slow down"}',
            "ThrottlingException",
            "Slow down",
        ),
        (
            {},
            b'{"__type": "com.amazon.bedrock#ValidationException", "Message": "Bad"}',
            "ValidationException",
            "Bad",
        ),
        ({}, b"<html>gateway timeout</html>", "504", ""),
    ],
)
def test_errors_carry_botocores_code_and_message(headers, body, code, message):
    error = client_error("Converse", 504 if code == "504" else 400, headers, body, attempts=2)
    assert (error.response["Error"], error.response["ResponseMetadata"]["RetryAttempts"]) == (
        {"Code": code, "Message": message},
        1,
    )
