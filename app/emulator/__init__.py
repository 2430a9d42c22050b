"""Bedrock emulator: a local HTTP server speaking Bedrock's wire protocol for boto3."""

from app.emulator.serve import EmulatorServer, start_in_thread
from app.emulator.vectors import vector_for

__all__ = ["EmulatorServer", "start_in_thread", "vector_for"]
