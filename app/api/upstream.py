"""The Bedrock event stream a streaming request relays, whatever the dialect."""

from __future__ import annotations

from collections.abc import Iterator

from app.api.services import bedrock
from app.catalogue import ModelInfo
from app.converse.call import ConverseCall
from app.converse.events import events_from_converse_response


def converse_events(model: ModelInfo, call: ConverseCall) -> Iterator[dict]:
    """A model without streaming support answers through the same stream translator."""
    if model.streaming:
        return bedrock().converse_stream(call.kwargs)
    return events_from_converse_response(bedrock().converse(call.kwargs))
