"""Anthropic's model names (``claude-sonnet-4-5-20250929``, ``claude-sonnet-4-5``) → Bedrock ids.

Built from the catalogue's ids: ``anthropic.claude-sonnet-4-5-20250929-v1:0`` and its
profiles (``global.…``, ``us.…``) all carry the name ``claude-sonnet-4-5-20250929``; the
undated name ``claude-sonnet-4-5`` means the newest dated one. Each name goes to the best id
for the gateway's region: the global profile, then the region's geographic profile, then
any other profile, then the on-demand foundation id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CLAUDE_ID = re.compile(
    r"^(?:(?P<geo>[a-z-]+)\.)?anthropic\.(?P<name>claude-[a-z0-9.-]+?)(?:-v\d+(?::\d+)?)?$"
)
_DATED = re.compile(r"^(?P<base>.+)-(?P<date>20\d{6})$")
ONE_MILLION_SUFFIX = "[1m]"
# The geographic profile prefix of a region (eu-west-1 → eu); the rest are us, or named.
_GEOGRAPHIES = (("us-gov-", "us-gov"), ("us-", "us"), ("ca-", "us"), ("eu-", "eu"), ("ap-", "apac"))


def geography(region: str) -> str:
    for prefix, geo in _GEOGRAPHIES:
        if region.startswith(prefix):
            return geo
    return "us"


def anthropic_names(ids: Iterable[str], region: str) -> dict[str, str]:
    """Every Anthropic name (dated and undated) the ids offer → the best id for ``region``."""
    geo = geography(region)
    best: dict[str, tuple[tuple, str]] = {}
    for model_id in ids:
        match = _CLAUDE_ID.match(model_id)
        if match is None:
            continue
        rank = _rank(match.group("geo"), geo)
        name = match.group("name")
        dated = _DATED.match(name)
        names = [(name, ())]
        if dated is not None:
            # The undated name goes to the newest date, then the best route to it.
            names.append((dated.group("base"), (-int(dated.group("date")),)))
        for key, newest in names:
            candidate = (*newest, rank)
            if key not in best or candidate < best[key][0]:
                best[key] = (candidate, model_id)
    return {name: model_id for name, (_, model_id) in best.items()}


def _rank(prefix: str | None, geo: str) -> int:
    if prefix == "global":
        return 0
    if prefix == geo:
        return 1
    return 3 if prefix is None else 2


def split_one_million(name: str) -> tuple[str, bool]:
    """``claude-sonnet-4-5[1m]`` → (``claude-sonnet-4-5``, True): the 1M-token context beta."""
    if name.lower().endswith(ONE_MILLION_SUFFIX):
        return name[: -len(ONE_MILLION_SUFFIX)], True
    return name, False
