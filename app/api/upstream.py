"""The Bedrock event stream a streaming request relays, whatever the dialect."""

from __future__ import annotations

from app.api.services import bedrock
from app.bedrock import Events
from app.catalogue import ModelInfo
from app.converse.call import ConverseCall
from app.converse.events import events_from_converse_response


def converse_events(model: ModelInfo, call: ConverseCall) -> Events:
    """A model without streaming support answers through the same stream translator, in one batch."""
    if model.streaming:
        return bedrock().converse_stream(call.kwargs)
    return Events.complete(list(events_from_converse_response(bedrock().converse(call.kwargs))))
