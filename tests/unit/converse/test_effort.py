"""reasoning_effort for the families that take it outside a thinking budget."""

import pytest

from app.converse.thinking import effort_fields
from tests.unit.converse.models import GPT_OSS, NOVA, NOVA_2, OPUS_46


@pytest.mark.parametrize(("effort", "level"), [("minimal", "low"), ("medium", "medium"), ("xhigh", "max")])
def test_adaptive_claude_gets_output_config_effort(effort, level):
    extra: dict = {}
    assert effort_fields(effort, OPUS_46, {}, extra) == {"outputConfig": {"effort": level}}
    assert extra == {}


def test_nova_2_high_leaves_out_sampling_and_max_tokens():
    inference, extra = {"maxTokens": 10, "temperature": 0.5, "stopSequences": ["x"]}, {}
    assert effort_fields("max", NOVA_2, inference, extra) == {}
    assert (inference, extra) == (
        {"stopSequences": ["x"]},
        {"reasoningConfig": {"type": "enabled", "maxReasoningEffort": "high"}},
    )


def test_nova_2_low_keeps_sampling():
    inference, extra = {"maxTokens": 10}, {}
    effort_fields("low", NOVA_2, inference, extra)
    assert (inference, extra["reasoningConfig"]["maxReasoningEffort"]) == ({"maxTokens": 10}, "low")


def test_gpt_oss_gets_its_own_reasoning_effort():
    extra: dict = {}
    effort_fields("minimal", GPT_OSS, {}, extra)
    assert extra == {"reasoning_effort": "low"}


@pytest.mark.parametrize("model", [NOVA, OPUS_46, NOVA_2, GPT_OSS])
def test_none_and_other_families_send_nothing(model):
    extra: dict = {}
    assert (effort_fields("none", model, {}, extra), extra) == ({}, {})
    assert (effort_fields("high", NOVA, {}, extra), extra) == ({}, {})
