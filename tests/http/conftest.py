"""Fixtures shared by the HTTP tests: moto's S3 server for the response stores, a local image server."""

import http.server
import subprocess
import sys
import threading
import time
import urllib.request

import boto3
import pytest

from app.local import free_port
from tests.http.helpers_chat import png_bytes


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


@pytest.fixture
def image_server():
    """A local HTTP server with one PNG at /cat.png and a redirect to it at /go."""
    body = png_bytes(3, 3)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/go":
                self.send_response(302)
                self.send_header("Location", "/cat.png")
                self.end_headers()
                return
            self.send_response(200 if self.path == "/cat.png" else 404)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", body
    server.shutdown()
    server.server_close()
