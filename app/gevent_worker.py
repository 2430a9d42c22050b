"""gunicorn's gevent worker, with a client socket whose writes cost one system call.

gevent's ``sendall`` asks the kernel for the socket's send buffer size (``getsockopt``)
on every call, to size the pieces of a large write; gunicorn calls it for every chunk
of a stream. Here a write goes to ``send`` once, and only the rest of a write the kernel
took part of goes through gevent's ``sendall``.
"""

from __future__ import annotations

from gevent import socket
from gunicorn.workers.ggevent import GeventWorker


class ClientSocket(socket.socket):
    """A gevent socket whose ``sendall`` tries one ``send`` first."""

    __slots__ = ()

    def sendall(self, data, flags: int = 0) -> None:
        sent = self.send(data, flags)
        if sent < len(data):
            super().sendall(memoryview(data)[sent:], flags)


class GatewayWorker(GeventWorker):
    """``worker_class`` of gunicorn.conf.py."""

    def handle(self, listener, client, addr) -> None:
        if type(client) is socket.socket:  # a TLS socket (gunicorn's certfile) keeps its own class
            client.__class__ = ClientSocket
        super().handle(listener, client, addr)
