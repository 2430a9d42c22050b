"""Bedrock Gateway: an OpenAI-compatible API in front of Amazon Bedrock."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from app.log_format import formatter
from app.settings import Settings

if TYPE_CHECKING:
    from flask import Flask

CATALOGUE = "catalogue"
SETTINGS = "settings"


def configure_logging(settings: Settings) -> None:
    """Every logger's lines through one handler, in the configured format."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(settings.log_format))
    handler.name = "bedrock-gateway"
    root = logging.getLogger()
    # Replace only the handler an earlier app installed; others (a test's capture) stay.
    root.handlers[:] = [h for h in root.handlers if h.name != handler.name] + [handler]
    root.setLevel(settings.log_level)
    # botocore's INFO lines (credential and endpoint discovery) are noise in a service log.
    quiet = max(logging.WARNING, logging.getLevelName(settings.log_level))
    for name in ("botocore", "boto3", "urllib3"):
        logging.getLogger(name).setLevel(quiet)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the WSGI app; settings default to the environment, validated once."""
    # Imported here, not at the top, so that `python -m app.emulator` can monkey-patch with
    # gevent before Flask, boto3 and ssl load, and pure modules import without them.
    from flask import Flask

    from app import (
        access_log,
        auth,
        bedrock,
        cors,
        exchange,
        fair_turns,
        metrics,
        openapi,
        payload_log,
        rate_limits,
        response_store,
    )
    from app.api import bp as api_bp
    from app.api.health import bp as health_bp
    from app.catalogue import Catalogue
    from app.errors import register_error_handlers
    from app.json_provider import OrjsonProvider

    settings = settings or Settings.from_env(os.environ)
    configure_logging(settings)
    app = Flask(__name__, static_folder=None)
    app.json = OrjsonProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    # Model ids may hold "//" (e.g. a bad ARN): answer 404 in JSON, not an HTML redirect.
    app.url_map.merge_slashes = False
    app.extensions[SETTINGS] = settings
    client = bedrock.init_app(app, settings)
    catalogue = app.extensions[CATALOGUE] = Catalogue(settings, client.list_models, region=client.region)
    auth.init_app(app, settings)
    rate_limits.init_app(app, settings)
    response_store.init_app(app, settings)
    access_log.init_app(app)
    metrics.init_app(app, settings, catalogue.is_known)
    cors.init_app(app, settings)
    register_error_handlers(app)
    exchange.init_app(app)
    payload_log.init_app(app, settings)
    app.register_blueprint(health_bp)
    app.register_blueprint(api_bp, url_prefix=settings.api_route_prefix)
    if settings.api_route_prefix != "/v1":
        app.register_blueprint(api_bp, url_prefix="/v1", name="v1")
    openapi.init_app(app, settings)
    app.wsgi_app = fair_turns.taking_turns(app.wsgi_app, settings.worker_turn_ms)
    logging.getLogger(__name__).info("start", extra=_start_fields(settings))
    return app


def _start_fields(settings: Settings) -> dict:
    """The lifecycle ``start`` line: what this worker serves, never a secret."""
    return {
        "event": "start",
        "pid": os.getpid(),
        "api_route_prefix": settings.api_route_prefix,
        "aws_region": settings.aws_region or None,
        "auth": "off" if settings.disable_auth else "on",
        "metrics": settings.metrics_enabled,
        "docs": settings.docs_enabled,
    }
