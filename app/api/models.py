"""``GET /models`` and ``GET /models/<id>`` in OpenAI's model object shape."""

from flask import Blueprint

from app.api.services import catalogue

bp = Blueprint("models", __name__)


@bp.get("/models")
def list_models() -> dict:
    return {"object": "list", "data": [model.to_openai() for model in catalogue().list_models()]}


@bp.get("/models/<path:model_id>")
def get_model(model_id: str) -> dict:
    model = catalogue().resolve(model_id, purpose="any")
    return {**model.to_openai(), "id": model_id}
