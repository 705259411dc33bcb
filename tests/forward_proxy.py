"""A forward proxy on a real socket, as a corporate network has, for the tests.

It takes what clients send to a proxy: requests in absolute form (`GET http://host/…`),
passed on one a connection (`Connection: close`, so every request is seen), websocket
upgrades included; and `CONNECT host:port`, answered with a tunnel. Each one is
recorded. Host names are resolved from `hosts` first, so a test can give the
emulators names (`harness.test`) that only the proxy knows: a call that does not go
through the proxy then cannot arrive at all.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

from emulators.waiting import Changes

T = TypeVar("T")

# Hop-by-hop headers a proxy does not pass on (RFC 9110 7.6.1), and its own.
_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te"}


@dataclass(frozen=True)
class Proxied:
    method: str
    host: str
    port: int
    path: str  # "" for CONNECT


@dataclass
class ForwardProxy:
    hosts: dict[str, str] = field(default_factory=dict)
    requests: list[Proxied] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)
    _server: asyncio.Server | None = None
    _port: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self._port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float = 10.0) -> T:
        return await self.changes.wait_for(probe, timeout)

    def seen(self, host: str) -> list[str]:
        """The paths requested from `host` (CONNECT as "CONNECT")."""
        return [r.path or r.method for r in self.requests if r.host == host]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._relay(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # a client that went away, or junk: the connection just ends
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, target, version = request_line.split(" ")
        if method == "CONNECT":
            host, _, tunnel_port = target.rpartition(":")
            self.requests.append(Proxied(method, host, int(tunnel_port), ""))
            await self.changes.notify()
            up_reader, up_writer = await asyncio.open_connection(
                self.hosts.get(host, host), int(tunnel_port)
            )
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await _pipe(reader, writer, up_reader, up_writer)
            return
        url = urlsplit(target)
        if not url.hostname:  # not a proxy request
            writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        port = url.port or 80
        path = url.path + (f"?{url.query}" if url.query else "")
        self.requests.append(Proxied(method, url.hostname, port, url.path))
        await self.changes.notify()
        headers = [line for line in lines if line]
        upgrade = any(line.lower().startswith("upgrade:") for line in headers)
        if not upgrade:  # a websocket keeps its Connection: Upgrade
            headers = [h for h in headers if h.split(":", 1)[0].strip().lower() not in _HOP]
            headers.append("Connection: close")
        up_reader, up_writer = await asyncio.open_connection(
            self.hosts.get(url.hostname, url.hostname), port
        )
        lines = [f"{method} {path} {version}", *headers, "", ""]
        up_writer.write("\r\n".join(lines).encode("latin-1"))
        await _pipe(reader, writer, up_reader, up_writer)


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    up_reader: asyncio.StreamReader,
    up_writer: asyncio.StreamWriter,
) -> None:
    """Bytes both ways until either side closes (upstream does once it has answered)."""

    async def copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()

    both = {
        asyncio.create_task(copy(reader, up_writer)),
        asyncio.create_task(copy(up_reader, writer)),
    }
    try:
        await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in both:
            task.cancel()
        await asyncio.gather(*both, return_exceptions=True)
        up_writer.close()
