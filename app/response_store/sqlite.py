"""Stored responses in one SQLite file, shared by every worker process of a host.

WAL lets readers run beside the one writer; ``busy_timeout`` makes a writer wait for the
lock instead of failing. Each process opens its own connection after it is forked (a
connection must not cross ``fork``) and serialises its greenlets or threads on it with a
lock: SQLite calls never yield to gevent, so the lock is held only for one statement.
Expired rows are deleted at most once an hour, by whichever write comes first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from app.errors import StoreUnavailableError
from app.response_store.base import ResponseStore
from app.response_store.record import DAY, StoredResponse, is_fresh

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_created_at ON responses (created_at);
"""
BUSY_TIMEOUT_MS = 5000
PURGE_INTERVAL = 3600.0


class SqliteStore(ResponseStore):
    kind = "sqlite"

    def __init__(self, path: str | Path, ttl_days: int, clock: Callable[[], float] = time.time):
        super().__init__(ttl_days, clock)
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._last_purge = float("-inf")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._prepare()

    def _prepare(self) -> None:
        """WAL and the schema. Workers starting together race for a new file, and SQLite
        answers a journal-mode switch that meets another with "locked" at once, without
        waiting out ``busy_timeout``: so the switch is tried again, as long as a write waits."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                with self._lock:
                    db = self.connection()
                    db.execute("PRAGMA journal_mode=WAL")
                    db.executescript(SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    log.warning("response store %s failed: %s", self.path, exc)
                    raise StoreUnavailableError() from exc
                time.sleep(0.02)

    def put(self, record: StoredResponse) -> None:
        now = self.clock()
        with self._run() as db:
            db.execute(
                "INSERT OR REPLACE INTO responses (id, owner, created_at, record) VALUES (?, ?, ?, ?)",
                (record.id, record.owner, record.created_at, record.to_bytes()),
            )
            if now - self._last_purge >= PURGE_INTERVAL:
                self._last_purge = now
                db.execute("DELETE FROM responses WHERE created_at <= ?", (self._cutoff(now),))

    def _get(self, response_id: str, owner: str) -> StoredResponse | None:
        with self._run() as db:
            row = db.execute(
                "SELECT created_at, record FROM responses WHERE id = ? AND owner = ?", (response_id, owner)
            ).fetchone()
        if row is None or not is_fresh(row[0], self.clock(), self.ttl_days):
            return None
        return StoredResponse.from_bytes(row[1])

    def _delete(self, response_id: str, owner: str) -> bool:
        with self._run() as db:
            cursor = db.execute(
                "DELETE FROM responses WHERE id = ? AND owner = ? AND created_at > ?",
                (response_id, owner, self._cutoff(self.clock())),
            )
        return cursor.rowcount > 0

    def _cutoff(self, now: float) -> float:
        return now - self.ttl_days * DAY

    @contextlib.contextmanager
    def _run(self) -> Iterator[sqlite3.Connection]:
        """This process's connection under its lock; SQLite's failures become a 503."""
        with self._lock:
            try:
                yield self.connection()
            except sqlite3.Error as exc:
                log.warning("response store %s failed: %s", self.path, exc)
                raise StoreUnavailableError() from exc

    def connection(self) -> sqlite3.Connection:
        """This process's connection, opened on first use after a fork."""
        if self._connection is None or self._pid != os.getpid():
            self._connection = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._pid = os.getpid()
        return self._connection
