"""The model catalogue: what Bedrock offers, cached, and how a requested id resolves.

Built from ListFoundationModels plus the SYSTEM_DEFINED and APPLICATION inference
profiles, each profile resolved to its foundation model so that its capabilities are
known. Cached for ``MODEL_CACHE_TTL``; ``GET /models`` may refresh it at most once per
``MODEL_REFRESH_INTERVAL``. When Bedrock cannot be listed, the last good copy is kept;
with none, the configured default models stand in.
"""

from __future__ import annotations

import calendar
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.anthropic_names import anthropic_names, split_one_million
from app.errors import GatewayError, ModelNotFoundError
from app.model_families import Family, family_for
from app.settings import Settings

log = logging.getLogger(__name__)

FOUNDATION = "foundation"
SYSTEM_PROFILE = "system_profile"
APPLICATION_PROFILE = "application_profile"

_DATE_IN_ID = re.compile(r"(20\d{2})(\d{2})(\d{2})")
_FOUNDATION_ARN = re.compile(r"^arn:aws[\w-]*:bedrock:[\w-]*::foundation-model/(.+)$")


@dataclass(frozen=True)
class ModelInfo:
    """One id a client may request, with the facts translation needs about it."""

    id: str
    foundation_id: str
    provider: str = ""
    input_modalities: frozenset[str] = frozenset({"TEXT"})
    output_modalities: frozenset[str] = frozenset({"TEXT"})
    streaming: bool = True
    kind: str = FOUNDATION
    created: int = 0
    family: Family = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.family is None:
            object.__setattr__(self, "family", family_for(self.foundation_id))

    @property
    def supports_images(self) -> bool:
        return "IMAGE" in self.input_modalities

    @property
    def is_embedding(self) -> bool:
        return "EMBEDDING" in self.output_modalities

    @property
    def is_chat(self) -> bool:
        return "TEXT" in self.output_modalities

    def to_listing(self, model_id: str | None = None) -> dict:
        """One model object for OpenAI clients (id, object, created, owned_by) and Anthropic
        clients (id, type, display_name, created_at) alike; ``model_id`` names it otherwise."""
        model_id = model_id or self.id
        created_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.created))
        return {
            "id": model_id,
            "object": "model",
            "created": self.created,
            "owned_by": "bedrock",
            "type": "model",
            "display_name": model_id,
            "created_at": created_at,
        }


def created_from_id(model_id: str, fallback: int) -> int:
    """A stable ``created`` timestamp: the release date in the id, else the load time."""
    match = _DATE_IN_ID.search(model_id)
    if not match:
        return fallback
    year, month, day = (int(part) for part in match.groups())
    try:
        return calendar.timegm((year, month, day, 0, 0, 0))
    except ValueError:
        return fallback


def foundation_id_of(model_arn: str) -> str:
    match = _FOUNDATION_ARN.match(model_arn)
    return match.group(1) if match else model_arn.rsplit("/", 1)[-1]


def build_models(
    summaries: Iterable[dict], profiles: Iterable[dict], now: int
) -> tuple[dict[str, ModelInfo], list[str]]:
    """Index every resolvable id; return it with the ids ``GET /models`` lists, in order."""
    foundations: dict[str, ModelInfo] = {}
    listed: list[str] = []
    for summary in summaries:
        model = _from_summary(summary, now)
        foundations[model.id] = model
        if _is_listed(summary):
            listed.append(model.id)
    index: dict[str, ModelInfo] = dict(foundations)
    for summary in summaries:
        index.setdefault(summary.get("modelArn", ""), foundations[summary["modelId"]])
    for profile in profiles:
        # The first id is the one clients see listed; a system profile's ARN also resolves.
        models = _from_profile(profile, foundations, now)
        index.update((model.id, model) for model in models)
        if models and models[0].is_chat and models[0].streaming and models[0].id not in listed:
            listed.append(models[0].id)
    return index, listed


def _is_listed(summary: dict) -> bool:
    status = summary.get("modelLifecycle", {}).get("status", "ACTIVE")
    return (
        "TEXT" in summary.get("outputModalities", [])
        and summary.get("responseStreamingSupported", False)
        and status in {"ACTIVE", "LEGACY"}
        and "ON_DEMAND" in summary.get("inferenceTypesSupported", [])
    )


def _from_summary(summary: dict, now: int) -> ModelInfo:
    model_id = summary["modelId"]
    return ModelInfo(
        id=model_id,
        foundation_id=model_id,
        provider=summary.get("providerName", ""),
        input_modalities=frozenset(summary.get("inputModalities", ["TEXT"])),
        output_modalities=frozenset(summary.get("outputModalities", ["TEXT"])),
        streaming=bool(summary.get("responseStreamingSupported", False)),
        created=created_from_id(model_id, now),
    )


def _from_profile(profile: dict, foundations: dict[str, ModelInfo], now: int) -> list[ModelInfo]:
    """A profile takes the capabilities of the foundation model it routes to."""
    models = profile.get("models") or []
    if not models or profile.get("status", "ACTIVE") != "ACTIVE":
        return []
    base = foundations.get(foundation_id_of(models[0].get("modelArn", "")))
    if base is None:
        return []
    is_application = profile.get("type") == "APPLICATION"
    ids = [profile["inferenceProfileArn"]] if is_application else [profile["inferenceProfileId"]]
    if not is_application:
        ids.append(profile["inferenceProfileArn"])
    kind = APPLICATION_PROFILE if is_application else SYSTEM_PROFILE
    return [
        ModelInfo(
            id=profile_id,
            foundation_id=base.foundation_id,
            provider=base.provider,
            input_modalities=base.input_modalities,
            output_modalities=base.output_modalities,
            streaming=base.streaming,
            kind=kind,
            created=created_from_id(base.foundation_id, now),
        )
        for profile_id in ids
    ]


Lister = Callable[[], tuple[list[dict], list[dict]]]


class Catalogue:
    """Cached view of Bedrock's models; thread- and greenlet-safe."""

    def __init__(
        self, settings: Settings, lister: Lister, clock: Callable[[], float] = time.time, region: str = ""
    ):
        self._settings = settings
        self._region = region
        self._anthropic_names: dict[str, str] = {}
        self._lister = lister
        self._clock = clock
        self._lock = threading.Lock()
        self._index: dict[str, ModelInfo] | None = None
        self._listed: list[str] = []
        self._loaded_at = float("-inf")
        self._failed_at = float("-inf")

    def list_models(self) -> list[ModelInfo]:
        """Models for ``GET /models``; may refresh, rate-limited."""
        self._refresh(min_age=self._settings.model_refresh_interval)
        index = self._current_index()
        return [index[model_id] for model_id in self._listed if model_id in index]

    def resolve(self, requested: str, *, purpose: str = "chat") -> ModelInfo:
        """The model behind a requested id, alias or Anthropic name, or ModelNotFoundError."""
        target = self.alias_target(requested, purpose)
        model = self._lookup(target)
        if model is None:
            self._refresh(min_age=self._settings.model_refresh_interval)
            model = self._lookup(target)
        if model is None and target in self._anthropic_names:
            model = self._lookup(self._anthropic_names[target])
        if model is None and self._index is None:
            # Bedrock could never be listed: let it judge the id rather than refuse it here.
            return _guess(target, int(self._clock()), embedding=purpose == "embedding")
        if model is None:
            raise ModelNotFoundError(requested)
        return model

    def anthropic_names(self) -> dict[str, ModelInfo]:
        """Every Anthropic name the catalogue offers (``claude-sonnet-4-5``), and its model."""
        index = self._current_index()
        return {name: index[target] for name, target in self._anthropic_names.items() if target in index}

    def resolve_anthropic(self, requested: str, *, purpose: str = "chat") -> tuple[ModelInfo, bool]:
        """The model behind an Anthropic name (or any id ``resolve`` takes), and whether the
        name asked for the 1M-token context (``[1m]``)."""
        name, one_million = split_one_million(requested)
        target = self._settings.anthropic_model_map.get(name, name)
        try:
            return self.resolve(target, purpose=purpose), one_million
        except ModelNotFoundError:
            raise ModelNotFoundError(requested) from None

    def is_known(self, model_id: str) -> bool:
        """Whether the catalogue (or, with none loaded yet, the configured defaults) lists the id."""
        return model_id in self._current_index()

    def alias_target(self, requested: str, purpose: str) -> str:
        aliases = self._settings.model_aliases
        if requested in aliases:
            return aliases[requested]
        if requested.startswith("gpt-") or (purpose == "chat" and requested.startswith("o1")):
            return self._settings.default_model
        if requested.startswith("text-embedding-"):
            return self._settings.default_embedding_model
        return requested

    def _lookup(self, model_id: str) -> ModelInfo | None:
        self._refresh(min_age=self._settings.model_cache_ttl)
        return self._current_index().get(model_id)

    def _current_index(self) -> dict[str, ModelInfo]:
        return self._index if self._index is not None else self._fallback_index()

    def _fallback_index(self) -> dict[str, ModelInfo]:
        """With no catalogue ever loaded, the configured defaults stay usable."""
        now = int(self._clock())
        defaults = dict.fromkeys([self._settings.default_model, *self._settings.model_aliases.values()])
        index = {model_id: _guess(model_id, now) for model_id in defaults}
        embedding = self._settings.default_embedding_model
        index[embedding] = _guess(embedding, now, embedding=True)
        self._listed = self._listed or [k for k, v in index.items() if v.is_chat]
        return index

    def _refresh(self, *, min_age: float) -> None:
        if self._is_fresh(min_age):
            return
        if self._index is not None and self._lock.locked():
            return  # another request is refreshing; the current copy serves meanwhile
        with self._lock:  # with no copy yet, wait for the first load rather than 404
            if self._is_fresh(min_age):
                return
            try:
                summaries, profiles = self._lister()
            except GatewayError as exc:
                self._failed_at = self._clock()
                log.warning("could not list Bedrock models, keeping the last good catalogue: %s", exc)
                return
            self._index, self._listed = build_models(summaries, profiles, int(self._clock()))
            self._anthropic_names = anthropic_names(self._index, self._region)
            self._loaded_at = self._clock()

    def _is_fresh(self, min_age: float) -> bool:
        """Loaded recently enough, or failed less than a second ago (no stampede on failure)."""
        now = self._clock()
        return now - self._loaded_at < min_age or now - self._failed_at < 1.0


def _guess(model_id: str, now: int, *, embedding: bool = False) -> ModelInfo:
    """A model known only by its id: capabilities from its family, the rest left to Bedrock."""
    foundation = _strip_region(foundation_id_of(model_id))
    is_embedding = embedding or family_for(foundation).embedding is not None
    return ModelInfo(
        id=model_id,
        foundation_id=foundation,
        input_modalities=frozenset({"TEXT", "IMAGE"}),
        output_modalities=frozenset({"EMBEDDING" if is_embedding else "TEXT"}),
        created=created_from_id(model_id, now),
    )


_REGION_PREFIX = re.compile(r"^(us|eu|apac|global|us-gov|ca|jp|au)\.")


def _strip_region(model_id: str) -> str:
    return _REGION_PREFIX.sub("", foundation_id_of(model_id))
