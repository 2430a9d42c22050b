"""SigV4 for the lean client's POSTs: botocore's signature, without its generic request model.

botocore's ``SigV4Auth`` builds an email-style header map twice, splits the URL five times
and derives the signing key on every call, a tenth of a chat request's CPU. A lean client
request is a POST with a handful of headers and no query string, so this does the same
arithmetic directly and derives the key once a day per secret. Its output is pinned to
botocore's, header for header, by the unit tests.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from functools import lru_cache
from urllib.parse import quote

from botocore.auth import SIGNED_HEADERS_BLACKLIST, _host_from_url
from botocore.utils import normalize_url_path

ALGORITHM = "AWS4-HMAC-SHA256"
# botocore's signer's debug lines, where botocore writes them (quiet unless botocore's DEBUG is on).
log = logging.getLogger("botocore.auth")


class Signer:
    """Signs requests to one origin for one service and region."""

    def __init__(self, origin: str, service: str, region: str):
        self.host = _host_from_url(origin)
        self.service, self.region = service, region
        self._key: tuple[str, str, bytes] = ("", "", b"")  # (secret, date, signing key)

    def sign(self, credentials, path: str, headers: dict[str, str], body: bytes, stamp: str = "") -> dict:
        """``headers`` plus X-Amz-Date, X-Amz-Security-Token (with a token) and Authorization.

        ``credentials`` are frozen (``get_frozen_credentials()``); ``stamp`` is the signing
        time as ``YYYYMMDDTHHMMSSZ``, now by default.
        """
        stamp = stamp or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        signed = dict(headers)
        signed.pop("Authorization", None)
        signed["X-Amz-Date"] = stamp
        if credentials.token:
            signed["X-Amz-Security-Token"] = credentials.token
        names, canonical = _canonical_headers(signed, self.host)
        scope = f"{stamp[:8]}/{self.region}/{self.service}/aws4_request"
        request = "\n".join(
            (
                "POST",
                canonical_path(path),
                "",
                canonical + "\n",
                names,
                hashlib.sha256(body).hexdigest(),
            )
        )
        to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{hashlib.sha256(request.encode()).hexdigest()}"
        key = self._signing_key(credentials.secret_key, stamp[:8])
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("Calculating signature using v4 auth.")
            log.debug("CanonicalRequest:\n%s", request)
            log.debug("StringToSign:\n%s", to_sign)
            log.debug("Signature:\n%s", signature)
        signed["Authorization"] = (
            f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={names}, Signature={signature}"
        )
        return signed

    def _signing_key(self, secret: str, date: str) -> bytes:
        kept_secret, kept_date, key = self._key
        if kept_secret != secret or kept_date != date:
            key = f"AWS4{secret}".encode()
            for part in (date, self.region, self.service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._key = (secret, date, key)
        return key


@lru_cache(maxsize=1024)
def canonical_path(path: str) -> str:
    """The path as SigV4 signs it: dot segments resolved, encoded once more (a model's paths recur)."""
    return quote(normalize_url_path(path), safe="/~")


def _canonical_headers(headers: dict[str, str], host: str) -> tuple[str, str]:
    """(signed header names, canonical header lines): lower-cased, sorted, values trimmed."""
    values: dict[str, list[str]] = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower not in SIGNED_HEADERS_BLACKLIST:
            values.setdefault(lower, []).append(" ".join(value.split()))
    values.setdefault("host", [host])
    names = sorted(values)
    return ";".join(names), "\n".join(f"{name}:{','.join(values[name])}" for name in names)
