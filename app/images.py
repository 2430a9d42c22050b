"""Image input for chat: ``data:`` URLs and SSRF-safe http(s) fetches, sniffed by magic bytes.

A URL's host is resolved once, every address it resolves to must be public (unless
``ALLOW_PRIVATE_IMAGE_URLS``), and the connection goes to that checked address with
the original name as Host header and TLS server name, so a second DNS answer cannot
redirect it (DNS rebinding). Each redirect hop is checked the same way.
``IMAGE_FETCH_TIMEOUT`` bounds each connect and read and the whole fetch. The name
lookup itself (``getaddrinfo``) has no timeout of its own.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
import socket
import time
from urllib.parse import urljoin

import urllib3

from app.errors import InvalidRequestError
from app.image_size import MAX_PIXELS, dimensions
from app.settings import Settings

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
_DATA_URL = re.compile(r"data:([^,]*),(.*)", re.DOTALL)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_CHUNK = 64 * 1024
# identity: a compressed body could expand far past IMAGE_MAX_BYTES.
_HEADERS = {"Accept": "image/*", "Accept-Encoding": "identity", "User-Agent": "bedrock-gateway"}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def sniff_format(raw: bytes) -> str:
    """The Converse image format of ``raw``, from its first bytes, never from a label."""
    for magic, fmt in _MAGIC:
        if raw.startswith(magic):
            return fmt
    if raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "webp"
    raise InvalidRequestError("Unsupported image format: only jpeg, png, gif and webp images are supported.")


def decode_data_url(url: str, max_bytes: int) -> bytes:
    match = _DATA_URL.fullmatch(url)
    if not match or ";base64" not in match.group(1).lower():
        raise InvalidRequestError("Image data URLs must look like data:image/png;base64,<data>.")
    data = match.group(2)
    if len(data) // 4 * 3 > max_bytes + 2:
        raise _too_large(max_bytes)
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidRequestError("The image data URL is not valid base64.") from None


def address_allowed(address: IPAddress) -> bool:
    """Whether ``address`` (or the IPv4 address embedded in it) is public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not address_allowed(embedded):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _too_large(max_bytes: int) -> InvalidRequestError:
    return InvalidRequestError(f"The image is too large: at most {max_bytes} bytes are allowed.")


def _check_pixels(raw: bytes, fmt: str) -> None:
    size = dimensions(raw, fmt)
    if size is not None and max(size) > MAX_PIXELS:
        raise InvalidRequestError(
            f"The image is {size[0]}x{size[1]} pixels: Bedrock takes at most {MAX_PIXELS} "
            "pixels a side. Scale it down and try again."
        )


class ImageLoader:
    """Turn an image URL from a chat message into ``(bytes, format)``."""

    def __init__(self, settings: Settings):
        self._settings = settings

    def __call__(self, url: str) -> tuple[bytes, str]:
        scheme = url.split(":", 1)[0].lower()
        max_bytes = self._settings.image_max_bytes
        if scheme == "data":
            raw = decode_data_url(url, max_bytes)
        elif scheme in ("http", "https"):
            raw = self.fetch(url)
        else:
            raise InvalidRequestError("Image URLs must be data:, http: or https: URLs.")
        if len(raw) > max_bytes:
            raise _too_large(max_bytes)
        fmt = sniff_format(raw)
        _check_pixels(raw, fmt)
        return raw, fmt

    def fetch(self, url: str) -> bytes:
        """The body at an http(s) URL (an image, or a document), checked as above."""
        deadline = time.monotonic() + self._settings.image_fetch_timeout
        try:
            for _ in range(self._settings.image_max_redirects + 1):
                body, location = self._get(url, deadline)
                if location is None:
                    return body
                url = urljoin(url, location)
        except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
            raise _fetch_failed(exc) from exc
        raise InvalidRequestError(
            f"Too many redirects fetching the image (at most {self._settings.image_max_redirects})."
        )

    def _get(self, url: str, deadline: float) -> tuple[bytes, str | None]:
        """One hop: the body, or the redirect target."""
        parsed = urllib3.util.parse_url(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise InvalidRequestError("Image URLs must be data:, http: or https: URLs.")
        host = parsed.host.strip("[]")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        pool = self._pool(parsed.scheme, host, self._checked_address(host, port), port, deadline)
        try:
            response = pool.urlopen(
                "GET",
                parsed.request_uri,
                headers={"Host": parsed.netloc, **_HEADERS},
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
            )
            try:
                return self._read(response, deadline)
            finally:
                response.close()
        finally:
            pool.close()

    def _checked_address(self, host: str, port: int) -> str:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
        if not self._settings.allow_private_image_urls and not all(map(address_allowed, addresses)):
            raise InvalidRequestError(
                "The image URL's host is not a public address; only public hosts may be fetched."
            )
        return str(addresses[0])

    def _pool(self, scheme: str, host: str, address: str, port: int, deadline: float):
        timeout = urllib3.Timeout(connect=_remaining(deadline), read=_remaining(deadline))
        if scheme == "http":
            return urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False)
        return urllib3.HTTPSConnectionPool(
            address, port, timeout=timeout, retries=False, server_hostname=host, assert_hostname=host
        )

    def _read(self, response, deadline: float) -> tuple[bytes, str | None]:
        if response.status in _REDIRECTS and response.headers.get("Location"):
            return b"", response.headers["Location"]
        if not 200 <= response.status < 300:
            raise InvalidRequestError(
                f"Could not fetch image from URL: the server answered HTTP {response.status}."
            )
        max_bytes = self._settings.image_max_bytes
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise _too_large(max_bytes)
        chunks, size = [], 0
        while chunk := response.read1(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(max_bytes)
            if time.monotonic() > deadline:
                raise TimeoutError("image fetch deadline passed")
            chunks.append(chunk)
        return b"".join(chunks), None


def _remaining(deadline: float) -> float:
    return max(deadline - time.monotonic(), 0.001)


def _fetch_failed(exc: Exception) -> InvalidRequestError:
    """Network trouble is the client's URL's problem: a 400 that names no internals."""
    # urllib3's NewConnectionError (a refused connection) subclasses its TimeoutError.
    refused = isinstance(exc, urllib3.exceptions.NewConnectionError)
    timed_out = not refused and isinstance(exc, TimeoutError | urllib3.exceptions.TimeoutError)
    return InvalidRequestError("Could not fetch image from URL" + (" (timed out)." if timed_out else "."))
