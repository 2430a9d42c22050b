"""``RESPONSES_STORE=none``: nothing is kept."""

from __future__ import annotations

from app.response_store.base import ResponseStore
from app.response_store.record import StoredResponse


class NoStore(ResponseStore):
    """Responses report ``store: false``; every lookup misses."""

    enabled = False
    kind = "none"

    def put(self, record: StoredResponse) -> None:
        return None

    def _get(self, response_id: str, owner: str) -> StoredResponse | None:
        return None

    def _delete(self, response_id: str, owner: str) -> bool:
        return False
