"""AWS event-stream binary encoding (the framing of ConverseStream responses).

A message is: prelude (total length u32, headers length u32, prelude CRC32 u32),
headers, payload, message CRC32 u32; all big-endian, CRC32 as zlib.crc32.
Only string-valued headers (type 7) are needed.
"""

import json
import struct
import zlib

STRING_HEADER = 7
PRELUDE_LENGTH = 12
CRC_LENGTH = 4
PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def encode_headers(headers: dict[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        out += struct.pack(">B", len(raw_name)) + raw_name
        out += struct.pack(">BH", STRING_HEADER, len(raw_value)) + raw_value
    return bytes(out)


def encode_message(headers: dict[str, str], payload: bytes) -> bytes:
    """One complete event-stream message."""
    raw_headers = encode_headers(headers)
    total = PRELUDE_LENGTH + len(raw_headers) + len(payload) + CRC_LENGTH
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def padded(payload: dict) -> bytes:
    # Real Bedrock pads payloads with a "p" field to hide lengths; clients must ignore it.
    pad = PADDING[: 4 + len(json.dumps(payload)) % 20]
    return json.dumps({**payload, "p": pad}).encode()


def event(event_type: str, payload: dict) -> bytes:
    """An `event` message such as messageStart or contentBlockDelta."""
    headers = {
        ":event-type": event_type,
        ":content-type": "application/json",
        ":message-type": "event",
    }
    return encode_message(headers, padded(payload))


def exception(exception_type: str, message: str) -> bytes:
    """A modelled exception; `exception_type` is the union member, e.g. throttlingException."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_message(headers, json.dumps({"message": message}).encode())


def error(code: str, message: str) -> bytes:
    """An unmodelled error message (what botocore reads from :error-code/:error-message)."""
    headers = {":error-code": code, ":error-message": message, ":message-type": "error"}
    return encode_message(headers, b"")
