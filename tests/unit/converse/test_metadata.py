"""request_metadata: the pairs Bedrock's requestMetadata accepts, never a refusal."""

import pytest

from app.converse.metadata import request_metadata


class TestRequestMetadata:
    def test_user_comes_first_under_the_key_user(self):
        assert request_metadata({"team": "search"}, user="alice@example.com") == {
            "user": "alice@example.com",
            "team": "search",
        }

    def test_the_user_field_wins_over_a_metadata_key_named_user(self):
        assert request_metadata({"user": "bob"}, user="alice") == {"user": "alice"}

    @pytest.mark.parametrize(
        "pairs",
        [
            {"emoji": "🙂"},
            {"": "empty key"},
            {"k" * 257: "long key"},
            {"long": "v" * 257},
            {"quote": 'say "hi"'},
            {"number": 3},
        ],
    )
    def test_pairs_bedrock_would_refuse_are_dropped(self, pairs):
        assert request_metadata({"kept": "yes", **pairs}) == {"kept": "yes"}

    def test_an_empty_value_is_kept(self):
        assert request_metadata({"note": ""}) == {"note": ""}

    def test_at_most_sixteen_pairs_are_kept_in_order(self):
        pairs = {f"k{i}": str(i) for i in range(20)}
        assert request_metadata(pairs, user="u") == {"user": "u", **{f"k{i}": str(i) for i in range(15)}}

    @pytest.mark.parametrize("pairs", [None, [], "text"])
    def test_no_metadata_gives_no_pairs(self, pairs):
        assert request_metadata(pairs, user=None) == {}
