"""Request metadata: the key-value pairs Bedrock writes to its model invocation logs.

Converse's ``requestMetadata`` takes at most 16 pairs; keys of 1-256 and values of 0-256
characters from ``[a-zA-Z0-9\\s:_@$#=/+,-.]``. A client's metadata is a label, not an
instruction, so pairs Bedrock would refuse are dropped rather than failing the request.
"""

from __future__ import annotations

import re

MAX_PAIRS = 16
_KEY = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,\-.]{1,256}")
_VALUE = re.compile(r"[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}")


def request_metadata(pairs: dict | None, **named: object) -> dict[str, str]:
    """The pairs Bedrock accepts, ``named`` ones (such as ``user``) first, in order."""
    candidates = {key: value for key, value in named.items() if value is not None}
    for key, value in (pairs if isinstance(pairs, dict) else {}).items():
        candidates.setdefault(key, value)
    kept: dict[str, str] = {}
    for key, value in candidates.items():
        if len(kept) == MAX_PAIRS:
            break
        if _accepted(key, _KEY) and _accepted(value, _VALUE):
            kept[key] = value
    return kept


def _accepted(text: object, pattern: re.Pattern) -> bool:
    return isinstance(text, str) and pattern.fullmatch(text) is not None
