"""``GET /models`` and ``GET /models/<id>``: one body for OpenAI's and Anthropic's clients.

OpenAI's SDKs read ``data[].id``; Anthropic's SDK and Claude Code's model discovery read
``type``, ``display_name``, ``created_at`` and the page fields ``has_more``, ``first_id``,
``last_id``, and keep only ids that start with ``claude`` or ``anthropic``: Anthropic's own
names (``claude-sonnet-4-5``) are listed beside the Bedrock ids.
"""

from flask import Blueprint

from app.api.services import catalogue

bp = Blueprint("models", __name__)


@bp.get("/models", strict_slashes=False)
def list_models() -> dict:
    data = [model.to_listing() for model in catalogue().list_models()]
    data += [model.to_listing(name) for name, model in catalogue().anthropic_names().items()]
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


@bp.get("/models/<path:model_id>")
def get_model(model_id: str) -> dict:
    # No id ends in "/": `/models/<id>/` is the same model, as `/models/` is the list.
    model_id = model_id.removesuffix("/")
    model, _ = catalogue().resolve_anthropic(model_id, purpose="any")
    return model.to_listing(model_id)
