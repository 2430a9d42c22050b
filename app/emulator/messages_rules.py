"""What Bedrock's InvokeModel refuses in an Anthropic Messages body, outside the messages.

Claude's model schema on Bedrock answers unknown fields with pydantic's wording
("context_management: Extra inputs are not permitted", anthropics/claude-code#49548),
betas it does not take with "invalid beta flag" (BerriAI/litellm#20021), per-tool fields
with "tools.0.custom.defer_loading: Extra inputs are not permitted" (anthropics/claude-code#31033),
`cache_control.scope` with "system.N.cache_control.ephemeral.scope: ..." (Portkey-AI/gateway#1589)
and Claude Code's attribution block with the reserved-keyword message (anthropics/claude-code#24168).
Missing required keys get Bedrock's own schema wording ("required key [max_tokens] not found").
"""

import re

from app.emulator import thinking
from app.emulator.anthropic import EXCLUSIVE_SAMPLING
from app.emulator.body_rules import malformed
from app.emulator.catalogue import Model
from app.emulator.errors import validation

BEDROCK_VERSION = "bedrock-2023-05-31"
REQUIRED = ("anthropic_version", "max_tokens", "messages")
ALWAYS_ALLOWED = {
    "anthropic_version",
    "anthropic_beta",
    "max_tokens",
    "messages",
    "system",
    "stop_sequences",
    "temperature",
    "top_p",
    "top_k",
    "tools",
    "tool_choice",
    "thinking",
    "metadata",
}
BILLING_HEADER = "x-anthropic-billing-header"
RESERVED = f"{BILLING_HEADER} is a reserved keyword and may not be used in the system prompt."
MAX_BREAKPOINTS = 4
TOOL_NAME = r"^[a-zA-Z0-9_-]{1,128}$"
TOOL_FIELDS = {"type", "name", "description", "input_schema", "cache_control"}
# Tool fields Bedrock takes only together with the beta that defines them.
TOOL_FIELD_BETAS = {
    "defer_loading": "tool-search-tool-2025-10-19",
    "input_examples": "tool-examples-2025-10-29",
}
TYPED_TOOLS = (
    "bash_20250124",
    "text_editor_20250124",
    "text_editor_20250429",
    "text_editor_20250728",
    "computer_20250124",
    "tool_search_tool_regex_20251119",
    "tool_search_tool_bm25_20251119",
)
CONTEXT_EDITS = ("clear_thinking_20251015", "clear_tool_uses_20250919")
EFFORTS = ("low", "medium", "high", "max")
TOOL_CHOICES = ("auto", "any", "tool", "none")


def extra(path: str):
    return validation(f"{path}: Extra inputs are not permitted")


def tag_error(path: str, found, expected: tuple[str, ...]):
    tags = ", ".join(f"'{tag}'" for tag in expected)
    return validation(
        f"{path}: Input tag '{found}' found using 'type' does not match any of the expected tags: {tags}"
    )


def model_name(model: Model) -> str:
    """Anthropic's name for a Bedrock Claude id (anthropic.claude-x-v1:0 -> claude-x)."""
    return re.sub(r"-v\d+(:\d+)?$", "", model.model_id.removeprefix("anthropic."))


def check_top_level(model: Model, body: dict) -> list[str]:
    """Check everything but `messages`; return the body's betas."""
    betas = _check_betas(model, body)
    for key in REQUIRED:
        if key not in body:
            raise malformed(f"#: required key [{key}] not found")
    if body["anthropic_version"] != BEDROCK_VERSION:
        raise malformed(f"#/anthropic_version: {body['anthropic_version']} is not a valid enum value")
    allowed = ALWAYS_ALLOWED | _optional_fields(model, betas)
    for key in body:
        if key not in allowed:
            raise extra(key)
    _check_max_tokens(model, body["max_tokens"])
    _check_sampling(model, body)
    _check_system(body.get("system"))
    _check_tools(model, body.get("tools"), betas)
    _check_tool_choice(body.get("tool_choice"))
    _check_thinking_config(model, body)
    _check_context_management(body.get("context_management"))
    _check_output_config(body.get("output_config"))
    _check_metadata(body.get("metadata"))
    return betas


def _check_betas(model: Model, body: dict) -> list[str]:
    betas = body.get("anthropic_beta", [])
    if not isinstance(betas, list) or not all(isinstance(b, str) for b in betas):
        raise malformed("#/anthropic_beta: expected type: JSONArray")
    if any(beta not in model.betas for beta in betas):
        raise validation("invalid beta flag")
    return betas


def _optional_fields(model: Model, betas: list[str]) -> set[str]:
    fields = set()
    if "context-management-2025-06-27" in betas:
        fields.add("context_management")
    if model.can("effort"):
        fields.add("output_config")
    return fields


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_max_tokens(model: Model, value) -> None:
    if not _integer(value) or value < 1:
        raise validation("max_tokens: Input should be greater than or equal to 1")
    if value > model.max_output:
        raise validation(
            f"max_tokens: {value} > {model.max_output}, which is the maximum allowed number of "
            f"output tokens for {model_name(model)}"
        )


def _check_sampling(model: Model, body: dict) -> None:
    for key, high in (("temperature", 1), ("top_p", 1)):
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise validation(f"{key}: Input should be a valid number")
        if not 0 <= value <= high:
            bound = "less" if value > high else "greater"
            raise validation(f"{key}: Input should be {bound} than or equal to {high if value > high else 0}")
    both = body.get("temperature") is not None and body.get("top_p") is not None
    if model.can("exclusive_sampling") and both:
        raise validation(EXCLUSIVE_SAMPLING)


def check_cache_control(model: Model, path: str, block: dict) -> int:
    """Check a block's cache_control; 1 when it marks a breakpoint, else 0."""
    control = block.get("cache_control")
    if control is None:
        return 0
    if not isinstance(control, dict) or control.get("type") != "ephemeral":
        found = control.get("type") if isinstance(control, dict) else control
        raise tag_error(f"{path}.cache_control", found, ("ephemeral",))
    for key in control:
        if key == "type" or (key == "ttl" and model.can("cache_ttl")):
            continue
        raise extra(f"{path}.cache_control.ephemeral.{key}")
    if control.get("ttl", "5m") not in ("5m", "1h"):
        raise validation(f"{path}.cache_control.ephemeral.ttl: Input should be '5m' or '1h'")
    return 1


def check_breakpoints(count: int) -> None:
    if count > MAX_BREAKPOINTS:
        raise validation(
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {count}."
        )


def _check_system(system) -> None:
    if system is None:
        return
    blocks = [{"type": "text", "text": system}] if isinstance(system, str) else system
    if not isinstance(blocks, list):
        raise validation("system: Input should be a valid list")
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or block.get("type") != "text":
            found = block.get("type") if isinstance(block, dict) else block
            raise tag_error(f"system.{index}", found, ("text",))
        text = block.get("text")
        if not isinstance(text, str) or not text:
            raise validation("system: text content blocks must be non-empty")
        if BILLING_HEADER in text:
            raise validation(RESERVED)


def _check_tools(model: Model, tools, betas: list[str]) -> None:
    if tools is None:
        return
    if not isinstance(tools, list):
        raise validation("tools: Input should be a valid list")
    if tools and not model.can("tools"):
        raise extra("tools")
    names = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise validation(f"tools.{index}: Input should be a valid dictionary")
        names.append(_check_tool(index, tool, betas))
    if len(names) != len(set(names)):
        raise validation("tools: Tool names must be unique.")


def _check_tool(index: int, tool: dict, betas: list[str]) -> str:
    kind = tool.get("type", "custom")
    if kind != "custom":
        if kind not in TYPED_TOOLS:
            raise tag_error(f"tools.{index}", kind, ("custom", *TYPED_TOOLS))
        return tool.get("name", kind)
    path = f"tools.{index}.custom"
    for key in tool:
        if key not in TOOL_FIELDS and TOOL_FIELD_BETAS.get(key) not in betas:
            raise extra(f"{path}.{key}")
    for key in ("name", "input_schema"):
        if key not in tool:
            raise validation(f"{path}.{key}: Field required")
    if not isinstance(tool["name"], str) or not re.match(TOOL_NAME, tool["name"]):
        raise validation(f"{path}.name: String should match pattern '{TOOL_NAME}'")
    schema = tool["input_schema"]
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise validation(f"{path}.input_schema.type: Input should be 'object'")
    return tool["name"]


def _check_tool_choice(choice) -> None:
    if choice is None:
        return
    kind = choice.get("type") if isinstance(choice, dict) else choice
    if kind not in TOOL_CHOICES:
        raise tag_error("tool_choice", kind, TOOL_CHOICES)
    if kind == "tool" and not isinstance(choice.get("name"), str):
        raise validation("tool_choice.tool.name: Field required")


def thinking_on(body: dict) -> bool:
    config = body.get("thinking")
    return isinstance(config, dict) and config.get("type") in ("enabled", "adaptive")


def _check_thinking_config(model: Model, body: dict) -> None:
    config = body.get("thinking")
    if config is None:
        return
    expected = ("disabled", "enabled")
    if model.can("adaptive_thinking"):
        expected = ("adaptive", *expected)
    kind = config.get("type") if isinstance(config, dict) else config
    if kind not in expected:
        raise tag_error("thinking", kind, expected)
    if kind == "disabled":
        return
    if not model.can("thinking"):
        raise extra("thinking")
    _check_keys(f"thinking.{kind}", config, ("type", "budget_tokens", "display"))
    if config.get("display", "summarized") not in ("summarized", "omitted"):
        raise validation(f"thinking.{kind}.display: Input should be 'summarized' or 'omitted'")
    if kind == "enabled":
        # With interleaved thinking the budget spans a whole turn and may exceed max_tokens.
        interleaved = "interleaved-thinking-2025-05-14" in body.get("anthropic_beta", [])
        thinking.check_budget(config, 2**31 if interleaved else body["max_tokens"])
    thinking.check_sampling(body.get("temperature"), body.get("top_p"), body.get("top_k") is not None)
    choice = body.get("tool_choice") or {}
    if choice.get("type") in ("any", "tool"):
        raise validation(thinking.FORCED_TOOL)


def _check_context_management(config) -> None:
    if config is None:
        return
    edits = config.get("edits", []) if isinstance(config, dict) else None
    if not isinstance(edits, list) or set(config) - {"edits"}:
        raise validation("context_management: Input should be an object with an `edits` list")
    for index, edit in enumerate(edits):
        kind = edit.get("type") if isinstance(edit, dict) else edit
        if kind not in CONTEXT_EDITS:
            raise tag_error(f"context_management.edits.{index}", kind, CONTEXT_EDITS)


def _check_keys(path: str, value, allowed: tuple[str, ...]) -> None:
    """`value` is an object whose keys are all in `allowed`."""
    if not isinstance(value, dict):
        raise validation(f"{path}: Input should be a valid dictionary")
    for key in value:
        if key not in allowed:
            raise extra(f"{path}.{key}")


def _check_output_config(config) -> None:
    if config is None:
        return
    _check_keys("output_config", config, ("effort",))
    if config.get("effort", "high") not in EFFORTS:
        raise validation("output_config.effort: Input should be 'low', 'medium', 'high' or 'max'")


def _check_metadata(metadata) -> None:
    if metadata is None:
        return
    _check_keys("metadata", metadata, ("user_id",))
    user_id = metadata.get("user_id")
    if user_id is not None and (not isinstance(user_id, str) or len(user_id) > 256):
        raise validation("metadata.user_id: String should have at most 256 characters")
