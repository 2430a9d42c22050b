"""A validated Responses request → the keyword arguments of Bedrock's Converse call.

The Responses-specific part: ``instructions`` and ``input`` items become system blocks and
turns, ``max_output_tokens``, ``reasoning``, ``text.format`` and ``prompt_cache_key`` the
rest. Tools are ``responses_items``'s; the rules Bedrock enforces whatever the dialect
(alternation, tool pairing, signed thinking, cache points) are ``app.converse``'s.

Items, in order, each as one turn that ``assemble`` merges with its neighbours (so
``call, call, output, output`` becomes one assistant turn and one user turn):

- messages (with or without ``type``): system and developer messages before the
  conversation's first turn are the system prompt, later ones are user text;
- ``function_call``, ``custom_tool_call``, ``local_shell_call`` → the assistant's toolUse,
  and their ``*_output`` items → the user's toolResult;
- ``reasoning`` → the signed thinking in its ``encrypted_content`` (none if it cannot
  be replayed, and ``assemble`` then sends the turn without thinking);
- hosted tools' items (web search, image generation, tool search, compaction …) have no
  Bedrock equivalent and are left out; ``additional_tools`` were hoisted into the tools.
Ids and statuses on items are ignored, never looked up.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.catalogue import ModelInfo
from app.converse.blocks import (
    ImageLoad,
    image_block,
    text_blocks,
    tool_arguments,
    tool_result_block,
    tool_use_block,
)
from app.converse.caching import CachePlan
from app.converse.call import ConverseCall, Draft, assemble
from app.converse.inference import inference_config
from app.converse.thinking import thinking_config
from app.converter.reasoning_codec import ReasoningCodec
from app.converter.responses_items import (
    CUSTOM,
    FUNCTION,
    LOCAL_SHELL_NAME,
    Toolbox,
    ToolRef,
    bedrock_name,
    build_toolbox,
    offered_tools,
    plan_tools,
    shell_input,
)
from app.errors import InvalidRequestError

_SYSTEM_ROLES = ("system", "developer")
_CALLS = ("function_call", "custom_tool_call", "local_shell_call")
_OUTPUTS = ("function_call_output", "custom_tool_call_output", "local_shell_call_output")


@dataclass(frozen=True)
class Translation:
    """The Converse call, and the toolbox that turns its tool calls back into items."""

    call: ConverseCall
    toolbox: Toolbox


def responses_to_converse(
    body: dict,
    model: ModelInfo,
    load_image: ImageLoad,
    codec: ReasoningCodec,
    *,
    items: list[dict],
    prompt_caching: bool = False,
) -> Translation:
    """Translate ``body`` for ``model``; ``items`` is the whole input, stored history first."""
    toolbox = build_toolbox(offered_tools(body.get("tools") or [], items))
    plan = plan_tools(body, toolbox, model)
    inference = inference_config(
        model,
        max_tokens=body.get("max_output_tokens") or model.family.max_output_tokens,
        temperature=body.get("temperature"),
        top_p=body.get("top_p"),
    )
    extra: dict = {}
    effort = (body.get("reasoning") or {}).get("effort")
    thinking = thinking_config(effort, None, model, inference, extra, "max_output_tokens")
    system = text_blocks([body["instructions"]]) if body.get("instructions") else []
    reader = _ItemReader(model, load_image, codec)
    turns = reader.turns(items, system)
    caching = prompt_caching or bool(body.get("prompt_cache_key"))
    cache = CachePlan(system=caching, messages=caching, tools=caching)
    draft = Draft(model, system, turns, inference, plan, thinking, extra, cache, messages_param="input")
    return Translation(assemble(draft), toolbox)


def input_items(value: str | list) -> list[dict]:
    """``input`` as a list of items, messages in their typed shape (as a stored chain lists them).

    A string is one user message; a message's string content becomes one text part.
    """
    items = [{"role": "user", "content": value}] if isinstance(value, str) else value
    return [_typed(item) for item in items]


def _typed(item: object) -> object:
    if not isinstance(item, dict) or item.get("type", "message") != "message":
        return item
    content = item.get("content")
    if isinstance(content, str):
        kind = "output_text" if item.get("role") == "assistant" else "input_text"
        content = [{"type": kind, "text": content}]
    return {**item, "type": "message", "content": content}


class _ItemReader:
    """Input items → turns of Converse blocks (one per item) and system blocks."""

    def __init__(self, model: ModelInfo, load_image: ImageLoad, codec: ReasoningCodec):
        self.model = model
        self.load_image = load_image
        self.codec = codec

    def turns(self, items: list[dict], system: list[dict]) -> list[dict]:
        turns: list[dict] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise InvalidRequestError("Each input item must be an object.", param=f"input[{i}]")
            kind = item.get("type", "message")
            param = f"input[{i}]"
            if kind == "message":
                role = item.get("role")
                if role in _SYSTEM_ROLES and not turns:
                    system.extend(text_blocks(self._texts(item, param)))
                else:
                    turns.append(self._message(item, role, param))
            elif kind in _CALLS:
                turns.append({"role": "assistant", "content": [self._call(item, kind, param)]})
            elif kind in _OUTPUTS:
                turns.append({"role": "user", "content": [self._output(item, param)]})
            elif kind == "reasoning":
                blocks = self.codec.open(item.get("encrypted_content"), self.model.family.name)
                turns.append({"role": "assistant", "content": blocks or []})
            elif kind == "item_reference":
                raise InvalidRequestError(
                    "Item references are not supported: send the item itself.", param=f"{param}.id"
                )
        return turns

    def _message(self, item: dict, role: object, param: str) -> dict:
        if role not in ("user", "assistant", *_SYSTEM_ROLES):
            raise InvalidRequestError(
                "Must be one of: user, assistant, system, developer.", param=f"{param}.role"
            )
        if role == "assistant":
            return {"role": "assistant", "content": text_blocks(self._texts(item, param))}
        return {"role": "user", "content": self._user_blocks(item, param)}

    def _texts(self, item: dict, param: str) -> list[str]:
        content = item.get("content")
        if isinstance(content, str):
            return [content]
        texts = []
        for j, part in enumerate(_parts(content, f"{param}.content")):
            if part.get("type") in ("input_text", "output_text", "text", "summary_text"):
                texts.append(_string(part.get("text"), f"{param}.content[{j}].text"))
            elif part.get("type") == "refusal":
                texts.append(_string(part.get("refusal"), f"{param}.content[{j}].refusal"))
        return texts

    def _user_blocks(self, item: dict, param: str) -> list[dict]:
        content = item.get("content")
        if isinstance(content, str):
            return text_blocks([content])
        return self._parts_blocks(content, f"{param}.content")

    def _parts_blocks(self, content: object, param: str) -> list[dict]:
        blocks: list[dict] = []
        for j, part in enumerate(_parts(content, param)):
            kind = part.get("type")
            if kind in ("input_text", "output_text", "text"):
                blocks.extend(text_blocks([_string(part.get("text"), f"{param}[{j}].text")]))
            elif kind == "input_image":
                blocks.append(self._image(part, f"{param}[{j}]"))
            elif kind == "input_file":
                raise InvalidRequestError(
                    "input_file parts are not supported: send the document's text.", param=f"{param}[{j}]"
                )
        return blocks

    def _image(self, part: dict, param: str) -> dict:
        url = part.get("image_url")
        if not isinstance(url, str) or not url:
            raise InvalidRequestError(
                "input_image parts need an image_url (file_id is not supported).", param=f"{param}.image_url"
            )
        return image_block(url, self.model, self.load_image, param, f"{param}.image_url")

    def _call(self, item: dict, kind: str, param: str) -> dict:
        call_id = _string(item.get("call_id"), f"{param}.call_id")
        if kind == "custom_tool_call":
            ref = ToolRef(CUSTOM, _string(item.get("name"), f"{param}.name"))
            return tool_use_block(
                call_id, bedrock_name(ref), {"input": _string(item.get("input"), f"{param}.input")}
            )
        if kind == "local_shell_call":
            action = item.get("action") if isinstance(item.get("action"), dict) else {}
            return tool_use_block(call_id, LOCAL_SHELL_NAME, shell_input(action))
        ref = ToolRef(FUNCTION, _string(item.get("name"), f"{param}.name"), item.get("namespace") or None)
        arguments = tool_arguments(
            _string(item.get("arguments", ""), f"{param}.arguments"), f"{param}.arguments"
        )
        return tool_use_block(call_id, bedrock_name(ref), arguments)

    def _output(self, item: dict, param: str) -> dict:
        call_id = _string(item.get("call_id"), f"{param}.call_id")
        output = item.get("output")
        if output is None or isinstance(output, str):
            content = text_blocks([output or ""])
        elif isinstance(output, dict):  # local_shell_call_output and some clients' objects
            content = text_blocks([str(output.get("output", output))])
        else:
            content = self._parts_blocks(output, f"{param}.output")
        return tool_result_block(call_id, content)


def _parts(content: object, param: str) -> list[dict]:
    if content is None:
        return []
    if not isinstance(content, list) or not all(isinstance(part, dict) for part in content):
        raise InvalidRequestError("Must be a string or an array of content parts.", param=param)
    return content


def _string(value: object, param: str) -> str:
    if not isinstance(value, str):
        raise InvalidRequestError("Must be a string.", param=param)
    return value
