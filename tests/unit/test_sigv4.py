"""The lean client's SigV4 signatures are botocore's, header for header."""

from __future__ import annotations

import logging

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from app.sigv4 import Signer

BODY = b'{"messages":[{"role":"user","content":[{"text":"Hi"}]}]}'
JSON = {"User-Agent": "bedrock-gateway-lean", "Content-Type": "application/json"}


def botocore_signed(credentials, origin, path, headers, body, service="bedrock", region="us-east-1"):
    request = AWSRequest("POST", origin + path, dict(headers), body)
    SigV4Auth(credentials.get_frozen_credentials(), service, region).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize(
    ("origin", "path", "headers", "body"),
    [
        (
            "https://bedrock-runtime.us-east-1.amazonaws.com",
            "/model/amazon.nova-pro-v1%3A0/converse",
            JSON,
            BODY,
        ),
        ("https://bedrock-runtime.us-east-1.amazonaws.com:443", "/model/m/converse-stream", JSON, BODY),
        ("http://127.0.0.1:8123", "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse", JSON, BODY),
        ("http://[::1]:8123", "/model/m/invoke", {"Accept": "application/json"}, b""),
        (
            "https://vpce-1.bedrock-runtime.us-west-2.vpce.amazonaws.com",
            "/model/arn%3Aaws%3Abedrock%3Aus-west-2%3A123%3Ainference-profile%2Fus.x/invoke",
            {
                "User-Agent": "bedrock-gateway-lean",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-Amzn-Bedrock-Trace": "  ENABLED   twice  ",
                "X-Amzn-Bedrock-PerformanceConfig-Latency": "optimized",
            },
            '{"prompt": "héllo"}'.encode(),
        ),
        ("http://localhost:80", "/model/a/./b/../converse", JSON, BODY),
    ],
)
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEJr//////////wEaDH"])
def test_signed_headers_are_botocore_s(origin, path, headers, body, token):
    credentials = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    expected = botocore_signed(credentials, origin, path, headers, body)
    signed = Signer(origin, "bedrock", "us-east-1").sign(
        credentials.get_frozen_credentials(), path, headers, body, stamp=expected["X-Amz-Date"]
    )
    assert signed == expected


def test_a_new_day_or_a_rotated_secret_signs_with_a_new_key():
    origin, path = "https://bedrock-runtime.eu-west-1.amazonaws.com", "/model/m/converse"
    used = Signer(origin, "bedrock", "eu-west-1")
    first, rotated = Credentials("AKID", "first-secret"), Credentials("AKID", "rotated-secret")
    used.sign(first, path, JSON, BODY, stamp="20240101T235959Z")
    for credentials, stamp in [(first, "20240102T000000Z"), (rotated, "20240102T000001Z")]:
        fresh = Signer(origin, "bedrock", "eu-west-1")
        assert used.sign(credentials, path, JSON, BODY, stamp) == fresh.sign(
            credentials, path, JSON, BODY, stamp
        )


def test_the_debug_lines_are_botocore_s_on_botocore_s_logger(caplog):
    caplog.set_level(logging.DEBUG, logger="botocore.auth")
    origin, path = "http://127.0.0.1:8123", "/model/m/converse"
    credentials = Credentials("AKID", "secret")
    expected = botocore_signed(credentials, origin, path, JSON, BODY)
    botocore_lines = [(r.name, r.getMessage()) for r in caplog.records]
    caplog.clear()
    Signer(origin, "bedrock", "us-east-1").sign(credentials, path, JSON, BODY, stamp=expected["X-Amz-Date"])
    assert [(r.name, r.getMessage()) for r in caplog.records] == botocore_lines
    assert len(botocore_lines) == 4
