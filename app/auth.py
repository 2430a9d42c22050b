"""API keys: loaded once at startup, checked in constant time on every API request.

Keys come from ``API_KEY`` (comma-separated for several), a Secrets Manager secret
(``API_KEY_SECRET_ARN``; a JSON object whose ``api_key`` field holds one key or a
comma-separated list, or the plain secret string) or an SSM parameter
(``API_KEY_PARAM_NAME``, decrypted). Keys are never logged. Clients send
``Authorization: Bearer <key>``; Azure-style clients' ``api-key: <key>`` and Anthropic
clients' ``x-api-key: <key>`` work too.
"""

from __future__ import annotations

import hmac
import json
import logging

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from flask import Flask, current_app, request

from app.errors import AuthenticationError
from app.settings import ConfigError, Settings

log = logging.getLogger(__name__)

EXTENSION = "api_keys"


def load_keys(settings: Settings, session: boto3.session.Session | None = None) -> tuple[bytes, ...]:
    """Every configured key, encoded once for constant-time comparison."""
    keys = list(settings.api_keys)
    try:
        if settings.api_key_secret_arn:
            keys += _split(_secret_value(settings, session))
        if settings.api_key_param_name:
            keys += _split(_parameter_value(settings, session))
    except (BotoCoreError, ClientError) as exc:
        raise ConfigError([f"could not load the API key: {type(exc).__name__}"]) from exc
    if not keys and not settings.disable_auth:
        raise ConfigError(["the configured API key source holds no key"])
    return tuple(key.encode() for key in keys)


def _secret_value(settings: Settings, session: boto3.session.Session | None) -> str:
    client = (session or boto3.session.Session()).client(
        "secretsmanager", region_name=settings.aws_region or None
    )
    raw = client.get_secret_value(SecretId=settings.api_key_secret_arn)["SecretString"]
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return str(parsed.get("api_key", "")) if isinstance(parsed, dict) else raw


def _parameter_value(settings: Settings, session: boto3.session.Session | None) -> str:
    client = (session or boto3.session.Session()).client("ssm", region_name=settings.aws_region or None)
    response = client.get_parameter(Name=settings.api_key_param_name, WithDecryption=True)
    return response["Parameter"]["Value"]


def _split(value: str) -> list[str]:
    return [key.strip() for key in value.split(",") if key.strip()]


def is_valid_key(presented: str, keys: tuple[bytes, ...]) -> bool:
    """Compare against every key so timing does not reveal which one nearly matched."""
    candidate = presented.encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(candidate, key)
    return matched


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
    """``before_request`` hook for the API blueprint."""
    if request.method == "OPTIONS":
        return
    keys = current_app.extensions[EXTENSION]
    if keys is None:
        return
    key = presented_key()
    if not key:
        raise AuthenticationError(
            "Missing API key. Send it as 'Authorization: Bearer <key>'.", code="missing_api_key"
        )
    if not is_valid_key(key, keys):
        raise AuthenticationError("Incorrect API key provided.")


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = None if settings.disable_auth else load_keys(settings)
