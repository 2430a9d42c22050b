"""How a call is served rather than what it says: guardrail, service tier, latency.

``Deployment`` holds the operator's settings; each function merges a client's request
with them into the Converse field, or refuses what the model or the deployment cannot do.

- Guardrail: the deployment's (``GUARDRAIL_ID``/``GUARDRAIL_VERSION``) or the request's
  ``guardrailConfig``, never both: Converse takes one guardrail, and a client must not be
  able to swap the operator's for its own. ConverseStream also takes a stream mode.
- Service tier: ``auto`` (and OpenAI's ``scale``) sends none; ``default`` every model
  takes; ``flex`` and ``priority`` only the families that offer them.
- Latency: ``optimized`` from the request's ``performanceConfig`` (a 400 where the model
  has no latency-optimized inference) or from ``BEDROCK_LATENCY`` (applied where it has).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.catalogue import ModelInfo
from app.errors import InvalidRequestError

_GUARDRAIL_KEYS = ("guardrailIdentifier", "guardrailVersion", "trace")
_GUARDRAIL_ID = re.compile(
    r"[a-z0-9]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail/[a-z0-9]+"
)
_GUARDRAIL_VERSION = re.compile(r"[1-9][0-9]{0,7}|DRAFT")
TRACES = ("enabled", "disabled", "enabled_full")
STREAM_MODES = ("sync", "async")
TIERS = {"default": "default", "flex": "flex", "priority": "priority"}
NO_TIER = ("auto", "scale")


@dataclass(frozen=True)
class Deployment:
    """The operator's choices that apply to every call."""

    prompt_caching: bool = False
    latency: str = "standard"
    guardrail_id: str = ""
    guardrail_version: str = ""
    guardrail_trace: str = "disabled"
    guardrail_stream_mode: str = "sync"

    @classmethod
    def from_settings(cls, settings) -> Deployment:
        return cls(
            prompt_caching=settings.enable_prompt_caching,
            latency=settings.bedrock_latency,
            guardrail_id=settings.guardrail_id,
            guardrail_version=settings.guardrail_version,
            guardrail_trace=settings.guardrail_trace,
            guardrail_stream_mode=settings.guardrail_stream_mode,
        )


def guardrail_config(requested: object, deployment: Deployment, *, stream: bool, param: str) -> dict | None:
    """The guardrailConfig for Converse (``stream`` False) or ConverseStream."""
    if deployment.guardrail_id:
        if requested is not None:
            raise InvalidRequestError(
                "This gateway applies its own guardrail to every request; "
                "a request cannot choose another one.",
                param=param,
            )
        config = {
            "guardrailIdentifier": deployment.guardrail_id,
            "guardrailVersion": deployment.guardrail_version,
            "trace": deployment.guardrail_trace,
        }
        mode = deployment.guardrail_stream_mode
    elif requested is None:
        return None
    else:
        config, mode = _requested_guardrail(requested, param)
    if stream and mode:
        config["streamProcessingMode"] = mode
    return config


def _requested_guardrail(requested: object, param: str) -> tuple[dict, str | None]:
    if not isinstance(requested, dict):
        raise InvalidRequestError("guardrailConfig must be an object.", param=param)
    unknown = set(requested) - {*_GUARDRAIL_KEYS, "streamProcessingMode"}
    if unknown:
        raise InvalidRequestError(f"Unknown guardrailConfig field `{sorted(unknown)[0]}`.", param=param)
    identifier, version = requested.get("guardrailIdentifier"), requested.get("guardrailVersion")
    if not isinstance(identifier, str) or not _GUARDRAIL_ID.fullmatch(identifier):
        raise InvalidRequestError(
            "guardrailIdentifier must be a guardrail id or ARN.", param=f"{param}.guardrailIdentifier"
        )
    if not isinstance(version, str) or not _GUARDRAIL_VERSION.fullmatch(version):
        raise InvalidRequestError(
            "guardrailVersion must be a version number or DRAFT.", param=f"{param}.guardrailVersion"
        )
    trace = requested.get("trace", "disabled")
    mode = requested.get("streamProcessingMode")
    _require_choice(trace, TRACES, f"{param}.trace")
    if mode is not None:
        _require_choice(mode, STREAM_MODES, f"{param}.streamProcessingMode")
    return {"guardrailIdentifier": identifier, "guardrailVersion": version, "trace": trace}, mode


def _require_choice(value: object, choices: tuple[str, ...], param: str) -> None:
    if value not in choices:
        raise InvalidRequestError(f"Must be one of: {', '.join(choices)}.", param=param)


def service_tier(requested: object, model: ModelInfo, param: str) -> dict | None:
    if requested is None:
        return None
    if not isinstance(requested, str):
        raise InvalidRequestError("Must be a string.", param=param)
    if requested in NO_TIER:
        return None
    tier = TIERS.get(requested)
    if tier is None:
        raise InvalidRequestError(f"Unknown service tier `{requested}`.", param=param)
    if tier != "default" and tier not in model.family.service_tiers:
        raise InvalidRequestError(
            f"The model `{model.id}` does not offer the {tier} service tier.", param=param
        )
    return {"type": tier}


def answered_tier(response_tier: dict | None) -> str | None:
    """The tier Bedrock reports having served with, in OpenAI's words."""
    kind = (response_tier or {}).get("type")
    return {"reserved": "scale"}.get(kind, kind) if kind else None


def performance_config(
    requested: object, deployment: Deployment, model: ModelInfo, param: str
) -> dict | None:
    if requested is None:
        optimized = deployment.latency == "optimized" and model.family.latency_optimized
        return {"latency": "optimized"} if optimized else None
    latency = requested.get("latency", "standard") if isinstance(requested, dict) else None
    _require_choice(latency, ("standard", "optimized"), f"{param}.latency")
    if latency == "optimized" and not model.family.latency_optimized:
        raise InvalidRequestError(
            f"The model `{model.id}` has no latency-optimized inference.", param=f"{param}.latency"
        )
    return {"latency": latency}
