"""An origin's addresses: IP literals never looked up, names once per TTL and once per burst."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from app import http_pool
from app.addresses import Addresses, connect

LOCALHOST = socket.getaddrinfo("localhost", 8080, 0, socket.SOCK_STREAM)


class SlowAddresses(Addresses):
    """A lookup that takes a while, so that callers pile up behind it."""

    def _lookup(self):
        time.sleep(0.2)
        return super()._lookup()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("host", "entry"),
    [
        ("127.0.0.1", (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", 8080))),
        ("::1", (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("::1", 8080, 0, 0))),
    ],
)
def test_an_ip_literal_is_never_looked_up(host, entry):
    addresses = Addresses(host, 8080, ttl=0)
    assert (addresses.get(), addresses.get(), addresses.lookups) == ([entry], [entry], 0)


def test_a_name_is_looked_up_once_while_fresh():
    addresses = Addresses("localhost", 8080)
    assert (addresses.get(), addresses.get(), addresses.lookups) == (LOCALHOST, LOCALHOST, 1)


def test_a_name_is_looked_up_again_once_its_addresses_expire():
    addresses = Addresses("localhost", 8080, ttl=0.05)
    addresses.get()
    time.sleep(0.06)
    assert (addresses.get(), addresses.lookups) == (LOCALHOST, 2)


def test_callers_arriving_during_a_lookup_share_it():
    addresses = SlowAddresses("localhost", 8080)
    results = []
    threads = [threading.Thread(target=lambda: results.append(addresses.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (results, addresses.lookups) == ([LOCALHOST] * 8, 1)


def test_a_failed_lookup_is_raised_and_not_kept():
    addresses = Addresses("no-such-host.invalid", 80)
    for _ in range(2):
        with pytest.raises(socket.gaierror):
            addresses.get()
    assert addresses.lookups == 2


def test_addresses_that_all_refuse_are_looked_up_again():
    addresses = Addresses("localhost", closed_port())
    with pytest.raises(ConnectionRefusedError):
        connect(addresses, 1.0)
    addresses.get()
    assert addresses.lookups == 2


def test_new_pool_connections_to_a_name_share_one_lookup():
    listener = socket.create_server(("127.0.0.1", 0))
    pool = http_pool.Pool(f"http://localhost:{listener.getsockname()[1]}", 4, 1.0, 1.0)
    connections = [pool.connect() for _ in range(3)]
    assert (pool.opened, pool.addresses.lookups) == (3, 1)
    for conn in connections:
        conn.close()
    listener.close()


def test_a_name_that_does_not_resolve_is_a_connect_error():
    pool = http_pool.Pool("http://no-such-host.invalid:80", 1, 1.0, 1.0)
    with pytest.raises(http_pool.ConnectError, match="could not connect to no-such-host.invalid:80"):
        pool.post("/x", {}, b"")
