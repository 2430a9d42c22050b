"""``GET /openapi.json`` and ``GET /docs``: a valid OpenAPI 3.1 document of every route, served offline.

The page rendered in a real browser (Debian's chromium) is in tests/e2e/test_docs_page.py.
"""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from tests.http.test_errors import assert_openai_error


@pytest.fixture
def documented(make_app):
    return make_app(metrics_enabled=True)


def document_of(app) -> dict:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(documented):
    document = document_of(documented)
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_registered_route_and_method_is_in_the_document_under_each_prefix(documented):
    paths = document_of(documented)["paths"]
    registered = {
        (rule.rule.replace("<path:", "<").replace("<", "{").replace(">", "}"), method.lower())
        for rule in documented.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented_operations = {
        (path, method) for path, item in paths.items() for method in item if method != "parameters"
    }
    assert documented_operations == registered
    assert {"/v1/chat/completions", "/api/v1/chat/completions", "/v1/messages", "/api/v1/messages"} <= set(
        paths
    )


def test_api_routes_name_their_request_answer_error_and_auth_schemes(documented):
    document = document_of(documented)
    chat = document["paths"]["/v1/chat/completions"]["post"]
    assert chat["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CreateChatCompletionRequest"
    }
    answer = chat["responses"]["200"]["content"]
    assert set(answer) == {"application/json", "text/event-stream"}
    assert chat["responses"]["default"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert chat["security"] == [{"bearerAuth": []}, {"apiKeyHeader": []}]
    assert document["paths"]["/health"]["get"]["security"] == []
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: Authorization: Bearer <key>",
    }
    assert schemes["apiKeyHeader"]["name"] == "api-key"
    request = document["components"]["schemas"]["CreateChatCompletionRequest"]
    assert set(request["required"]) == {"model", "messages"}
    messages = request["properties"]["messages"]["items"]["oneOf"]
    assert {item["$ref"].rsplit("/", 1)[1] for item in messages} == {
        "ChatSystemMessage",
        "ChatUserMessage",
        "ChatAssistantMessage",
        "ChatToolMessage",
    }


def test_the_document_is_built_once(documented):
    client = documented.test_client()
    client.get("/openapi.json").close()
    built = documented.extensions["openapi"]
    client.get("/openapi.json").close()
    assert documented.extensions["openapi"] is built


@pytest.mark.parametrize("path", ["/docs", "/docs/"])
def test_the_docs_page_loads_swagger_ui_from_the_gateway_itself(client, path):
    response = client.get(path)
    page = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    assert '<script src="/docs/swagger-ui-bundle.js">' in page
    assert '"url": "/openapi.json"' in page and '"validatorUrl": null' in page
    assert "https://" not in page


def test_swagger_uis_files_are_served_from_the_package(client):
    response = client.get("/docs/swagger-ui-bundle.js")
    assert response.status_code == 200 and len(response.get_data()) > 1_000_000
    response.close()


def test_docs_enabled_false_hides_the_document_and_the_page(make_app):
    client = make_app(docs_enabled=False).test_client()
    for path in ("/openapi.json", "/docs", "/docs/"):
        assert_openai_error(client.get(path), 404, "invalid_request_error", "not_found")
