"""Responses tools as Converse tool specs, and Bedrock's tool calls as Responses items.

Clients offer more than ``function`` tools. Codex sends ``custom`` tools (free-form text
input, such as ``apply_patch``), ``namespace`` tools (a group of functions, for MCP servers
and sub-agents), ``local_shell``, and hosted tools with no Bedrock equivalent
(``web_search``, ``image_generation``, ``tool_search`` …), which are dropped; some Codex
builds send part of their tools as an ``additional_tools`` input item instead of in
``tools``. Every offered tool becomes one Converse function under a name Bedrock accepts;
a ``Toolbox`` remembers what each name stands for, so that a call comes back as the item
the client offered: ``custom_tool_call``, ``local_shell_call``, or a ``function_call``
carrying its ``namespace`` and its own ``name``, never a flattened one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from app.catalogue import ModelInfo
from app.converse.blocks import tool_name
from app.converse.structured import with_json_object, with_json_schema
from app.converse.tools import ToolPlan, choose, require_tool_support, tool_spec
from app.errors import InvalidRequestError

FUNCTION, CUSTOM, LOCAL_SHELL = "function", "custom", "local_shell"
LOCAL_SHELL_NAME = "local_shell"
_BEDROCK_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_CUSTOM_INPUT = "The tool's whole input, as plain text (not JSON)."
_LOCAL_SHELL_SPEC = {
    "description": "Run a command on the user's machine and return its output.",
    "parameters": {
        "type": "object",
        "properties": {
            "command": {"type": "array", "items": {"type": "string"}, "description": "argv of the command"},
            "workdir": {"type": "string", "description": "working directory"},
            "timeout_ms": {"type": "integer", "description": "time limit in milliseconds"},
        },
        "required": ["command"],
    },
}


@dataclass(frozen=True)
class ToolRef:
    """What a Bedrock tool name stands for in the client's request."""

    kind: str  # function, custom or local_shell
    name: str
    namespace: str | None = None


@dataclass
class Toolbox:
    """The tools offered to Bedrock, by the name Bedrock knows each by."""

    specs: list[dict] = field(default_factory=list)
    refs: dict[str, ToolRef] = field(default_factory=dict)

    def add(self, ref: ToolRef, description: str | None, parameters: dict | None, param: str) -> None:
        name = bedrock_name(ref)
        self.specs.append(tool_spec(name, description, parameters, param, self.specs))
        self.refs[name] = ref

    def ref(self, name: str) -> ToolRef:
        """A call's tool; a name never offered (a model's slip) is a plain function."""
        return self.refs.get(name) or ToolRef(FUNCTION, name)


def bedrock_name(ref: ToolRef) -> str:
    """The Converse name of a tool: its own, or ``<namespace>__<name>``, hashed if Bedrock would refuse it."""
    if ref.kind == LOCAL_SHELL:
        return LOCAL_SHELL_NAME
    if ref.namespace is None:
        return ref.name if _BEDROCK_NAME.match(ref.name) else _hashed(ref.name, ref.name)
    joined = f"{ref.namespace}__{ref.name}"
    return joined if _BEDROCK_NAME.match(joined) else _hashed(f"{ref.namespace}/{ref.name}", ref.name)


def _hashed(key: str, name: str) -> str:
    return f"t{hashlib.sha256(key.encode()).hexdigest()[:16]}_{tool_name(name)[:46]}"


def offered_tools(tools: list[dict], items: list | str) -> list[tuple[dict, str]]:
    """Every tool definition with its param: ``tools`` and any ``additional_tools`` items."""
    offered = [(tool, f"tools[{k}]") for k, tool in enumerate(tools)]
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict) and item.get("type") == "additional_tools":
            extra = _array(item.get("tools"), f"input[{i}].tools")
            offered.extend((tool, f"input[{i}].tools[{k}]") for k, tool in enumerate(extra))
    return offered


def build_toolbox(offered: list[tuple[dict, str]]) -> Toolbox:
    box = Toolbox()
    for tool, param in offered:
        if not isinstance(tool, dict):
            raise InvalidRequestError("Each tool must be an object.", param=param)
        kind = tool.get("type")
        if kind == FUNCTION:
            _add_function(box, tool, None, param)
        elif kind == "namespace":
            for k, member in enumerate(_array(tool.get("tools"), f"{param}.tools")):
                if isinstance(member, dict) and member.get("type", FUNCTION) == FUNCTION:
                    _add_function(box, member, _name(tool, param), f"{param}.tools[{k}]")
        elif kind == CUSTOM:
            ref = ToolRef(CUSTOM, _name(tool, param))
            box.add(ref, _custom_description(tool), _custom_schema(), param)
        elif kind == LOCAL_SHELL:
            box.add(ToolRef(LOCAL_SHELL, LOCAL_SHELL_NAME), **_LOCAL_SHELL_SPEC, param=param)
        # Hosted tools (web_search, file_search, image_generation, tool_search, mcp, …) run
        # on OpenAI's side; Bedrock has no equivalent, so the model is not offered them.
    return box


def _add_function(box: Toolbox, tool: dict, namespace: str | None, param: str) -> None:
    ref = ToolRef(FUNCTION, _name(tool, param), namespace)
    parameters = tool.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise InvalidRequestError(
            "Tool parameters must be a JSON schema object.", param=f"{param}.parameters"
        )
    box.add(ref, tool.get("description"), parameters, param)


def _array(value: object, param: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRequestError("Expected an array of tools.", param=param)
    return value


def _name(tool: dict, param: str) -> str:
    name = tool.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidRequestError("Each tool needs a name.", param=f"{param}.name")
    return name


def _custom_description(tool: dict) -> str:
    description = tool.get("description")
    description = description if isinstance(description, str) else ""
    grammar = tool.get("format")
    if isinstance(grammar, dict) and grammar.get("type") == "grammar" and grammar.get("definition"):
        syntax = grammar.get("syntax", "grammar")
        description += f"\n\nThe input must match this {syntax} grammar:\n{grammar['definition']}"
    return description.strip() or "A tool that takes free-form text input."


def _custom_schema() -> dict:
    return {
        "type": "object",
        "properties": {"input": {"type": "string", "description": _CUSTOM_INPUT}},
        "required": ["input"],
    }


def plan_tools(body: dict, box: Toolbox, model: ModelInfo) -> ToolPlan:
    """The ToolPlan for ``tool_choice`` and ``text.format`` over the toolbox's tools.

    A model without tools is not offered them (Codex offers tools on every request) unless
    ``tool_choice`` insists, which is a 400; past calls then reach it as text.
    """
    choice = body.get("tool_choice")
    if not model.family.tools:
        if choice not in (None, "auto", "none"):
            require_tool_support(model, "tool_choice")
        box = Toolbox()
    plan = _choose(choice, box)
    text_format = (body.get("text") or {}).get("format") or {}
    kind = text_format.get("type", "text")
    if kind == "json_object":
        return with_json_object(plan, model)
    if kind == "json_schema":
        name = text_format.get("name") or "response"
        description = text_format.get("description")
        strict = text_format.get("strict") is True
        return with_json_schema(
            plan, name, text_format["schema"], description, model, "text.format", strict=strict
        )
    return plan


def _choose(choice: str | dict | None, box: Toolbox) -> ToolPlan:
    if choice is None or isinstance(choice, str):
        return choose(box.specs, {"required": "any"}.get(choice, choice))
    kind = choice.get("type")
    if kind in (FUNCTION, CUSTOM):
        ref = ToolRef(kind, _name(choice, "tool_choice"), choice.get("namespace"))
        return choose(box.specs, "tool", name=bedrock_name(ref), param="tool_choice.name")
    if kind == "allowed_tools":
        allowed = [
            (bedrock_name(_ref_of(ref, f"tool_choice.tools[{k}]")), f"tool_choice.tools[{k}].name")
            for k, ref in enumerate(_array(choice.get("tools"), "tool_choice.tools"))
        ]
        return choose(box.specs, "any" if choice.get("mode") == "required" else "auto", allowed=allowed)
    raise InvalidRequestError(
        f"tool_choice forces the hosted tool `{kind}`, which this gateway does not offer.",
        param="tool_choice",
    )


def _ref_of(ref: object, param: str) -> ToolRef:
    if not isinstance(ref, dict):
        raise InvalidRequestError("Each allowed tool must be an object.", param=param)
    kind = ref.get("type", FUNCTION)
    if kind == LOCAL_SHELL:
        return ToolRef(LOCAL_SHELL, LOCAL_SHELL_NAME)
    return ToolRef(kind, _name(ref, param), ref.get("namespace"))


def call_item(item_id: str, call_id: str, ref: ToolRef, arguments: str, status: str) -> dict:
    """The output item for one tool call; ``arguments`` is the JSON text of its input."""
    if ref.kind == CUSTOM:
        return {
            "id": item_id,
            "type": "custom_tool_call",
            "status": status,
            "call_id": call_id,
            "name": ref.name,
            "input": custom_input(arguments),
        }
    if ref.kind == LOCAL_SHELL:
        return {
            "id": item_id,
            "type": "local_shell_call",
            "status": status,
            "call_id": call_id,
            "action": shell_action(arguments),
        }
    item = {
        "id": item_id,
        "type": "function_call",
        "status": status,
        "arguments": arguments,
        "call_id": call_id,
        "name": ref.name,
    }
    if ref.namespace is not None:
        item["namespace"] = ref.namespace
    return item


def _loaded(arguments: str) -> object:
    try:
        return json.loads(arguments) if arguments.strip() else {}
    except ValueError:
        return None


def custom_input(arguments: str) -> str:
    value = _loaded(arguments)
    if isinstance(value, dict) and isinstance(value.get("input"), str):
        return value["input"]
    return arguments


def shell_action(arguments: str) -> dict:
    value = _loaded(arguments)
    value = value if isinstance(value, dict) else {}
    command = value.get("command")
    action: dict = {"type": "exec", "command": command if isinstance(command, list) else [str(command or "")]}
    action["env"] = {}
    if isinstance(value.get("workdir"), str):
        action["working_directory"] = value["workdir"]
    if isinstance(value.get("timeout_ms"), int):
        action["timeout_ms"] = value["timeout_ms"]
    return action


def shell_input(action: dict) -> dict:
    """A past ``local_shell_call``'s action as the input of the ``local_shell`` function."""
    tool_input: dict = {"command": action.get("command") or []}
    if action.get("working_directory"):
        tool_input["workdir"] = action["working_directory"]
    if action.get("timeout_ms") is not None:
        tool_input["timeout_ms"] = action["timeout_ms"]
    return tool_input
