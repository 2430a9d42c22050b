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
