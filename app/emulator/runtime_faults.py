"""Scripted faults before a response, and open-stream accounting, shared by the handlers."""

import time
from collections.abc import Iterator

from app.emulator.directives import Fault
from app.emulator.errors import BedrockError
from app.emulator.reply import Reply
from app.emulator.state import EmulatorState


def armed_fault(state: EmulatorState, reply: Reply) -> Fault | None:
    fault = reply.script.fault
    if fault is None or not state.fault_fires(fault.key, fault.times):
        return None
    return fault


def raise_early(fault: Fault | None, first_ms: int, in_stream: bool) -> None:
    """After the scripted first-byte delay, raise a fault that is not a mid-stream one."""
    if fault is not None and not (in_stream and fault.when == "midstream"):
        time.sleep(first_ms / 1000)
        raise BedrockError(fault.name, fault.message)


def tracked(state: EmulatorState, events: Iterator[bytes]) -> Iterator[bytes]:
    # Counted from the first chunk until the generator finishes or is closed by the
    # server (client disconnect), so /_emulator/stats shows abandoned streams closing.
    state.stream_opened()
    try:
        yield from events
    finally:
        state.stream_closed()
