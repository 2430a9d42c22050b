"""CORS for browser clients, off unless ``ALLOWED_ORIGINS`` names origins (or ``*``)."""

from __future__ import annotations

from flask import Flask, Response, request

from app.settings import Settings

ALLOWED_HEADERS = "Authorization, Content-Type, OpenAI-Organization, OpenAI-Project, X-Request-Id"
ALLOWED_METHODS = "GET, POST, OPTIONS"


def allowed_origin(origin: str, allowed: tuple[str, ...]) -> str | None:
    """The value for Access-Control-Allow-Origin, or None; credentials are never allowed."""
    if not origin:
        return None
    if "*" in allowed:
        return "*"
    return origin if origin in allowed else None


def init_app(app: Flask, settings: Settings) -> None:
    if not settings.allowed_origins:
        return

    @app.before_request
    def answer_preflight() -> Response | None:
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            return Response(status=204)
        return None

    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        origin = allowed_origin(request.headers.get("Origin", ""), settings.allowed_origins)
        if origin is None:
            return response
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Max-Age"] = "600"
        return response
