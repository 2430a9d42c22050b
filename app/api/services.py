"""Accessors for the services ``create_app`` hung on the app, and the JSON body reader."""

from __future__ import annotations

import json

from flask import current_app, request

from app.bedrock import Bedrock, get_bedrock
from app.catalogue import Catalogue
from app.errors import InvalidRequestError
from app.settings import Settings

__all__ = ["bedrock", "catalogue", "json_body", "settings"]


def settings() -> Settings:
    return current_app.extensions["settings"]


def catalogue() -> Catalogue:
    return current_app.extensions["catalogue"]


def bedrock() -> Bedrock:
    return get_bedrock()


def json_body() -> dict:
    """The request's JSON object, whatever its Content-Type; 400 for anything else."""
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidRequestError(
            "We could not parse the JSON body of your request. The body must be a JSON object."
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    check_shape(body, settings().max_json_depth)
    return body


def check_shape(value: object, max_depth: int) -> None:
    """Refuse deep nesting and lone surrogates (JSON allows "\ud800"; UTF-8 cannot carry it).

    Walks iteratively, so a hostile body cannot exhaust the stack.
    """
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > max_depth:
            raise InvalidRequestError(f"The request body is nested deeper than {max_depth} levels.")
        children = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in children:
            for text in (key, child):
                if isinstance(text, str) and not _encodable(text):
                    raise InvalidRequestError(
                        "The request body holds an invalid Unicode escape (a lone surrogate)."
                    )
            if isinstance(child, (dict, list)):
                stack.append((child, level + 1))


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
