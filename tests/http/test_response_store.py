"""The SQLite and S3 response stores: one contract, then what each backend adds.

S3 is moto's real server in a subprocess, reached by real boto3 over HTTP
(``AWS_ENDPOINT_URL_S3``, as a deployment would set it for a private endpoint).
"""

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.errors import StoreUnavailableError
from app.response_store import new_record, open_store
from app.response_store.record import DAY
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
T0 = 1_800_000_000


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def response(response_id: str, created_at: int = T0, text: str = "hello") -> dict:
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        "status": "completed",
        "output": [
            {
                "id": f"msg_out_{response_id}",
                "type": "message",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
    }


def record(response_id: str, owner: str = "alice", created_at: int = T0, items: int = 1):
    inputs = [{"id": f"msg_{n}", "role": "user", "content": f"turn {n}"} for n in range(items)]
    return new_record(response(response_id, created_at), inputs, owner)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(params=["sqlite", "s3"])
def store(request, clock, tmp_path):
    if request.param == "s3":
        request.getfixturevalue("s3")
        url = "s3://gw-responses/responses"
    else:
        url = f"sqlite:///{tmp_path}/responses.sqlite3"
    return open_store(Settings(disable_auth=True, aws_region="us-east-1", responses_store=url), clock)


class TestContract:
    def test_a_stored_record_comes_back_whole(self, store):
        stored = record("resp_a", items=3)
        store.put(stored)
        assert store.get("resp_a", "alice") == stored

    def test_another_owner_sees_nothing_and_cannot_delete(self, store):
        store.put(record("resp_a"))
        assert (store.get("resp_a", "bob"), store.delete("resp_a", "bob")) == (None, False)
        assert store.get("resp_a", "alice") is not None

    def test_missing_and_malformed_ids_are_misses(self, store):
        assert [store.get(rid, "alice") for rid in ("resp_none", "../etc/passwd", "", "a" * 200)] == [
            None
        ] * 4

    def test_delete_removes_the_record_once(self, store):
        store.put(record("resp_a"))
        assert [store.delete("resp_a", "alice"), store.delete("resp_a", "alice")] == [True, False]
        assert store.get("resp_a", "alice") is None

    def test_a_record_older_than_the_ttl_is_never_returned(self, store, clock):
        store.put(record("resp_old", created_at=T0))
        clock.now = T0 + 30 * DAY - 1
        assert store.get("resp_old", "alice") is not None
        clock.now = T0 + 30 * DAY
        assert (store.get("resp_old", "alice"), store.delete("resp_old", "alice")) == (None, False)

    def test_input_items_page_through_the_stored_chain(self, store):
        store.put(record("resp_a", items=5))
        first = store.input_items("resp_a", "alice", limit=2, order="asc")
        second = store.input_items("resp_a", "alice", after=first["last_id"], limit=2, order="asc")
        last = store.input_items("resp_a", "alice", after=second["last_id"], limit=2, order="asc")
        assert [(p["first_id"], p["last_id"], p["has_more"]) for p in (first, second, last)] == [
            ("msg_0", "msg_1", True),
            ("msg_2", "msg_3", True),
            ("msg_4", "msg_4", False),
        ]

    def test_a_large_history_is_kept(self, store):
        stored = record("resp_big", items=2000)
        store.put(stored)
        assert store.get("resp_big", "alice").input_items == stored.input_items


class TestSqlite:
    def test_expired_rows_are_deleted_by_a_later_write(self, tmp_path, clock):
        path = tmp_path / "r.sqlite3"
        store = open_store(Settings(disable_auth=True, responses_store=f"sqlite:///{path}"), clock)
        store.put(record("resp_old"))
        clock.now = T0 + 31 * DAY
        store.put(record("resp_new", created_at=int(clock.now)))
        assert rows(path) == ["resp_new"]

    def test_threads_share_one_file(self, tmp_path):
        store = open_store(Settings(disable_auth=True, data_dir=str(tmp_path)))
        now = int(time.time())

        def write(worker: int) -> None:
            for n in range(25):
                store.put(record(f"resp_{worker}_{n}", created_at=now))

        threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(rows(tmp_path / "responses.sqlite3")) == 100

    def test_worker_processes_read_each_others_records(self, tmp_path):
        script = (
            "import sys, time\n"
            "from app.response_store import new_record, open_store\n"
            "from app.settings import Settings\n"
            "store = open_store(Settings(disable_auth=True, data_dir=sys.argv[1]))\n"
            "me, other = sys.argv[2], sys.argv[3]\n"
            "for n in range(30):\n"
            "    store.put(new_record({'id': f'resp_{me}_{n}', 'created_at': int(time.time())}, [], 'k'))\n"
            "deadline = time.monotonic() + 20\n"
            "while store.get(f'resp_{other}_29', 'k') is None and time.monotonic() < deadline:\n"
            "    time.sleep(0.05)\n"
            "print(sum(store.get(f'resp_{other}_{n}', 'k') is not None for n in range(30)))\n"
        )
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(tmp_path), me, other],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )
            for me, other in (("a", "b"), ("b", "a"))
        ]
        assert [worker.communicate(timeout=60)[0].strip() for worker in workers] == ["30", "30"]
        assert journal_mode(tmp_path / "responses.sqlite3") == "wal"


def rows(path: Path) -> list[str]:
    import sqlite3

    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT id FROM responses ORDER BY id")]


def journal_mode(path: Path) -> str:
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA journal_mode").fetchone()[0]


class TestS3:
    def test_one_gzip_object_per_response_under_the_prefix(self, s3, clock):
        settings = Settings(
            disable_auth=True, aws_region="us-east-1", responses_store="s3://gw-responses/responses"
        )
        open_store(settings, clock).put(record("resp_a"))
        obj = s3.get_object(Bucket="gw-responses", Key="responses/resp_a.json.gz")
        assert (obj["ContentType"], obj["Metadata"]) == (
            "application/gzip",
            {"owner": "alice", "created-at": str(T0)},
        )

    def test_a_missing_bucket_is_a_503_naming_no_internals(self, s3, clock):
        settings = Settings(disable_auth=True, aws_region="us-east-1", responses_store="s3://gw-absent/r")
        with pytest.raises(StoreUnavailableError) as caught:
            open_store(settings, clock).put(record("resp_a"))
        assert (caught.value.status, caught.value.to_body()["error"]["message"]) == (
            503,
            "The response store is unavailable; please try again.",
        )

    def test_the_readme_lifecycle_rule_is_accepted_by_s3(self, s3):
        rule = readme_lifecycle_rule()
        s3.put_bucket_lifecycle_configuration(Bucket="gw-responses", LifecycleConfiguration=rule)
        stored = s3.get_bucket_lifecycle_configuration(Bucket="gw-responses")["Rules"]
        assert [(r["Filter"], r["Expiration"], r["Status"]) for r in stored] == [
            ({"Prefix": "responses/"}, {"Days": 30}, "Enabled")
        ]


def readme_lifecycle_rule() -> dict:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```json\n(\{\s*\"Rules\".*?)\n```", readme, re.S)
    return json.loads(block.group(1))
