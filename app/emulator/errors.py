"""Bedrock's error shapes and their AWS restJson1 wire form."""

import json
from functools import cache

from botocore.loaders import Loader

ERROR_TYPE_SUFFIX = "http://internal.amazon.com/coral/com.amazon.bedrock/"


class BedrockError(Exception):
    """A Bedrock exception named by its botocore error shape (e.g. ThrottlingException)."""

    def __init__(self, code: str, message: str, status: int | None = None, **extra):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or error_shapes().get(code, 400)
        self.extra = extra

    def body(self) -> dict:
        return {"message": self.message, **self.extra}

    def headers(self) -> dict:
        return {"x-amzn-ErrorType": f"{self.code}:{ERROR_TYPE_SUFFIX}"}


def validation(message: str) -> BedrockError:
    return BedrockError("ValidationException", message)


@cache
def service_shapes(service: str) -> dict:
    """The `shapes` of a botocore service model (the wire spec the emulator follows)."""
    return Loader().load_service_model(service, "service-2")["shapes"]


@cache
def error_shapes() -> dict[str, int]:
    """Every exception shape of bedrock-runtime and bedrock, mapped to its HTTP status."""
    return {
        name: shape.get("error", {}).get("httpStatusCode", 400)
        for service in ("bedrock", "bedrock-runtime")
        for name, shape in service_shapes(service).items()
        if shape.get("exception")
    }


@cache
def runtime_error_shapes() -> tuple[str, ...]:
    """The error shapes of bedrock-runtime (the ones the fault directive can raise)."""
    return tuple(sorted(n for n, s in service_shapes("bedrock-runtime").items() if s.get("exception")))


@cache
def stream_exception_shapes(output_shape: str) -> frozenset[str]:
    """Error shapes that a stream's output (ConverseStreamOutput, ResponseStream) models as
    event-stream exception members."""
    shapes = service_shapes("bedrock-runtime")
    members = shapes[output_shape]["members"].values()
    return frozenset(m["shape"] for m in members if shapes[m["shape"]].get("exception"))


def canonical_name(name: str) -> str | None:
    """Accept `ThrottlingException` or the stream-member spelling `throttlingException`."""
    wanted = name[:1].upper() + name[1:]
    return wanted if wanted in runtime_error_shapes() else None


def error_json(err: BedrockError) -> bytes:
    return json.dumps(err.body()).encode()
