"""``POST /embeddings``."""

from flask import Blueprint

bp = Blueprint("embeddings", __name__)
