"""``DEBUG_LOG_PAYLOADS``: log each request body and JSON answer, with keys redacted.

Off by default, because payloads hold user content. When on, the lines go out at DEBUG
on the ``app.payload_log`` logger whatever ``LOG_LEVEL`` says. The key the client
presented is replaced wherever it appears, image
data is shortened, and streams are noted without their chunks.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, g, request

from app.auth import presented_key
from app.settings import Settings

log = logging.getLogger(__name__)

EXTENSION = "payload_log"
REDACTED = "<redacted>"
MAX_CHARS = 8000
_BASE64_DATA = re.compile(r"(data:[\w/+.-]*;base64,)([A-Za-z0-9+/=]{64,})")


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced, image data shortened, and the whole capped."""
    for secret in sorted(filter(None, secrets), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _BASE64_DATA.sub(lambda match: f"{match.group(1)}<{len(match.group(2))} characters>", text)
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + f"… ({len(text)} characters)"


def _secrets() -> list[str]:
    """Whatever key this request presented (the registry keeps only digests of the others)."""
    return [presented_key(), request.headers.get("x-api-key", ""), request.headers.get("api-key", "")]


def _log_request() -> None:
    body = request.get_data(cache=True).decode("utf-8", "replace")
    request_id = g.get("request_id", "-")
    log.debug("request %s %s %s %s", request_id, request.method, request.path, redact(body, _secrets()))


def _log_response(response: Response) -> Response:
    request_id = g.get("request_id", "-")
    if response.is_streamed:
        log.debug("response %s %s (stream)", request_id, response.status_code)
    else:
        body = redact(response.get_data(as_text=True), _secrets())
        log.debug("response %s %s %s", request_id, response.status_code, body)
    return response


def init_app(app: Flask, settings: Settings) -> None:
    """Register the logging hooks when the switch is on; a second call changes nothing."""
    if not settings.debug_log_payloads or app.extensions.get(EXTENSION):
        return
    app.extensions[EXTENSION] = True
    log.setLevel(logging.DEBUG)
    app.before_request(_log_request)
    app.after_request(_log_response)
