"""``GET /openapi.json`` (OpenAPI 3.1) and ``GET /docs`` (Swagger UI), both without a key.

The document is built once per app, on its first request, from its URL map (so every registered route is in
it, under each prefix it is mounted at) and the marshmallow request schemas (apispec).
Answers are described by the small hand-written schemas in ``openapi_schemas``. Swagger
UI's files ship inside the flask-swagger-ui wheel: the page needs no CDN, and its spec
validator badge (a call to validator.swagger.io) is off. ``DOCS_ENABLED=false`` hides both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, Response, current_app, jsonify
from werkzeug.routing import Rule

from app import openapi_schemas
from app.schemas.chat import ChatCompletionRequest
from app.schemas.embeddings import EmbeddingsRequest
from app.schemas.messages import CountTokensRequest, MessagesRequest
from app.schemas.responses import ResponseCreateRequest
from app.settings import Settings

EXTENSION = "openapi"
DOCS_PATH = "/docs"
_PATH_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_API_KEYS = [{"bearerAuth": []}, {"apiKeyHeader": []}]
_ANTHROPIC_KEYS = [*_API_KEYS, {"xApiKey": []}]


@dataclass(frozen=True)
class Operation:
    """What the document says about one view."""

    summary: str
    tag: str
    request: str | None = None  # a component schema name
    response: str = "Object"
    streams: bool = False
    errors: str = "ErrorResponse"
    security: tuple = ()


# By view, without the mount's blueprint name ("api." or "v1.").
OPERATIONS = {
    "chat.create_chat_completion": Operation(
        "Create a chat completion",
        "OpenAI",
        "CreateChatCompletionRequest",
        "CreateChatCompletionResponse",
        True,
    ),
    "embeddings.create_embeddings": Operation(
        "Create embeddings", "OpenAI", "CreateEmbeddingRequest", "CreateEmbeddingResponse"
    ),
    "models.list_models": Operation("List models", "OpenAI", response="ListModelsResponse"),
    "models.get_model": Operation("Retrieve a model", "OpenAI", response="Model"),
    "messages.create_message": Operation(
        "Create a message (Anthropic Messages API)",
        "Anthropic",
        "CreateMessageRequest",
        "Message",
        True,
        "AnthropicErrorResponse",
        tuple(_ANTHROPIC_KEYS),
    ),
    "messages.count_tokens": Operation(
        "Count the tokens of a message",
        "Anthropic",
        "CountTokensRequest",
        "CountTokensResponse",
        errors="AnthropicErrorResponse",
        security=tuple(_ANTHROPIC_KEYS),
    ),
    "responses.create_response": Operation(
        "Create a response (OpenAI Responses API)", "OpenAI", "CreateResponse", "Response", True
    ),
    "responses.get_response": Operation("Retrieve a stored response", "OpenAI", response="Response"),
    "responses.list_input_items": Operation(
        "List a stored response's input items", "OpenAI", response="List"
    ),
    "responses.delete_response": Operation("Delete a stored response", "OpenAI", response="Object"),
    "responses.cancel_response": Operation("Cancel a response (background responses only)", "OpenAI"),
    "usage.get_usage": Operation("The calling key's usage today, its limits and what remains", "Keys"),
    "health.health": Operation("Liveness: 200 while the process runs", "Operations", response="Health"),
    "health.ready": Operation("Readiness: 503 once the server is draining", "Operations", response="Health"),
    "scrape": Operation("Prometheus metrics (text format 0.0.4)", "Operations", response="PrometheusText"),
    "openapi_document": Operation("This OpenAPI document", "Operations"),
    "docs_page": Operation("Swagger UI for this document", "Operations", response="Html"),
    "swagger_ui.show": Operation("Swagger UI and its files", "Operations", response="Html"),
}
REQUEST_SCHEMAS = {
    "CreateChatCompletionRequest": ChatCompletionRequest,
    "CreateEmbeddingRequest": EmbeddingsRequest,
    "CreateMessageRequest": MessagesRequest,
    "CountTokensRequest": CountTokensRequest,
    "CreateResponse": ResponseCreateRequest,
}


def schema_name(schema) -> str:
    """Component names by module and class (chat's Tool and messages' Tool are both ``Tool``)."""
    cls = schema if isinstance(schema, type) else type(schema)
    module = cls.__module__.rsplit(".", 1)[-1].capitalize()
    return f"{module}{cls.__name__.lstrip('_')}"


def build_document(app: Flask, settings: Settings) -> dict:
    # apispec (and the packaging it loads) is imported by the first request for the document.
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin

    plugin = MarshmallowPlugin(schema_name_resolver=schema_name)
    spec = APISpec(
        title="Bedrock Gateway",
        version="1",
        openapi_version="3.1.0",
        plugins=[plugin],
        info={"description": "OpenAI- and Anthropic-compatible APIs in front of Amazon Bedrock."},
    )
    openapi_schemas.describe_custom_fields(plugin)
    for name, schema in REQUEST_SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    for name, schema in openapi_schemas.RESPONSES.items():
        spec.components.schema(name, schema)
    for name, scheme in openapi_schemas.SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    for path, operations in _paths(app, settings).items():
        spec.path(path=path, operations=operations, parameters=_parameters(path))
    return spec.to_dict()


def _paths(app: Flask, settings: Settings) -> dict[str, dict]:
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        path = _PATH_PARAMETER.sub(r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, method, path, settings)
    return paths


def _operation(rule: Rule, method: str, path: str, settings: Settings) -> dict:
    view = rule.endpoint.split(".", 1)[1] if rule.endpoint.startswith(("api.", "v1.")) else rule.endpoint
    known = OPERATIONS.get(view) or Operation(view.replace("_", " ").replace(".", ": "), "Other")
    is_api = rule.endpoint != view
    security = list(known.security) or (_API_KEYS if is_api else [])
    if view == "scrape" and settings.metrics_token:
        security = [{"metricsToken": []}]
    operation = {
        "operationId": _operation_id(method, path),
        "summary": known.summary,
        "tags": [known.tag],
        "security": security,
        "responses": {"200": _answer(known), "default": _json(known.errors, "An error")},
    }
    if known.request is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": _schema(known.request)}}
    return operation


def _operation_id(method: str, path: str) -> str:
    """``POST_v1_chat_completions``; a trailing slash (``/docs/``) is its own page."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", f"{method}{path}").strip("_")
    return f"{name}_index" if path.endswith("/") and path != "/" else name


def _answer(operation: Operation) -> dict:
    answer = _json(operation.response, "Success")
    if operation.response in ("Html", "PrometheusText"):
        media = "text/html" if operation.response == "Html" else "text/plain"
        answer = {"description": "Success", "content": {media: _schema(operation.response)}}
    if operation.streams:
        answer["content"]["text/event-stream"] = _schema("EventStream")
        answer["description"] = "The answer; with stream=true, server-sent events"
    return answer


def _json(name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": _schema(name)}}


def _schema(name: str) -> dict:
    return {"schema": {"$ref": f"#/components/schemas/{name}"}}


def _parameters(path: str) -> list[dict]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in re.findall(r"{([^}]+)}", path)
    ]


def init_app(app: Flask, settings: Settings) -> None:
    """The document and the docs page, unless DOCS_ENABLED is false."""
    if not settings.docs_enabled:
        return
    from flask_swagger_ui import get_swaggerui_blueprint

    config = {"app_name": "Bedrock Gateway", "validatorUrl": None, "deepLinking": True}
    app.register_blueprint(get_swaggerui_blueprint(DOCS_PATH, "/openapi.json", config=config))

    @app.get("/openapi.json")
    def openapi_document() -> Response:
        document = current_app.extensions.get(EXTENSION)
        if document is None:
            document = current_app.extensions[EXTENSION] = build_document(current_app, settings)
        return jsonify(document)

    @app.get(DOCS_PATH)
    def docs_page() -> Response:
        return current_app.view_functions["swagger_ui.show"]()
