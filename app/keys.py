"""API keys as tenants: a registry of named keys, each with its models and limits.

Sources, combined: ``API_KEY`` (comma-separated plain keys, named ``key-1``, ``key-2``, …
with no limits), ``API_KEYS_FILE`` and ``API_KEYS_JSON`` (a registry), and the Secrets
Manager secret / SSM parameter, each holding a registry or the legacy key list. A registry::

    {"keys": [{"name": "team-a", "key_sha256": "<64 hex>" | "key": "<plaintext>",
               "models": ["anthropic.claude-*"], "rpm": 60, "tpm": 200000, "max_parallel": 8,
               "tokens_per_day": 5000000, "expires": "2027-01-01T00:00:00Z",
               "disabled": false, "metadata": {}}]}

A bad registry stops startup with every problem listed, by entry name (or index), never
echoing a key. Only each key's sha256 is kept; a key's identity everywhere else is its name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

from flask import g

from app.settings import ConfigError

log = logging.getLogger(__name__)

LIMIT_FIELDS = ("rpm", "tpm", "max_parallel", "tokens_per_day")
KNOWN_FIELDS = frozenset(
    {"name", "key", "key_sha256", "models", "expires", "disabled", "metadata", *LIMIT_FIELDS}
)
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class ApiKey:
    """One tenant: who it is, which models it may use, and its limits (None: no limit)."""

    name: str
    digest: bytes = field(repr=False)
    models: tuple[str, ...] | None = None
    rpm: int | None = None
    tpm: int | None = None
    max_parallel: int | None = None
    tokens_per_day: int | None = None
    expires: datetime | None = None
    disabled: bool = False
    metadata: Mapping = field(default_factory=dict)

    def is_active(self, now: datetime) -> bool:
        return not self.disabled and (self.expires is None or now < self.expires)

    @cached_property
    def has_limits(self) -> bool:
        return any(getattr(self, name) is not None for name in LIMIT_FIELDS)

    @property
    def limits(self) -> dict[str, int | None]:
        return {name: getattr(self, name) for name in LIMIT_FIELDS}


def digest_of(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def legacy_keys(keys: list[str], first_number: int = 1) -> list[ApiKey]:
    """Plain keys from the comma-separated sources: ``key-1``, ``key-2``, …, no limits."""
    return [ApiKey(name=f"key-{first_number + i}", digest=digest_of(key)) for i, key in enumerate(keys)]


def parse_registry(document: object, source: str) -> tuple[list[ApiKey], list[str]]:
    """The keys of one registry document, and every problem found in it."""
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return [], [f'{source}: expected {{"keys": [...]}}']
    keys, problems = [], []
    for index, entry in enumerate(entries):
        key, entry_problems = _parse_entry(entry)
        label = entry.get("name") if isinstance(entry, dict) and isinstance(entry.get("name"), str) else None
        where = f"{source}: key {label!r}" if label else f"{source}: keys[{index}]"
        problems += [f"{where}: {problem}" for problem in entry_problems]
        if key is not None:
            keys.append(key)
    return keys, problems


def _parse_entry(entry: object) -> tuple[ApiKey | None, list[str]]:
    if not isinstance(entry, dict):
        return None, ["must be an object"]
    problems = [f"unknown field {name!r}" for name in entry if name not in KNOWN_FIELDS]
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("name must be a non-empty string")
    digest = _entry_digest(entry, problems)
    models = entry.get("models")
    if models is not None and not _is_pattern_list(models):
        problems.append("models must be a list of non-empty strings")
    limits = {}
    for limit in LIMIT_FIELDS:
        value = entry.get(limit)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            problems.append(f"{limit} must be a positive integer")
        limits[limit] = value
    expires = _expiry(entry.get("expires"), problems)
    disabled = entry.get("disabled", False)
    if not isinstance(disabled, bool):
        problems.append("disabled must be true or false")
    metadata = entry.get("metadata", {})
    if not isinstance(metadata, dict):
        problems.append("metadata must be an object")
    if problems:
        return None, problems
    return ApiKey(
        name=name.strip(),
        digest=digest,
        models=tuple(models) if models is not None else None,
        expires=expires,
        disabled=disabled,
        metadata=metadata,
        **limits,
    ), []


def _is_pattern_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) and item for item in value)


def _entry_digest(entry: dict, problems: list[str]) -> bytes:
    plain, hashed = entry.get("key"), entry.get("key_sha256")
    if (plain is None) == (hashed is None):
        problems.append("needs exactly one of key and key_sha256")
    elif plain is not None and not (isinstance(plain, str) and plain.strip()):
        problems.append("key must be a non-empty string")
    elif hashed is not None and not (isinstance(hashed, str) and _SHA256_HEX.fullmatch(hashed)):
        problems.append("key_sha256 must be 64 hexadecimal characters (the key's SHA-256)")
    else:
        return digest_of(plain.strip()) if plain is not None else bytes.fromhex(hashed)
    return b""


def _expiry(value: object, problems: list[str]) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        problems.append("expires must be an ISO 8601 date-time such as 2027-01-01T00:00:00Z")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_unique(keys: list[ApiKey]) -> list[str]:
    """Two entries with one name, or one key under two names, are configuration mistakes."""
    problems, names, owners = [], set(), {}
    for key in keys:
        if key.name in names:
            problems.append(f"key name {key.name!r} is used twice")
        names.add(key.name)
        if key.digest in owners:
            problems.append(f"keys {owners[key.digest]!r} and {key.name!r} are the same key")
        owners.setdefault(key.digest, key.name)
    return problems


def parse_json(text: str, source: str) -> tuple[object, list[str]]:
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:
        return None, [f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno})"]


class KeyRegistry:
    """The loaded keys, re-read every ``refresh_seconds`` (0: never); greenlet-safe."""

    def __init__(
        self,
        loader: Callable[[], tuple[ApiKey, ...]],
        refresh_seconds: float = 0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._loader = loader
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self.keys = loader()
        self._loaded_at = clock()

    def identify(self, presented: str) -> ApiKey | None:
        """The key ``presented`` is, comparing against every digest so timing reveals nothing."""
        self._refresh()
        candidate = digest_of(presented)
        found = None
        for key in self.keys:
            if hmac.compare_digest(candidate, key.digest):
                found = key
        return found

    def _refresh(self) -> None:
        if not self._refresh_seconds or self._clock() - self._loaded_at < self._refresh_seconds:
            return
        if not self._lock.acquire(blocking=False):
            return  # another request is reloading; the current keys serve meanwhile
        try:
            self.keys = self._loader()
        except ConfigError as exc:
            log.warning("could not reload the API key registry, keeping the current keys: %s", exc)
        finally:
            self._loaded_at = self._clock()
            self._lock.release()


def current_key() -> ApiKey | None:
    """The key this request authenticated with (None when authentication is off)."""
    return g.get("api_key")
