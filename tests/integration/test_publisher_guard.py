"""The SSRF guard where it counts: a connection is only opened to an address checked as it
is opened, so a host name whose answer changes after the start-up check (DNS rebinding)
still cannot reach the machine itself or the internal network."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest

from publisher.guard import AddressRefused, GuardedBackend, guarded_transport


@pytest.fixture
def listener() -> Iterator[tuple[int, list[socket.socket]]]:
    """A real TCP server on loopback that records every connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], accepted
    finally:
        server.close()
        for conn in accepted:
            conn.close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::ffff:127.0.0.1"])
def test_the_backend_refuses_to_connect_to_a_loopback_address(
    listener: tuple[int, list[socket.socket]], host: str
) -> None:
    port, accepted = listener
    with pytest.raises(AddressRefused, match="loopback"):
        GuardedBackend().connect_tcp(host, port, timeout=2)
    assert accepted == []


def test_a_client_on_the_guarded_transport_never_reaches_an_internal_address(
    listener: tuple[int, list[socket.socket]],
) -> None:
    port, accepted = listener
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=2)
    with httpx.Client(transport=guarded_transport(limits), timeout=2) as client:
        for url in (f"http://127.0.0.1:{port}/notices", f"http://localhost:{port}/notices"):
            with pytest.raises(AddressRefused):
                client.post(url, content=b"{}")
    assert accepted == []  # not even a TCP handshake reached the server
    # The same request without the guard does reach it: the refusal above is the guard's.
    with httpx.Client(timeout=0.5) as plain, pytest.raises(httpx.HTTPError):
        plain.post(f"http://127.0.0.1:{port}/notices", content=b"{}")
    assert len(accepted) == 1


def test_a_host_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(AddressRefused, match="does not resolve"):
        GuardedBackend().connect_tcp("no-such-host.invalid", 80, timeout=2)
