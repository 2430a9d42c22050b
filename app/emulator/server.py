"""The emulator's WSGI app: routes both Bedrock planes and the /_emulator/ test endpoints."""

import re
import sys
import traceback
import uuid
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from app.emulator import control, count_tokens, runtime
from app.emulator.errors import BedrockError
from app.emulator.responses import error_response, json_response
from app.emulator.state import EmulatorState


def _body(request: Request) -> bytes:
    return request.get_data(cache=False)


def _requests_log(state: EmulatorState, request: Request) -> Response:
    limit = request.args.get("limit", "20")
    return json_response(state.recent(int(limit) if limit.isdigit() else 20))


def _reset(state: EmulatorState) -> Response:
    state.reset()
    return json_response({"reset": True})


# (method, path regex, handler(state, request, captured path part))
ROUTES = [
    ("POST", r"/model/(.+)/converse", lambda s, r, m: runtime.converse(s, m, _body(r))),
    ("POST", r"/model/(.+)/converse-stream", lambda s, r, m: runtime.converse_stream(s, m, _body(r))),
    ("POST", r"/model/(.+)/invoke", lambda s, r, m: runtime.invoke_model(s, m, _body(r))),
    (
        "POST",
        r"/model/(.+)/invoke-with-response-stream",
        lambda s, r, m: runtime.invoke_model_stream(s, m, _body(r)),
    ),
    ("POST", r"/model/(.+)/count-tokens", lambda s, r, m: count_tokens.count_tokens(s, m, _body(r))),
    ("GET", r"/foundation-models", lambda s, r, m: control.list_foundation_models(s, r.args)),
    ("GET", r"/foundation-models/(.+)", lambda s, r, m: control.get_foundation_model(s, m)),
    ("GET", r"/inference-profiles", lambda s, r, m: control.list_inference_profiles(s, r.args)),
    ("GET", r"/inference-profiles/(.+)", lambda s, r, m: control.get_inference_profile(s, m)),
    ("POST", r"/_emulator/reset", lambda s, r, m: _reset(s)),
    ("GET", r"/_emulator/stats", lambda s, r, m: json_response(s.stats())),
    ("GET", r"/_emulator/requests", lambda s, r, m: _requests_log(s, r)),
    ("GET", r"/_emulator/signers", lambda s, r, m: json_response(s.signers())),
]
SIGNER = re.compile(r"Credential=([^/,\s]+)/")
COMPILED = [(method, re.compile(pattern), handler) for method, pattern, handler in ROUTES]


class EmulatorApp:
    """WSGI callable; one EmulatorState per app instance."""

    def __init__(self, state: EmulatorState | None = None) -> None:
        self.state = state or EmulatorState()

    def __call__(self, environ, start_response):
        response = self.dispatch(Request(environ))
        response.headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        # WSGI servers decode %2F in PATH_INFO; unquote again in case one did not.
        path = unquote(request.path)
        signer = SIGNER.search(request.headers.get("Authorization", ""))
        if signer:
            self.state.signed_by(signer.group(1))
        for method, pattern, handler in COMPILED:
            match = pattern.fullmatch(path)
            if match and request.method == method:
                return self._run(handler, request, match.group(1) if match.groups() else None)
        return _unknown_operation(request.method, path)

    def _run(self, handler, request: Request, captured: str | None) -> Response:
        try:
            return handler(self.state, request, captured)
        except BedrockError as err:
            return error_response(err)
        except Exception as exc:  # any bug surfaces as Bedrock's 500, with a traceback
            traceback.print_exc(file=sys.stderr)
            return error_response(BedrockError("InternalServerException", repr(exc)))


def _unknown_operation(method: str, path: str) -> Response:
    err = BedrockError("UnknownOperationException", f"Unknown operation: {method} {path}", 404)
    return error_response(err)


def create_app(state: EmulatorState | None = None) -> EmulatorApp:
    return EmulatorApp(state)
