"""The lean Bedrock client keeps boto3's guarantees, checked against the emulator beside boto3's own.

Both clients are driven through ``app.bedrock.Bedrock`` over real HTTP: same answers, same
mapped errors, credential refresh, retries before the first byte and none after, timeouts.
"""

from __future__ import annotations

import json
import socket
import sys
import textwrap
import uuid

import boto3
import botocore.loaders
import pytest

from app import errors
from app.bedrock import Bedrock
from app.bedrock_lean import LeanRuntimeClient
from app.restjson import decode_blobs
from tests.http.helpers_chat import CLAUDE, png_bytes

CLIENTS = ("lean", "boto3")
COHERE = "cohere.embed-english-v3"


def converse_kwargs(text: str) -> dict:
    return {"modelId": CLAUDE, "messages": [{"role": "user", "content": [{"text": text}]}]}


def make(settings, **changes) -> Bedrock:
    return Bedrock(settings.replace(**changes))


def without_volatile(answer: dict) -> dict:
    """An answer minus what differs between two calls anyway (timing, request ids)."""
    return {key: value for key, value in answer.items() if key not in ("ResponseMetadata", "metrics")}


def events_without_metrics(events: list[dict]) -> list[dict]:
    return [
        {k: v for k, v in e.get("metadata", {}).items() if k != "metrics"} if "metadata" in e else e
        for e in events
    ]


def error_shapes() -> list[str]:
    model = botocore.loaders.Loader().load_service_model("bedrock-runtime", "service-2")
    return sorted(name for name, shape in model["shapes"].items() if shape.get("exception"))


def test_the_lean_client_is_the_default_and_boto3_the_switch(settings):
    assert isinstance(make(settings, bedrock_client="lean").runtime, LeanRuntimeClient)
    assert type(make(settings, bedrock_client="boto3").runtime).__name__ == "BedrockRuntime"


def test_a_retry_mode_the_lean_client_lacks_falls_back_to_boto3(settings):
    bedrock = make(settings, bedrock_client="lean", bedrock_retry_mode="adaptive")
    assert type(bedrock.runtime).__name__ == "BedrockRuntime"


def test_a_proxied_endpoint_falls_back_to_boto3(settings, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    bedrock = make(settings, bedrock_client="lean")
    assert type(bedrock.runtime).__name__ == "BedrockRuntime"


def test_the_connection_pool_is_sized_by_the_setting(settings):
    bedrock = make(settings, bedrock_client="lean", bedrock_max_pool_connections=7)
    assert bedrock.runtime._pool.maxsize == 7


@pytest.mark.parametrize(
    "text",
    [
        "Hello there",
        "@@reasoning Think first.\n@@reply Done.",
        "@@redacted hidden\n@@reply Done.",
        '@@tool get_weather {"city": "Paris"}',
    ],
)
def test_converse_answers_are_the_same_from_both_clients(settings, bedrock_emulator, text):
    lean, boto = (make(settings, bedrock_client=kind) for kind in CLIENTS)
    assert without_volatile(lean.converse(converse_kwargs(text))) == without_volatile(
        boto.converse(converse_kwargs(text))
    )


@pytest.mark.parametrize(
    "text",
    [
        "@@words 12",
        "@@reasoning Think first.\n@@reply Done.",
        "@@redacted hidden\n@@reply Done.",
        '@@tool get_weather {"city": "Paris"}',
    ],
)
def test_stream_events_are_the_same_from_both_clients(settings, bedrock_emulator, text):
    lean, boto = (make(settings, bedrock_client=kind) for kind in CLIENTS)
    assert events_without_metrics(
        list(lean.converse_stream(converse_kwargs(text)))
    ) == events_without_metrics(list(boto.converse_stream(converse_kwargs(text))))


def test_redacted_reasoning_arrives_as_bytes_as_boto3_decodes_it(settings):
    lean = make(settings, bedrock_client="lean").runtime
    body = {"output": {"message": {"content": [{"reasoningContent": {"redactedContent": "AAEC"}}]}}}
    operation = lean._operation("converse")
    assert decode_blobs(body, operation.blobs.tree)["output"]["message"]["content"][0] == {
        "reasoningContent": {"redactedContent": b"\x00\x01\x02"}
    }


def test_invoke_model_answers_are_the_same_from_both_clients(settings, bedrock_emulator):
    body = {"texts": ["one", "two"], "input_type": "search_document"}
    lean, boto = (make(settings, bedrock_client=kind).invoke_model(COHERE, body) for kind in CLIENTS)
    assert ({**lean.body, "id": ""}, lean.input_tokens) == ({**boto.body, "id": ""}, boto.input_tokens)
    assert len(lean.body["embeddings"]) == 2


@pytest.mark.parametrize("client_kind", CLIENTS)
@pytest.mark.parametrize("shape", error_shapes())
def test_every_bedrock_error_maps_alike_before_the_answer(settings, bedrock_emulator, client_kind, shape):
    bedrock = make(settings, bedrock_client=client_kind)
    with pytest.raises(errors.GatewayError) as caught:
        bedrock.converse(converse_kwargs(f"@@fault {shape} message=Upstream says no."))
    reference = _mapped_by_boto3(settings, f"@@fault {shape} message=Upstream says no.")
    assert (type(caught.value), caught.value.to_body(), caught.value.retry_after) == reference


@pytest.mark.parametrize("client_kind", CLIENTS)
@pytest.mark.parametrize(
    "shape", ["ThrottlingException", "ModelStreamErrorException", "InternalServerException"]
)
def test_stream_exceptions_map_alike_mid_stream(settings, bedrock_emulator, client_kind, shape):
    text = f"@@words 5\n@@fault {shape} when=midstream after=2 message=Broke off."
    events = make(settings, bedrock_client=client_kind).converse_stream(converse_kwargs(text))
    received = []
    with pytest.raises(errors.GatewayError) as caught:
        for event in events:
            received.append(event)
    assert len([e for e in received if "contentBlockDelta" in e]) == 2
    mapped = errors.RateLimitError if shape == "ThrottlingException" else errors.UpstreamError
    assert (type(caught.value), caught.value.message) == (mapped, "Amazon Bedrock: Broke off.")


def _mapped_by_boto3(settings, text: str) -> tuple:
    try:
        make(settings, bedrock_client="boto3").converse(converse_kwargs(text))
    except errors.GatewayError as exc:
        return type(exc), exc.to_body(), exc.retry_after
    raise AssertionError("the fault did not fire")


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_throttling_before_the_first_byte_is_retried_with_backoff(settings, bedrock_emulator, client_kind):
    text = f"@@words 3\n@@fault ThrottlingException times=2 id={uuid.uuid4().hex}"
    bedrock = make(settings, bedrock_client=client_kind, bedrock_max_attempts=3)
    events = list(bedrock.converse_stream(converse_kwargs(text)))
    assert "messageStop" in events[-2]
    assert bedrock_emulator.calls()["ConverseStream"] == 3


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_retries_stop_at_the_attempt_limit(settings, bedrock_emulator, client_kind):
    text = f"@@fault ThrottlingException times=5 id={uuid.uuid4().hex}"
    bedrock = make(settings, bedrock_client=client_kind, bedrock_max_attempts=2)
    with pytest.raises(errors.RateLimitError):
        bedrock.converse(converse_kwargs(text))
    assert bedrock_emulator.calls()["Converse"] == 2


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_a_validation_error_is_not_retried(settings, bedrock_emulator, client_kind):
    bedrock = make(settings, bedrock_client=client_kind, bedrock_max_attempts=3)
    with pytest.raises(errors.InvalidRequestError):
        bedrock.converse(converse_kwargs("@@fault ValidationException"))
    assert bedrock_emulator.calls()["Converse"] == 1


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_nothing_is_retried_after_the_first_byte(settings, bedrock_emulator, client_kind):
    text = f"@@words 5\n@@fault ThrottlingException when=midstream after=1 times=1 id={uuid.uuid4().hex}"
    events = make(settings, bedrock_client=client_kind, bedrock_max_attempts=3).converse_stream(
        converse_kwargs(text)
    )
    with pytest.raises(errors.RateLimitError):
        list(events)
    assert bedrock_emulator.calls()["ConverseStream"] == 1


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_a_slow_answer_is_a_timeout(settings, bedrock_emulator, client_kind):
    bedrock = make(settings, bedrock_client=client_kind, bedrock_read_timeout=0.2)
    with pytest.raises(errors.UpstreamTimeoutError):
        bedrock.converse(converse_kwargs("@@latency first=1000"))


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_a_stream_that_goes_quiet_is_a_timeout_mid_stream(settings, bedrock_emulator, client_kind):
    events = make(settings, bedrock_client=client_kind, bedrock_read_timeout=0.3).converse_stream(
        converse_kwargs("@@words 3\n@@latency token=1500")
    )
    received = []
    with pytest.raises(errors.UpstreamTimeoutError):
        for event in events:
            received.append(event)
    assert received[0] == {"messageStart": {"role": "assistant"}}


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_an_unreachable_endpoint_is_an_upstream_error(settings, monkeypatch, client_kind):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", f"http://127.0.0.1:{closed_port}")
    bedrock = make(settings, bedrock_client=client_kind)
    with pytest.raises(errors.UpstreamError) as caught:
        bedrock.converse(converse_kwargs("Hi"))
    assert caught.value.message == "Amazon Bedrock could not be reached."


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_missing_credentials_are_an_upstream_error(settings, monkeypatch, client_kind):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    bedrock = make(settings, bedrock_client=client_kind)
    with pytest.raises(errors.UpstreamError) as caught:
        bedrock.converse(converse_kwargs("Hi"))
    assert caught.value.message == "The gateway has no AWS credentials for Amazon Bedrock."


@pytest.mark.parametrize("client_kind", CLIENTS)
def test_expiring_role_credentials_are_refreshed_and_used(
    settings, bedrock_emulator, tmp_path, monkeypatch, client_kind
):
    """A credential process hands out a new key valid for 5 minutes: inside botocore's
    mandatory refresh window, so every call must fetch and sign with a fresh one."""
    counter = tmp_path / "count"
    script = tmp_path / "creds.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import datetime, json, pathlib
            counter = pathlib.Path({str(counter)!r})
            n = int(counter.read_text()) + 1 if counter.exists() else 1
            counter.write_text(str(n))
            expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)
            print(json.dumps({{"Version": 1, "AccessKeyId": f"ASIAROLE{{n}}", "SecretAccessKey": "s",
                              "SessionToken": "t", "Expiration": expires.isoformat()}}))
            """
        )
    )
    config = tmp_path / "config"
    config.write_text(f"[default]\ncredential_process = {sys.executable} {script}\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    bedrock = Bedrock(settings.replace(bedrock_client=client_kind), boto3.session.Session())
    for _ in range(3):
        bedrock.converse(converse_kwargs("Hi"))
    used = int(counter.read_text())
    assert bedrock_emulator.signers()[-3:] == [f"ASIAROLE{n}" for n in range(used - 2, used + 1)]


def test_a_request_botocore_would_refuse_is_refused_before_sending(settings, bedrock_emulator):
    bedrock = make(settings, bedrock_client="lean")
    with pytest.raises(errors.InvalidRequestError) as caught:
        bedrock.converse({"modelId": CLAUDE, "messages": [{"role": "user", "content": "not a list"}]})
    assert caught.value.message.startswith("Invalid request for Amazon Bedrock: Invalid type for parameter")
    assert bedrock_emulator.calls()["Converse"] == 0


def test_the_request_body_is_the_json_boto3_sends(settings, bedrock_emulator):
    image = {"image": {"format": "png", "source": {"bytes": png_bytes()}}}
    kwargs = {"modelId": CLAUDE, "messages": [{"role": "user", "content": [{"text": "@@echo"}, image]}]}
    lean, boto = (
        json.loads(
            make(settings, bedrock_client=kind).converse(kwargs)["output"]["message"]["content"][0]["text"]
        )
        for kind in CLIENTS
    )
    assert lean == boto


def test_endpoint_headers_replace_a_request_header_of_any_case_before_signing(settings):
    lean = make(settings, bedrock_client="lean").runtime
    lean._extra_headers = {"content-type": "application/x-amz-json-1.1", "x-amz-extra": "1"}
    signed = lean._signed("/model/m/converse", {"User-Agent": "u", "Content-Type": "application/json"}, b"{}")
    sent = {name: value for name, value in signed.items() if not name.startswith(("X-Amz-", "Authorization"))}
    assert sent == {"User-Agent": "u", "content-type": "application/x-amz-json-1.1", "x-amz-extra": "1"}
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-extra," in signed["Authorization"]


SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
MESSAGES_BODY = {
    "anthropic_version": "bedrock-2023-05-31",
    "max_tokens": 512,
    "messages": [{"role": "user", "content": "Hello world\n@@reasoning Weigh it.\n@@reply Done."}],
}


def without_message_id(payload: dict) -> dict:
    """A Messages event or object minus its random id."""
    if "message" in payload:
        return {**payload, "message": {**payload["message"], "id": ""}}
    return {**payload, "id": ""} if "id" in payload else payload


def test_invoke_model_with_response_stream_chunks_are_the_same_from_both_clients(settings, bedrock_emulator):
    """The Anthropic Messages route's stream: base64 ``bytes`` decoded, metrics aside."""
    answers = []
    for kind in CLIENTS:
        runtime = make(settings, bedrock_client=kind).runtime
        response = runtime.invoke_model_with_response_stream(
            modelId=SONNET_45, body=json.dumps(MESSAGES_BODY)
        )
        events = [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
        answers.append([without_message_id(e) for e in events[:-1]])
    assert answers[0] == answers[1]
    assert [event["type"] for event in answers[0][:2]] == ["message_start", "content_block_start"]


def test_count_tokens_is_the_same_from_both_clients(settings, bedrock_emulator):
    body = json.dumps({k: v for k, v in MESSAGES_BODY.items() if k != "max_tokens"} | {"max_tokens": 16})
    counts = [
        make(settings, bedrock_client=kind).runtime.count_tokens(
            modelId="anthropic.claude-sonnet-4-5-20250929-v1:0",
            input={"invokeModel": {"body": body.encode()}},
        )["inputTokens"]
        for kind in CLIENTS
    ]
    assert counts[0] == counts[1] > 0
