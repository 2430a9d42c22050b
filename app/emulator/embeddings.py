"""InvokeModel for the embedding families (the only InvokeModel bodies the emulator serves).

Vectors are `vectors.vector_for(<foundation model id>, <text as embedded>, <dims>)`: the
foundation model id even when invoked through a profile, and the input text exactly as
sent (directive lines included) unless a START/END truncation shortened it.
"""

import time

from werkzeug.wrappers import Response

from app.emulator import directives
from app.emulator.catalogue import Model
from app.emulator.embedding_families import FAMILIES
from app.emulator.errors import BedrockError
from app.emulator.responses import json_response, parse_json_body
from app.emulator.state import EmulatorState
from app.emulator.vectors import vector_for


def unsupported(model: Model) -> BedrockError:
    return BedrockError(
        "ValidationException",
        f"Malformed input request: the Bedrock emulator serves InvokeModel only for embedding "
        f"and Claude models, not {model.model_id}; use Converse, please reformat your input and try again.",
    )


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _script(body: dict) -> directives.Script:
    """Directives from any string in the body; only @@fault and @@latency matter here."""
    lines = [line for s in _strings(body) for line in directives.split_directives(s)[1]]
    return directives.parse(lines)


def _apply_script(script: directives.Script, state: EmulatorState) -> None:
    time.sleep(script.first_ms / 1000)
    fault = script.fault
    if fault is not None and state.fault_fires(fault.key, fault.times):
        raise BedrockError(fault.name, fault.message)


def invoke(model: Model, model_id: str, raw: bytes, state: EmulatorState) -> Response:
    family = FAMILIES.get(model.model_id)
    if family is None:
        raise unsupported(model)
    started = time.monotonic()
    body = parse_json_body(raw)
    job = family(body)
    _apply_script(_script(body), state)
    vectors = [vector_for(model.model_id, text, job.dimensions) for text in job.inputs]
    headers = {
        "X-Amzn-Bedrock-Input-Token-Count": str(job.tokens),
        "X-Amzn-Bedrock-Invocation-Latency": str(int((time.monotonic() - started) * 1000)),
    }
    return json_response(job.render(vectors), headers=headers)
