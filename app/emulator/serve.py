"""Run the emulator in-process on a background thread (werkzeug, threaded; for tests)."""

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from app.emulator.server import create_app
from app.emulator.state import EmulatorState


class QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request to stderr."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class EmulatorServer:
    """A running emulator: `.url`, `.port`, `.state`, and `.stop()`."""

    def __init__(self, host: str, port: int) -> None:
        self.state = EmulatorState()
        self._server = make_server(
            host, port, create_app(self.state), threaded=True, request_handler=QuietHandler
        )
        self.host = host
        self.port = self._server.server_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="bedrock-emulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "EmulatorServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_in_thread(host: str = "127.0.0.1", port: int = 0) -> EmulatorServer:
    """Start an emulator on host:port (0 picks a free port) and return it once listening."""
    return EmulatorServer(host, port)
