"""`sunshine serve --workers N`: N processes, each listening on the port with a socket of its
own (``SO_REUSEPORT``), so that the kernel spreads new connections over them.

uvicorn's own supervisor gives every worker the one socket it bound: all workers wake for a
new connection, and the first to run accepts every connection waiting (asyncio accepts up
to the listen backlog at each wake-up). A client that opens many connections at once (a
load generator, a proxy filling its pool) then often lands them all in one worker while the
other idles: measured on two workers and 32 connections, all 32 in one worker in one run of
six, at 0.6× the requests/s and p99 68 ms against 9 ms when split. With a socket each, the
kernel picks the socket by a hash of the connection's addresses.

The supervisor holds the port with a socket bound but never listening (so no other program
takes it and a port in use is refused at once), starts the workers, starts another when one
dies, and on SIGTERM or SIGINT stops them all. A worker that fails to start its application
stops the server (exit status 3, as uvicorn's).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, Final

#: uvicorn's exit status for an application that failed to start.
STARTUP_FAILURE: Final = 3
#: How long the workers have to finish their requests once told to stop.
STOP_SECONDS: Final = 20.0


def port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) that others of this user may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # The protocol named, not left 0: asyncio sets TCP_NODELAY only on a connection whose
    # socket says IPPROTO_TCP, and without it a response written in two parts waits for the
    # client's delayed acknowledgement (44 ms a request, measured).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def worker(host: str, port: int, options: dict[str, Any]) -> None:
    """One worker process: the application on a socket of its own, listening once the
    application has started (asyncio calls ``listen`` when it begins serving), so no
    connection waits in the queue of a worker still starting."""
    import uvicorn

    sock = port_socket(host, port)
    server = uvicorn.Server(
        uvicorn.Config("sunshine.app:app_from_environment", factory=True, **options)
    )
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


def serve_workers(workers: int, host: str, port: int, options: dict[str, Any]) -> int:
    """Run ``workers`` processes on (host, port) until told to stop; the exit status."""
    held = port_socket(host, port)  # bound, never listening: the port is ours
    port = int(held.getsockname()[1])
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}

    def start() -> BaseProcess:
        process = context.Process(target=worker, args=(host, port, options))
        process.start()
        return process

    status = 0
    running = [start() for _ in range(workers)]
    try:
        while not stopping.wait(0.5):
            for i, process in enumerate(running):
                if process.is_alive():
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    print("a worker could not start the application: stopping",
                          file=sys.stderr, flush=True)  # fmt: skip
                    status = STARTUP_FAILURE
                    stopping.set()
                    break
                print(f"worker {process.pid} ended ({process.exitcode}): starting another",
                      file=sys.stderr, flush=True)  # fmt: skip
                running[i] = start()
    finally:
        for process in running:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        for process in running:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()
        held.close()
        for s, handler in previous.items():
            signal.signal(s, handler)
    return status
