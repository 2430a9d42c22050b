"""Structured answers: a JSON object, or JSON matching a schema, asked for and checked.

A JSON schema becomes a tool the model must call (any tool, when the client also offers
its own); the response side returns that tool's input as the answer. Families without
tools are asked in words, and the answer is checked to parse.
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
_FENCED = re.compile(r"^\s*```[a-zA-Z]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


def with_json_object(plan: ToolPlan) -> ToolPlan:
    return replace(plan, json_object=True, instructions=(JSON_OBJECT_INSTRUCTION,))


def with_json_schema(
    plan: ToolPlan, name: str, schema: dict, description: str | None, model: ModelInfo, param: str
) -> ToolPlan:
    """Structured output for ``schema``; ``param`` names the format object in the request."""
    if not model.family.tools:
        # No tools to carry the schema: ask for JSON in words and check the answer parses.
        words = f"{JSON_OBJECT_INSTRUCTION} It must match this JSON schema: {json.dumps(schema)}"
        return replace(plan, json_object=True, instructions=(words,))
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
