"""CountTokens (invokeModel and converse inputs) and the @@context directive."""

import json

import pytest
from emulator_helpers import HAIKU, SONNET_45, claude_body, claude_events, invoke_claude, user

SONNET_45_ID = "anthropic.claude-sonnet-4-5-20250929-v1:0"
TOOLS = [{"name": "lookup", "description": "find a thing", "input_schema": {"type": "object"}}]


def count_invoke(client, body: dict, model: str = SONNET_45_ID) -> int:
    return client.count_tokens(modelId=model, input={"invokeModel": {"body": json.dumps(body)}})[
        "inputTokens"
    ]


def test_invoke_model_count_equals_the_input_tokens_of_the_same_body(runtime):
    body = claude_body("how many words is this", system="be brief please", tools=TOOLS)
    message, _ = invoke_claude(runtime, body)
    assert count_invoke(runtime, body) == message["usage"]["input_tokens"] == 18


def test_count_includes_the_cached_part_of_the_prompt(runtime):
    system = [{"type": "text", "text": "a b c d", "cache_control": {"type": "ephemeral"}}]
    body = claude_body("one two", system=system)
    usage = invoke_claude(runtime, body)[0]["usage"]
    total = usage["input_tokens"] + usage["cache_creation_input_tokens"] + usage["cache_read_input_tokens"]
    assert count_invoke(runtime, body) == total == 6


def test_converse_count_equals_converse_input_tokens(runtime):
    request = {"messages": [user("three little words")], "system": [{"text": "sys text"}]}
    response = runtime.converse(modelId="us." + SONNET_45_ID, **request)
    counted = runtime.count_tokens(modelId=SONNET_45_ID, input={"converse": request})
    assert counted["inputTokens"] == response["usage"]["inputTokens"] == 5


def test_foundation_model_arn_is_accepted(runtime):
    arn = f"arn:aws:bedrock:us-east-1::foundation-model/{SONNET_45_ID}"
    assert count_invoke(runtime, claude_body("one two three"), model=arn) == 3


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("us." + SONNET_45_ID, "The provided model identifier is invalid."),
        ("global.anthropic.claude-opus-4-6-v1", "The provided model identifier is invalid."),
        ("acme.nothing-v1:0", "The provided model identifier is invalid."),
        (HAIKU, "The provided model doesn't support counting tokens."),
        ("amazon.nova-micro-v1:0", "The provided model doesn't support counting tokens."),
    ],
)
def test_profiles_and_models_that_cannot_count_are_refused(runtime, model, message):
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        count_invoke(runtime, claude_body("hi"), model=model)
    assert info.value.response["Error"]["Message"] == message


def test_invoke_model_body_is_checked_as_invoke_model_checks_it(runtime):
    body = claude_body("hi", anthropic_beta=["claude-code-20250219"])
    with pytest.raises(runtime.exceptions.ValidationException, match="invalid beta flag"):
        count_invoke(runtime, body)
    with pytest.raises(runtime.exceptions.ValidationException, match="required key \\[max_tokens\\]"):
        count_invoke(runtime, {k: v for k, v in claude_body("hi").items() if k != "max_tokens"})


def test_converse_documents_cannot_be_counted(runtime):
    document = {"document": {"format": "txt", "name": "notes", "source": {"bytes": b"hello"}}}
    request = {"messages": [{"role": "user", "content": [document, {"text": "summarize"}]}]}
    with pytest.raises(runtime.exceptions.ValidationException, match="Document input not supported"):
        runtime.count_tokens(modelId=SONNET_45_ID, input={"converse": request})


def test_count_tokens_is_counted_in_stats(runtime, emulator):
    count_invoke(runtime, claude_body("hi"))
    assert emulator.state.stats()["calls"]["CountTokens"] == 1


TOO_LONG = "one two three four five\n@@context 3"


def test_context_directive_refuses_a_longer_prompt_on_invoke_model(runtime):
    body = claude_body(TOO_LONG)
    with pytest.raises(runtime.exceptions.ValidationException) as info:
        invoke_claude(runtime, body)
    assert info.value.response["Error"]["Message"] == "prompt is too long: 5 tokens > 3 maximum"
    assert count_invoke(runtime, body) == 5


def test_context_directive_refuses_before_the_stream_starts(runtime):
    with pytest.raises(
        runtime.exceptions.ValidationException, match="prompt is too long: 5 tokens > 3 maximum"
    ):
        claude_events(runtime, claude_body(TOO_LONG))


def test_context_directive_lets_a_prompt_that_fits_through(runtime):
    message, _ = invoke_claude(runtime, claude_body("one two three\n@@context 3"))
    assert message["content"] == [{"type": "text", "text": "Echo: one two three"}]


@pytest.mark.parametrize(
    ("model", "text", "message"),
    [
        (
            SONNET_45,
            TOO_LONG,
            "The model returned the following errors: prompt is too long: 5 tokens > 3 maximum",
        ),
        (SONNET_45, TOO_LONG + " form=input", "Input is too long for requested model."),
        ("amazon.nova-micro-v1:0", TOO_LONG, "Input is too long for requested model."),
    ],
)
def test_context_directive_on_converse(runtime, model, text, message):
    for call in (runtime.converse, runtime.converse_stream):
        with pytest.raises(runtime.exceptions.ValidationException) as info:
            call(modelId=model, messages=[user(text)])
        assert info.value.response["Error"]["Message"] == message


def test_context_directive_form_input_on_invoke_model(runtime):
    with pytest.raises(
        runtime.exceptions.ValidationException, match="^.*Input is too long for requested model.$"
    ):
        invoke_claude(runtime, claude_body(TOO_LONG + " form=input"))
