"""Converse fields that depend on the model: output config, tiers, latency, guardrails,
documents, cache point TTLs and reasoning switches, checked as Bedrock checks them.

The shapes (enums, lengths, unions) are botocore's and already checked by ``shapes``;
what is here is which model takes what, and the limits botocore does not model.
"""

import base64
import json
import re

from app.emulator.catalogue import Model
from app.emulator.errors import validation

MAX_DOCUMENTS = 5
MAX_DOCUMENT_BYTES = 4_500_000
MAX_CACHE_POINTS = 4
# Bedrock's DocumentBlock name: alphanumerics, single whitespace, hyphens, parentheses,
# square brackets (the API reference's wording for the name field).
DOCUMENT_NAME = re.compile(r"[A-Za-z0-9\-()\[\]]+(\s[A-Za-z0-9\-()\[\]]+)*")
EFFORTS = ("low", "medium", "high", "max")
NOVA_EFFORTS = ("low", "medium", "high")
UNSUPPORTED = (
    "The model {model} doesn't support {what}. Try again without it or use a model that supports it."
)


def _refuse(model: Model, what: str):
    raise validation(UNSUPPORTED.format(model=model.model_id, what=what))


def check_features(model: Model, body: dict, operation: str) -> None:
    _check_output_config(model, body.get("outputConfig") or {})
    _check_service_tier(model, body.get("serviceTier"))
    if (body.get("performanceConfig") or {}).get("latency") == "optimized" and not model.can("latency"):
        _refuse(model, "latency-optimized inference (performanceConfig.latency optimized)")
    _check_guardrail(body.get("guardrailConfig"))
    _check_documents(model, body.get("messages") or [])
    _check_cache_points(model, body)
    _check_reasoning(model, body.get("additionalModelRequestFields") or {}, body)


def _check_output_config(model: Model, config: dict) -> None:
    text_format = config.get("textFormat")
    if text_format is not None:
        if not model.can("structured_output"):
            _refuse(model, "structured outputs (outputConfig.textFormat)")
        schema = json_schema(text_format)
        if not isinstance(schema, dict):
            raise validation(
                "outputConfig.textFormat.structure.jsonSchema.schema must be a valid JSON schema."
            )
    effort = config.get("effort")
    if effort is not None:
        if not model.can("effort"):
            _refuse(model, "outputConfig.effort")
        if effort not in EFFORTS:
            raise validation(f"output_config.effort: Input should be {', '.join(map(repr, EFFORTS))}")


def json_schema(text_format: dict):
    """The schema of a textFormat (a JSON string on the wire), or None if it does not parse."""
    raw = (text_format.get("structure") or {}).get("jsonSchema", {}).get("schema", "")
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _check_service_tier(model: Model, tier: dict | None) -> None:
    kind = (tier or {}).get("type")
    if kind == "reserved":
        raise validation("This account has no reserved capacity for the model. Use another service tier.")
    if kind in ("flex", "priority") and not model.can(kind):
        _refuse(model, f"the {kind} service tier")


def _check_guardrail(config: dict | None) -> None:
    if config is None:
        return
    if not config.get("guardrailIdentifier") or not config.get("guardrailVersion"):
        raise validation("Guardrail identifier and version are both required when guardrailConfig is set.")


def documents(messages: list[dict]) -> list[dict]:
    return [block["document"] for m in messages for block in m.get("content") or [] if "document" in block]


def _check_documents(model: Model, messages: list[dict]) -> None:
    found = documents(messages)
    if not found:
        return
    if not model.can("documents"):
        raise validation(
            "This model doesn't support the document content block that you provided. "
            "Try again with a supported model."
        )
    if len(found) > MAX_DOCUMENTS:
        raise validation(f"The request has {len(found)} documents; the maximum is {MAX_DOCUMENTS}.")
    for document in found:
        if not DOCUMENT_NAME.fullmatch(document["name"]):
            raise validation(
                "The document file name can only contain alphanumeric characters, whitespace "
                "characters, hyphens, parentheses, and square brackets. The name can't contain "
                "more than one consecutive whitespace character."
            )
        if len(document_bytes(document)) > MAX_DOCUMENT_BYTES:
            raise validation(f"The document {document['name']} is larger than 4.5 MB.")


def document_bytes(document: dict) -> bytes:
    encoded = document["source"].get("bytes")
    return base64.b64decode(encoded) if encoded else (document["source"].get("text") or "").encode()


def _cache_points(body: dict) -> list[dict]:
    blocks = [*(body.get("system") or []), *(body.get("toolConfig") or {}).get("tools", [])]
    for message in body.get("messages") or []:
        blocks.extend(message["content"])
    return [block["cachePoint"] for block in blocks if "cachePoint" in block]


def _check_cache_points(model: Model, body: dict) -> None:
    points = _cache_points(body)
    if len(points) > MAX_CACHE_POINTS:
        raise validation(
            f"The request has {len(points)} cachePoint blocks; the maximum is {MAX_CACHE_POINTS}."
        )
    if any("ttl" in point for point in points) and not model.can("cache_ttl"):
        _refuse(model, "a cachePoint ttl")


def _check_reasoning(model: Model, extra: dict, body: dict) -> None:
    reasoning = extra.get("reasoningConfig") if isinstance(extra, dict) else None
    if reasoning is not None:
        effort = reasoning.get("maxReasoningEffort")
        if reasoning.get("type") == "enabled" and effort not in NOVA_EFFORTS:
            raise validation("reasoningConfig.maxReasoningEffort must be low, medium or high.")
        config = body.get("inferenceConfig") or {}
        # Nova 2: high effort takes no sampling and no output limit (the model manages both).
        if effort == "high" and any(k in config for k in ("temperature", "topP", "maxTokens")):
            raise validation(
                "temperature, topP and maxTokens must not be set when maxReasoningEffort is high."
            )
    if model.can("gpt_oss_fields") and "reasoning_effort" in extra:
        if extra["reasoning_effort"] not in NOVA_EFFORTS:
            raise validation("reasoning_effort must be one of low, medium, high.")


def reasoning_requested(model: Model, body: dict) -> bool:
    """Nova 2's reasoningConfig or gpt-oss's reasoning_effort asks for reasoning."""
    extra = body.get("additionalModelRequestFields") or {}
    if not isinstance(extra, dict):
        return False
    if model.can("nova_reasoning"):
        return (extra.get("reasoningConfig") or {}).get("type") == "enabled"
    return model.can("gpt_oss_fields") and "reasoning_effort" in extra


GUARDRAIL_BLOCKED = "Sorry, the model cannot answer this question."


def guardrail_trace(body: dict) -> dict | None:
    """The trace of an input intervention, when the request asked for one."""
    config = body.get("guardrailConfig") or {}
    if config.get("trace") not in ("enabled", "enabled_full"):
        return None
    flagged = {"type": "VIOLENCE", "confidence": "HIGH", "filterStrength": "HIGH", "action": "BLOCKED"}
    assessment = {"contentPolicy": {"filters": [{**flagged, "detected": True}]}}
    return {
        "guardrail": {
            "inputAssessment": {config["guardrailIdentifier"]: assessment},
            "actionReason": "Guardrail blocked.",
        }
    }


def response_fields(body: dict) -> dict:
    """serviceTier and performanceConfig, as Bedrock reports the ones it served with."""
    fields = {}
    if body.get("serviceTier"):
        fields["serviceTier"] = body["serviceTier"]
    if body.get("performanceConfig"):
        fields["performanceConfig"] = body["performanceConfig"]
    return fields
