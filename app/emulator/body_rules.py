"""InvokeModel body checks with the wording of Bedrock's model-schema errors."""

from app.emulator.errors import BedrockError, validation


def malformed(detail: str) -> BedrockError:
    return validation(f"Malformed input request: {detail}, please reformat your input and try again.")


def check_keys(body: dict, allowed: set[str], required: tuple[str, ...] = ()) -> None:
    """Reject unknown keys and missing required keys at the top of a body."""
    for key in body:
        if key not in allowed:
            raise malformed(f"#: extraneous key [{key}] is not permitted")
    for key in required:
        if key not in body:
            raise malformed(f"#: required key [{key}] not found")


def enum(body: dict, key: str, values: tuple, default=None, path: str = "#"):
    """body[key] constrained to `values` (or the default when absent)."""
    value = body.get(key, default)
    if value not in values:
        raise malformed(f"{path}/{key}: {value} is not a valid enum value")
    return value


def boolean(body: dict, key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise malformed(f"#/{key}: expected type: Boolean, found: {type(value).__name__}")
    return value


def positive_int(body: dict, key: str, default: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise malformed(f"#/{key}: expected a positive integer, found: {value}")
    return value


def string_list(body: dict, key: str, max_items: int) -> list[str]:
    """A non-empty list of non-empty strings with at most `max_items` entries."""
    items = body.get(key)
    if not isinstance(items, list):
        raise malformed(f"#/{key}: expected type: JSONArray, found: {type(items).__name__}")
    if not items:
        raise malformed(f"#/{key}: expected minimum item count: 1, found: 0")
    if len(items) > max_items:
        raise malformed(f"#/{key}: expected maximum item count: {max_items}, found: {len(items)}")
    for index, item in enumerate(items):
        text(item, f"#/{key}/{index}")
    return items


def text(value, path: str, max_length: int | None = None) -> str:
    """A non-empty string, optionally bounded in characters."""
    if not isinstance(value, str):
        raise malformed(f"{path}: expected type: String, found: {type(value).__name__}")
    if not value:
        raise malformed(f"{path}: expected minLength: 1, actual: 0")
    if max_length is not None and len(value) > max_length:
        raise malformed(f"{path}: expected maxLength: {max_length}, actual: {len(value)}")
    return value


def truncate_chars(value: str, limit: int, mode: str, path: str) -> str:
    """Apply a START/END (or LEFT/RIGHT) truncation mode to a character limit."""
    if len(value) <= limit:
        return value
    if mode == "NONE":
        raise malformed(f"{path}: expected maxLength: {limit}, actual: {len(value)}")
    return value[-limit:] if mode in ("START", "LEFT") else value[:limit]


def truncate_words(value: str, limit: int, mode: str, what: str) -> str:
    """Apply a truncation mode to a token (word) limit; NONE rejects long input."""
    words = value.split()
    if len(words) <= limit:
        return value
    if mode == "NONE":
        raise validation(
            f"Too many input tokens. Max input tokens: {limit}, "
            f"request input token count: {len(words)} ({what})"
        )
    return " ".join(words[-limit:] if mode in ("START", "LEFT") else words[:limit])
