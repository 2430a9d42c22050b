"""Tool specs and tool choice: what the toolConfig says, whatever dialect described the tools.

A dialect turns its tool definitions into ``tool_spec`` calls and its tool choice into one
of Converse's modes (``auto``, ``any``, ``tool`` with a name, or ``none``, which offers no
tools at all); ``ToolPlan`` carries the result and how the history's tool blocks are sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from app.catalogue import ModelInfo
from app.errors import InvalidRequestError

_TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
STRUCTURED_INSTRUCTION = (
    "When you have the final answer, give it by calling the `{name}` tool; its input is the answer."
)


@dataclass(frozen=True)
class ToolPlan:
    """The toolConfig to send, and how the conversation's tool history is rendered."""

    specs: list[dict] = field(default_factory=list)
    choice: dict | None = None
    structured: str | None = None
    json_object: bool = False
    instructions: tuple[str, ...] = ()
    as_text: bool = True
    # Converse outputConfig.textFormat, for native structured output.
    text_format: dict | None = None

    def config(self) -> dict | None:
        if not self.specs:
            return None
        config: dict = {"tools": self.specs}
        if self.choice is not None:
            config["toolChoice"] = self.choice
        return config


def require_tool_support(model: ModelInfo, param: str) -> None:
    if not model.family.tools:
        raise InvalidRequestError(f"The model `{model.id}` does not support tools.", param=param)


def tool_spec(
    name: str,
    description: str | None,
    parameters: dict | None,
    param: str,
    earlier: list[dict],
    *,
    strict: bool = False,
) -> dict:
    """One Converse toolSpec; ``param`` names the tool in the client's request."""
    if not _TOOL_NAME.match(name):
        raise InvalidRequestError(
            "Tool names must be 1-64 characters of a-z, A-Z, 0-9, underscore or dash.",
            param=f"{param}.name",
        )
    if any(spec["toolSpec"]["name"] == name for spec in earlier):
        raise InvalidRequestError(f"Duplicate tool name `{name}`.", param=f"{param}.name")
    spec: dict = {"name": name}
    if description:
        spec["description"] = description
    spec["inputSchema"] = {"json": object_schema(parameters, f"{param}.parameters")}
    if strict:
        spec["strict"] = True
    return {"toolSpec": spec}


def object_schema(parameters: dict | None, param: str) -> dict:
    if not parameters:
        return {"type": "object", "properties": {}}
    if parameters.get("type", "object") != "object":
        raise InvalidRequestError("Tool parameters must be a JSON schema of type object.", param=param)
    # Bedrock's models want an explicit object type; a schema with only properties means one.
    return parameters if "type" in parameters else {"type": "object", **parameters}


def spec_names(specs: list[dict]) -> list[str]:
    return [spec["toolSpec"]["name"] for spec in specs]


def choose(
    specs: list[dict],
    mode: str | None,
    *,
    name: str | None = None,
    allowed: list[tuple[str, str]] | None = None,
    param: str = "tool_choice",
) -> ToolPlan:
    """A plan for tool choice ``mode``: None (say nothing), auto, any, tool (``name``) or none.

    ``allowed`` narrows the tools on offer to those names (OpenAI's ``allowed_tools``), each
    with the param that names it; ``param`` names the choice in the client's request.
    """
    if mode == "none":
        return ToolPlan()
    if allowed is not None:
        for wanted, wanted_param in allowed:
            require_known(wanted, specs, wanted_param)
        names = {wanted for wanted, _ in allowed}
        specs = [spec for spec in specs if spec["toolSpec"]["name"] in names]
        require_tools(specs, param)
    if mode == "tool":
        require_known(name or "", specs, param)
        choice: dict | None = {"tool": {"name": name}}
    elif mode == "any":
        require_tools(specs, param)
        choice = {"any": {}}
    else:
        choice = {"auto": {}} if mode == "auto" and specs else None
    return ToolPlan(specs=specs, choice=choice, as_text=not specs)


def require_tools(specs: list[dict], param: str) -> None:
    if not specs:
        raise InvalidRequestError("This tool_choice requires at least one tool in tools.", param=param)


def require_known(name: str, specs: list[dict], param: str) -> None:
    if name not in spec_names(specs):
        raise InvalidRequestError(f"tool_choice names `{name}`, which is not in tools.", param=param)


def unforced(plan: ToolPlan) -> ToolPlan:
    """Offer the tools with auto choice; a structured tool is then asked for in words."""
    choice = plan.choice if plan.choice is None or "auto" in plan.choice else {"auto": {}}
    instructions = plan.instructions
    if plan.structured:
        instructions += (STRUCTURED_INSTRUCTION.format(name=plan.structured),)
    return replace(plan, choice=choice, instructions=instructions)
