"""Bedrock emulator: a local HTTP server speaking Bedrock's wire protocol for boto3.

Start it with ``python -m app.emulator --port N``, or in-process with
``app.emulator.serve.start_in_thread()``. This package file imports nothing, so that
``python -m app.emulator`` can monkey-patch with gevent before botocore loads ssl.
"""
