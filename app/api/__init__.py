"""The API blueprint: every OpenAI-compatible endpoint, behind the API key check."""

from flask import Blueprint

from app.api import chat, embeddings, models
from app.auth import require_api_key

bp = Blueprint("api", __name__)
bp.before_request(require_api_key)
bp.register_blueprint(chat.bp)
bp.register_blueprint(embeddings.bp)
bp.register_blueprint(models.bp)
