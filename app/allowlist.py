"""Model allowlists: a key sees only the models its ``models`` globs allow.

A pattern allows a request when it matches the requested name, the resolved Bedrock id,
or the foundation model behind a profile (so ``anthropic.claude-*`` also allows the
``us.anthropic.claude-…`` profiles). A model outside the list does not exist for that key:
404 ``model_not_found``, as for an unknown one.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from app.catalogue import Catalogue, ModelInfo
from app.errors import ModelNotFoundError


def allows(patterns: tuple[str, ...], requested: str, model: ModelInfo) -> bool:
    names = {requested, model.id, model.foundation_id}
    return any(fnmatchcase(name, pattern) for pattern in patterns for name in names)


class KeyCatalogue:
    """The catalogue as one key sees it; every view resolves models through it."""

    def __init__(self, catalogue: Catalogue, patterns: tuple[str, ...]):
        self._catalogue = catalogue
        self._patterns = patterns

    def resolve(self, requested: str, *, purpose: str = "chat") -> ModelInfo:
        model = self._catalogue.resolve(requested, purpose=purpose)
        if not allows(self._patterns, requested, model):
            raise ModelNotFoundError(requested)
        return model

    def resolve_anthropic(self, requested: str, *, purpose: str = "chat") -> tuple[ModelInfo, bool]:
        model, one_million = self._catalogue.resolve_anthropic(requested, purpose=purpose)
        if not allows(self._patterns, requested, model):
            raise ModelNotFoundError(requested)
        return model, one_million

    def list_models(self) -> list[ModelInfo]:
        return [model for model in self._catalogue.list_models() if allows(self._patterns, model.id, model)]

    def anthropic_names(self) -> dict[str, ModelInfo]:
        names = self._catalogue.anthropic_names()
        return {name: model for name, model in names.items() if allows(self._patterns, name, model)}

    def alias_target(self, requested: str, purpose: str) -> str:
        return self._catalogue.alias_target(requested, purpose)
