"""Hardening: request limits, SSRF-safe image fetching, secrets kept out of logs, upstream faults.

Image fetches run against a real HTTP server in a thread. Public-looking names are given
addresses by a fake resolver (``socket.getaddrinfo``), and a tap on ``socket.connect``
records every outgoing connection; it routes the one public test address to the local
server, which plays the public image host.
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import socket
import struct
import threading
import time
import zlib

import pytest

from app import create_app, payload_log
from app.emulator.serve import start_in_thread
from tests.conftest import API_KEY, AUTH, error_body
from tests.http.helpers_chat import CLAUDE, data_url, png_bytes

IMAGE_PARAM = "messages[0].content[1].image_url.url"
PUBLIC_ADDRESS = "93.184.215.14"  # a global address; the tap routes it to the local server
IMAGE = png_bytes()


def assert_openai_error(response, status: int, param: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    error = error_body(response)["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == ("invalid_request_error" if status < 500 else "server_error")
    assert error["param"] == param
    return error


def chat(client, *messages: dict, **extra):
    body = {"model": CLAUDE, "messages": list(messages), **extra}
    return client.post("/v1/chat/completions", json=body, headers=AUTH)


def with_image(url: str) -> dict:
    parts = [{"type": "text", "text": "@@reply seen"}, {"type": "image_url", "image_url": {"url": url}}]
    return {"role": "user", "content": parts}


def big_png(size: int) -> bytes:
    """A valid PNG of about ``size`` bytes: a private ancillary chunk carries the bulk."""
    filler = os.urandom(size)
    chunk = (
        struct.pack(">I", len(filler)) + b"prVt" + filler + struct.pack(">I", zlib.crc32(b"prVt" + filler))
    )
    return IMAGE[:33] + chunk + IMAGE[33:]


class TestRequestLimits:
    def test_a_body_over_max_request_bytes_is_413(self, make_app):
        client = make_app(max_request_bytes=1_000_000).test_client()
        body = b'{"model": "x", "messages": [], "pad": "' + b"a" * 1_000_001 + b'"}'
        response = client.post(
            "/v1/chat/completions", data=body, headers={**AUTH, "Content-Type": "application/json"}
        )
        error = assert_openai_error(response, 413)
        assert error["code"] == "request_too_large"

    def test_the_default_limit_takes_several_large_images(self, client):
        images = [{"type": "image_url", "image_url": {"url": data_url(big_png(3_000_000))}} for _ in range(4)]
        message = {"role": "user", "content": [{"type": "text", "text": "@@reply four images"}, *images]}
        response = chat(client, message)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert response.get_json()["choices"][0]["message"]["content"] == "four images"

    def test_the_default_limit_is_20_mib(self, client):
        body = b'{"pad": "' + b"a" * (20 * 1024 * 1024) + b'"}'
        response = client.post(
            "/v1/embeddings", data=body, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert_openai_error(response, 413)

    @pytest.mark.parametrize(("depth", "refused"), [(64, False), (65, True)])
    def test_json_nested_past_max_json_depth_is_400(self, client, depth, refused):
        nested: object = "deep"
        for _ in range(depth - 3):  # the body, messages and the message are three levels
            nested = [nested]
        message = {"role": "user", "content": "@@reply shallow enough", "metadata": nested}
        response = chat(client, message)
        if refused:
            error = assert_openai_error(response, 400)
            assert "nested deeper than 64 levels" in error["message"]
        else:
            assert response.status_code == 200, response.get_data(as_text=True)

    def test_more_messages_than_max_messages_is_400_naming_messages(self, make_app):
        client = make_app(max_messages=3).test_client()
        turns = [{"role": "user", "content": "@@reply ok"}, {"role": "assistant", "content": "ok"}]
        assert chat(client, *turns, turns[0]).status_code == 200
        error = assert_openai_error(chat(client, *turns, *turns), 400, "messages")
        assert "at most 3" in error["message"]

    def test_the_default_message_limit_refuses_a_flood_before_loading_it(self, client):
        flood = [{"role": "user", "content": "x"}] * 2001
        assert_openai_error(chat(client, *flood), 400, "messages")

    @pytest.mark.parametrize(
        ("path", "body"),
        [
            (
                "/v1/chat/completions",
                {"model": CLAUDE, "messages": [{"role": "user", "content": "hi \ud800"}]},
            ),
            ("/v1/embeddings", {"model": "cohere.embed-english-v3", "input": "\ud800"}),
        ],
    )
    def test_a_lone_surrogate_is_a_400(self, client, path, body):
        raw = json.dumps(body).encode()  # ASCII JSON carrying the escape \ud800, as a client may send
        response = client.post(path, data=raw, headers={**AUTH, "Content-Type": "application/json"})
        assert_openai_error(response, 400, response.get_json()["error"]["param"])

    def test_an_empty_segment_in_a_model_id_is_an_openai_404_not_a_redirect(self, client):
        response = client.get("/v1/models//b", headers=AUTH)
        assert assert_openai_error(response, 404)["code"] == "not_found"


class ImageHost(http.server.BaseHTTPRequestHandler):
    """The image host's routes; every request path is recorded on the server."""

    ROUTES = {
        "/image.png": lambda h: h.reply(200, IMAGE, "image/png"),
        "/text": lambda h: h.reply(200, b"hello, not an image", "text/plain"),
        "/labelled-png": lambda h: h.reply(200, b"<html>not a png</html>", "image/png"),
        "/oversize": lambda h: h.reply(200, big_png(4_000_000), "image/png"),
        "/oversize-chunked": lambda h: h.chunked(big_png(4_000_000)),
        "/slow": lambda h: h.slow(first_byte_after=3.0),
        "/drip": lambda h: h.drip(),
        "/to-metadata": lambda h: h.redirect("http://169.254.169.254/latest/meta-data/iam/"),
        "/to-loopback": lambda h: h.redirect(f"http://127.0.0.1:{h.server.server_port}/secret"),
        "/to-internal-name": lambda h: h.redirect("http://internal.example.com/secret"),
        "/to-image": lambda h: h.redirect("/image.png"),
        "/loop": lambda h: h.redirect("/loop"),
    }

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        self.ROUTES.get(self.path, lambda h: h.reply(404, b"", "text/plain"))(self)

    def reply(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunked(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for start in range(0, len(body), 65536):
            piece = body[start : start + 65536]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def slow(self, first_byte_after: float) -> None:
        time.sleep(first_byte_after)
        self.reply(200, IMAGE, "image/png")

    def drip(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        for byte in IMAGE * 100:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.2)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A gateway that hangs up on an oversize or slow image is the expected case here."""


@pytest.fixture(scope="module")
def image_host():
    server = QuietServer(("127.0.0.1", 0), ImageHost)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def network(image_host, monkeypatch):
    """Fake DNS for the test names, and a record of every outgoing connection."""
    names = {
        "images.example.com": [PUBLIC_ADDRESS],
        "internal.example.com": ["10.20.30.40"],
        "loopback.example.com": ["127.0.0.1"],
        "mixed.example.com": [PUBLIC_ADDRESS, "192.168.1.10"],
        "metadata.example.com": ["169.254.169.254"],
        "mapped.example.com": ["::ffff:127.0.0.1"],
    }
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect
    connected: list[tuple] = []
    image_host.seen.clear()

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            return [_addrinfo(address, port) for address in names[host]]
        return real_getaddrinfo(host, port, *args, **kwargs)

    def connect(sock, address):
        connected.append(address)
        if address[0] == PUBLIC_ADDRESS:
            address = ("127.0.0.1", image_host.server_port)
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    return connected


def _addrinfo(address: str, port) -> tuple:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sockaddr = (address, int(port or 80), 0, 0) if family == socket.AF_INET6 else (address, int(port or 80))
    return family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr


def fetched_hosts(connected: list[tuple], emulator_port: int) -> set[str]:
    """Where the gateway connected, apart from Bedrock (the emulator)."""
    return {address[0] for address in connected if address[1] != emulator_port}


class TestImageFetching:
    def test_a_public_image_url_is_fetched(self, client, network, image_host, emulator):
        response = chat(client, with_image("http://images.example.com/image.png"))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert image_host.seen == ["/image.png"]
        assert fetched_hosts(network, emulator.port) == {PUBLIC_ADDRESS}

    def test_a_redirect_between_public_urls_is_followed(self, client, network, image_host):
        assert chat(client, with_image("http://images.example.com/to-image")).status_code == 200
        assert image_host.seen == ["/to-image", "/image.png"]

    @pytest.mark.parametrize(
        "host",
        [
            "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0.0.0.0", "10.0.0.1",
            "172.16.5.4", "192.168.0.1", "100.64.0.1", "169.254.169.254", "224.0.0.1", "[::1]", "[::]",
            "[::ffff:127.0.0.1]", "[::ffff:a9fe:a9fe]", "[fd00::1]", "[fe80::1]", "[64:ff9b::a00:1]",
            "[2002:7f00:1::]", "loopback.example.com", "internal.example.com", "metadata.example.com",
            "mapped.example.com", "mixed.example.com",
        ],
    )  # fmt: skip
    def test_a_private_or_special_address_is_refused_without_connecting(
        self, client, network, image_host, emulator, host
    ):
        port = image_host.server_port
        response = chat(client, with_image(f"http://{host}:{port}/image.png"))
        error = assert_openai_error(response, 400, IMAGE_PARAM)
        assert "not a public address" in error["message"]
        assert fetched_hosts(network, emulator.port) == set()
        assert image_host.seen == []

    @pytest.mark.parametrize("path", ["/to-metadata", "/to-loopback", "/to-internal-name"])
    def test_a_redirect_to_a_private_address_is_refused_at_that_hop(
        self, client, network, image_host, emulator, path
    ):
        response = chat(client, with_image(f"http://images.example.com{path}"))
        assert_openai_error(response, 400, IMAGE_PARAM)
        assert image_host.seen == [path]
        assert fetched_hosts(network, emulator.port) == {PUBLIC_ADDRESS}

    def test_a_redirect_loop_stops_at_the_redirect_limit(self, client, network, image_host):
        error = assert_openai_error(
            chat(client, with_image("http://images.example.com/loop")), 400, IMAGE_PARAM
        )
        assert "redirects" in error["message"]
        assert len(image_host.seen) == 4  # the first request and IMAGE_MAX_REDIRECTS (3) hops

    @pytest.mark.parametrize("path", ["/oversize", "/oversize-chunked"])
    def test_an_image_over_image_max_bytes_is_refused(self, client, network, path):
        error = assert_openai_error(
            chat(client, with_image(f"http://images.example.com{path}")), 400, IMAGE_PARAM
        )
        assert "too large" in error["message"]

    @pytest.mark.parametrize("path", ["/slow", "/drip"])
    def test_a_slow_image_host_times_out_within_image_fetch_timeout(self, make_app, network, path):
        client = make_app(image_fetch_timeout=1.0).test_client()
        started = time.monotonic()
        error = assert_openai_error(
            chat(client, with_image(f"http://images.example.com{path}")), 400, IMAGE_PARAM
        )
        assert time.monotonic() - started < 2.5
        assert "timed out" in error["message"]

    @pytest.mark.parametrize("path", ["/text", "/labelled-png"])
    def test_bytes_that_are_not_an_image_are_refused_whatever_their_label(self, client, network, path):
        error = assert_openai_error(
            chat(client, with_image(f"http://images.example.com{path}")), 400, IMAGE_PARAM
        )
        assert "Unsupported image format" in error["message"]

    @pytest.mark.parametrize(
        "url", ["file:///etc/passwd", "ftp://images.example.com/a.png", "gopher://127.0.0.1:70/", "//x/a.png"]
    )
    def test_other_schemes_are_refused_without_connecting(self, client, network, emulator, url):
        assert_openai_error(chat(client, with_image(url)), 400, IMAGE_PARAM)
        assert fetched_hosts(network, emulator.port) == set()


class TestSecrets:
    def test_keys_never_reach_the_logs_even_at_debug(self, client, caplog):
        for name in (None, "botocore", "urllib3", "app"):
            caplog.set_level(logging.DEBUG, logger=name)
        wrong = "sk-wrong-but-secret-4242"
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
        assert client.get("/v1/models", headers=AUTH).status_code == 200
        assert chat(client, {"role": "user", "content": "@@reply fine"}).status_code == 200
        assert any(record.name.startswith("botocore") for record in caplog.records)
        assert wrong not in caplog.text
        assert API_KEY not in caplog.text

    def test_user_content_is_not_logged_at_the_default_level(self, client, caplog):
        caplog.set_level(logging.INFO)
        secret_prompt = "@@reply the launch code is 0000-PRIVATE"
        assert chat(client, {"role": "user", "content": secret_prompt}).status_code == 200
        assert "PRIVATE" not in caplog.text

    def test_debug_log_payloads_logs_bodies_with_every_key_redacted(self, make_app, caplog):
        app = make_app(debug_log_payloads=True)
        payload_log.init_app(app, app.extensions["settings"])  # a no-op once create_app calls it
        client = app.test_client()
        caplog.set_level(logging.DEBUG, logger="app.payload_log")
        image = data_url(big_png(10_000))
        message = with_image(image)
        message["content"][0]["text"] = f"@@reply logged\nmy key is {API_KEY}"
        assert chat(client, message).status_code == 200
        wrong = "sk-wrong-but-secret-4242"
        client.get("/v1/models", headers={"Authorization": f"Bearer {wrong}"})
        logged = caplog.text
        assert "@@reply logged" in logged and '"content":"logged"' in logged
        assert API_KEY not in logged and wrong not in logged
        assert logged.count("<redacted>") == 1
        assert image not in logged and "characters>" in logged

    def test_payloads_are_not_logged_without_the_switch(self, make_app, caplog):
        app = make_app()
        payload_log.init_app(app, app.extensions["settings"])
        caplog.set_level(logging.DEBUG, logger="app.payload_log")
        chat(app.test_client(), {"role": "user", "content": "@@reply quiet"})
        assert not [record for record in caplog.records if record.name == "app.payload_log"]


class TestUpstreamFaults:
    def test_a_model_slower_than_the_read_timeout_is_504(self, make_app):
        client = make_app(bedrock_read_timeout=1.0).test_client()
        started = time.monotonic()
        response = chat(client, {"role": "user", "content": "@@latency first=3000\n@@reply late"})
        assert time.monotonic() - started < 5
        error = assert_openai_error(response, 504)
        assert error["code"] == "upstream_timeout"

    def test_a_stream_whose_first_event_is_late_is_a_plain_504(self, make_app):
        client = make_app(bedrock_read_timeout=1.0).test_client()
        response = chat(
            client, {"role": "user", "content": "@@latency first=3000\n@@reply late"}, stream=True
        )
        assert_openai_error(response, 504)

    def test_unreachable_bedrock_is_a_quick_502_while_health_and_the_last_catalogue_stay_up(
        self, settings, monkeypatch
    ):
        private = start_in_thread()
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", private.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", private.url)
        client = create_app(settings.replace(model_cache_ttl=0.0, model_refresh_interval=0.0)).test_client()
        listed = client.get("/v1/models", headers=AUTH).get_json()
        private.stop()
        time.sleep(1.1)  # past the catalogue's one-second refresh gate
        started = time.monotonic()
        response = chat(client, {"role": "user", "content": "@@reply hello"})
        assert time.monotonic() - started < 3
        assert assert_openai_error(response, 502)["code"] == "upstream_error"
        embeddings = client.post(
            "/v1/embeddings", json={"model": "cohere.embed-english-v3", "input": "x"}, headers=AUTH
        )
        assert_openai_error(embeddings, 502)
        assert client.get("/health").status_code == 200
        assert client.get("/v1/models", headers=AUTH).get_json() == listed

    def test_bedrock_unreachable_from_the_start_still_lists_the_configured_defaults(
        self, settings, monkeypatch
    ):
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK", url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url)
        client = create_app(settings).test_client()
        models = client.get("/v1/models", headers=AUTH)
        assert models.status_code == 200
        assert CLAUDE in {model["id"] for model in models.get_json()["data"]}
        assert_openai_error(chat(client, {"role": "user", "content": "hi"}), 502)
