"""`sunshine serve --workers N`: each worker listens with a socket of its own on the port, so
the kernel spreads connections over the workers instead of the first awake taking them all;
a worker that dies is replaced; SIGTERM stops every worker. Read from /proc, as `ss` does."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import TLS, Server, eventually, start_server

from ledger.store.url import parse_database_url
from sunshine.workers import port_socket

LISTEN, ESTABLISHED = "0A", "01"


def sockets(port: int, state: str) -> set[int]:
    """The inodes of this machine's IPv4 TCP sockets on local ``port`` in ``state``."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == state:
            found.add(int(fields[9]))
    return found


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended meanwhile
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def owners(inodes: set[int], pids: set[int]) -> dict[int, int]:
    """Which of ``pids`` holds each socket of ``inodes``."""
    held = {}
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and int(target[8:-1]) in inodes:
                held[int(target[8:-1])] = pid
    return held


def workers_listening(server: Server, port: int, count: int) -> dict[int, int] | None:
    """Each listening socket on the port and the worker holding it, once there are
    ``count`` of them held by as many of the server's workers."""
    held = owners(sockets(port, LISTEN), children(server.process.pid))
    return held if len(held) == count and len(set(held.values())) == count else None


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, int]]:
    server = start_server(parse_database_url(f"sqlite:///{tmp_path / 'ledger.db'}"), tmp_path,
                          workers=2)  # fmt: skip
    yield server, int(server.url.rpartition(":")[2])
    server.stop()


def test_each_worker_listens_with_a_socket_of_its_own(served: tuple[Server, int]) -> None:
    server, port = served
    held = eventually(lambda: workers_listening(server, port, 2), server.process)
    assert set(held.values()) <= children(server.process.pid)
    # 64 connections opened at once (as a load generator or a proxy's pool opens them): the
    # kernel hashes each to one worker's socket, so each worker holds some of them.
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(64)]
    try:
        for client in clients:
            client.sendall(b"GET /log/key HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for client in clients:
            assert client.recv(64).startswith(b"HTTP/1.1 200")
        spread = owners(sockets(port, ESTABLISHED), set(held.values()))
        per_worker = [list(spread.values()).count(pid) for pid in set(held.values())]
        assert sum(per_worker) == 64
        assert min(per_worker) >= 12, per_worker  # at 50/50, fewer than 12 of 64: p < 1e-6
    finally:
        for client in clients:
            client.close()


def test_a_worker_that_dies_is_replaced_and_sigterm_stops_them_all(
    served: tuple[Server, int],
) -> None:
    server, port = served
    held = eventually(lambda: workers_listening(server, port, 2), server.process)
    dead = next(iter(held.values()))
    os.kill(dead, signal.SIGKILL)

    def replaced() -> dict[int, int] | None:
        held = workers_listening(server, port, 2)
        return None if held is None or dead in held.values() else held

    again = eventually(replaced, server.process)  # two listening again, neither the one killed
    assert httpx.get(server.url + "/log/key", timeout=10, verify=TLS).status_code == 200
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    assert not sockets(port, LISTEN)
    for pid in again.values():
        assert not Path(f"/proc/{pid}").exists()  # ended, and reaped by the server


def test_a_workers_connections_are_not_delayed_by_nagle() -> None:
    """A connection accepted on a worker's socket, as asyncio serves it, sends small writes
    at once (TCP_NODELAY): asyncio sets it only where the socket says it is TCP, and a
    response written in two parts would otherwise wait for the client's delayed ACK."""

    async def check() -> int:
        listening = port_socket("127.0.0.1", 0)
        found: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            found.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(accepted, sock=listening)
        async with server:
            _, writer = await asyncio.open_connection(*listening.getsockname())
            nodelay = await asyncio.wait_for(found, 30)
            writer.close()
        return nodelay

    # On a thread of its own: a browser test before it in this process may leave an event
    # loop running on this one (playwright's synchronous API).
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, check()).result() != 0
