"""OPTIONS answers, and CORS for browser clients (off unless ``ALLOWED_ORIGINS`` names origins, or ``*``)."""

from __future__ import annotations

from flask import Flask, Response, request
from flask.globals import request_ctx

from app.settings import Settings

ALLOWED_HEADERS = "Authorization, Api-Key, Content-Type, OpenAI-Organization, OpenAI-Project, X-Request-Id"
ALLOWED_METHODS = "GET, POST, OPTIONS"
# Not CORS-safelisted, and read by the SDKs: retries honour Retry-After; errors carry the request id.
EXPOSED_HEADERS = "Retry-After, X-Request-Id"


def allowed_origin(origin: str, allowed: tuple[str, ...]) -> str | None:
    """The value for Access-Control-Allow-Origin, or None; credentials are never allowed."""
    if not origin:
        return None
    if "*" in allowed:
        return "*"
    return origin if origin in allowed else None


def allowed_headers(requested: str) -> str:
    """Ours, plus what a preflight asks for: the OpenAI JS SDK adds x-stainless-* headers."""
    known = {name.strip().lower() for name in ALLOWED_HEADERS.split(",")}
    extra = [
        name.strip() for name in requested.split(",") if name.strip() and name.strip().lower() not in known
    ]
    return ", ".join([ALLOWED_HEADERS, *extra])


def answer_options() -> Response | None:
    """``OPTIONS`` on a known route: 204 with ``Allow``, not Flask's empty text/html 200."""
    if request.method != "OPTIONS":
        return None
    known = request.url_rule is not None
    # An unknown URL is a JSON 404, except for a browser's preflight, which only needs CORS headers.
    if not known and not request.headers.get("Access-Control-Request-Method"):
        return None
    response = Response(status=204)
    del response.headers["Content-Type"]
    if known:
        response.allow.update(request_ctx.url_adapter.allowed_methods())
    return response


def init_app(app: Flask, settings: Settings) -> None:
    app.before_request(answer_options)
    if not settings.allowed_origins:
        return

    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        origin = allowed_origin(request.headers.get("Origin", ""), settings.allowed_origins)
        if origin is None:
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Allow-Headers"] = allowed_headers(
            request.headers.get("Access-Control-Request-Headers", "")
        )
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Max-Age"] = "600"
        return response
