"""The request's JSON body: decoded, parsed and bounded before any schema sees it."""

from __future__ import annotations

import zlib

import orjson
from flask import request
from werkzeug.wsgi import get_content_length

from app.api.services import settings
from app.errors import InvalidRequestError, RequestTooLargeError, UnsupportedMediaTypeError

_BOM = b"\xef\xbb\xbf"
# zlib's wbits: gzip framing, zlib framing, or either (what "deflate" means in practice).
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 32 + zlib.MAX_WBITS}


def json_body(deployment: str | None = None, max_bytes: int | None = None) -> dict:
    """The request's JSON object, whatever its Content-Type; 400 for anything else.

    Azure OpenAI clients name the model in the path (``/deployments/<model>/...``);
    there, as on Azure, the path's model wins over the body's. ``max_bytes`` overrides
    MAX_REQUEST_BYTES for a route with its own limit (set on the request before reading).
    """
    limit = max_bytes or settings().max_request_bytes
    raw = _decoded(_raw_body(), request.headers.get("Content-Encoding", ""), limit)
    try:
        body = orjson.loads(raw.removeprefix(_BOM))
    except orjson.JSONDecodeError:
        raise InvalidRequestError(
            "We could not parse the JSON body of your request. The body must be a JSON object."
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    check_shape(body, settings().max_json_depth)
    if deployment is not None:
        body["model"] = deployment
    return body


def _raw_body() -> bytes:
    raw = request.get_data(cache=False)
    cap = request.max_content_length
    if get_content_length(request.environ) is None and cap is not None and len(raw) >= cap:
        # Werkzeug stops reading a chunked body (no Content-Length) at the cap, silently.
        raise RequestTooLargeError("The request body is too large.")
    return raw


def _decoded(raw: bytes, encoding: str, limit: int) -> bytes:
    """Undo a gzip or deflate Content-Encoding, refusing to inflate past ``limit`` bytes."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return raw
    wbits = _DECODERS.get(encoding)
    if wbits is None:
        raise UnsupportedMediaTypeError(
            f"Content-Encoding `{encoding}` is not supported: send the body as is, or gzip or deflate it."
        )
    inflater = zlib.decompressobj(wbits)
    try:
        body = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise InvalidRequestError(f"The request body is not valid {encoding} data.") from None
    if len(body) > limit:
        raise RequestTooLargeError("The request body is too large once decompressed.")
    if not inflater.eof:
        raise InvalidRequestError(f"The request body is truncated {encoding} data.")
    return body


def check_shape(value: object, max_depth: int) -> None:
    """Refuse deep nesting, walking iteratively so a hostile body cannot exhaust the stack.

    orjson has already refused invalid UTF-8 and lone surrogates ("\ud800") as bad JSON.
    """
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > max_depth:
            raise InvalidRequestError(f"The request body is nested deeper than {max_depth} levels.")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
