"""Stored responses for ``store`` and ``previous_response_id``: SQLite, S3 or none.

``RESPONSES_STORE`` picks the backend: ``sqlite:///PATH`` (relative, or absolute with a
fourth slash; the default is ``responses.sqlite3`` in ``DATA_DIR``), ``s3://BUCKET/PREFIX``
or ``none``. Views reach the app's store with ``current_store()`` and identify the caller
with an ``owner`` string (``owner_of_key``), never the key itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from app.response_store.base import ResponseStore
from app.response_store.none import NoStore
from app.response_store.record import StoredResponse, input_items_page, new_record, owner_of_key
from app.settings import ConfigError, Settings

__all__ = [
    "NoStore",
    "ResponseStore",
    "StoredResponse",
    "current_store",
    "init_app",
    "input_items_page",
    "new_record",
    "open_store",
    "owner_of_key",
]

EXTENSION = "response_store"
DEFAULT_FILE = "responses.sqlite3"


def open_store(settings: Settings, clock: Callable[[], float] = time.time) -> ResponseStore:
    """The store ``settings`` name; a location that cannot be opened stops startup."""
    url = settings.responses_store or "sqlite:///" + str(Path(settings.data_dir) / DEFAULT_FILE)
    if url == "none":
        return NoStore(settings.responses_ttl_days, clock)
    if url.startswith("s3://"):
        from app.response_store.s3 import S3Store

        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        return S3Store(_s3_client(settings), bucket, prefix, settings.responses_ttl_days, clock)
    from app.errors import StoreUnavailableError
    from app.response_store.sqlite import SqliteStore

    path = url.removeprefix("sqlite:///")
    try:
        return SqliteStore(path, settings.responses_ttl_days, clock)
    except (OSError, StoreUnavailableError) as exc:
        cause = exc.__cause__ or exc
        raise ConfigError([f"RESPONSES_STORE: cannot open {path!r}: {cause}"]) from exc


def _s3_client(settings: Settings):
    """Built here, at startup; boto3 honours ``AWS_ENDPOINT_URL_S3`` and the credential chain."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=5, read_timeout=20, retries={"total_max_attempts": 3, "mode": "standard"})
    return boto3.session.Session().client("s3", region_name=settings.aws_region or None, config=config)


def init_app(app, settings: Settings, clock: Callable[[], float] = time.time) -> ResponseStore:
    store = open_store(settings, clock)
    app.extensions[EXTENSION] = store
    return store


def current_store() -> ResponseStore:
    from flask import current_app

    return current_app.extensions[EXTENSION]
