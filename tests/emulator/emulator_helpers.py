"""Helpers shared by the emulator tests (plain functions; fixtures live in conftest)."""

import json
import urllib.request

import boto3
from botocore.config import Config

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET_37 = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"


def make_client(url: str, service: str, **config):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(**config),
    )


def user(*texts: str) -> dict:
    return {"role": "user", "content": [{"text": t} for t in texts]}


def ask(client, text: str, model: str = HAIKU, **kwargs) -> dict:
    return client.converse(modelId=model, messages=[user(text)], **kwargs)


def reply_text(response: dict) -> str:
    return "".join(b.get("text", "") for b in response["output"]["message"]["content"])


def get_json(url: str):
    with urllib.request.urlopen(url) as response:
        return json.loads(response.read())


def post_json(url: str, payload=None):
    data = json.dumps(payload or {}).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


SONNET_45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


def claude_body(*texts: str, **fields) -> dict:
    """A minimal Anthropic Messages body for InvokeModel: one user turn per text."""
    messages = [{"role": "user", "content": text} for text in texts] or [{"role": "user", "content": "hi"}]
    return {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 4096, "messages": messages, **fields}


def invoke_claude(client, body: dict, model: str = SONNET_45) -> tuple[dict, dict]:
    """(the Messages object, the HTTP response headers) of one InvokeModel call."""
    response = client.invoke_model(modelId=model, body=json.dumps(body))
    return json.loads(response["body"].read()), response["ResponseMetadata"]["HTTPHeaders"]


def claude_events(client, body: dict, model: str = SONNET_45) -> list[dict]:
    """The Anthropic events of one InvokeModelWithResponseStream call, decoded."""
    response = client.invoke_model_with_response_stream(modelId=model, body=json.dumps(body))
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]
