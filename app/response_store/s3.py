"""Stored responses in S3: one gzip JSON object per response, for fleets of hosts and Lambda.

The object's key is ``PREFIX/<response id>.json.gz``; its metadata names the owner and the
creation time, so DELETE checks ownership without reading the body. Expired objects are
never returned, and the bucket's lifecycle rule (see README) deletes them.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

from botocore.exceptions import BotoCoreError, ClientError

from app.errors import StoreUnavailableError
from app.response_store.base import ResponseStore
from app.response_store.record import StoredResponse, is_fresh

log = logging.getLogger(__name__)

MISSING = {"NoSuchKey", "404", "NotFound"}


class S3Store(ResponseStore):
    kind = "s3"

    def __init__(
        self, client, bucket: str, prefix: str, ttl_days: int, clock: Callable[[], float] = time.time
    ):
        super().__init__(ttl_days, clock)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def key(self, response_id: str) -> str:
        name = f"{response_id}.json.gz"
        return f"{self.prefix}/{name}" if self.prefix else name

    def put(self, record: StoredResponse) -> None:
        with self._mapped():
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(record.id),
                Body=record.to_bytes(),
                ContentType="application/gzip",
                Metadata={"owner": record.owner, "created-at": str(record.created_at)},
            )

    def _get(self, response_id: str, owner: str) -> StoredResponse | None:
        with self._mapped():
            try:
                body = self.client.get_object(Bucket=self.bucket, Key=self.key(response_id))["Body"]
            except ClientError as exc:
                if _code(exc) in MISSING:
                    return None
                raise
            record = StoredResponse.from_bytes(body.read())
        if record.owner != owner or not is_fresh(record.created_at, self.clock(), self.ttl_days):
            return None
        return record

    def _delete(self, response_id: str, owner: str) -> bool:
        key = self.key(response_id)
        with self._mapped():
            try:
                metadata = self.client.head_object(Bucket=self.bucket, Key=key)["Metadata"]
            except ClientError as exc:
                if _code(exc) in MISSING:
                    return False
                raise
            created_at = int(metadata.get("created-at", "0"))
            if metadata.get("owner") != owner or not is_fresh(created_at, self.clock(), self.ttl_days):
                return False
            self.client.delete_object(Bucket=self.bucket, Key=key)
        return True

    @contextlib.contextmanager
    def _mapped(self) -> Iterator[None]:
        """S3's failures (other than a missing key) become a 503 that names no internals."""
        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            log.warning("response store s3://%s failed: %s", self.bucket, exc)
            raise StoreUnavailableError() from exc


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")
