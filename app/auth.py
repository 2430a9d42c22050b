"""API keys: the key registry loaded at startup, checked in constant time on every API request.

Keys come from ``API_KEY`` (comma-separated for several), ``API_KEYS_FILE`` / ``API_KEYS_JSON``
(a registry of named keys, see ``app.keys``), a Secrets Manager secret (``API_KEY_SECRET_ARN``)
or an SSM parameter (``API_KEY_PARAM_NAME``, decrypted); the secret and the parameter hold a
registry, or the legacy form: a JSON object whose ``api_key`` field holds one key or a
comma-separated list, or the plain string. Keys are never logged. Clients send
``Authorization: Bearer <key>``; Azure-style clients' ``api-key: <key>`` and Anthropic
clients' ``x-api-key: <key>`` work too.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from functools import partial

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, current_app, g, request

from app.errors import AuthenticationError
from app.exchange import current as current_exchange
from app.keys import ApiKey, KeyRegistry, check_unique, legacy_keys, parse_json, parse_registry
from app.settings import ConfigError, Settings

log = logging.getLogger(__name__)

EXTENSION = "api_keys"


def load_keys(settings: Settings, session: boto3.session.Session | None = None) -> tuple[ApiKey, ...]:
    """Every configured key from every source; one ConfigError lists every problem."""
    plain = list(settings.api_keys)
    documents: list[tuple[str, str]] = []
    if settings.api_keys_file:
        try:
            with open(settings.api_keys_file, encoding="utf-8") as file:
                documents.append(("API_KEYS_FILE", file.read()))
        except OSError as exc:
            problem = f"API_KEYS_FILE: cannot read {settings.api_keys_file!r}: {exc.strerror}"
            raise ConfigError([problem]) from exc
    if settings.api_keys_json:
        documents.append(("API_KEYS_JSON", settings.api_keys_json))
    try:
        for source, value in _aws_sources(settings, session):
            if _is_registry(value):
                documents.append((source, value))
            else:
                plain += _split(_legacy_value(value))
    except (BotoCoreError, ClientError) as exc:
        raise ConfigError([f"could not load the API key: {type(exc).__name__}"]) from exc
    keys, problems = legacy_keys(plain), []
    for source, text in documents:
        document, found = parse_json(text, source)
        parsed, more = parse_registry(document, source) if not found else ([], found)
        keys += parsed
        problems += more
    problems += check_unique(keys)
    if problems:
        raise ConfigError(problems)
    if not keys and not settings.disable_auth:
        raise ConfigError(["the configured API key source holds no key"])
    return tuple(keys)


def _aws_sources(settings: Settings, session: boto3.session.Session | None):
    if settings.api_key_secret_arn:
        yield "API_KEY_SECRET_ARN", _secret_value(settings, session)
    if settings.api_key_param_name:
        yield "API_KEY_PARAM_NAME", _parameter_value(settings, session)


def _is_registry(value: str) -> bool:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return False
    return isinstance(parsed, dict) and "keys" in parsed


def _legacy_value(raw: str) -> str:
    """``{"api_key": "k1,k2"}`` or the plain string."""
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return str(parsed.get("api_key", "")) if isinstance(parsed, dict) else raw


def _secret_value(settings: Settings, session: boto3.session.Session | None) -> str:
    client = (session or boto3.session.Session()).client(
        "secretsmanager", region_name=settings.aws_region or None
    )
    return client.get_secret_value(SecretId=settings.api_key_secret_arn)["SecretString"]


def _parameter_value(settings: Settings, session: boto3.session.Session | None) -> str:
    client = (session or boto3.session.Session()).client("ssm", region_name=settings.aws_region or None)
    response = client.get_parameter(Name=settings.api_key_param_name, WithDecryption=True)
    return response["Parameter"]["Value"]


def _split(value: str) -> list[str]:
    return [key.strip() for key in value.split(",") if key.strip()]


def presented_key() -> str:
    """``Authorization: Bearer <key>``, or the ``api-key`` (Azure) or ``x-api-key`` (Anthropic) header.

    The scheme is case-insensitive and blanks around it are ignored. A non-empty
    Authorization header is the one judged, so a bad bearer token is never rescued.
    """
    authorization = request.headers.get("Authorization", "")
    if not authorization.strip():
        return (request.headers.get("x-api-key") or request.headers.get("api-key") or "").strip()
    parts = authorization.split(None, 1)
    return parts[1].strip() if len(parts) == 2 and parts[0].lower() == "bearer" else ""


def require_api_key() -> None:
    """``before_request`` hook for the API blueprint: identify the key, or answer 401."""
    if request.method == "OPTIONS":
        return
    registry: KeyRegistry | None = current_app.extensions[EXTENSION]
    if registry is None:
        return
    presented = presented_key()
    if not presented:
        raise AuthenticationError(
            "Missing API key. Send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
            code="missing_api_key",
        )
    key = registry.identify(presented)
    # An expired or disabled key is answered exactly as an unknown one.
    if key is None or not key.is_active(datetime.now(UTC)):
        raise AuthenticationError("Incorrect API key provided.")
    g.api_key = key
    current_exchange().key_name = key.name


def init_app(app: Flask, settings: Settings) -> None:
    if settings.disable_auth:
        app.extensions[EXTENSION] = None
        return
    app.extensions[EXTENSION] = KeyRegistry(partial(load_keys, settings), settings.keys_refresh_seconds)
