"""The InvokeModel sanitizer: what each Claude generation gets of an Anthropic Messages body."""

from __future__ import annotations

import logging

import pytest

from app.catalogue import ModelInfo
from app.converter.messages_invoke import (
    BEDROCK_VERSION,
    GENERATIONS,
    Sanitizer,
    generation_of,
    split_betas,
)

OPUS_46 = ModelInfo(id="global.anthropic.claude-opus-4-6-v1", foundation_id="anthropic.claude-opus-4-6-v1")
SONNET_45 = ModelInfo(
    id="us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    foundation_id="anthropic.claude-sonnet-4-5-20250929-v1:0",
)
HAIKU_45 = ModelInfo(
    id="us.anthropic.claude-haiku-4-5-20251001-v1:0", foundation_id="anthropic.claude-haiku-4-5-20251001-v1:0"
)
SONNET_37 = ModelInfo(
    id="us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    foundation_id="anthropic.claude-3-7-sonnet-20250219-v1:0",
)
HAIKU_3 = ModelInfo(
    id="anthropic.claude-3-haiku-20240307-v1:0", foundation_id="anthropic.claude-3-haiku-20240307-v1:0"
)
HELLO = [{"role": "user", "content": "Hello"}]


def sanitized(model: ModelInfo, body: dict, betas: list[str] | None = None) -> dict:
    return Sanitizer(model, betas or []).body(
        {"model": "claude", "max_tokens": 2048, "messages": HELLO, **body}
    )


def base(**fields) -> dict:
    return {
        "anthropic_version": BEDROCK_VERSION,
        "max_tokens": 2048,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}],
        **fields,
    }


class TestGenerations:
    @pytest.mark.parametrize(
        ("model", "name"),
        [
            (OPUS_46, "claude-4.6"),
            (SONNET_45, "claude-sonnet-4.5"),
            (HAIKU_45, "claude-haiku-4.5"),
            (SONNET_37, "claude-3.7"),
            (HAIKU_3, "claude"),
        ],
    )
    def test_each_claude_id_finds_its_generation(self, model, name):
        assert generation_of(model).name == name

    def test_every_generation_is_reachable(self):
        names = [generation.name for _, generation in GENERATIONS]
        assert len(names) == len(set(names))


class TestTopLevel:
    def test_model_and_stream_leave_and_bedrock_version_is_set(self):
        assert sanitized(HAIKU_3, {"stream": True, "anthropic_version": "2023-06-01"}) == base()

    def test_fields_bedrock_does_not_take_are_dropped(self, caplog):
        body = {
            "service_tier": "auto",
            "container": "c",
            "inference_geo": "us",
            "mcp_servers": [],
            "speed": "fast",
        }
        with caplog.at_level(logging.DEBUG, logger="app.converter.messages_invoke"):
            assert sanitized(HAIKU_3, body) == base()
        assert "service_tier" in caplog.text and "mcp_servers" in caplog.text

    def test_sampling_and_stop_sequences_pass_and_whitespace_stops_are_dropped(self):
        body = {"temperature": 0.5, "top_k": 5, "stop_sequences": ["END", "\n"]}
        assert sanitized(HAIKU_3, body) == base(temperature=0.5, top_k=5, stop_sequences=["END"])

    def test_top_p_is_dropped_beside_temperature_where_the_model_takes_one(self):
        assert sanitized(SONNET_45, {"temperature": 1, "top_p": 0.9}) == base(temperature=1)
        assert sanitized(SONNET_37, {"temperature": 1, "top_p": 0.9}) == base(temperature=1, top_p=0.9)

    def test_metadata_keeps_user_id_only(self):
        assert sanitized(HAIKU_3, {"metadata": {"user_id": "u1", "x": 1}}) == base(metadata={"user_id": "u1"})
        assert sanitized(HAIKU_3, {"metadata": {"user_id": "u" * 300}}) == base()

    def test_output_config_keeps_effort_where_the_model_has_it(self):
        config = {"effort": "high", "format": {"type": "json_schema"}}
        assert sanitized(OPUS_46, {"output_config": config}) == base(output_config={"effort": "high"})
        assert sanitized(SONNET_45, {"output_config": config}) == base()


class TestBetas:
    def test_header_and_body_betas_are_split_and_merged(self):
        assert split_betas("a, b,,c", ["d", 3]) == ["a", "b", "c", "d"]

    def test_claude_code_betas_keep_only_what_bedrock_offers_with_renames(self):
        betas = split_betas(
            "claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,"
            "per-turn-control-2026-07-01,advanced-tool-use-2025-11-20,effort-2025-11-24,"
            "prompt-caching-scope-2026-01-05,tool-search-tool-2025-10-19"
        )
        assert sanitized(OPUS_46, {}, betas)["anthropic_beta"] == [
            "interleaved-thinking-2025-05-14",
            "context-management-2025-06-27",
            "tool-search-tool-2025-10-19",
            "effort-2025-11-24",
        ]
        assert sanitized(HAIKU_45, {}, betas)["anthropic_beta"] == [
            "interleaved-thinking-2025-05-14",
            "context-management-2025-06-27",
        ]

    def test_a_model_without_betas_gets_no_beta_list(self):
        assert "anthropic_beta" not in sanitized(HAIKU_3, {}, ["interleaved-thinking-2025-05-14"])

    def test_the_bodys_own_beta_list_is_replaced_by_the_sanitized_one(self):
        body = {"anthropic_beta": ["claude-code-20250219", "interleaved-thinking-2025-05-14"]}
        betas = split_betas(None, body["anthropic_beta"])
        assert sanitized(SONNET_45, body, betas)["anthropic_beta"] == ["interleaved-thinking-2025-05-14"]
        assert "anthropic_beta" not in sanitized(HAIKU_3, body, betas)


class TestSystem:
    def test_billing_header_block_is_dropped_and_the_rest_kept(self):
        system = [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1; cc_entrypoint=cli; cch=1;"},
            {"type": "text", "text": "You are Claude Code."},
        ]
        assert sanitized(HAIKU_3, {"system": system}) == base(
            system=[{"type": "text", "text": "You are Claude Code."}]
        )

    def test_a_system_of_only_the_billing_header_is_dropped(self):
        assert sanitized(HAIKU_3, {"system": "x-anthropic-billing-header: cc_version=2.1;"}) == base()


class TestTools:
    TOOL = {"name": "Read", "description": "Read a file", "input_schema": {"type": "object"}}

    def test_claude_code_tool_extensions_are_dropped_without_their_betas(self):
        tool = {**self.TOOL, "defer_loading": True, "eager_input_streaming": True, "input_examples": [{}]}
        tool["strict"] = True
        assert sanitized(SONNET_45, {"tools": [tool]})["tools"] == [self.TOOL]

    def test_defer_loading_stays_with_the_tool_search_beta(self):
        tool = {**self.TOOL, "defer_loading": True}
        body = sanitized(SONNET_45, {"tools": [tool]}, ["advanced-tool-use-2025-11-20"])
        assert body["tools"] == [tool]

    def test_typed_tools_bedrock_knows_stay_and_server_tools_go(self):
        bash = {"type": "bash_20250124", "name": "bash"}
        search = {"type": "web_search_20250305", "name": "web_search"}
        body = sanitized(
            SONNET_45, {"tools": [bash, search], "tool_choice": {"type": "tool", "name": "web_search"}}
        )
        assert body == base(tools=[bash])

    def test_no_tools_left_takes_tool_choice_with_them(self):
        body = sanitized(
            SONNET_45,
            {"tools": [{"type": "web_search_20250305", "name": "s"}], "tool_choice": {"type": "auto"}},
        )
        assert body == base()


class TestCacheControl:
    def test_scope_is_dropped_and_ttl_kept_where_the_model_has_it(self):
        system = [
            {
                "type": "text",
                "text": "S",
                "cache_control": {"type": "ephemeral", "scope": "global", "ttl": "1h"},
            }
        ]
        assert sanitized(SONNET_45, {"system": system})["system"][0]["cache_control"] == {
            "type": "ephemeral",
            "ttl": "1h",
        }
        assert sanitized(SONNET_37, {"system": system})["system"][0]["cache_control"] == {"type": "ephemeral"}

    def test_at_most_four_breakpoints_the_earliest_message_ones_dropped(self):
        marked = {"type": "ephemeral"}
        system = [{"type": "text", "text": f"S{i}", "cache_control": marked} for i in range(2)]
        messages = [
            {"role": "user", "content": [{"type": "text", "text": "one", "cache_control": marked}]},
            {"role": "assistant", "content": [{"type": "text", "text": "two", "cache_control": marked}]},
            {"role": "user", "content": [{"type": "text", "text": "three", "cache_control": marked}]},
        ]
        body = sanitized(SONNET_45, {"system": system, "messages": messages})
        assert [("cache_control" in block) for block in body["system"]] == [True, True]
        assert [("cache_control" in m["content"][0]) for m in body["messages"]] == [False, True, True]

    def test_top_level_cache_control_marks_the_last_block(self):
        body = sanitized(SONNET_45, {"cache_control": {"type": "ephemeral"}})
        assert body == base(
            messages=[
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "Hello", "cache_control": {"type": "ephemeral"}}],
                }
            ]
        )


class TestThinking:
    def test_thinking_passes_with_its_display(self):
        thinking = {"type": "enabled", "budget_tokens": 1024, "display": "omitted"}
        assert sanitized(SONNET_45, {"thinking": thinking})["thinking"] == thinking

    def test_budget_is_clamped_below_max_tokens_without_interleaving(self):
        thinking = {"type": "enabled", "budget_tokens": 9999}
        assert sanitized(SONNET_45, {"thinking": thinking})["thinking"]["budget_tokens"] == 2047
        interleaved = sanitized(SONNET_45, {"thinking": thinking}, ["interleaved-thinking-2025-05-14"])
        assert interleaved["thinking"]["budget_tokens"] == 9999

    def test_adaptive_becomes_a_budget_where_the_model_has_no_adaptive_thinking(self):
        assert sanitized(OPUS_46, {"thinking": {"type": "adaptive"}})["thinking"] == {"type": "adaptive"}
        assert sanitized(SONNET_45, {"thinking": {"type": "adaptive"}})["thinking"] == {
            "type": "enabled",
            "budget_tokens": 2047,
        }

    def test_a_model_that_does_not_think_gets_no_thinking(self):
        assert "thinking" not in sanitized(HAIKU_3, {"thinking": {"type": "enabled", "budget_tokens": 1024}})

    def test_a_tool_turn_without_its_thinking_turns_thinking_off(self):
        messages = [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "w", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "sunny"}]},
        ]
        body = sanitized(
            SONNET_45, {"messages": messages, "thinking": {"type": "enabled", "budget_tokens": 1024}}
        )
        assert "thinking" not in body


class TestContextManagement:
    CONFIG = {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}, {"type": "compact_20260112"}]}
    THINKING = {"type": "enabled", "budget_tokens": 1024}

    def test_dropped_without_the_beta(self):
        assert "context_management" not in sanitized(SONNET_45, {"context_management": self.CONFIG})

    def test_supported_edits_stay_with_the_beta_and_thinking(self):
        body = sanitized(
            SONNET_45,
            {"context_management": self.CONFIG, "thinking": self.THINKING},
            ["context-management-2025-06-27"],
        )
        assert body["context_management"] == {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]}

    def test_malformed_edits_are_dropped(self):
        config = {"edits": ["x", 1, {"type": "clear_tool_uses_20250919"}]}
        body = sanitized(SONNET_45, {"context_management": config}, ["context-management-2025-06-27"])
        assert body["context_management"] == {"edits": [{"type": "clear_tool_uses_20250919"}]}
        assert "context_management" not in sanitized(
            SONNET_45, {"context_management": {"edits": "x"}}, ["context-management-2025-06-27"]
        )

    def test_clear_thinking_goes_when_thinking_is_off(self):
        body = sanitized(SONNET_45, {"context_management": self.CONFIG}, ["context-management-2025-06-27"])
        assert "context_management" not in body
