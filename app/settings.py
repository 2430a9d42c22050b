"""Gateway configuration: parsed, defaulted and validated once, from the environment.

This is the only module that reads ``os.environ`` (through ``Settings.from_env``).
Every problem is collected and reported together in one ``ConfigError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
BEDROCK_IMAGE_LIMIT = 3_750_000
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# Variables whose values are never echoed (a storage URI may hold a password).
SECRET_VARIABLES = frozenset({"API_KEY", "API_KEYS_JSON", "RATE_LIMIT_STORAGE_URI", "METRICS_TOKEN"})


class ConfigError(ValueError):
    """One or more environment variables are invalid."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))


def _bool(raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("expected true or false")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("must be a positive integer")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be zero or more")
    return value


def _image_bytes(raw: str) -> int:
    value = _positive_int(raw)
    if value > BEDROCK_IMAGE_LIMIT:
        raise ValueError(f"must be at most {BEDROCK_IMAGE_LIMIT}, Bedrock's own per-image limit")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if value <= 0:
        raise ValueError("must be a positive number")
    return value


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError("must be zero or more")
    return value


def _key_list(raw: str) -> tuple[str, ...]:
    return tuple(key.strip() for key in raw.split(",") if key.strip())


def _word_list(raw: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in raw.split(",") if word.strip())


def _route_prefix(raw: str) -> str:
    prefix = "/" + raw.strip().strip("/")
    if prefix == "/":
        raise ValueError("must name a path such as /api/v1")
    return prefix


def _alias_map(raw: str) -> dict[str, str]:
    """Parse ``{"alias": "model"}`` JSON, or ``alias=model,alias2=model2``."""
    text = raw.strip()
    if not text:
        return {}
    if text.startswith("{"):
        parsed = json.loads(text)
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()):
            raise ValueError("JSON object values must be strings")
        return parsed
    pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
    if any(len(pair) != 2 or not pair[0].strip() or not pair[1].strip() for pair in pairs):
        raise ValueError("expected alias=model pairs separated by commas")
    return {alias.strip(): model.strip() for alias, model in pairs}


def _refresh_seconds(raw: str) -> float:
    value = float(raw)
    if value != 0 and value < 1:
        raise ValueError("must be 0 (never) or at least 1")
    return value


RATE_LIMIT_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+cluster", "redis+sentinel")


def _storage_uri(raw: str) -> str:
    uri = raw.strip()
    if uri.partition("://")[0] not in RATE_LIMIT_SCHEMES or "://" not in uri:
        raise ValueError(
            "must be memory:// or a redis URI (redis, rediss, redis+unix, redis+cluster, redis+sentinel)"
        )
    return uri


def _retry_mode(raw: str) -> str:
    mode = raw.strip().lower()
    if mode not in {"standard", "adaptive", "legacy"}:
        raise ValueError("must be standard, adaptive or legacy")
    return mode


def _one_of(*words: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        word = raw.strip().lower()
        if word not in words:
            raise ValueError("must be " + ", ".join(words[:-1]) + " or " + words[-1])
        return word

    return parse


def _guardrail_version(raw: str) -> str:
    version = raw.strip()
    if version and version != "DRAFT" and not (version.isdigit() and not version.startswith("0")):
        raise ValueError("must be a version number or DRAFT")
    return version


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def _store_url(raw: str) -> str:
    url = raw.strip()
    if url in ("", "none") or (url.startswith("sqlite:///") and url != "sqlite:///"):
        return url
    if url.startswith("s3://"):
        if not S3_BUCKET.fullmatch(url.removeprefix("s3://").partition("/")[0]):
            raise ValueError("names no valid S3 bucket")
        return url
    raise ValueError("expected sqlite:///PATH, s3://BUCKET/PREFIX or none")


def _log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"json", "text"}:
        raise ValueError("must be json or text")
    return value


def _env(name: str, parse: Callable[[str], object], default: object) -> object:
    """Declare a setting read from environment variable ``name``."""
    return field(default=default, metadata={"env": name, "parse": parse})


@dataclass(frozen=True)
class Settings:
    """Every setting the gateway reads; field metadata names its variable."""

    api_keys: tuple[str, ...] = _env("API_KEY", _key_list, ())
    api_key_secret_arn: str = _env("API_KEY_SECRET_ARN", str.strip, "")
    api_key_param_name: str = _env("API_KEY_PARAM_NAME", str.strip, "")
    api_keys_file: str = _env("API_KEYS_FILE", str.strip, "")
    api_keys_json: str = _env("API_KEYS_JSON", str.strip, "")
    keys_refresh_seconds: float = _env("KEYS_REFRESH_SECONDS", _refresh_seconds, 0.0)
    disable_auth: bool = _env("DISABLE_AUTH", _bool, False)
    api_route_prefix: str = _env("API_ROUTE_PREFIX", _route_prefix, "/api/v1")

    aws_region: str = _env("AWS_REGION", str.strip, "")
    bedrock_connect_timeout: float = _env("BEDROCK_CONNECT_TIMEOUT", _positive_float, 5.0)
    bedrock_read_timeout: float = _env("BEDROCK_READ_TIMEOUT", _positive_float, 300.0)
    bedrock_max_attempts: int = _env("BEDROCK_MAX_ATTEMPTS", _positive_int, 3)
    bedrock_retry_mode: str = _env("BEDROCK_RETRY_MODE", _retry_mode, "standard")
    bedrock_max_pool_connections: int = _env("BEDROCK_MAX_POOL_CONNECTIONS", _positive_int, 1000)
    bedrock_client: str = _env("BEDROCK_CLIENT", _one_of("lean", "boto3"), "lean")

    default_model: str = _env("DEFAULT_MODEL", str.strip, "anthropic.claude-3-5-sonnet-20240620-v1:0")
    default_embedding_model: str = _env("DEFAULT_EMBEDDING_MODEL", str.strip, "cohere.embed-multilingual-v3")
    model_aliases: Mapping[str, str] = _env("MODEL_ALIASES", _alias_map, None)
    anthropic_model_map: Mapping[str, str] = _env("ANTHROPIC_MODEL_MAP", _alias_map, None)
    model_cache_ttl: float = _env("MODEL_CACHE_TTL", _non_negative_float, 3600.0)
    model_refresh_interval: float = _env("MODEL_REFRESH_INTERVAL", _non_negative_float, 60.0)

    # Signs the thinking blocks a reasoning item carries; derived from the API keys when unset.
    reasoning_codec_key: str = _env("REASONING_CODEC_KEY", str.strip, "")
    enable_prompt_caching: bool = _env("ENABLE_PROMPT_CACHING", _bool, False)
    bedrock_latency: str = _env("BEDROCK_LATENCY", _one_of("standard", "optimized"), "standard")
    guardrail_id: str = _env("GUARDRAIL_ID", str.strip, "")
    guardrail_version: str = _env("GUARDRAIL_VERSION", _guardrail_version, "")
    guardrail_trace: str = _env("GUARDRAIL_TRACE", _one_of("enabled", "disabled", "enabled_full"), "disabled")
    guardrail_stream_mode: str = _env("GUARDRAIL_STREAM_MODE", _one_of("sync", "async"), "sync")
    allow_private_image_urls: bool = _env("ALLOW_PRIVATE_IMAGE_URLS", _bool, False)
    image_fetch_timeout: float = _env("IMAGE_FETCH_TIMEOUT", _positive_float, 10.0)
    image_max_bytes: int = _env("IMAGE_MAX_BYTES", _image_bytes, BEDROCK_IMAGE_LIMIT)
    image_max_redirects: int = _env("IMAGE_MAX_REDIRECTS", _non_negative_int, 3)

    max_request_bytes: int = _env("MAX_REQUEST_BYTES", _positive_int, 20 * 1024 * 1024)
    max_messages: int = _env("MAX_MESSAGES", _positive_int, 2000)
    max_json_depth: int = _env("MAX_JSON_DEPTH", _positive_int, 64)
    embedding_concurrency: int = _env("EMBEDDING_CONCURRENCY", _positive_int, 16)
    max_choices: int = _env("MAX_CHOICES", _positive_int, 8)

    data_dir: str = _env("DATA_DIR", str.strip, "data")
    responses_store: str = _env("RESPONSES_STORE", _store_url, "")
    responses_ttl_days: int = _env("RESPONSES_TTL_DAYS", _positive_int, 30)

    rate_limit_storage_uri: str = _env("RATE_LIMIT_STORAGE_URI", _storage_uri, "memory://")
    rate_limit_fail_open: bool = _env("RATE_LIMIT_FAIL_OPEN", _bool, True)
    # The length of the "minute" behind rpm and tpm; only tests shorten it.
    rate_limit_window_seconds: int = _env("RATE_LIMIT_WINDOW_SECONDS", _positive_int, 60)

    allowed_origins: tuple[str, ...] = _env("ALLOWED_ORIGINS", _word_list, ())
    log_level: str = _env("LOG_LEVEL", _log_level, "INFO")
    debug_log_payloads: bool = _env("DEBUG_LOG_PAYLOADS", _bool, False)
    # json under gunicorn (gunicorn.conf.py sets it) and on Lambda; text for a terminal.
    log_format: str = _env("LOG_FORMAT", _log_format, "text")

    metrics_enabled: bool = _env("METRICS_ENABLED", _bool, False)
    metrics_token: str = _env("METRICS_TOKEN", str.strip, "")
    docs_enabled: bool = _env("DOCS_ENABLED", _bool, True)
    sse_heartbeat_seconds: float = _env("SSE_HEARTBEAT_SECONDS", _non_negative_float, 15.0)
    worker_turn_ms: float = _env("WORKER_TURN_MS", _non_negative_float, 3.0)

    def __post_init__(self) -> None:
        for name in ("model_aliases", "anthropic_model_map"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, {})

    @property
    def has_key_source(self) -> bool:
        return bool(
            self.api_keys
            or self.api_key_secret_arn
            or self.api_key_param_name
            or self.api_keys_file
            or self.api_keys_json
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from ``environ``; raise one ConfigError naming every bad variable."""
        values: dict[str, object] = {}
        problems: list[str] = []
        for spec in fields(cls):
            name = spec.metadata["env"]
            raw = environ.get(name)
            if name == "AWS_REGION" and not raw:
                raw = environ.get("AWS_DEFAULT_REGION")
            if name == "LOG_FORMAT" and not raw and environ.get("AWS_LAMBDA_FUNCTION_NAME"):
                raw = "json"
            if raw is None:
                continue
            try:
                values[spec.name] = spec.metadata["parse"](raw)
            except ValueError as exc:
                problems.append(f"{name}={_shown(name, raw)}: {exc}")
        settings = cls(**values) if not problems else None
        if settings is not None and bool(settings.guardrail_id) != bool(settings.guardrail_version):
            problems.append("GUARDRAIL_ID and GUARDRAIL_VERSION: set both, or neither")
        if settings is not None and not settings.has_key_source and not settings.disable_auth:
            problems.append(
                "no API key configured: set API_KEY, API_KEYS_FILE, API_KEYS_JSON, API_KEY_SECRET_ARN "
                "or API_KEY_PARAM_NAME "
                "(or DISABLE_AUTH=true for a private network)"
            )
        if problems:
            raise ConfigError(problems)
        return settings

    def replace(self, **changes: object) -> Settings:
        """Return a copy with ``changes`` applied (tests and the local runner use this)."""
        current = {spec.name: getattr(self, spec.name) for spec in fields(self)}
        return Settings(**{**current, **changes})


def _shown(name: str, raw: str) -> str:
    """Never echo a secret back into logs or error messages."""
    return "<redacted>" if name in SECRET_VARIABLES else repr(raw)
