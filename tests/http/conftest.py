"""Fixtures shared by the HTTP tests: moto's S3 server for the response stores."""

import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from app.local import free_port


@pytest.fixture(scope="session")
def moto_s3():
    """moto's S3 server as a process of its own; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3(moto_s3, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_s3)
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="gw-responses")
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket="gw-responses"):
        for item in page.get("Contents", []):
            client.delete_object(Bucket="gw-responses", Key=item["Key"])
    client.delete_bucket(Bucket="gw-responses")
