"""Accessors for the services ``create_app`` hung on the app."""

from __future__ import annotations

from flask import current_app

from app.bedrock import Bedrock, get_bedrock
from app.catalogue import Catalogue
from app.settings import Settings

__all__ = ["bedrock", "catalogue", "settings"]


def settings() -> Settings:
    return current_app.extensions["settings"]


def catalogue() -> Catalogue:
    return current_app.extensions["catalogue"]


def bedrock() -> Bedrock:
    return get_bedrock()
