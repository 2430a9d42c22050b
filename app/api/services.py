"""Accessors for the services ``create_app`` hung on the app, and the JSON body reader."""

from __future__ import annotations

import orjson
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
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidRequestError(
            "We could not parse the JSON body of your request. The body must be a JSON object."
        ) from None
    if not isinstance(body, dict):
        raise InvalidRequestError("The request body must be a JSON object.")
    check_shape(body, settings().max_json_depth)
    return body


def check_shape(value: object, max_depth: int) -> None:
    """Refuse deep nesting, walking iteratively so a hostile body cannot exhaust the stack.

    orjson has already refused invalid UTF-8 and lone surrogates ("\ud800") as bad JSON.
    """
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > max_depth:
            raise InvalidRequestError(f"The request body is nested deeper than {max_depth} levels.")
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
