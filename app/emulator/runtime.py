"""Runtime plane: Converse, ConverseStream and InvokeModel handlers."""

import time
from collections.abc import Iterator

from werkzeug.wrappers import Response

from app.emulator import catalogue, embeddings, shapes, streaming
from app.emulator.catalogue import Model
from app.emulator.directives import Fault
from app.emulator.errors import BedrockError, validation
from app.emulator.reply import Reply, build_reply
from app.emulator.responses import json_response, loggable, parse_json_body
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
    return build_reply(model, model_id, body, state)


def _armed_fault(state: EmulatorState, reply: Reply) -> Fault | None:
    fault = reply.script.fault
    if fault is None or not state.fault_fires(fault.key, fault.times):
        return None
    return fault


def _raise_early(fault: Fault | None, first_ms: int, in_stream: bool) -> None:
    """After the scripted first-byte delay, raise a fault that is not a mid-stream one."""
    if fault is not None and not (in_stream and fault.when == "midstream"):
        time.sleep(first_ms / 1000)
        raise BedrockError(fault.name, fault.message)


def converse(state: EmulatorState, model_id: str, raw: bytes) -> Response:
    started = time.monotonic()
    reply = _prepare(state, "Converse", model_id, raw)
    _raise_early(_armed_fault(state, reply), reply.script.first_ms, in_stream=False)
    time.sleep(reply.script.first_ms / 1000)
    return json_response(
        {
            "output": {"message": {"role": "assistant", "content": reply.blocks}},
            "stopReason": reply.stop_reason,
            "usage": reply.usage,
            "metrics": {"latencyMs": int((time.monotonic() - started) * 1000)},
        }
    )


def converse_stream(state: EmulatorState, model_id: str, raw: bytes) -> Response:
    started = time.monotonic()
    reply = _prepare(state, "ConverseStream", model_id, raw)
    fault = _armed_fault(state, reply)
    _raise_early(fault, reply.script.first_ms, in_stream=True)
    return Response(
        _tracked(state, streaming.encoded_stream(reply, started, fault)),
        content_type="application/vnd.amazon.eventstream",
        direct_passthrough=True,
    )


def _tracked(state: EmulatorState, events: Iterator[bytes]) -> Iterator[bytes]:
    # Counted from the first chunk until the generator finishes or is closed by the
    # server (client disconnect), so /_emulator/stats shows abandoned streams closing.
    state.stream_opened()
    try:
        yield from events
    finally:
        state.stream_closed()


def invoke_model(state: EmulatorState, model_id: str, raw: bytes) -> Response:
    state.record("InvokeModel", model_id, loggable(raw))
    shapes.check_location("InvokeModel", {"modelId": model_id})
    shapes.check_payload("InvokeModel", raw)
    model = resolve_model(model_id)
    return embeddings.invoke(model, model_id, raw, state)
