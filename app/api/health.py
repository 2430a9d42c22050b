"""``GET /health`` (liveness) and ``GET /health/ready`` (readiness): unauthenticated, local only.

Liveness stays 200 while the process runs. Readiness turns 503 as soon as the worker
starts draining (SIGTERM), so a load balancer stops sending it new requests while the
open ones finish.
"""

from flask import Blueprint, Response, jsonify

from app.drain import DRAIN

bp = Blueprint("health", __name__)


@bp.get("/health")
@bp.get("/")
def health() -> dict:
    return {"status": "ok"}


@bp.get("/health/ready")
def ready() -> Response:
    if DRAIN.draining:
        response = jsonify({"status": "draining"})
        response.status_code = 503
        return response
    return jsonify({"status": "ready"})
