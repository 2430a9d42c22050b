"""Cache points: client markers, ttl where taken, at most four (the last ones kept)."""

from app.converse.caching import CachePlan, add_cache_points, cache_marker
from tests.unit.converse.models import HAIKU_3, SONNET_37, SONNET_45

HOUR = {"cachePoint": {"type": "default", "ttl": "1h"}}
PLAIN = {"cachePoint": {"type": "default"}}


def text(value: str) -> dict:
    return {"text": value}


def test_a_marker_is_a_cache_point_with_a_known_ttl():
    assert cache_marker({"type": "ephemeral", "ttl": "1h"}) == HOUR
    assert cache_marker({"type": "ephemeral", "ttl": "2d"}) == PLAIN
    assert cache_marker("yes") is None


def test_beyond_four_points_the_earliest_are_dropped():
    tools = {"tools": [{"toolSpec": {"name": "a"}}, {"toolSpec": {"name": "b"}}]}
    system = [text("s"), dict(HOUR)]
    turns = [{"role": "user", "content": [text("1"), dict(HOUR), text("2"), dict(HOUR), text("3")]}]
    # messages=True adds a fifth point after "3"; the tool's, the earliest, is dropped.
    add_cache_points(SONNET_45, CachePlan(messages=True, after_tools={"a": dict(HOUR)}), system, turns, tools)
    assert (tools["tools"], system, turns[0]["content"]) == (
        [{"toolSpec": {"name": "a"}}, {"toolSpec": {"name": "b"}}],
        [text("s"), HOUR],
        [text("1"), HOUR, text("2"), HOUR, text("3"), PLAIN],
    )


def test_a_point_right_after_another_is_not_doubled():
    turns = [{"role": "user", "content": [text("1"), dict(HOUR)]}]
    add_cache_points(SONNET_45, CachePlan(messages=True), [], turns, None)
    assert turns[0]["content"] == [text("1"), HOUR]


def test_ttl_is_dropped_where_the_family_takes_none():
    turns = [{"role": "user", "content": [text("1"), dict(HOUR)]}]
    add_cache_points(SONNET_37, CachePlan(), [], turns, None)
    assert turns[0]["content"] == [text("1"), PLAIN]


def test_models_without_caching_get_no_points_at_all():
    system = [text("s"), dict(HOUR)]
    turns = [{"role": "user", "content": [text("1"), dict(PLAIN)]}]
    add_cache_points(HAIKU_3, CachePlan(system=True, messages=True), system, turns, None)
    assert (system, turns[0]["content"]) == ([text("s")], [text("1")])
