"""Control plane: ListFoundationModels, GetFoundationModel, ListInferenceProfiles, GetInferenceProfile."""

import base64
import binascii
import json

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from app.emulator import catalogue
from app.emulator.catalogue import Model, Profile
from app.emulator.errors import BedrockError, validation
from app.emulator.responses import json_response
from app.emulator.state import EmulatorState

DEFAULT_PAGE_SIZE = 10
ENUMS = {
    "byCustomizationType": ("FINE_TUNING", "CONTINUED_PRE_TRAINING", "DISTILLATION"),
    "byOutputModality": ("TEXT", "IMAGE", "EMBEDDING"),
    "byInferenceType": ("ON_DEMAND", "PROVISIONED", "INFERENCE_PROFILE"),
    "type": ("SYSTEM_DEFINED", "APPLICATION"),
}


def _enum_arg(args: MultiDict, name: str) -> str | None:
    value = args.get(name)
    if value is not None and value not in ENUMS[name]:
        raise validation(
            f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(ENUMS[name])}]"
        )
    return value


def model_summary(model: Model) -> dict:
    return {
        "modelArn": model.arn,
        "modelId": model.model_id,
        "modelName": model.name,
        "providerName": model.provider,
        "inputModalities": list(model.inputs),
        "outputModalities": list(model.outputs),
        "responseStreamingSupported": model.streaming,
        "customizationsSupported": [],
        "inferenceTypesSupported": list(model.inference_types),
        "modelLifecycle": {"status": model.lifecycle},
    }


def _provider_matches(model: Model, wanted: str) -> bool:
    wanted = wanted.lower()
    return wanted in (model.provider.lower(), model.model_id.split(".")[0])


def _model_filter(args: MultiDict):
    provider = args.get("byProvider")
    customization = _enum_arg(args, "byCustomizationType")
    modality = _enum_arg(args, "byOutputModality")
    inference = _enum_arg(args, "byInferenceType")
    return lambda m: (
        (provider is None or _provider_matches(m, provider))
        and customization is None  # no emulated model supports customization
        and (modality is None or modality in m.outputs)
        and (inference is None or inference in m.inference_types)
    )


def list_foundation_models(state: EmulatorState, args: MultiDict) -> Response:
    state.record("ListFoundationModels", None, dict(args))
    keep = _model_filter(args)
    return json_response({"modelSummaries": [model_summary(m) for m in catalogue.MODELS if keep(m)]})


def get_foundation_model(state: EmulatorState, identifier: str) -> Response:
    state.record("GetFoundationModel", identifier, None)
    model = catalogue.foundation_model(identifier)
    if model is None:
        raise BedrockError(
            "ResourceNotFoundException",
            "Could not resolve the foundation model from the provided model identifier.",
        )
    return json_response({"modelDetails": model_summary(model)})


def profile_summary(p: Profile) -> dict:
    return {
        "inferenceProfileName": p.name,
        "description": f"Routes requests to {catalogue.model_of(p).name} in {', '.join(p.regions)}.",
        "createdAt": catalogue.PROFILE_CREATED,
        "updatedAt": catalogue.PROFILE_CREATED,
        "inferenceProfileArn": p.arn,
        "models": catalogue.profile_models(p),
        "inferenceProfileId": p.profile_id,
        "status": "ACTIVE",
        "type": p.kind,
    }


def _encode_token(kind: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"t": kind, "o": offset}).encode()).decode()


def _decode_token(token: str, kind: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["o"] if data["t"] == kind else None
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        offset = None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise validation("The provided pagination token is invalid.")
    return offset


def _page_size(args: MultiDict) -> int:
    raw = args.get("maxResults", str(DEFAULT_PAGE_SIZE))
    size = int(raw) if raw.isdigit() else 0
    if not 1 <= size <= 1000:
        raise validation(
            f"1 validation error detected: Value '{raw}' at 'maxResults' failed to satisfy "
            "constraint: Member must have value between 1 and 1000"
        )
    return size


def list_inference_profiles(state: EmulatorState, args: MultiDict) -> Response:
    state.record("ListInferenceProfiles", None, dict(args))
    kind = _enum_arg(args, "type") or "SYSTEM_DEFINED"
    size = _page_size(args)
    token = args.get("nextToken")
    start = _decode_token(token, kind) if token else 0
    matching = [p for p in catalogue.PROFILES if p.kind == kind]
    page = {"inferenceProfileSummaries": [profile_summary(p) for p in matching[start : start + size]]}
    if start + size < len(matching):
        page["nextToken"] = _encode_token(kind, start + size)
    return json_response(page)


def get_inference_profile(state: EmulatorState, identifier: str) -> Response:
    state.record("GetInferenceProfile", identifier, None)
    found = catalogue.profile(identifier)
    if found is None:
        raise BedrockError("ResourceNotFoundException", f"Inference profile {identifier} does not exist.")
    return json_response(profile_summary(found))
