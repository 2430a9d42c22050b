"""The @@context directive: a context window the prompt must fit, refused as Bedrock does."""

from app.emulator.directives import Script
from app.emulator.errors import validation
from app.emulator.usage import prompt_tokens

INPUT_TOO_LONG = "Input is too long for requested model."


def check_context_window(script: Script, view: dict, prefix: str, default_form: str) -> None:
    """Claude's "prompt is too long: N tokens > M maximum" (N as CountTokens counts it), or
    the "Input is too long for requested model." form other models get on Converse."""
    if script.context is None:
        return
    tokens = prompt_tokens(view)
    if tokens <= script.context:
        return
    if (script.context_form or default_form) == "input":
        raise validation(INPUT_TOO_LONG)
    raise validation(f"{prefix}prompt is too long: {tokens} tokens > {script.context} maximum")
