"""Converse's inferenceConfig from the sampling fields every dialect has.

- ``temperature`` above 1 is clamped to 1 (Converse takes 0–1, OpenAI 0–2).
- A family with ``exclusive_sampling`` gets temperature only when both are given.
- ``top_k`` goes in additionalModelRequestFields, nested where the family wants it (Nova).
- Empty stop sequences are dropped (Converse refuses them, and they never match), and so
  are whitespace-only ones for families that refuse them (Claude), such as ``["\\n"]``.
"""

from __future__ import annotations

from app.catalogue import ModelInfo


def inference_config(
    model: ModelInfo,
    *,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    stop: str | list[str] | None = None,
) -> dict:
    config: dict = {}
    if max_tokens is not None:
        config["maxTokens"] = max_tokens
    if temperature is not None:
        config["temperature"] = min(temperature, 1.0)
    if top_p is not None and not (model.family.exclusive_sampling and "temperature" in config):
        config["topP"] = top_p
    sequences = [stop] if isinstance(stop, str) else list(stop or [])
    kept = bool if model.family.whitespace_stop_sequences else (lambda s: s.strip())
    sequences = [sequence for sequence in sequences if kept(sequence)]
    if sequences:
        config["stopSequences"] = sequences
    return config


def place_top_k(extra: dict, model: ModelInfo) -> dict:
    """``extra`` (additionalModelRequestFields) with ``top_k`` where the family takes it."""
    *parents, leaf = model.family.top_k_path
    if parents and "top_k" in extra:
        target = extra
        for key in parents:
            target = target.setdefault(key, {})
            if not isinstance(target, dict):
                return extra  # the client sent its own shape there; leave both as sent
        target.setdefault(leaf, extra.pop("top_k"))
    return extra
