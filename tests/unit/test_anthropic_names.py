"""Anthropic model names → the best Bedrock id for the region."""

from __future__ import annotations

import pytest

from app.anthropic_names import anthropic_names, geography, split_one_million

IDS = [
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-sonnet-4-20250514-v1:0",
    "us.anthropic.claude-sonnet-4-20250514-v1:0",
    "anthropic.claude-opus-4-6-v1",
    "eu.anthropic.claude-opus-4-6-v1",
    "anthropic.claude-3-haiku-20240307-v1:0",
    "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0",
    "amazon.nova-pro-v1:0",
]


def test_names_go_to_global_then_the_regions_geography_then_on_demand():
    assert anthropic_names(IDS, "eu-west-1") == {
        "claude-sonnet-4-5-20250929": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "claude-sonnet-4-5": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "claude-sonnet-4-20250514": "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "claude-sonnet-4": "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "claude-opus-4-6": "eu.anthropic.claude-opus-4-6-v1",
        "claude-3-haiku-20240307": "anthropic.claude-3-haiku-20240307-v1:0",
        "claude-3-haiku": "anthropic.claude-3-haiku-20240307-v1:0",
    }


def test_the_regions_own_geography_wins_over_another():
    names = anthropic_names(
        ["us.anthropic.claude-opus-4-6-v1", "eu.anthropic.claude-opus-4-6-v1"], "eu-central-1"
    )
    assert names == {"claude-opus-4-6": "eu.anthropic.claude-opus-4-6-v1"}


def test_an_undated_name_means_the_newest_date():
    ids = ["us.anthropic.claude-3-5-sonnet-20240620-v1:0", "us.anthropic.claude-3-5-sonnet-20241022-v2:0"]
    assert (
        anthropic_names(ids, "us-east-1")["claude-3-5-sonnet"]
        == "us.anthropic.claude-3-5-sonnet-20241022-v2:0"
    )


@pytest.mark.parametrize(
    ("region", "geo"),
    [("us-east-1", "us"), ("eu-west-3", "eu"), ("ap-southeast-2", "apac"), ("us-gov-west-1", "us-gov")],
)
def test_geography_of_a_region(region, geo):
    assert geography(region) == geo


def test_the_one_million_suffix_is_split_off():
    assert split_one_million("claude-sonnet-4-5[1m]") == ("claude-sonnet-4-5", True)
    assert split_one_million("claude-sonnet-4-5") == ("claude-sonnet-4-5", False)
