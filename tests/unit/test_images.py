"""ImageLoader: data URLs, magic-byte sniffing, and http(s) fetches against a local server."""

from __future__ import annotations

import base64
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

import pytest

from app import images
from app.errors import InvalidRequestError
from app.images import ImageLoader, address_allowed, sniff_format
from app.settings import Settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
MAX_BYTES = 1000


class Handler(BaseHTTPRequestHandler):
    """Path-dispatched test server: /png, /big, /slow, /redirect/<n>, /to/<url>, /status/<code> …"""

    hosts: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        Handler.hosts.append(self.headers["Host"])
        route, _, rest = self.path.lstrip("/").partition("/")
        getattr(self, "route_" + route.replace("-", "_"))(rest)

    def log_message(self, *args) -> None:
        pass

    def send(self, status: int, body: bytes = b"", content_type: str = "image/png", **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def route_png(self, rest: str) -> None:
        self.send(200, PNG)

    def route_mislabelled(self, rest: str) -> None:
        self.send(200, PNG, content_type="text/plain")

    def route_html(self, rest: str) -> None:
        self.send(200, b"<html>not an image</html>", content_type="image/png")

    def route_big(self, rest: str) -> None:
        self.send(200, PNG + b"\x00" * MAX_BYTES)

    def route_big_unannounced(self, rest: str) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(PNG + b"\x00" * (MAX_BYTES * 4))
        self.close_connection = True

    def route_slow(self, rest: str) -> None:
        time.sleep(2)
        self.send(200, PNG)

    def route_drip(self, rest: str) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(PNG) + 40))
        self.end_headers()
        self.wfile.write(PNG)
        for _ in range(40):
            time.sleep(0.05)
            self.wfile.write(b"\x00")
            self.wfile.flush()

    def route_status(self, rest: str) -> None:
        self.send(int(rest), b"nope", content_type="text/plain")

    def route_redirect(self, rest: str) -> None:
        hops = int(rest)
        self.send(302, Location="/png" if hops == 0 else f"/redirect/{hops - 1}")

    def route_to(self, rest: str) -> None:
        self.send(302, Location=unquote(rest))


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # the loader hangs up on slow and oversized answers on purpose


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def loader(**changes) -> ImageLoader:
    settings = {"allow_private_image_urls": True, "image_max_bytes": MAX_BYTES, "image_fetch_timeout": 0.5}
    return ImageLoader(Settings().replace(**{**settings, **changes}))


def refusal(load: ImageLoader, url: str) -> str:
    with pytest.raises(InvalidRequestError) as caught:
        load(url)
    assert (caught.value.status, caught.value.param) == (400, None)
    return caught.value.message


def data_url(raw: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(raw).decode()}"


class TestSniffing:
    @pytest.mark.parametrize(
        ("raw", "fmt"), [(PNG, "png"), (JPEG, "jpeg"), (GIF, "gif"), (b"GIF87a..", "gif"), (WEBP, "webp")]
    )
    def test_formats_come_from_magic_bytes(self, raw, fmt):
        assert sniff_format(raw) == fmt

    @pytest.mark.parametrize("raw", [b"", b"BM\x00\x00", b"RIFF\x00\x00\x00\x00WAVE", b"<svg/>", b"%PDF-1.7"])
    def test_anything_else_is_refused(self, raw):
        with pytest.raises(InvalidRequestError, match="only jpeg, png, gif and webp"):
            sniff_format(raw)


class TestDataURLs:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            (data_url(PNG), (PNG, "png")),
            (data_url(JPEG, "image/png"), (JPEG, "jpeg")),
            (data_url(WEBP, "application/octet-stream"), (WEBP, "webp")),
            (data_url(GIF, "image/gif;charset=x"), (GIF, "gif")),
        ],
        ids=["png", "label-ignored", "octet-stream", "extra-parameters"],
    )
    def test_data_urls_decode_and_sniff(self, url, expected):
        assert loader()(url) == expected

    @pytest.mark.parametrize(
        ("url", "fragment"),
        [
            ("data:image/png,rawtext", "must look like data:image/png;base64"),
            ("data:image/png;base64", "must look like"),
            ("data:image/png;base64,@@@@", "not valid base64"),
            ("data:image/png;base64,iVBO R", "not valid base64"),
            (data_url(b"hello world, plain text"), "only jpeg, png, gif and webp"),
            (data_url(PNG + b"\x00" * MAX_BYTES), "too large"),
            ("ftp://example.com/a.png", "must be data:, http: or https:"),
            ("file:///etc/passwd", "must be data:, http: or https:"),
        ],
        ids=[
            "not-base64",
            "no-comma",
            "bad-alphabet",
            "whitespace",
            "not-an-image",
            "oversize",
            "ftp",
            "file",
        ],
    )
    def test_bad_data_urls_are_refused(self, url, fragment):
        assert fragment in refusal(loader(), url)


class TestAddresses:
    @pytest.mark.parametrize(
        ("address", "allowed"),
        [
            ("93.184.216.34", True),
            ("2606:4700::1111", True),
            ("127.0.0.1", False),
            ("10.1.2.3", False),
            ("172.16.0.1", False),
            ("192.168.1.1", False),
            ("100.64.0.1", False),
            ("169.254.169.254", False),
            ("0.0.0.0", False),
            ("224.0.0.1", False),
            ("240.0.0.1", False),
            ("::1", False),
            ("::", False),
            ("fc00::1", False),
            ("fd12:3456::1", False),
            ("fe80::1", False),
            ("ff02::1", False),
            ("::ffff:127.0.0.1", False),
            ("::ffff:169.254.169.254", False),
            ("2002:7f00:1::", False),
            ("64:ff9b::a9fe:a9fe", False),
        ],
    )
    def test_only_public_addresses_are_allowed(self, address, allowed):
        assert address_allowed(ipaddress.ip_address(address)) is allowed


class TestFetch:
    def test_fetches_an_image(self, server):
        assert loader()(f"{server}/png") == (PNG, "png")

    def test_the_content_type_label_is_not_trusted(self, server):
        assert loader()(f"{server}/mislabelled") == (PNG, "png")
        assert "only jpeg, png, gif and webp" in refusal(loader(), f"{server}/html")

    def test_follows_redirects_up_to_the_limit(self, server):
        assert loader(image_max_redirects=3)(f"{server}/redirect/2") == (PNG, "png")
        assert "Too many redirects" in refusal(loader(image_max_redirects=3), f"{server}/redirect/3")
        assert "Too many redirects" in refusal(loader(image_max_redirects=0), f"{server}/redirect/0")

    @pytest.mark.parametrize(
        ("path", "fragment"),
        [
            ("/big", "too large"),
            ("/big-unannounced", "too large"),
            ("/status/404", "HTTP 404"),
            ("/status/500", "HTTP 500"),
            ("/slow", "Could not fetch image from URL (timed out)."),
            ("/drip", "Could not fetch image from URL (timed out)."),
        ],
        ids=["content-length", "streamed", "not-found", "server-error", "slow", "drip-past-deadline"],
    )
    def test_bad_responses_are_client_errors(self, server, path, fragment):
        assert fragment in refusal(loader(), server + path)

    def test_unreachable_host_is_a_client_error(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        assert refusal(loader(), f"http://127.0.0.1:{port}/png") == "Could not fetch image from URL."

    def test_unresolvable_host_is_a_client_error(self):
        assert refusal(loader(), "http://does-not-exist.invalid/a.png") == "Could not fetch image from URL."

    def test_connects_to_the_checked_address_with_the_original_host(self, server, monkeypatch):
        port = int(server.rsplit(":", 1)[1])
        real_getaddrinfo = socket.getaddrinfo
        names: list[str] = []

        def resolve(host, *args, **kwargs):
            if host == "127.0.0.1":  # urllib3 connecting to the checked address: no DNS
                return real_getaddrinfo(host, *args, **kwargs)
            names.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        Handler.hosts.clear()
        assert loader()(f"http://images.example.test:{port}/png") == (PNG, "png")
        # One lookup, so a second DNS answer (rebinding) cannot change the address.
        assert (names, Handler.hosts) == (["images.example.test"], [f"images.example.test:{port}"])


class TestPrivateAddressesRefused:
    REFUSED = "not a public address"

    @pytest.mark.parametrize(
        "host",
        ["127.0.0.1", "10.0.0.1", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]", "0.0.0.0", "localhost"],
    )
    def test_private_hosts_are_refused_before_connecting(self, host):
        assert self.REFUSED in refusal(
            loader(allow_private_image_urls=False), f"http://{host}/latest/meta-data/"
        )

    def test_a_name_with_any_private_address_is_refused(self, monkeypatch):
        mixed = [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", 80)),
        ]
        monkeypatch.setattr(socket, "getaddrinfo", lambda *args, **kwargs: mixed)
        assert self.REFUSED in refusal(
            loader(allow_private_image_urls=False), "http://mixed.example.test/a.png"
        )

    def test_a_redirect_to_a_private_host_is_refused(self, server, monkeypatch):
        # Let this test's server count as public so the first hop is fetched.
        real = images.address_allowed
        monkeypatch.setattr(images, "address_allowed", lambda a: str(a) == "127.0.0.1" or real(a))
        load = loader(allow_private_image_urls=False)
        assert load(f"{server}/png") == (PNG, "png")
        assert self.REFUSED in refusal(load, f"{server}/to/http://169.254.169.254/latest/meta-data/")
        assert self.REFUSED in refusal(load, f"{server}/to/http://[::1]:8080/")
