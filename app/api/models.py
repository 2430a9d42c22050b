"""``GET /models`` and ``GET /models/<id>`` in OpenAI's model object shape."""

from flask import Blueprint

from app.api.services import catalogue

bp = Blueprint("models", __name__)


@bp.get("/models", strict_slashes=False)
def list_models() -> dict:
    return {"object": "list", "data": [model.to_openai() for model in catalogue().list_models()]}


@bp.get("/models/<path:model_id>")
def get_model(model_id: str) -> dict:
    # No id ends in "/": `/models/<id>/` is the same model, as `/models/` is the list.
    model_id = model_id.removesuffix("/")
    model = catalogue().resolve(model_id, purpose="any")
    return {**model.to_openai(), "id": model_id}
