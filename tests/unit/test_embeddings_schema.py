"""The embeddings request loads every input form OpenAI allows and names the offending field."""

import pytest
from marshmallow import ValidationError

from app.errors import from_validation_error
from app.schemas.embeddings import MAX_INPUTS, EmbeddingsRequest
from app.tokens import encoding

HELLO_IDS = encoding().encode("hello world")
FOOD_IDS = encoding().encode("The food was delicious")
DEFAULTS = {"encoding_format": "float", "dimensions": None, "input_type": None, "truncate": None}


def load(payload: dict) -> dict:
    return EmbeddingsRequest().load(payload)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"model": "m", "input": "hi"}, {"model": "m", "input": ["hi"]}),
        ({"model": "m", "input": ["a", "b"]}, {"model": "m", "input": ["a", "b"]}),
        ({"model": "m", "input": HELLO_IDS}, {"model": "m", "input": ["hello world"]}),
        (
            {"model": "m", "input": [HELLO_IDS, FOOD_IDS]},
            {"model": "m", "input": ["hello world", "The food was delicious"]},
        ),
        ({"model": "m", "input": ["x"] * MAX_INPUTS}, {"model": "m", "input": ["x"] * MAX_INPUTS}),
        (
            {"model": "m", "input": "hi", "encoding_format": "base64", "dimensions": 256},
            {"model": "m", "input": ["hi"], "encoding_format": "base64", "dimensions": 256},
        ),
        (
            {"model": "m", "input": "hi", "encoding_format": None, "dimensions": None, "user": None},
            {"model": "m", "input": ["hi"]},
        ),
        ({"model": "m", "input": "hi", "user": "u-1", "future_field": 1}, {"model": "m", "input": ["hi"]}),
        (
            {"model": "m", "input": "hi", "input_type": "search_query", "truncate": "NONE"},
            {"model": "m", "input": ["hi"], "input_type": "search_query", "truncate": "NONE"},
        ),
        (
            {"model": "m", "input": "hi", "extra_body": {"input_type": "clustering", "truncate": "START"}},
            {"model": "m", "input": ["hi"], "input_type": "clustering", "truncate": "START"},
        ),
        (
            {
                "model": "m",
                "input": "hi",
                "input_type": "search_query",
                "extra_body": {"input_type": "clustering"},
            },
            {"model": "m", "input": ["hi"], "input_type": "search_query"},
        ),
    ],
    ids=[
        "string",
        "list-of-strings",
        "token-ids",
        "list-of-token-lists",
        "2048-inputs",
        "base64-and-dimensions",
        "nulls-mean-defaults",
        "user-and-unknown-fields-ignored",
        "gateway-extras",
        "extras-inside-extra_body",
        "top-level-extra-wins",
    ],
)
def test_valid_requests_load_as_a_list_of_texts(payload, expected):
    assert load(payload) == {**DEFAULTS, **expected}


@pytest.mark.parametrize(
    ("payload", "param", "fragment"),
    [
        ({"input": "hi"}, "model", "Missing data for required field"),
        ({"model": "", "input": "hi"}, "model", "Shorter than minimum length"),
        ({"model": 7, "input": "hi"}, "model", "Not a valid string"),
        ({"model": "m"}, "input", "Missing data for required field"),
        ({"model": "m", "input": ""}, "input", "Must not be empty"),
        ({"model": "m", "input": []}, "input", "Must not be empty"),
        ({"model": "m", "input": None}, "input", "Field may not be null"),
        ({"model": "m", "input": 5}, "input", "Expected a string, a list of strings"),
        ({"model": "m", "input": {"text": "hi"}}, "input", "Expected a string, a list of strings"),
        ({"model": "m", "input": ["a", ""]}, "input[1]", "Must not be an empty string"),
        ({"model": "m", "input": ["a", "b", "c", 4]}, "input[3]", "Expected a string"),
        ({"model": "m", "input": [True]}, "input[0]", "Expected a string"),
        ({"model": "m", "input": [1.5]}, "input[0]", "Expected a string"),
        ({"model": "m", "input": [1, 2, "x"]}, "input[2]", "Expected a token id"),
        ({"model": "m", "input": [1, True]}, "input[1]", "Expected a token id"),
        ({"model": "m", "input": [-1]}, "input", "Invalid token ids: token ids must be between 0 and"),
        ({"model": "m", "input": [[1], "a"]}, "input[1]", "Expected a list of token ids"),
        ({"model": "m", "input": [[1], []]}, "input[1]", "Must not be an empty list of token ids"),
        ({"model": "m", "input": [[1], [2, 10**9]]}, "input[1]", "Invalid token ids"),
        ({"model": "m", "input": ["x"] * (MAX_INPUTS + 1)}, "input", "At most 2048 inputs"),
        ({"model": "m", "input": [[1]] * (MAX_INPUTS + 1)}, "input", "At most 2048 inputs"),
        ({"model": "m", "input": "hi", "encoding_format": "int8"}, "encoding_format", "Must be one of"),
        ({"model": "m", "input": "hi", "dimensions": 0}, "dimensions", "greater than or equal to 1"),
        ({"model": "m", "input": "hi", "dimensions": "256"}, "dimensions", "Not a valid integer"),
        ({"model": "m", "input": "hi", "dimensions": 25.6}, "dimensions", "Not a valid integer"),
        ({"model": "m", "input": "hi", "input_type": "query"}, "input_type", "Must be one of"),
        ({"model": "m", "input": "hi", "truncate": "LEFT"}, "truncate", "Must be one of"),
        (
            {"model": "m", "input": "hi", "extra_body": {"truncate": "x"}},
            "extra_body.truncate",
            "Must be one of",
        ),
        ({"model": "m", "input": "hi", "extra_body": "x"}, "extra_body", "Invalid input type"),
    ],
)
def test_invalid_requests_name_the_offending_param(payload, param, fragment):
    with pytest.raises(ValidationError) as raised:
        load(payload)
    error = from_validation_error(raised.value)
    assert (error.status, error.param) == (400, param)
    assert fragment in error.message
