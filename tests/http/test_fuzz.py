"""Hostile input at every endpoint: always a 2xx or an OpenAI-shaped 4xx, never a 5xx.

Hypothesis generates the payloads; the Flask test client sends them through real boto3
to the emulator. After each test the app must still answer a good request.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import AUTH
from tests.http.helpers_chat import CLAUDE, data_url, png_bytes, sse_payloads

EMBEDDING_MODEL = "cohere.embed-english-v3"
FUZZ = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text with control characters, right-to-left marks, emoji, private-use characters and lone
# surrogates (valid JSON escapes that UTF-8 cannot carry).
hostile_text = st.text(st.characters(codec=None), max_size=40) | st.sampled_from(
    ["", " ", "\x00", "\u202e", "\ufeff", "🙂" * 50, "@@", "@@bogus directive", "a" * 5000, "null"]
)
numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e308, -1e-308, 2**63, 2**64 + 1]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, hostile_text)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(hostile_text, inner, max_size=4),
    max_leaves=12,
)


def maybe(strategy):
    """The expected kind of value, or any JSON value at all."""
    return strategy | json_values


image_urls = st.sampled_from(
    [
        data_url(png_bytes()),
        "data:image/png;base64,!!!!",
        "data:image/png,notbase64",
        "data:;base64,",
        "http://127.0.0.1/a.png",
        "http://[::1]/a.png",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "javascript:alert(1)",
    ]
)
content_part = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": maybe(hostile_text)}),
    st.fixed_dictionaries(
        {"type": st.just("image_url"), "image_url": maybe(st.fixed_dictionaries({"url": maybe(image_urls)}))}
    ),
    st.fixed_dictionaries({"type": maybe(st.sampled_from(["input_audio", "file", "refusal", "x"]))}),
    json_values,
)
tool_call = st.fixed_dictionaries(
    {
        "id": maybe(hostile_text),
        "type": maybe(st.just("function")),
        "function": maybe(
            st.fixed_dictionaries({"name": maybe(hostile_text), "arguments": maybe(st.just('{"a": 1}'))})
        ),
    }
)
message = st.fixed_dictionaries(
    {"role": maybe(st.sampled_from(["user", "assistant", "system", "developer", "tool", "function"]))},
    optional={
        "content": st.one_of(hostile_text, st.lists(content_part, max_size=3), json_values),
        "name": maybe(hostile_text),
        "tool_calls": maybe(st.lists(tool_call, max_size=2)),
        "tool_call_id": maybe(hostile_text),
    },
)
tool = st.fixed_dictionaries(
    {
        "type": maybe(st.just("function")),
        "function": maybe(
            st.fixed_dictionaries(
                {"name": maybe(hostile_text)},
                optional={"parameters": json_values, "description": maybe(hostile_text)},
            )
        ),
    }
)
chat_body = st.fixed_dictionaries(
    {},
    optional={
        "model": maybe(
            st.sampled_from([CLAUDE, "gpt-4o", "", "no-such-model", EMBEDDING_MODEL, "us." + CLAUDE])
        ),
        "messages": maybe(st.lists(message | json_values, max_size=4)),
        "stream": maybe(st.booleans()),
        "stream_options": json_values,
        "temperature": maybe(numbers),
        "top_p": maybe(numbers),
        "max_tokens": maybe(numbers),
        "max_completion_tokens": maybe(numbers),
        "stop": maybe(st.lists(hostile_text, max_size=5)),
        "n": maybe(numbers),
        "tools": maybe(st.lists(tool, max_size=2)),
        "tool_choice": maybe(st.sampled_from(["auto", "none", "required"])),
        "response_format": json_values,
        "reasoning_effort": maybe(st.sampled_from(["low", "medium", "high"])),
        "extra_body": json_values,
        "user": json_values,
    },
)
# Well-typed requests with extreme values: these get past validation to the converter and Bedrock.
typed_part = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": hostile_text}),
    st.fixed_dictionaries(
        {"type": st.just("image_url"), "image_url": st.fixed_dictionaries({"url": image_urls})}
    ),
)
user_turn = st.fixed_dictionaries(
    {
        "role": st.just("user"),
        "content": hostile_text.map(lambda text: "hello " + text)
        | st.lists(typed_part, min_size=1, max_size=3),
    }
)
assistant_turn = st.fixed_dictionaries({"role": st.just("assistant"), "content": hostile_text})
system_turn = st.fixed_dictionaries(
    {"role": st.sampled_from(["system", "developer"]), "content": hostile_text}
)
conversation = st.tuples(
    st.lists(system_turn, max_size=1), st.lists(st.tuples(user_turn, assistant_turn), max_size=2), user_turn
).map(lambda parts: [*parts[0], *(turn for pair in parts[1] for turn in pair), parts[2]])
typed_tool = st.fixed_dictionaries(
    {
        "type": st.just("function"),
        "function": st.fixed_dictionaries(
            {"name": st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True)},
            optional={
                "description": hostile_text,
                "parameters": st.fixed_dictionaries(
                    {"type": st.just("object")},
                    optional={"properties": st.dictionaries(hostile_text, json_values)},
                ),
            },
        ),
    }
)
typed_chat_body = st.fixed_dictionaries(
    {"model": st.sampled_from([CLAUDE, "gpt-4o", "us." + CLAUDE]), "messages": conversation},
    optional={
        "stream": st.booleans(),
        "stream_options": st.fixed_dictionaries({"include_usage": st.booleans()}),
        "temperature": st.floats(0, 2) | st.sampled_from([0, 2, 5e-324]),
        "top_p": st.floats(0, 1),
        "max_tokens": st.integers(1, 10**6) | st.sampled_from([2**31, 2**63, 2**64 + 1]),
        "stop": st.lists(hostile_text, max_size=5) | hostile_text,
        "tools": st.lists(typed_tool, max_size=2),
        "tool_choice": st.sampled_from(["auto", "none", "required"]),
        "response_format": st.sampled_from(
            [  # json_object is left out: a reply that is not JSON is then a deliberate 502.
                {"type": "text"},
                {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
            ]
        ),
        "reasoning_effort": st.sampled_from(["low", "medium", "high"]),
        "seed": numbers,
        "user": hostile_text,
    },
)
token_ids = st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=5)
embeddings_body = st.fixed_dictionaries(
    {},
    optional={
        "model": maybe(st.sampled_from([EMBEDDING_MODEL, "amazon.titan-embed-text-v2:0", CLAUDE, "nope"])),
        "input": maybe(
            st.one_of(
                hostile_text, st.lists(hostile_text, max_size=4), token_ids, st.lists(token_ids, max_size=3)
            )
        ),
        "encoding_format": maybe(st.sampled_from(["float", "base64", "int8"])),
        "dimensions": maybe(numbers),
        "user": json_values,
    },
)


def assert_openai_answer(response) -> None:
    """2xx, or a 4xx whose body is OpenAI's error object; never a 5xx."""
    body = response.get_data()
    event(f"status {response.status_code}")
    assert response.status_code < 500, body[:1000]
    if response.status_code >= 400 and response.request.method != "HEAD":
        error = json.loads(body)["error"]
        assert set(error) == {"message", "type", "param", "code"}
        assert isinstance(error["message"], str) and error["message"]
        assert error["param"] is None or isinstance(error["param"], str)
    elif response.mimetype == "text/event-stream":
        events = sse_payloads(body)
        assert events[-1] == "[DONE]" or "error" in events[-1]
    elif body and response.request.method != "HEAD":
        json.loads(body)


def send_json(client, path: str, body: object):
    # json.dumps writes NaN and Infinity, which Python's json.loads reads back: hostile, yet seen.
    raw = json.dumps(body).encode()
    return client.post(path, data=raw, headers={**AUTH, "Content-Type": "application/json"})


@pytest.fixture
def still_serving(client):
    yield client
    good = {"model": CLAUDE, "messages": [{"role": "user", "content": "@@reply still here"}]}
    response = send_json(client, "/v1/chat/completions", good)
    assert response.get_json()["choices"][0]["message"]["content"] == "still here"


@FUZZ
@given(body=chat_body)
def test_chat_completions_survives_hostile_bodies(still_serving, body):
    assert_openai_answer(send_json(still_serving, "/v1/chat/completions", body))


@FUZZ
@given(body=typed_chat_body)
def test_chat_completions_survives_well_typed_extreme_requests(still_serving, body):
    assert_openai_answer(send_json(still_serving, "/v1/chat/completions", body))


typed_embeddings_body = st.fixed_dictionaries(
    {
        "model": st.sampled_from([EMBEDDING_MODEL, "amazon.titan-embed-text-v2:0", "text-embedding-3-small"]),
        "input": st.one_of(
            hostile_text,
            st.lists(hostile_text, min_size=1, max_size=4),
            token_ids,
            st.lists(token_ids, min_size=1, max_size=3),
        ),
    },
    optional={
        "encoding_format": st.sampled_from(["float", "base64"]),
        "dimensions": numbers,
        "user": hostile_text,
    },
)


@FUZZ
@given(body=typed_embeddings_body)
def test_embeddings_survives_well_typed_extreme_requests(still_serving, body):
    assert_openai_answer(send_json(still_serving, "/v1/embeddings", body))


@FUZZ
@given(body=embeddings_body)
def test_embeddings_survives_hostile_bodies(still_serving, body):
    assert_openai_answer(send_json(still_serving, "/v1/embeddings", body))


@FUZZ
@given(body=json_values | st.binary(max_size=200).map(lambda raw: raw))
def test_every_post_endpoint_survives_any_json_value_or_bytes(still_serving, body):
    for path in ("/v1/chat/completions", "/v1/embeddings"):
        if isinstance(body, bytes):
            response = still_serving.post(path, data=body, headers=AUTH)
        else:
            response = send_json(still_serving, path, body)
        assert_openai_answer(response)


# A URL path cannot carry a lone surrogate at all, so ids leave them out.
path_text = st.text(st.characters(codec=None, exclude_categories=("Cs",)), max_size=40)
model_ids = path_text | st.sampled_from([CLAUDE, "us." + CLAUDE, "a/b/c", "a//b", "..", "%2F", "arn:aws:x"])


@FUZZ
@given(model_id=model_ids)
def test_model_lookup_survives_any_id(still_serving, model_id):
    response = still_serving.get("/v1/models/" + quote(model_id, safe=""), headers=AUTH)
    assert_openai_answer(response)


header_values = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=30)
authorizations = (
    st.sampled_from([AUTH["Authorization"], "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz"]) | header_values
)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
    path=st.sampled_from(
        [
            "/v1/chat/completions",
            "/v1/embeddings",
            "/v1/models",
            "/v1/models/" + CLAUDE,
            "/api/v1/models",
            "/v1/x",
        ]
    ),
    authorization=authorizations,
    content_type=st.sampled_from(["application/json", "text/plain", "multipart/form-data", ""])
    | header_values,
    extra=st.dictionaries(
        st.sampled_from(["Origin", "X-Request-Id", "Accept", "Content-Encoding"]), header_values
    ),
    body=st.binary(max_size=100) | json_values.map(lambda value: json.dumps(value).encode()),
)
def test_random_methods_and_headers_get_openai_answers(
    still_serving, method, path, authorization, content_type, extra, body
):
    headers = {**extra, "Authorization": authorization, "Content-Type": content_type}
    assert_openai_answer(still_serving.open(path, method=method, headers=headers, data=body))
