"""Scripted behaviour parsed from `@@` lines in the prompt.

Directive lines (a line whose first non-blank characters are `@@` followed by a letter,
so diff hunks like "@@ -1,3 +1,4 @@" stay plain text) are read from the
system text blocks, the text blocks of the LAST user message and the text content of
its toolResult blocks. They are removed from the prompt before the reply is built
(validation still sees the text exactly as sent, like Bedrock would).

    @@reply <text>          reply with exactly <text>; repeatable (one text block each)
    @@echo                  reply text is json.dumps(request body + "modelId"); exempt
                            from maxTokens/stopSequences truncation
    @@tool <name> [<json>]  a toolUse block with that input (default {}); repeatable for
                            parallel calls; stopReason becomes tool_use
    @@reasoning <text>      a reasoningContent block first (signed for Anthropic models)
    @@redacted [<text>]     a redacted reasoning block first (Converse redactedContent,
                            Claude's redacted_thinking; data = base64 of <text>)
    @@words N               reply of N words: "word1 word2 ... wordN"
    @@stop <reason>         force stopReason (any StopReason enum value, or Claude's
                            refusal / pause_turn)
    @@usage input=N output=N cache_read=N cache_write=N
                            override usage fields (any subset); totalTokens is recomputed
    @@latency first=MS token=MS
                            delay before the first event / the Converse response, and
                            between stream deltas
    @@fault <Name> [when=before|midstream] [after=N] [times=K] [id=KEY] [message=...]
                            raise that Bedrock error shape (e.g. ThrottlingException);
                            midstream sends it as a stream exception after N deltas;
                            times=K fails only the first K requests carrying that id;
                            message= takes the rest of the line
    @@context M [form=prompt|input]
                            a context window of M tokens: a longer prompt (counted as
                            CountTokens counts it) is a ValidationException, Claude's
                            "prompt is too long: N tokens > M maximum" (on Converse after
                            "The model returned the following errors: "), or with
                            form=input (the default for non-Claude models on Converse)
                            "Input is too long for requested model."
    @@guardrail             with a guardrailConfig in the request, the guardrail blocks the
                            input: the reply is Bedrock's default blocked message, stopReason
                            guardrail_intervened, and the trace when the request asked for it

Native structured output (outputConfig.textFormat) without @@reply/@@echo/@@words answers
the minimal instance of the schema as JSON text. Document blocks add " [documents: <name>
(<format>, <N> bytes), ...]" to the default echo reply. Nova 2's reasoningConfig and
gpt-oss's reasoning_effort add a reasoning block, like Anthropic thinking.

Without a directive the reply is "Echo: <last user text>" (or "Tool results: ..." after a
tool-result turn), except under a forced tool choice: as on Bedrock, toolChoice ``tool``
(that tool) or ``any`` (the first tool) always gets a toolUse, whose input is the minimal
instance of the tool's input schema (``minimal_input.py``: required properties only,
strings = property name, numbers 0, booleans false, arrays empty). @@tool, @@reply, @@echo
and @@words still script the answer, even a text one.

InvokeModel and InvokeModelWithResponseStream with a Claude Messages body take every
directive (read from the system and the last user turn, as on Converse); @@echo returns
the Messages body as received. For InvokeModel on embedding models only @@fault and
@@latency are honoured, in any input text.
An unknown directive or a malformed argument is a ValidationException.
"""

import json
import re
import shlex
from dataclasses import dataclass, field

from app.emulator.errors import canonical_name, validation

STOP_REASONS = (
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "guardrail_intervened",
    "content_filtered",
    "malformed_model_output",
    "malformed_tool_use",
    "model_context_window_exceeded",
    "refusal",
    "pause_turn",
)
CONTEXT_FORMS = ("prompt", "input")
USAGE_KEYS = {
    "input": "inputTokens",
    "output": "outputTokens",
    "cache_read": "cacheReadInputTokens",
    "cache_write": "cacheWriteInputTokens",
}


@dataclass
class Fault:
    """A scripted error: which shape, when, and how often."""

    name: str
    when: str = "before"
    after: int = 0
    times: int | None = None
    key: str = ""
    message: str = ""


@dataclass
class Script:
    """Everything the directives of one request asked for."""

    replies: list[str] = field(default_factory=list)
    echo: bool = False
    tools: list[tuple[str, dict]] = field(default_factory=list)
    reasoning: str | None = None
    redacted: str | None = None
    words: int | None = None
    stop: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    first_ms: int = 0
    token_ms: int = 0
    fault: Fault | None = None
    context: int | None = None
    context_form: str | None = None
    guardrail: bool = False


DIRECTIVE_LINE = re.compile(r"\s*@@[A-Za-z]")


def is_directive(line: str) -> bool:
    return DIRECTIVE_LINE.match(line) is not None


def split_directives(text: str) -> tuple[str, list[str]]:
    """(text without directive lines, the directive lines)."""
    lines = text.splitlines()
    kept = [line for line in lines if not is_directive(line)]
    found = [line.strip() for line in lines if is_directive(line)]
    return "\n".join(kept), found


def parse(lines: list[str]) -> Script:
    script = Script()
    for line in lines:
        name, _, rest = line[2:].partition(" ")
        handler = _HANDLERS.get(name)
        if handler is None:
            raise validation(f"Unknown emulator directive: @@{name}")
        handler(script, rest.strip())
    return script


def _int(value: str, what: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise validation(f"Emulator directive {what} needs an integer, got {value!r}") from None
    if number < 0:
        raise validation(f"Emulator directive {what} must not be negative")
    return number


def _options(rest: str, what: str) -> dict[str, str]:
    try:
        pairs = [item.partition("=") for item in shlex.split(rest)]
    except ValueError as exc:
        raise validation(f"Malformed @@{what} directive: {exc}") from None
    if any(not sep for _, sep, _ in pairs):
        raise validation(f"Malformed @@{what} directive: expected key=value pairs")
    return {key: value for key, _, value in pairs}


def _reply(script: Script, rest: str) -> None:
    script.replies.append(rest)


def _echo(script: Script, rest: str) -> None:
    script.echo = True


def _tool(script: Script, rest: str) -> None:
    name, _, raw = rest.partition(" ")
    if not name:
        raise validation("Malformed @@tool directive: missing tool name")
    try:
        args = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise validation(f"Malformed @@tool directive arguments: {exc}") from None
    if not isinstance(args, dict):
        raise validation("Malformed @@tool directive: arguments must be a JSON object")
    script.tools.append((name, args))


def _reasoning(script: Script, rest: str) -> None:
    script.reasoning = rest


def _redacted(script: Script, rest: str) -> None:
    script.redacted = rest or "redacted reasoning"


def _context(script: Script, rest: str) -> None:
    limit, _, options = rest.partition(" ")
    script.context = _int(limit, "@@context")
    parsed = _options(options, "context") if options.strip() else {}
    if set(parsed) - {"form"}:
        raise validation(f"Unknown @@context field: {sorted(set(parsed) - {'form'})[0]!r}")
    form = parsed.get("form")
    if form is not None and form not in CONTEXT_FORMS:
        raise validation(f"@@context form= must be prompt or input, got {form!r}")
    script.context_form = form


def _words(script: Script, rest: str) -> None:
    script.words = _int(rest, "@@words")


def _stop(script: Script, rest: str) -> None:
    if rest not in STOP_REASONS:
        raise validation(f"Unknown stop reason in @@stop: {rest!r}")
    script.stop = rest


def _usage(script: Script, rest: str) -> None:
    for key, value in _options(rest, "usage").items():
        if key not in USAGE_KEYS:
            raise validation(f"Unknown @@usage field: {key!r}")
        script.usage[USAGE_KEYS[key]] = _int(value, f"@@usage {key}")


def _latency(script: Script, rest: str) -> None:
    options = _options(rest, "latency")
    unknown = set(options) - {"first", "token"}
    if unknown:
        raise validation(f"Unknown @@latency field: {sorted(unknown)[0]!r}")
    script.first_ms = _int(options.get("first", "0"), "@@latency first")
    script.token_ms = _int(options.get("token", "0"), "@@latency token")


def _fault(script: Script, rest: str) -> None:
    head, _, message = rest.partition("message=")
    name, *raw_options = head.split() or [""]
    options = _options(" ".join(raw_options), "fault")
    shape = canonical_name(name)
    if shape is None:
        raise validation(f"Unknown error shape in @@fault: {name!r}")
    times = options.get("times")
    script.fault = Fault(
        name=shape,
        when=_when(options.get("when", "before")),
        after=_int(options.get("after", "0"), "@@fault after"),
        times=None if times is None else _int(times, "@@fault times"),
        key=options.get("id", rest),
        message=message.strip() or f"Emulated {shape}.",
    )


def _guardrail(script: Script, rest: str) -> None:
    script.guardrail = True


def _when(value: str) -> str:
    if value not in ("before", "midstream"):
        raise validation(f"@@fault when= must be before or midstream, got {value!r}")
    return value


_HANDLERS = {
    "reply": _reply,
    "echo": _echo,
    "tool": _tool,
    "reasoning": _reasoning,
    "redacted": _redacted,
    "context": _context,
    "words": _words,
    "stop": _stop,
    "usage": _usage,
    "latency": _latency,
    "fault": _fault,
    "guardrail": _guardrail,
}
