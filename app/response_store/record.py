"""What a stored response holds, and the pure helpers every store shares."""

from __future__ import annotations

import gzip
import hashlib
import re
import secrets
from dataclasses import asdict, dataclass

import orjson

from app.errors import InvalidRequestError

# Ids come from the URL: anything else cannot name a stored response (and never reaches a key).
RESPONSE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
ITEM_ID_PREFIXES = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "reasoning": "rs",
    "custom_tool_call": "ctc",
    "custom_tool_call_output": "ctco",
    "local_shell_call": "lsh",
    "local_shell_call_output": "lsho",
}
DAY = 86_400
# Item types whose listed form (openai-python's ResponseItem) requires a status.
_STATUS_LISTED = {
    "message", "function_call", "function_call_output", "custom_tool_call", "custom_tool_call_output",
    "local_shell_call",
}  # fmt: skip


@dataclass(frozen=True)
class StoredResponse:
    """A response object, the full input of its chain, and who may read it."""

    id: str
    owner: str
    model: str
    created_at: int
    response: dict
    input_items: list[dict]

    @property
    def output(self) -> list[dict]:
        return self.response.get("output", [])

    def history(self) -> list[dict]:
        """What a turn naming this one as ``previous_response_id`` puts before its own input."""
        return self.input_items + self.output

    def to_bytes(self) -> bytes:
        return gzip.compress(orjson.dumps(asdict(self)), compresslevel=6)

    @classmethod
    def from_bytes(cls, data: bytes) -> StoredResponse:
        return cls(**orjson.loads(gzip.decompress(data)))


def new_record(response: dict, input_items: list[dict], owner: str) -> StoredResponse:
    """A record for ``response``; input items without an id get one, as OpenAI's listing shows."""
    return StoredResponse(
        id=response["id"],
        owner=owner,
        model=response.get("model", ""),
        created_at=int(response["created_at"]),
        response=response,
        input_items=with_item_ids(input_items),
    )


def with_item_ids(items: list[dict]) -> list[dict]:
    return [item if item.get("id") else {"id": new_item_id(item), **item} for item in items]


def new_item_id(item: dict) -> str:
    kind = item.get("type", "message")
    return f"{ITEM_ID_PREFIXES.get(kind, 'item')}_{secrets.token_hex(16)}"


def owner_of_key(api_key: str) -> str:
    """The owner recorded for a key: its SHA-256, so the key itself is never stored."""
    return "sha256:" + hashlib.sha256(api_key.encode()).hexdigest()


def is_fresh(created_at: int, now: float, ttl_days: int) -> bool:
    return created_at > now - ttl_days * DAY


def input_items_page(
    items: list[dict], *, after: str | None = None, limit: int = 20, order: str = "desc"
) -> dict:
    """OpenAI's cursor page over ``items``: ``{object: "list", data, first_id, last_id, has_more}``."""
    if order not in ("asc", "desc"):
        raise InvalidRequestError("order must be 'asc' or 'desc'.", param="order")
    if not 1 <= limit <= 100:
        raise InvalidRequestError("limit must be between 1 and 100.", param="limit")
    ordered = items if order == "asc" else items[::-1]
    start = 0
    if after:
        ids = [item.get("id") for item in ordered]
        if after not in ids:
            raise InvalidRequestError(f"No input item with id '{after}' in this response.", param="after")
        start = ids.index(after) + 1
    data = [listed_item(item) for item in ordered[start : start + limit]]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": start + limit < len(ordered),
    }


def listed_item(item: dict) -> dict:
    """An input item as OpenAI lists it: what a client omitted but the listing requires, filled in."""
    listed = dict(item)
    if listed.get("type", "message") in _STATUS_LISTED and listed.get("status") is None:
        listed["status"] = "completed"
    if isinstance(listed.get("content"), list):
        listed["content"] = [_listed_part(part) for part in listed["content"]]
    return listed


def _listed_part(part: object) -> object:
    if not isinstance(part, dict):
        return part
    if part.get("type") == "output_text" and part.get("annotations") is None:
        return {**part, "annotations": []}
    if part.get("type") == "input_image" and part.get("detail") is None:
        return {**part, "detail": "auto"}
    return part
