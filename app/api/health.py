"""``GET /health``: unauthenticated liveness; touches nothing upstream."""

from flask import Blueprint

bp = Blueprint("health", __name__)


@bp.get("/health")
@bp.get("/")
def health() -> dict:
    return {"status": "ok"}
