"""``GET /usage``: the calling key's own usage today, its limits and what remains."""

from flask import Blueprint

from app.errors import NotFoundError
from app.keys import current_key
from app.rate_limits import limiter

bp = Blueprint("usage", __name__)


@bp.get("/usage", strict_slashes=False)
def get_usage() -> dict:
    key = current_key()
    if key is None:
        raise NotFoundError("Usage is counted per API key, and authentication is off (DISABLE_AUTH).")
    return limiter().usage(key)
