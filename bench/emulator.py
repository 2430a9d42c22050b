"""``python -m bench.emulator --port N``: ``python -m app.emulator``, with TCP_NODELAY.

gevent's WSGIServer leaves Nagle's algorithm on, and it writes a response's headers and
body as two segments: on a keep-alive connection the body then waits for the client's
delayed ACK, and every Converse call takes 40 ms more (boto3 or the gateway alike).
Bedrock has no such stall, so the benchmark sets the option on the listening socket
(Linux copies it to accepted sockets). Harmless once the emulator sets it itself.
"""

import socket
import sys
import warnings

from gevent import monkey

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # as app.emulator's own entry point does
    monkey.patch_all()

from gevent import pywsgi  # noqa: E402


class NoDelayWSGIServer(pywsgi.WSGIServer):
    def init_socket(self) -> None:
        super().init_socket()
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


pywsgi.WSGIServer = NoDelayWSGIServer

from app.emulator.__main__ import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
