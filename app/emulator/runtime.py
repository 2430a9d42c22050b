"""Runtime plane: Converse, ConverseStream and InvokeModel handlers."""

import time

from werkzeug.wrappers import Response

from app.emulator import catalogue, embeddings, messages, shapes, streaming
from app.emulator.catalogue import Model
from app.emulator.context_window import check_context_window
from app.emulator.errors import validation
from app.emulator.media import MODEL_ERRORS
from app.emulator.prompt import read_prompt
from app.emulator.reply import build_reply
from app.emulator.responses import json_response, loggable, parse_json_body
from app.emulator.runtime_faults import armed_fault, raise_early, tracked
from app.emulator.state import EmulatorState
from app.emulator.validation import check_converse

INVALID_MODEL = "The provided model identifier is invalid."
NOT_CHAT = (
    "This action doesn't support the model that you provided. Try again with a supported text or chat model."
)


def resolve_model(identifier: str) -> Model:
    """The model behind a model id, foundation-model ARN, or inference-profile id/ARN."""
    found = catalogue.profile(identifier)
    if found is not None:
        return catalogue.model_of(found)
    model = catalogue.foundation_model(identifier)
    if model is None:
        raise validation(INVALID_MODEL)
    if "ON_DEMAND" not in model.inference_types:
        raise validation(
            f"Invocation of model ID {model.model_id} with on-demand throughput isn't "
            "supported. Retry your request with the ID or ARN of an inference profile that "
            "contains this model."
        )
    return model


def _prepare(state: EmulatorState, operation: str, model_id: str, raw: bytes):
    """Log, parse, resolve, validate and script one Converse(Stream) request."""
    state.record(operation, model_id, loggable(raw))
    shapes.check_location(operation, {"modelId": model_id})
    body = parse_json_body(raw)
    model = resolve_model(model_id)
    if "TEXT" not in model.outputs:
        raise validation(NOT_CHAT)
    check_converse(model, body, operation)
    prefix, form = (MODEL_ERRORS, "prompt") if model.provider == "Anthropic" else ("", "input")
    check_context_window(read_prompt(body).script, body, prefix, form)
    return build_reply(model, model_id, body, state)


def converse(state: EmulatorState, model_id: str, raw: bytes) -> Response:
    started = time.monotonic()
    reply = _prepare(state, "Converse", model_id, raw)
    raise_early(armed_fault(state, reply), reply.script.first_ms, in_stream=False)
    time.sleep(reply.script.first_ms / 1000)
    answer = {
        "output": {"message": {"role": "assistant", "content": reply.blocks}},
        "stopReason": reply.stop_reason,
        "usage": reply.usage,
        "metrics": {"latencyMs": int((time.monotonic() - started) * 1000)},
        **reply.fields,
    }
    if reply.trace:
        answer["trace"] = reply.trace
    return json_response(answer)


def converse_stream(state: EmulatorState, model_id: str, raw: bytes) -> Response:
    started = time.monotonic()
    reply = _prepare(state, "ConverseStream", model_id, raw)
    fault = armed_fault(state, reply)
    raise_early(fault, reply.script.first_ms, in_stream=True)
    return Response(
        tracked(state, streaming.encoded_stream(reply, started, fault)),
        content_type="application/vnd.amazon.eventstream",
        direct_passthrough=True,
    )


def _invoked_model(state: EmulatorState, operation: str, model_id: str, raw: bytes) -> Model:
    state.record(operation, model_id, loggable(raw))
    shapes.check_location(operation, {"modelId": model_id})
    shapes.check_payload(operation, raw)
    return resolve_model(model_id)


def invoke_model(state: EmulatorState, model_id: str, raw: bytes) -> Response:
    model = _invoked_model(state, "InvokeModel", model_id, raw)
    if model.provider == "Anthropic":
        return messages.invoke(state, model, model_id, raw)
    return embeddings.invoke(model, model_id, raw, state)


def invoke_model_stream(state: EmulatorState, model_id: str, raw: bytes) -> Response:
    model = _invoked_model(state, "InvokeModelWithResponseStream", model_id, raw)
    if model.provider != "Anthropic":
        raise embeddings.unsupported(model)
    return messages.invoke_stream(state, model, model_id, raw)
