"""The API blueprint: every endpoint (OpenAI's and Anthropic's dialects), behind the API key check.

Every route also answers with a trailing slash (``strict_slashes=False``): clients that
join a base URL and a path by hand send ``/v1/chat/completions/``. Chat completions and
embeddings are also served at ``/deployments/<model>/...``, the paths Azure OpenAI clients
(``AzureOpenAI``, ``AzureChatOpenAI``) build; they send the key as ``api-key``.
"""

from flask import Blueprint

from app.api import chat, embeddings, messages, models, responses, usage
from app.auth import require_api_key
from app.rate_limits import enforce_limits, expose_limit_headers

bp = Blueprint("api", __name__)
bp.before_request(require_api_key)
bp.before_request(enforce_limits)
bp.after_request(expose_limit_headers)
bp.register_blueprint(chat.bp)
bp.register_blueprint(embeddings.bp)
bp.register_blueprint(messages.bp)
bp.register_blueprint(models.bp)
bp.register_blueprint(responses.bp)
bp.register_blueprint(usage.bp)
