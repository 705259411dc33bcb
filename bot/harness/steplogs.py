"""Reading one step's log into an excerpt, streaming, with hard caps.

The step's own NDJSON blob is tried first (one request, no export to wait
for); when the step logs per command unit there is no blob at its key, and
the export zip of the step's prefix is read instead. Either way bytes flow
from the socket through decompression and the scanner without ever being held
whole. Decompression and scanning run in a worker thread so that a 1 GB log
does not keep the event loop busy; the socket is still read on the loop.
"""

from __future__ import annotations

import asyncio
import threading
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import httpx
from stream_unzip import UnzipError, stream_unzip

from bot.domain import Execution, Node
from bot.excerpt import Excerpt, ExcerptCollector, ExcerptSettings, LogScanner
from bot.harness.client import HarnessClient
from bot.harness.downloads import open_download
from bot.harness.errors import HarnessNotFoundError, NoLogsError
from bot.harness.logs import LogExporter
from bot.harness.prefixes import node_prefix
from bot.redaction import Redactor

T = TypeVar("T")
_INFLATE_STEP = 1 << 20  # at most this much decompressed output per call: bounds a bomb


@dataclass(frozen=True)
class ReadLimits:
    max_bytes: int = 1 << 30  # bytes downloaded
    max_decompressed: int = 2 << 30  # bytes after gzip/zip decompression
    max_entries: int = 5000  # files in an export zip


class _Budget:
    """Shared between the loop (bytes read) and the worker (bytes decompressed)."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits
        self.decompressed = 0
        self.entries = 0
        self.stop_reason: str | None = None
        self.stopped = threading.Event()

    def stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self.stopped.set()

    def take(self, size: int) -> bool:
        self.decompressed += size
        if self.decompressed > self.limits.max_decompressed:
            self.stop(f"log larger than {_mb(self.limits.max_decompressed)} uncompressed")
            return False
        return not self.stopped.is_set()


def _mb(size: int) -> str:
    """A byte count as people read it: 48 KB, 512 MB, 2.0 GB."""
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}" if unit == "GB" else f"{size / scale:,.0f} {unit}"
    return f"{max(1, size // 1024):,} KB"


class StepLogReader:
    def __init__(
        self,
        client: HarnessClient,
        http: httpx.AsyncClient,
        exporter: LogExporter,
        redactor: Redactor,
        *,
        harness_host: str,
        limits: ReadLimits | None = None,
        concurrency: int = 4,
    ) -> None:
        self._client = client
        self._http = http
        self._exporter = exporter
        self._redactor = redactor
        self._harness_host = harness_host
        self._limits = limits or ReadLimits()
        # Each read holds a worker thread while it streams; keep the pool free for others.
        self._slots = asyncio.Semaphore(concurrency)

    async def excerpt(
        self, execution: Execution, node: Node, settings: ExcerptSettings
    ) -> Excerpt | None:
        """The excerpt of a step's log, or None when Harness has no log for it."""
        key = node_prefix(execution, node)
        async with self._slots:
            excerpt = await self._from_blob(key, settings)
            if excerpt is not None and (not excerpt.empty or excerpt.truncated):
                return excerpt
            try:
                link = await self._exporter.export(key)
            except NoLogsError:
                return None
            excerpt = await self._from_zip(link.url, settings)
            return None if excerpt.empty and excerpt.truncated is None else excerpt

    async def _from_blob(self, key: str, settings: ExcerptSettings) -> Excerpt | None:
        try:
            async with self._client.stream(
                "log-service/blob", params={"key": key}, endpoint="logs.blob"
            ) as response:
                return await self._scan(response, settings, _scan_ndjson)
        except (HarnessNotFoundError, NoLogsError):
            return None

    async def _from_zip(self, url: str, settings: ExcerptSettings) -> Excerpt:
        async with open_download(self._http, url, self._harness_host) as response:
            return await self._scan(response, settings, _scan_zip)

    async def _scan(
        self,
        response: httpx.Response,
        settings: ExcerptSettings,
        scan: Callable[[Iterator[bytes], _Budget, Redactor, ExcerptSettings], Excerpt],
    ) -> Excerpt:
        budget = _Budget(self._limits)
        encoding = response.headers.get("content-encoding", "").lower()
        chunks = self._raw_chunks(response, budget)
        loop = asyncio.get_running_loop()

        def work() -> Excerpt:
            blocking = _blocking(chunks, loop, budget)
            if encoding in ("gzip", "x-gzip", "deflate"):
                blocking = _inflate(blocking, budget, zlib.MAX_WBITS | 32)
            return scan(blocking, budget, self._redactor, settings)

        try:
            return await asyncio.to_thread(work)
        finally:
            budget.stopped.set()
            await chunks.aclose()

    async def _raw_chunks(
        self, response: httpx.Response, budget: _Budget
    ) -> AsyncGenerator[bytes, None]:
        try:
            read = 0
            async for chunk in response.aiter_raw(1 << 16):
                room = self._limits.max_bytes - read
                read += len(chunk)
                if read > self._limits.max_bytes:
                    if room > 0:
                        yield chunk[:room]
                    budget.stop(f"log larger than the {_mb(self._limits.max_bytes)} download limit")
                    return
                yield chunk
        except httpx.HTTPError as exc:
            # What was read is still worth showing; say why it stops there.
            budget.stop(f"the download broke off ({type(exc).__name__})")


def _blocking(
    chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop, budget: _Budget
) -> Iterator[bytes]:
    """The async byte stream as a plain iterator, for the worker thread."""
    while not budget.stopped.is_set():
        future = asyncio.run_coroutine_threadsafe(_next(chunks), loop)
        try:
            yield future.result()
        except StopAsyncIteration:
            return


async def _next(chunks: AsyncIterator[bytes]) -> bytes:
    return await anext(chunks)


def _inflate(chunks: Iterator[bytes], budget: _Budget, wbits: int) -> Iterator[bytes]:
    """Streaming decompression that never expands more than a step at a time."""
    inflater = zlib.decompressobj(wbits)
    for chunk in chunks:
        data = chunk
        while data:
            out = inflater.decompress(data, _INFLATE_STEP)
            data = inflater.unconsumed_tail
            if out:
                yield out
            if inflater.eof:
                return


def _scan_ndjson(
    chunks: Iterator[bytes], budget: _Budget, redactor: Redactor, settings: ExcerptSettings
) -> Excerpt:
    scanner = LogScanner(redactor, settings)
    for data in _gunzip_if_needed(chunks, budget):
        if not budget.take(len(data)):
            break
        scanner.feed(data)
    collector = ExcerptCollector(settings)
    collector.add(scanner.finish())
    collector.truncated = budget.stop_reason
    return collector.excerpt()


def _gunzip_if_needed(chunks: Iterator[bytes], budget: _Budget) -> Iterator[bytes]:
    """A `.gz` blob served without Content-Encoding still starts with gzip's magic."""
    first = next(chunks, b"")
    rest = _prepend(first, chunks)
    if first[:2] == b"\x1f\x8b":
        return _inflate(rest, budget, zlib.MAX_WBITS | 16)
    return rest


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


def _scan_zip(
    chunks: Iterator[bytes], budget: _Budget, redactor: Redactor, settings: ExcerptSettings
) -> Excerpt:
    collector = ExcerptCollector(settings)
    try:
        for name, _size, unzipped in stream_unzip(chunks, allow_zip64=True):
            if budget.stopped.is_set():
                break
            budget.entries += 1
            if budget.entries > budget.limits.max_entries:
                budget.stop(f"more than {budget.limits.max_entries:,} log files")
                break
            scanner = LogScanner(redactor, settings, name.decode("utf-8", errors="replace"))
            for data in unzipped:
                if not budget.take(len(data)):
                    break
                scanner.feed(data)
            collector.add(scanner.finish())
            if budget.stopped.is_set():
                break
    except UnzipError:
        if budget.stop_reason is None:
            budget.stop("the log archive is damaged or cut short")
    collector.truncated = budget.stop_reason
    return collector.excerpt()
