"""The interface every response store implements, and the lookups views build on it."""

from __future__ import annotations

import time
from collections.abc import Callable

from app.errors import PreviousResponseNotFoundError, ResponseNotFoundError
from app.response_store.record import RESPONSE_ID, StoredResponse, input_items_page


class ResponseStore:
    """Stored responses, each visible only to its owner and only until it expires."""

    enabled = True
    kind = ""

    def __init__(self, ttl_days: int, clock: Callable[[], float] = time.time):
        self.ttl_days = ttl_days
        self.clock = clock

    def put(self, record: StoredResponse) -> None:
        raise NotImplementedError

    def get(self, response_id: str, owner: str) -> StoredResponse | None:
        """The record, or None when it is missing, expired or another owner's."""
        if not RESPONSE_ID.fullmatch(response_id):
            return None
        return self._get(response_id, owner)

    def delete(self, response_id: str, owner: str) -> bool:
        """Whether a live record of ``owner``'s was deleted."""
        if not RESPONSE_ID.fullmatch(response_id):
            return False
        return self._delete(response_id, owner)

    def _get(self, response_id: str, owner: str) -> StoredResponse | None:
        raise NotImplementedError

    def _delete(self, response_id: str, owner: str) -> bool:
        raise NotImplementedError

    def previous(self, response_id: str, owner: str) -> StoredResponse:
        """The record ``previous_response_id`` names, or the 400 OpenAI answers."""
        record = self.get(response_id, owner)
        if record is None:
            raise PreviousResponseNotFoundError(response_id)
        return record

    def require(self, response_id: str, owner: str) -> StoredResponse:
        """The record a GET names, or 404."""
        record = self.get(response_id, owner)
        if record is None:
            raise ResponseNotFoundError(response_id)
        return record

    def remove(self, response_id: str, owner: str) -> dict:
        """DELETE's body, or 404."""
        if not self.delete(response_id, owner):
            raise ResponseNotFoundError(response_id)
        return {"id": response_id, "object": "response", "deleted": True}

    def input_items(
        self, response_id: str, owner: str, *, after: str | None = None, limit: int = 20, order: str = "desc"
    ) -> dict:
        """``GET /responses/{id}/input_items``'s page, or 404."""
        record = self.require(response_id, owner)
        return input_items_page(record.input_items, after=after, limit=limit, order=order)
