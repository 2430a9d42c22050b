"""CountTokens: the prompt's tokens as the emulator's usage would count them.

Only foundation model ids (or their ARNs) are accepted; an inference profile id gets
"The provided model identifier is invalid." (anthropics/claude-code#12621). Models
without the "count_tokens" capability answer "The provided model doesn't support
counting tokens." (maximhq/bifrost#2169), and documents in a Converse input "Document
input not supported for token counting" (aws/aws-sdk-java-v2#6370).
"""

import base64

from werkzeug.wrappers import Response

from app.emulator import catalogue, messages, shapes
from app.emulator.errors import validation
from app.emulator.responses import json_response, loggable, parse_json_body
from app.emulator.runtime import INVALID_MODEL
from app.emulator.state import EmulatorState
from app.emulator.usage import prompt_tokens
from app.emulator.validation import check_converse

CANNOT_COUNT = "The provided model doesn't support counting tokens."
NO_DOCUMENTS = "Document input not supported for token counting"


def count_tokens(state: EmulatorState, model_id: str, raw: bytes) -> Response:
    state.record("CountTokens", model_id, loggable(raw))
    shapes.check_location("CountTokens", {"modelId": model_id})
    body = parse_json_body(raw)
    shapes.check_request("CountTokens", body)
    model = catalogue.foundation_model(model_id)
    if model is None:
        raise validation(INVALID_MODEL)
    if not model.can("count_tokens"):
        raise validation(CANNOT_COUNT)
    source = body["input"]
    if "invokeModel" in source:
        _, view = messages.checked_view(model, base64.b64decode(source["invokeModel"]["body"]))
    else:
        view = source["converse"]
        check_converse(model, view, "Converse")
        if any("document" in block for m in view.get("messages") or [] for block in m["content"]):
            raise validation(NO_DOCUMENTS)
    return json_response({"inputTokens": prompt_tokens(view)})
