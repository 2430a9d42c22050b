"""`python -m app.emulator --host 127.0.0.1 --port N [--server gevent|thread]`."""

import sys


def _wants_gevent(argv: list[str]) -> bool:
    for index, arg in enumerate(argv):
        if arg == "--server" and index + 1 < len(argv):
            return argv[index + 1] == "gevent"
        if arg.startswith("--server="):
            return arg.split("=", 1)[1] == "gevent"
    return True


if __name__ == "__main__" and _wants_gevent(sys.argv[1:]):
    # Patch before the emulator's own imports so its sockets and sleeps are cooperative:
    # one process then holds thousands of slow concurrent streams. The `app` package
    # imports only the standard library, so nothing has loaded ssl yet.
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import socket  # noqa: E402

from app.emulator.server import create_app  # noqa: E402


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--server", choices=("gevent", "thread"), default="gevent")
    return parser.parse_args(argv)


def _announce(host: str, port: int) -> None:
    print(f"Bedrock emulator listening on http://{host}:{port}", flush=True)


def _serve_gevent(host: str, port: int) -> None:
    from gevent.pywsgi import WSGIServer

    class NoDelayServer(WSGIServer):
        # pywsgi writes headers and body as two segments; with Nagle on, a keep-alive
        # client's delayed ACK then stalls every response by 40 ms. Bedrock has no such stall.
        def init_socket(self) -> None:
            super().init_socket()
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    server = NoDelayServer((host, port), create_app(), log=None, backlog=4096)
    server.start()
    _announce(host, server.server_port)
    server.serve_forever()


def _serve_thread(host: str, port: int) -> None:
    from werkzeug.serving import make_server

    from app.emulator.serve import QuietHandler

    server = make_server(host, port, create_app(), threaded=True, request_handler=QuietHandler)
    _announce(host, server.server_port)
    server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    args = _parse(sys.argv[1:] if argv is None else argv)
    serve = _serve_gevent if args.server == "gevent" else _serve_thread
    try:
        serve(args.host, args.port)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
