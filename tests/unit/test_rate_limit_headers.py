"""The rate-limit header values: OpenAI's duration format and the retry hints the SDKs read."""

import pytest

from app.rate_limits import duration, retry_headers


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0ms"),
        (0.012, "12ms"),
        (0.9994, "1s"),
        (1, "1s"),
        (8.64, "8.64s"),
        (59.5, "59.5s"),
        (60, "1m0s"),
        (360, "6m0s"),
        (3723.25, "1h2m3.25s"),
        (86400, "24h0m0s"),
    ],
)
def test_durations_are_written_as_openai_writes_them(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "headers"),
    [
        (0.0004, {"Retry-After": "1", "retry-after-ms": "1"}),
        (1, {"Retry-After": "1", "retry-after-ms": "1000"}),
        (1.2, {"Retry-After": "2", "retry-after-ms": "1200"}),
        (59.999, {"Retry-After": "60", "retry-after-ms": "59999"}),
    ],
)
def test_retry_hints_round_up_and_keep_the_milliseconds(seconds, headers):
    assert retry_headers(seconds) == headers
