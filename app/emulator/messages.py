"""InvokeModel and InvokeModelWithResponseStream for Claude with an Anthropic Messages body."""

import time

from werkzeug.wrappers import Response

from app.emulator import messages_content, messages_rules, messages_shape, messages_stream
from app.emulator.catalogue import Model
from app.emulator.context_window import check_context_window
from app.emulator.prompt import read_prompt
from app.emulator.reply import build_reply
from app.emulator.responses import json_response, parse_json_body
from app.emulator.runtime_faults import armed_fault, raise_early, tracked
from app.emulator.state import EmulatorState


def checked_view(model: Model, raw: bytes) -> tuple[dict, dict]:
    """(the body, its Converse-shaped view) once Bedrock's rules accept the body."""
    body = parse_json_body(raw)
    messages_rules.check_top_level(model, body)
    messages_content.check_messages(model, body)
    return body, messages_shape.to_converse(body)


def _answer(state: EmulatorState, model: Model, model_id: str, raw: bytes):
    body, view = checked_view(model, raw)
    check_context_window(read_prompt(view).script, view, prefix="", default_form="prompt")
    reply = build_reply(model, model_id, view, state, received=body)
    return reply, messages_shape.to_message(model, body, reply)


def _usage_headers(usage: dict, started: float) -> dict:
    headers = {
        "X-Amzn-Bedrock-Input-Token-Count": str(usage["inputTokens"]),
        "X-Amzn-Bedrock-Output-Token-Count": str(usage["outputTokens"]),
        "X-Amzn-Bedrock-Invocation-Latency": str(int((time.monotonic() - started) * 1000)),
    }
    if "cacheReadInputTokens" in usage:
        headers["X-Amzn-Bedrock-Cache-Read-Input-Token-Count"] = str(usage["cacheReadInputTokens"])
        headers["X-Amzn-Bedrock-Cache-Write-Input-Token-Count"] = str(usage["cacheWriteInputTokens"])
    return headers


def invoke(state: EmulatorState, model: Model, model_id: str, raw: bytes) -> Response:
    started = time.monotonic()
    reply, message = _answer(state, model, model_id, raw)
    raise_early(armed_fault(state, reply), reply.script.first_ms, in_stream=False)
    time.sleep(reply.script.first_ms / 1000)
    return json_response(message, headers=_usage_headers(reply.usage, started))


def invoke_stream(state: EmulatorState, model: Model, model_id: str, raw: bytes) -> Response:
    started = time.monotonic()
    reply, message = _answer(state, model, model_id, raw)
    fault = armed_fault(state, reply)
    raise_early(fault, reply.script.first_ms, in_stream=True)
    events = messages_stream.encoded_stream(message, reply.usage, reply.script, started, fault)
    return Response(
        tracked(state, events),
        content_type="application/vnd.amazon.eventstream",
        headers={"X-Amzn-Bedrock-Content-Type": "application/json"},
        direct_passthrough=True,
    )
