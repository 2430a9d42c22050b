"""Rules beyond the body shapes: URI members, Claude's own checks, images, Nova's fields.

Each rejected row names a rule with a public source (see app/emulator/anthropic.py,
media.py, validation.py); each accepted row is its nearest valid neighbour, so a rule
that is too eager fails here too.
"""

import pytest
from emulator_helpers import HAIKU, SONNET_37
from test_emulator_validation import THINK, TOOLS, image, msg, reasoning, req, tool_result, tool_use

from app.emulator import shapes
from app.emulator.errors import BedrockError
from tests.unit.converter.image_bytes import gif, jpeg, png, webp

NOVA = "amazon.nova-pro-v1:0"
LLAMA = "meta.llama3-8b-instruct-v1:0"
MODEL_ERRORS = "The model returned the following errors: "
THINKING_ON = {
    "model": SONNET_37,
    "inferenceConfig": {"maxTokens": 4096},
    "additionalModelRequestFields": THINK,
}
NOVA_TOP_K = {"inferenceConfig": {"topK": 20}}
TOO_LONG = "Member must have length less than or equal to"


def images(count: int, data: bytes = png(10, 10)) -> dict:
    return msg("user", "describe", *[image("png", data) for _ in range(count)])


REJECTED = {
    "modelId pattern": (
        req(model="anthropic claude"),
        "Value 'anthropic claude' at 'modelId' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern",
    ),
    "modelId too long": (req(model="a" * 2049), f"at 'modelId' failed to satisfy constraint: {TOO_LONG}"),
    "required member null": (
        req({"content": [{"text": "hi"}]}),
        "1 validation error detected: Value null at 'messages.1.member.role' "
        "failed to satisfy constraint: Member must not be null",
    ),
    "claude whitespace stop sequence": (
        req(inferenceConfig={"stopSequences": ["END", "\n"]}),
        f"{MODEL_ERRORS}stop_sequences: each stop sequence must contain non-whitespace",
    ),
    "claude prefill trailing whitespace": (
        req(msg("user", "hi"), msg("assistant", "Sure, ")),
        f"{MODEL_ERRORS}messages: final assistant content cannot end with trailing whitespace",
    ),
    "claude repeated tool id": (
        req(
            msg("user", "a"),
            msg("assistant", tool_use("t1")),
            msg("user", tool_result("t1")),
            msg("assistant", tool_use("t1")),
            msg("user", tool_result("t1")),
            toolConfig=TOOLS,
        ),
        f"{MODEL_ERRORS}messages.3.content.0: `tool_use` ids must be unique",
    ),
    "claude 21 images": (req(images(21)), f"{MODEL_ERRORS}too many images and documents: 21 + 0 > 20"),
    "claude images in tool results count": (
        req(
            images(20),
            msg("assistant", tool_use("t1")),
            msg("user", {"toolResult": {"toolUseId": "t1", "content": [image("png", png(5, 5))]}}),
            toolConfig=TOOLS,
        ),
        "too many images and documents: 21 + 0 > 20",
    ),
    "claude image wider than 8000 px": (
        req(msg("user", "x", image("png", png(8001, 20)))),
        f"{MODEL_ERRORS}messages.0.content.1.image.source.base64.data: "
        "At least one of the image dimensions exceed max allowed size: 8000 pixels",
    ),
    "claude jpeg taller than 8000 px": (
        req(msg("user", "x", image("jpeg", jpeg(20, 9000)))),
        "image dimensions exceed max allowed size: 8000 pixels",
    ),
    "image over 3.75 MB": (
        req(msg("user", "x", image("png", png(10, 10) + b"\x00" * 3_750_000)), model=NOVA),
        "messages.0.content.1.image.source.bytes: The image is 3750033 bytes",
    ),
    "thinking with unsigned prefill": (
        req(msg("user", "Write JSON"), msg("assistant", "{"), **THINKING_ON),
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `text`",
    ),
    "error tool result without content": (
        req(
            msg("user", "a"),
            msg("assistant", tool_use("t1")),
            msg("user", {"toolResult": {"toolUseId": "t1", "content": [], "status": "error"}}),
            toolConfig=TOOLS,
        ),
        "The content field at messages.2.content.0.toolResult cannot be empty when status value is error.",
    ),
    "nova top-level top_k": (
        req(model=NOVA, additionalModelRequestFields={"top_k": 5}),
        "Malformed input request: #: extraneous key [top_k] is not permitted",
    ),
    "nova unknown inferenceConfig key": (
        req(model=NOVA, additionalModelRequestFields={"inferenceConfig": {"top_k": 5}}),
        "#/inferenceConfig: extraneous key [top_k] is not permitted",
    ),
    "nova topK not an integer": (
        req(model=NOVA, additionalModelRequestFields={"inferenceConfig": {"topK": "5"}}),
        "#/inferenceConfig/topK: expected type: Integer, found: str",
    ),
    "system to a model without system": (
        req(model="ai21.j2-ultra-v1", system=[{"text": "s"}]),
        "This model doesn't support system messages. Try again without a system message "
        "or use a model that supports system messages.",
    ),
}

ACCEPTED = {
    "claude stop sequence with text": req(inferenceConfig={"stopSequences": ["\nUser:", " end"]}),
    "llama newline stop sequence": req(model=LLAMA, inferenceConfig={"stopSequences": ["\n"]}),
    "claude trimmed prefill": req(msg("user", "hi"), msg("assistant", "Sure,")),
    "claude prefill with inner whitespace": req(msg("user", "hi"), msg("assistant", "a \n b")),
    "claude user turn ending in whitespace": req(msg("user", "hi \n")),
    "claude renamed tool ids": req(
        msg("user", "a"),
        msg("assistant", tool_use("t1")),
        msg("user", tool_result("t1")),
        msg("assistant", tool_use("t1_2")),
        msg("user", tool_result("t1_2")),
        toolConfig=TOOLS,
    ),
    "claude 20 images": req(images(20)),
    "nova 21 images": req(images(21), model=NOVA),
    "claude 8000 px images": req(
        msg(
            "user",
            "x",
            image("png", png(8000, 8000)),
            image("jpeg", jpeg(8000, 1)),
            image("gif", gif(1, 8000)),
            image("webp", webp(8000, 8000)),
        )
    ),
    "nova wide image": req(msg("user", "x", image("png", png(9000, 10))), model=NOVA),
    "thinking with signed prefill": req(
        msg("user", "Go on"), msg("assistant", reasoning(), "Partial"), **THINKING_ON
    ),
    "error tool result with content": req(
        msg("user", "a"),
        msg("assistant", tool_use("t1")),
        msg("user", {"toolResult": {"toolUseId": "t1", "content": [{"text": "boom"}], "status": "error"}}),
        toolConfig=TOOLS,
    ),
    "nova inferenceConfig topK": req(model=NOVA, additionalModelRequestFields=NOVA_TOP_K),
    "claude top_k": req(additionalModelRequestFields={"top_k": 20}),
    "application profile ARN": req(
        model="arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/teamclaude01"
    ),
    "foundation model ARN": req(model=f"arn:aws:bedrock:us-east-1::foundation-model/{HAIKU}"),
}


@pytest.mark.parametrize(("request_kwargs", "fragment"), list(REJECTED.values()), ids=list(REJECTED))
def test_rule_is_enforced(raw_runtime, request_kwargs, fragment):
    with pytest.raises(raw_runtime.exceptions.ValidationException) as info:
        raw_runtime.converse(**request_kwargs)
    assert fragment in info.value.response["Error"]["Message"]


@pytest.mark.parametrize("request_kwargs", list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_nearest_valid_request_is_accepted(raw_runtime, request_kwargs):
    assert raw_runtime.converse(**request_kwargs)["stopReason"] in ("end_turn", "tool_use")


def test_stream_applies_the_same_model_rules(raw_runtime):
    request_kwargs, fragment = REJECTED["claude whitespace stop sequence"]
    with pytest.raises(raw_runtime.exceptions.ValidationException, match=fragment):
        raw_runtime.converse_stream(**request_kwargs)


@pytest.mark.parametrize(("size", "ok"), [(25_000_000, True), (25_000_001, False)])
def test_invoke_model_body_is_at_most_25_000_000_bytes(size, ok):
    if ok:
        shapes.check_payload("InvokeModel", b"x" * size)
        return
    with pytest.raises(BedrockError, match=f"'body' failed to satisfy constraint: {TOO_LONG}"):
        shapes.check_payload("InvokeModel", b"x" * size)


def test_invoke_model_checks_the_model_id_pattern(raw_runtime):
    with pytest.raises(raw_runtime.exceptions.ValidationException, match="at 'modelId' failed to satisfy"):
        raw_runtime.invoke_model(modelId="cohere embed", body=b"{}")
