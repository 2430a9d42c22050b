"""AWS event-stream decoding: bytes as they arrive → (headers, payload) messages.

A message is a prelude (total length, headers length, prelude CRC32; big-endian u32),
its headers, its payload and a CRC32 of everything before it. Both CRCs are checked;
a mismatch or an impossible length raises ``FramingError``. Pure: no I/O, no botocore.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator

PRELUDE = struct.Struct(">III")
PRELUDE_LENGTH = 12
CRC_LENGTH = 4
MAX_MESSAGE = 24 * 1024 * 1024  # the format's own limit on one message

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
# Header value types: fixed-size ones as (struct, size); 6 (bytes) and 7 (string) carry a u16 length.
_FIXED = {
    2: struct.Struct(">b"),
    3: struct.Struct(">h"),
    4: struct.Struct(">i"),
    5: struct.Struct(">q"),
    8: struct.Struct(">q"),  # timestamp, milliseconds since the epoch
}


class FramingError(ValueError):
    """The bytes are not a well-formed event stream."""


Message = tuple[dict[str, object], bytes]


def decode(chunks: Iterable[bytes]) -> Iterator[Message]:
    """Every complete message in ``chunks``, as soon as its last byte is in."""
    for batch in decode_batches(chunks):
        yield from batch


def decode_batches(chunks: Iterable[bytes]) -> Iterator[list[Message]]:
    """The messages each chunk completes, together (none: nothing yielded, unless the chunk was empty).

    Parsed by offsets into the bytes at hand; a message that spans chunks is joined once whole.
    """
    pending: list[bytes] = []  # the start of a message that spans chunks
    have = need = 0
    for chunk in chunks:
        if pending:
            pending.append(chunk)
            have += len(chunk)
            if have < need:
                if not chunk:  # an idle tick: passed on as an empty batch
                    yield []
                continue
            data, pending = b"".join(pending), []
        else:
            data = chunk
        at, size, batch = 0, len(data), []
        need = PRELUDE_LENGTH
        while size - at >= PRELUDE_LENGTH:
            total, headers_length, prelude_crc = PRELUDE.unpack_from(data, at)
            if zlib.crc32(data[at : at + 8]) != prelude_crc:
                raise FramingError("event-stream prelude checksum mismatch")
            if total > MAX_MESSAGE or headers_length > total - PRELUDE_LENGTH - CRC_LENGTH:
                raise FramingError(f"event-stream message of impossible length {total}")
            if size - at < total:
                need = total
                break
            batch.append(_message(data[at : at + total], headers_length))
            at += total
        if at < size:
            pending, have = [data[at:]], size - at
        if batch or not chunk:  # an empty chunk is an idle tick: passed on as an empty batch
            yield batch
    if pending:
        raise FramingError(f"event stream ended inside a message ({have} bytes left)")


def _message(data: bytes, headers_length: int) -> Message:
    end = len(data) - CRC_LENGTH
    if zlib.crc32(memoryview(data)[:end]) != _U32.unpack_from(data, end)[0]:
        raise FramingError("event-stream message checksum mismatch")
    headers_end = PRELUDE_LENGTH + headers_length
    block = data[PRELUDE_LENGTH:headers_end]
    found = _seen.get(block)
    if found is None:
        found = headers(block, 0, len(block))
        if len(_seen) < SEEN_HEADER_BLOCKS:
            _seen[block] = found
    return found, data[headers_end:end]


# A stream repeats a handful of header blocks (one per event type): parse each once.
# Callers must treat the header dicts as read-only.
SEEN_HEADER_BLOCKS = 512
_seen: dict[bytes, dict[str, object]] = {}


def headers(data: bytes, start: int, end: int) -> dict[str, object]:
    """The header block ``data[start:end]`` as a dict (strings for types 7, bytes for 6)."""
    found: dict[str, object] = {}
    at = start
    try:
        while at < end:
            name_length = data[at]
            name = data[at + 1 : at + 1 + name_length].decode()
            at += 1 + name_length
            kind = data[at]
            at += 1
            if kind == 7 or kind == 6:
                length = _U16.unpack_from(data, at)[0]
                raw = data[at + 2 : at + 2 + length]
                found[name] = raw.decode() if kind == 7 else raw
                at += 2 + length
            elif kind <= 1:
                found[name] = kind == 0
            elif kind == 9:
                found[name] = data[at : at + 16]
                at += 16
            else:
                fixed = _FIXED[kind]
                found[name] = fixed.unpack_from(data, at)[0]
                at += fixed.size
    except (IndexError, KeyError, struct.error, UnicodeDecodeError) as exc:
        raise FramingError("malformed event-stream headers") from exc
    if at != end:
        raise FramingError("event-stream headers overrun their length")
    return found
