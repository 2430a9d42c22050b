"""Structured answers: a JSON object, or JSON matching a schema, asked for and checked.

A strict JSON schema goes to Bedrock's native structured output (outputConfig.textFormat)
on the families that have it: the answer is then JSON text matching the schema. Otherwise
a schema, and a plain JSON object (an open object schema), becomes a tool the model must
call (any tool, when the client also offers its own); the response side returns that
tool's input as the answer. Families without tools are asked in words, and so are those
that cannot be forced to call a tool, or any model while thinking; that answer is checked
to parse.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from app.catalogue import ModelInfo
from app.converse.blocks import tool_name
from app.converse.tools import ToolPlan, object_schema
from app.errors import InvalidRequestError, UpstreamError

JSON_OBJECT_INSTRUCTION = (
    "Respond with a single valid JSON object and nothing else: no prose, no code fences."
)
STRUCTURED_DESCRIPTION = "Give the final answer as this tool's input."
JSON_OBJECT_TOOL = "json_answer"
JSON_OBJECT_DESCRIPTION = "Give the final answer as this tool's input: a single JSON object."
_FENCED = re.compile(r"^\s*```[a-zA-Z]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def with_json_object(plan: ToolPlan, model: ModelInfo) -> ToolPlan:
    """Any JSON object: an open-schema tool the model must call, else asked in words."""
    taken = any(tool["toolSpec"]["name"] == JSON_OBJECT_TOOL for tool in plan.specs)
    if not (model.family.tools and model.family.forced_tool_choice) or taken:
        return replace(plan, json_object=True, instructions=(JSON_OBJECT_INSTRUCTION,))
    schema = {"type": "object"}
    plan = _structured_tool(plan, JSON_OBJECT_TOOL, schema, JSON_OBJECT_DESCRIPTION, "response_format")
    return replace(plan, json_object=True)


def with_json_schema(
    plan: ToolPlan,
    name: str,
    schema: dict,
    description: str | None,
    model: ModelInfo,
    param: str,
    *,
    strict: bool = False,
) -> ToolPlan:
    """Structured output for ``schema``; ``param`` names the format object in the request."""
    if strict and model.family.native_structured_output:
        object_schema(schema, f"{param}.schema")
        return replace(plan, text_format=text_format(name, schema, description))
    if not model.family.tools:
        # No tools to carry the schema: ask for JSON in words and check the answer parses.
        words = f"{JSON_OBJECT_INSTRUCTION} It must match this JSON schema: {json.dumps(schema)}"
        return replace(plan, json_object=True, instructions=(words,))
    return _structured_tool(plan, name, schema, description, param)


def text_format(name: str, schema: dict, description: str | None) -> dict:
    """Converse's outputConfig.textFormat: the schema travels as a JSON string."""
    definition = {"schema": json.dumps(schema), "name": tool_name(name)}
    if description:
        definition["description"] = description
    return {"type": "json_schema", "structure": {"jsonSchema": definition}}


def _structured_tool(
    plan: ToolPlan, name: str, schema: dict, description: str | None, param: str
) -> ToolPlan:
    name = tool_name(name)
    if any(tool["toolSpec"]["name"] == name for tool in plan.specs):
        raise InvalidRequestError(
            f"The response format name `{name}` is also a tool name.", param=f"{param}.name"
        )
    tool = {
        "name": name,
        "description": description or STRUCTURED_DESCRIPTION,
        "inputSchema": {"json": object_schema(schema, f"{param}.schema")},
    }
    # With the client's own tools on offer the model may still call one of them first.
    forced = plan.choice if plan.choice and "tool" in plan.choice else None
    choice = forced or ({"any": {}} if plan.specs else {"tool": {"name": name}})
    return replace(plan, specs=[*plan.specs, {"toolSpec": tool}], choice=choice, structured=name)


def declined_structured(text: str) -> dict:
    """The model answered in text instead of calling the structured-output tool.

    JSON text is still the answer (models sometimes write it out, fenced or not); anything
    else is a refusal, which is where OpenAI's ``parse()`` and LangChain look for one, so
    they report it instead of failing to validate prose against the schema. The tool's
    schema is always an object, so only a JSON object counts.
    """
    answer = json_text(text)
    if answer is not None and answer.startswith("{"):
        return {"content": answer, "refusal": None}
    return {"content": None, "refusal": text}


def checked_json(content: str | None) -> str:
    """json_object mode: the answer without code fences, or an error if it is not JSON."""
    text = json_text(content or "")
    if text is None:
        raise UpstreamError("The model did not return valid JSON.")
    return text


def json_text(content: str) -> str | None:
    """``content`` without code fences if it parses as JSON, else None."""
    match = _FENCED.match(content)
    text = match.group(1).strip() if match else content.strip()
    try:
        json.loads(text)
    except ValueError:
        return None
    return text
