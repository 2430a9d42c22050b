"""HTTP response builders shared by the handlers (JSON bodies, AWS-format errors)."""

import json

from werkzeug.wrappers import Response

from app.emulator.errors import BedrockError, error_json, validation


def json_response(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")


def error_response(err: BedrockError) -> Response:
    """restJson1 error: status from the shape, x-amzn-ErrorType header, {"message"} body."""
    return Response(
        error_json(err), status=err.status, headers=err.headers(), content_type="application/json"
    )


def parse_json_body(raw: bytes) -> dict:
    """The request body as a JSON object, or the ValidationException Bedrock sends."""
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise validation("Malformed input request, please reformat your input and try again.")
    return body


def loggable(raw: bytes):
    """The request body for the request log: parsed JSON when possible, else text."""
    try:
        return json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace")
