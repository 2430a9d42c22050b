"""What each Bedrock model family can do, as data.

Bedrock's listing says which modalities a model takes; it does not say whether the
model accepts tools, a system prompt, extended thinking or cache points. Those facts
live here, one row per family, matched on the foundation model id (first match wins),
so translation code asks ``model.family.tools`` instead of testing id prefixes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """Capabilities shared by every model of one family."""

    name: str
    tools: bool = True
    # Whether toolChoice may be "any" or a named tool; some families take only "auto".
    forced_tool_choice: bool = True
    system: bool = True
    # How reasoning_effort is sent: "anthropic" (thinking budget), "adaptive" (adaptive
    # thinking with outputConfig.effort), "nova" (reasoningConfig), "gpt-oss" (its own
    # reasoning_effort); "deepseek" always reasons and takes no switch.
    reasoning: str | None = None
    prompt_caching: bool = False
    # Newer Claude models refuse temperature and top_p in the same request.
    exclusive_sampling: bool = False
    # Used when a request needs a max token count (extended thinking) and gave none.
    default_max_tokens: int | None = None
    # The most a model of the family may write (conservative within the family), sent as
    # maxTokens when a client sets no limit (Codex never does); None leaves it to Bedrock.
    max_output_tokens: int | None = None
    # Row name in converter.embeddings.FAMILIES for embedding models.
    embedding: str | None = None
    # Claude refuses whitespace-only stop sequences ("each stop sequence must contain
    # non-whitespace", BerriAI/litellm#3286) and more than 20 images in a conversation.
    whitespace_stop_sequences: bool = True
    max_images: int | None = None
    # Where a passthrough ``top_k`` goes in additionalModelRequestFields (Nova nests it).
    top_k_path: tuple[str, ...] = ("top_k",)
    # Takes Anthropic's Messages body on InvokeModel (Claude): /messages passes it through.
    anthropic_body: bool = False
    # Converse outputConfig.textFormat: a JSON schema the answer is constrained to.
    native_structured_output: bool = False
    # Converse document blocks (pdf, csv, doc, docx, xls, xlsx, html, txt, md).
    documents: bool = False
    # Service tiers beyond "default" (which every model takes): "flex", "priority".
    service_tiers: frozenset[str] = frozenset()
    # performanceConfig latency "optimized" (latency-optimized inference).
    latency_optimized: bool = False
    # A cache point's ttl ("5m", "1h"); elsewhere a cache point takes none.
    cache_ttl: bool = False

    @property
    def anthropic_thinking(self) -> bool:
        """Takes Anthropic's thinking object (a budget; adaptive too, where ``reasoning`` says so)."""
        return self.reasoning in ("anthropic", "adaptive")


_TIERS = frozenset({"flex", "priority"})
_CLAUDE = dict(whitespace_stop_sequences=False, max_images=20, anthropic_body=True, documents=True)
_CLAUDE_THINKING = dict(_CLAUDE, reasoning="anthropic", prompt_caching=True, default_max_tokens=8192)
_CLAUDE_45 = dict(_CLAUDE_THINKING, exclusive_sampling=True, cache_ttl=True)
_NOVA = dict(prompt_caching=True, top_k_path=("inferenceConfig", "topK"), service_tiers=_TIERS)

_FAMILIES: tuple[tuple[str, Family], ...] = (
    (
        r"anthropic\.claude-(opus|sonnet)-4-[6-9]",
        Family(
            "claude-adaptive",
            native_structured_output=True,
            max_output_tokens=32000,
            **dict(_CLAUDE_45, reasoning="adaptive"),
        ),
    ),
    (
        r"anthropic\.claude-(sonnet|haiku|opus)-4-5",
        Family("claude-4.5", native_structured_output=True, max_output_tokens=32000, **_CLAUDE_45),
    ),
    (r"anthropic\.claude-opus-4-1", Family("claude-opus-4.1", max_output_tokens=32000, **_CLAUDE_45)),
    (
        r"anthropic\.claude-(3-7-sonnet|sonnet-4|opus-4)",
        Family("claude-thinking", max_output_tokens=32000, **_CLAUDE_THINKING),
    ),
    (
        r"anthropic\.claude-3-5-haiku",
        Family(
            "claude-3.5-haiku", prompt_caching=True, latency_optimized=True, max_output_tokens=8192, **_CLAUDE
        ),
    ),
    (
        r"anthropic\.claude-3-5-sonnet-20241022",
        Family("claude-3.5-cache", prompt_caching=True, max_output_tokens=8192, **_CLAUDE),
    ),
    (r"anthropic\.claude-3", Family("claude-3", max_output_tokens=4096, **_CLAUDE)),
    (
        r"anthropic\.claude-(v2|instant)",
        Family("claude-2", tools=False, max_output_tokens=4096, **dict(_CLAUDE, documents=False)),
    ),
    (
        r"amazon\.nova-2-(lite|pro)",
        Family("nova-2", reasoning="nova", documents=True, max_output_tokens=65535, **_NOVA),
    ),
    (r"amazon\.nova-micro", Family("nova-micro", max_output_tokens=10000, **_NOVA)),
    (
        r"amazon\.nova-pro",
        Family("nova-pro", documents=True, latency_optimized=True, max_output_tokens=10000, **_NOVA),
    ),
    (r"amazon\.nova-(lite|premier)", Family("nova", documents=True, max_output_tokens=10000, **_NOVA)),
    (
        r"openai\.gpt-oss",
        Family("gpt-oss", reasoning="gpt-oss", native_structured_output=True, service_tiers=_TIERS),
    ),
    (r"qwen\.", Family("qwen", native_structured_output=True, service_tiers=_TIERS)),
    (r"amazon\.titan-text", Family("titan-text", tools=False, system=False)),
    (
        r"meta\.llama3-1-(70b|405b)",
        Family("llama-3.1-large", forced_tool_choice=False, latency_optimized=True, max_output_tokens=2048),
    ),
    (r"meta\.llama(3-[1-9]-|4)", Family("llama-tools", forced_tool_choice=False, max_output_tokens=2048)),
    (r"meta\.llama", Family("llama", tools=False, max_output_tokens=2048)),
    (r"deepseek\.r1", Family("deepseek-r1", tools=False, reasoning="deepseek", max_output_tokens=32768)),
    (
        r"mistral\.(mistral-large|mistral-small|pixtral)",
        Family("mistral-tools", documents=True, max_output_tokens=8192),
    ),
    (r"mistral\.", Family("mistral", tools=False, max_output_tokens=4096)),
    (r"ai21\.j2", Family("jurassic", tools=False, system=False)),
    (r"ai21\.jamba", Family("jamba", forced_tool_choice=False)),
    (
        r"deepseek\.v3",
        Family("deepseek-v3", forced_tool_choice=False, native_structured_output=True, service_tiers=_TIERS),
    ),
    (
        r"cohere\.command-r",
        Family("command-r", forced_tool_choice=False, documents=True, max_output_tokens=4000),
    ),
    (r"cohere\.command", Family("command", tools=False, max_output_tokens=4000)),
    (r"cohere\.embed-(english|multilingual)-v3", Family("cohere-embed-v3", embedding="cohere-v3")),
    (r"cohere\.embed-v4", Family("cohere-embed-v4", embedding="cohere-v4")),
    (r"amazon\.titan-embed-text-v1", Family("titan-embed-v1", embedding="titan-v1")),
    (r"amazon\.titan-embed-text-v2", Family("titan-embed-v2", embedding="titan-v2")),
    (r"amazon\.nova-2-multimodal-embeddings", Family("nova-embed", embedding="nova-mm")),
)

_COMPILED = tuple((re.compile(pattern), family) for pattern, family in _FAMILIES)
UNKNOWN = Family("unknown")


def family_for(foundation_id: str) -> Family:
    """The family of a foundation model id; unknown models get permissive defaults."""
    for pattern, family in _COMPILED:
        if pattern.match(foundation_id):
            return family
    return UNKNOWN
