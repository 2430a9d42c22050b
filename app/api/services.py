"""Accessors for the services ``create_app`` hung on the app."""

from __future__ import annotations

from flask import current_app

from app.allowlist import KeyCatalogue
from app.bedrock import Bedrock, get_bedrock
from app.catalogue import Catalogue
from app.keys import current_key
from app.settings import Settings

__all__ = ["bedrock", "catalogue", "settings"]


def settings() -> Settings:
    return current_app.extensions["settings"]


def catalogue() -> Catalogue | KeyCatalogue:
    """The catalogue as this request's key sees it: every view resolves models here."""
    shared = current_app.extensions["catalogue"]
    key = current_key()
    return shared if key is None or key.models is None else KeyCatalogue(shared, key.models)


def bedrock() -> Bedrock:
    return get_bedrock()
