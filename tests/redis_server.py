"""A real redis-server for the tests, on a unix socket of its own, gone when they end.

A socket file in the test's directory cannot be taken by anyone else, unlike a
"free" TCP port picked in advance.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RedisServer:
    socket: Path

    def url(self, database: int) -> str:
        return f"unix://{self.socket}?db={database}"


def _answers(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(0.5)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(workdir: Path) -> Iterator[RedisServer]:
    binary = os.environ.get("REDIS_SERVER") or shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "redis-server is not installed: run the tests through `make test`, "
            "or set REDIS_SERVER=/path/to/redis-server"
        )
    path = workdir / "redis.sock"
    process = subprocess.Popen(
        [
            binary,
            "--port",
            "0",
            "--unixsocket",
            str(path),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _answers(path):  # poll with a deadline until it answers
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.02)
        yield RedisServer(path)
    finally:
        process.terminate()
        process.wait(timeout=10)
