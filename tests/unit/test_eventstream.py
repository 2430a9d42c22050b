"""The gateway's event-stream decoder, checked against the emulator's encoder and botocore's decoder."""

from __future__ import annotations

import struct
import zlib

import pytest
from botocore.eventstream import EventStreamBuffer

from app import eventstream
from app.emulator import eventstream as encoder

DELTA = encoder.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}})
STOP = encoder.event("messageStop", {"stopReason": "end_turn"})


def message(headers: bytes, payload: bytes) -> bytes:
    prelude = struct.pack(">II", 12 + len(headers) + len(payload) + 4, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + headers + payload
    return body + struct.pack(">I", zlib.crc32(body))


def header(name: str, kind: int, value: bytes) -> bytes:
    return bytes([len(name)]) + name.encode() + bytes([kind]) + value


EVERY_TYPE = b"".join(
    [
        header("t", 0, b""),
        header("f", 1, b""),
        header("b", 2, struct.pack(">b", -2)),
        header("s", 3, struct.pack(">h", -300)),
        header("i", 4, struct.pack(">i", 70000)),
        header("l", 5, struct.pack(">q", 2**40)),
        header("raw", 6, struct.pack(">H", 3) + b"\x00\x01\x02"),
        header("str", 7, struct.pack(">H", 5) + b"hello"),
        header("ts", 8, struct.pack(">q", 1700000000000)),
        header("id", 9, bytes(range(16))),
    ]
)


def test_messages_decode_with_headers_and_payload():
    decoded = list(eventstream.decode([DELTA + STOP]))
    assert [headers[":event-type"] for headers, _ in decoded] == ["contentBlockDelta", "messageStop"]
    assert decoded[0][0] == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }


def test_bytes_split_anywhere_decode_to_the_same_messages():
    data = DELTA + STOP
    whole = list(eventstream.decode([data]))
    assert list(eventstream.decode(data[i : i + 1] for i in range(len(data)))) == whole
    assert list(eventstream.decode([data[:5], data[5:40], data[40:]])) == whole


def test_every_header_type_decodes_as_botocore_decodes_it():
    data = message(EVERY_TYPE, b"{}")
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    expected = next(iter(buffer)).headers
    assert dict(next(eventstream.decode([data]))[0]) == {
        **expected,
        "id": bytes(range(16)),
        "ts": 1700000000000,
    }


@pytest.mark.parametrize("at", [1, 9, 20, -6, -1], ids=["length", "prelude-crc", "headers", "payload", "crc"])
def test_a_corrupted_byte_fails_a_checksum(at):
    data = bytearray(DELTA)
    data[at] ^= 0x01
    with pytest.raises(eventstream.FramingError):
        list(eventstream.decode([bytes(data)]))


def test_a_stream_cut_inside_a_message_is_an_error():
    with pytest.raises(eventstream.FramingError, match="ended inside a message"):
        list(eventstream.decode([DELTA + STOP[:-3]]))


def test_headers_longer_than_their_message_are_refused():
    prelude = struct.pack(">II", 16, 100)
    data = prelude + struct.pack(">I", zlib.crc32(prelude))
    data += struct.pack(">I", zlib.crc32(data))
    with pytest.raises(eventstream.FramingError, match="impossible length"):
        list(eventstream.decode([data]))
