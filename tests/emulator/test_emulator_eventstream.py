"""The event-stream encoder, checked by botocore's own decoder."""

import json
import struct
import zlib

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from app.emulator import eventstream


def decode_all(data: bytes) -> list:
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_event_round_trips_through_botocore_decoder_with_headers_and_padding():
    message = decode_all(eventstream.event("contentBlockDelta", {"delta": {"text": "Hi"}}))[0]
    assert message.headers == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    payload = json.loads(message.payload)
    assert payload["delta"] == {"text": "Hi"}
    assert payload["p"] and set(payload) == {"delta", "p"}


def test_consecutive_messages_decode_in_order_from_one_buffer():
    data = eventstream.event("messageStart", {"role": "assistant"}) + eventstream.event(
        "messageStop", {"stopReason": "end_turn"}
    )
    types = [m.headers[":event-type"] for m in decode_all(data)]
    assert types == ["messageStart", "messageStop"]


def test_prelude_carries_lengths_and_both_crcs_are_big_endian_crc32():
    data = eventstream.encode_message({"a": "b"}, b"xyz")
    total, headers_length, prelude_crc = struct.unpack(">III", data[:12])
    assert total == len(data)
    assert headers_length == len(eventstream.encode_headers({"a": "b"})) == 1 + 1 + 1 + 2 + 1
    assert prelude_crc == zlib.crc32(data[:8])
    assert struct.unpack(">I", data[-4:])[0] == zlib.crc32(data[:-4])


def test_corrupted_message_fails_botocore_checksum():
    data = bytearray(eventstream.event("messageStart", {"role": "assistant"}))
    data[-6] ^= 0xFF
    with pytest.raises(ChecksumMismatch):
        decode_all(bytes(data))


def test_exception_message_has_exception_type_header_and_message_payload():
    message = decode_all(eventstream.exception("throttlingException", "slow down"))[0]
    assert message.headers[":message-type"] == "exception"
    assert message.headers[":exception-type"] == "throttlingException"
    assert json.loads(message.payload) == {"message": "slow down"}
    assert message.to_response_dict()["status_code"] == 400


def test_error_message_uses_error_code_and_error_message_headers():
    message = decode_all(eventstream.error("AccessDeniedException", "no"))[0]
    assert message.headers == {
        ":error-code": "AccessDeniedException",
        ":error-message": "no",
        ":message-type": "error",
    }
    assert message.payload == b""
