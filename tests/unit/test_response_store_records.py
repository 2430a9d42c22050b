"""Stored-response records, the input-items page, the `none` store and the store settings."""

import pytest

from app.errors import InvalidRequestError, PreviousResponseNotFoundError, ResponseNotFoundError
from app.response_store import NoStore, input_items_page, new_record, open_store, owner_of_key
from app.response_store.record import StoredResponse
from app.settings import ConfigError, Settings

ITEMS = [{"id": f"msg_{n}", "type": "message", "role": "user", "content": str(n)} for n in range(5)]


def ids(page: dict) -> list[str]:
    return [item["id"] for item in page["data"]]


class TestInputItemsPage:
    def test_the_default_is_newest_first_twenty(self):
        assert input_items_page(ITEMS) == {
            "object": "list",
            "data": [{**item, "status": "completed"} for item in ITEMS[::-1]],
            "first_id": "msg_4",
            "last_id": "msg_0",
            "has_more": False,
        }

    @pytest.mark.parametrize(
        ("after", "limit", "order", "expected", "has_more"),
        [
            (None, 2, "asc", ["msg_0", "msg_1"], True),
            ("msg_1", 2, "asc", ["msg_2", "msg_3"], True),
            ("msg_3", 2, "asc", ["msg_4"], False),
            (None, 2, "desc", ["msg_4", "msg_3"], True),
            ("msg_3", 2, "desc", ["msg_2", "msg_1"], True),
            ("msg_1", 2, "desc", ["msg_0"], False),
            ("msg_0", 2, "desc", [], False),
            (None, 5, "asc", ["msg_0", "msg_1", "msg_2", "msg_3", "msg_4"], False),
        ],
    )
    def test_cursor_pages(self, after, limit, order, expected, has_more):
        page = input_items_page(ITEMS, after=after, limit=limit, order=order)
        assert (ids(page), page["has_more"]) == (expected, has_more)
        assert (page["first_id"], page["last_id"]) == (
            (expected[0], expected[-1]) if expected else (None, None)
        )

    @pytest.mark.parametrize(
        ("changes", "param"),
        [
            ({"limit": 0}, "limit"),
            ({"limit": 101}, "limit"),
            ({"order": "up"}, "order"),
            ({"after": "x"}, "after"),
        ],
    )
    def test_bad_arguments_are_400_naming_the_parameter(self, changes, param):
        with pytest.raises(InvalidRequestError) as caught:
            input_items_page(ITEMS, **changes)
        assert (caught.value.status, caught.value.param) == (400, param)


class TestRecord:
    RESPONSE = {"id": "resp_1", "object": "response", "created_at": 1700000000, "model": "m", "output": []}

    def test_input_items_without_an_id_get_one_by_type_and_keep_their_fields(self):
        items = [
            {"role": "user", "content": "hi"},
            {"type": "function_call_output", "call_id": "c1", "output": "ok"},
            {"id": "fc_keep", "type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        ]
        record = new_record(self.RESPONSE, items, "alice")
        first, second, third = record.input_items
        assert first["id"].startswith("msg_") and {**first, "id": None} == {"id": None, **items[0]}
        assert second["id"].startswith("fco_") and second["output"] == "ok"
        assert third == items[2]

    def test_history_is_the_input_then_the_output(self):
        output = [{"id": "msg_out", "type": "message", "role": "assistant", "content": []}]
        record = new_record({**self.RESPONSE, "output": output}, [ITEMS[0]], "alice")
        assert record.history() == [ITEMS[0], output[0]]
        assert (record.id, record.model, record.created_at, record.owner) == (
            "resp_1",
            "m",
            1700000000,
            "alice",
        )

    def test_a_record_round_trips_through_its_compressed_bytes(self):
        record = new_record(self.RESPONSE, ITEMS, "alice")
        assert StoredResponse.from_bytes(record.to_bytes()) == record

    def test_the_owner_of_a_key_is_its_sha256_never_the_key(self):
        assert (
            owner_of_key("sk-test")
            == "sha256:f3abf2a6cc4f00987743db5f544ba345b4899ae31f326d8ee9c4816de153c9e0"
        )
        assert "sk-test" not in owner_of_key("sk-test")


class TestNoStore:
    store = NoStore(ttl_days=30)

    def test_nothing_is_kept(self):
        self.store.put(new_record(TestRecord.RESPONSE, [], "alice"))
        assert (
            self.store.enabled,
            self.store.get("resp_1", "alice"),
            self.store.delete("resp_1", "alice"),
        ) == (
            False,
            None,
            False,
        )

    def test_previous_response_id_is_openais_400(self):
        with pytest.raises(PreviousResponseNotFoundError) as caught:
            self.store.previous("resp_1", "alice")
        assert (caught.value.status, caught.value.to_body()) == (
            400,
            {
                "error": {
                    "message": "Previous response with id 'resp_1' not found.",
                    "type": "invalid_request_error",
                    "param": "previous_response_id",
                    "code": "previous_response_not_found",
                }
            },
        )

    @pytest.mark.parametrize("lookup", ["require", "remove", "input_items"])
    def test_get_delete_and_input_items_are_404(self, lookup):
        with pytest.raises(ResponseNotFoundError) as caught:
            getattr(self.store, lookup)("resp_1", "alice")
        assert (caught.value.status, caught.value.message) == (404, "Response with id 'resp_1' not found.")


class TestSettings:
    @pytest.mark.parametrize(
        ("raw", "kind"),
        [("", "sqlite"), ("none", "none"), ("sqlite:///responses.db", "sqlite"), ("s3://my-bucket/gw", "s3")],
    )
    def test_store_urls(self, raw, kind, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        settings = Settings.from_env(
            {"DISABLE_AUTH": "true", "RESPONSES_STORE": raw, "AWS_REGION": "us-east-1"}
        )
        assert open_store(settings).kind == kind

    def test_the_default_file_lives_in_the_data_directory(self, tmp_path):
        settings = Settings.from_env({"DISABLE_AUTH": "true", "DATA_DIR": str(tmp_path / "d")})
        assert open_store(settings).path == tmp_path / "d" / "responses.sqlite3"

    def test_an_absolute_path_takes_a_fourth_slash(self, tmp_path):
        settings = Settings(disable_auth=True, responses_store=f"sqlite:///{tmp_path}/r.db")
        assert open_store(settings).path == tmp_path / "r.db"

    @pytest.mark.parametrize(
        ("name", "raw", "problem"),
        [
            ("RESPONSES_STORE", "redis://x", "expected sqlite:///PATH, s3://BUCKET/PREFIX or none"),
            ("RESPONSES_STORE", "sqlite:///", "expected sqlite:///PATH, s3://BUCKET/PREFIX or none"),
            ("RESPONSES_STORE", "s3://Bad_Bucket/x", "names no valid S3 bucket"),
            ("RESPONSES_TTL_DAYS", "0", "must be a positive integer"),
        ],
    )
    def test_bad_values_are_refused(self, name, raw, problem):
        with pytest.raises(ConfigError) as caught:
            Settings.from_env({"DISABLE_AUTH": "true", name: raw})
        assert caught.value.problems == [f"{name}={raw!r}: {problem}"]

    def test_an_unwritable_location_stops_startup(self, tmp_path):
        blocker = tmp_path / "file"
        blocker.write_text("")
        with pytest.raises(ConfigError, match="RESPONSES_STORE: cannot open"):
            open_store(Settings(disable_auth=True, data_dir=str(blocker / "sub")))
