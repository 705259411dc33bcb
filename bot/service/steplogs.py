"""Reading one step's log into an excerpt, streaming, with hard caps (a use case:
Harness supplies the bytes, bot/excerpt the scanning).

The step's own NDJSON blob is tried first (one request, no export to wait
for); when the step logs per command unit there is no blob at its key, and
the export zip of the step's prefix is read instead. Which steps log per unit
is remembered, so the next such step goes straight to the export without spending
a call on the blob it does not have: by step type where Harness names it (whether a
step logs per unit is the step type's doing: CD steps such as K8sRollingDeploy or
ShellScript write their Initialize / Execute / Cleanup units, CI's Run step writes
one blob), else by pipeline and step. Going to the export is never wrong (it holds a
blob too), only one call dearer than a blob that is there. Either way bytes flow
from the socket through decompression and the scanner without ever being held
whole. Decompression and scanning run in a worker thread so that a 1 GB log
does not keep the event loop busy; the socket is still read on the loop.
"""

from __future__ import annotations

import asyncio
import zlib
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

from bot.domain import Execution, GreenLog, LogsLink, Node, ReadStop, StopKind
from bot.excerpt import (
    Excerpt,
    ExcerptCollector,
    ExcerptSettings,
    LogShapes,
    ReadBudget,
    ReadLimits,
    collect_stream,
    inflate,
    line_shapes,
)
from bot.excerpt.redaction import Redactor
from bot.harness.bodies import LogBodies
from bot.harness.errors import HarnessNotFoundError, NoLogsError
from bot.harness.prefixes import node_prefix
from bot.harness.streaming import ByteStream, StreamTransportError
from bot.service.exports import Exports

T = TypeVar("T")
# Which files of an export zip hold the step's log (None: every file).
Entries = Callable[[str], bool] | None
# Reads a log's bytes into what the caller wants, within a budget, from some of a zip's files.
_Scan = Callable[[Iterator[bytes], ReadBudget, Entries], T]

UNIT_STEPS = 4096  # steps remembered as logging per command unit


class StepLogReader:
    def __init__(
        self,
        bodies: LogBodies,
        exports: Exports,
        redactor: Redactor,
        *,
        limits: ReadLimits | None = None,
        concurrency: int = 4,
    ) -> None:
        self._bodies = bodies
        self._exports = exports
        self._redactor = redactor
        self._limits = limits or ReadLimits()
        # Each read holds a worker thread while it streams; keep the pool free for others.
        self._slots = asyncio.Semaphore(concurrency)
        self._per_unit: OrderedDict[tuple[str, ...], None] = OrderedDict()

    async def excerpt(
        self,
        execution: Execution,
        node: Node,
        settings: ExcerptSettings,
        *,
        green: Callable[[], Awaitable[GreenLog | None]] | None = None,
        covering: str | None = None,
    ) -> Excerpt | None:
        """The excerpt of a step's log, or None when Harness has no log for it.

        `green`, when given, fetches what the last successful run of the same step
        printed; it runs while this log is read, and failure lines that run printed
        too rank lower. `covering` names an export being made anyway (an alert's link)
        whose zip holds this step's files: they are read from it, at no call of their
        own, once it is ready.
        """
        pending = asyncio.ensure_future(green()) if green is not None else None
        try:

            def scan(
                chunks: Iterator[bytes], budget: ReadBudget, entries: Entries
            ) -> ExcerptCollector:
                return collect_stream(chunks, self._redactor, settings, budget, entries)

            collector = await self._read(execution, node, scan, covering)
            compared = await pending if pending is not None else None
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
        if collector is None:
            return None
        if compared is None:
            excerpt = await asyncio.to_thread(collector.excerpt)
        else:
            excerpt = await asyncio.to_thread(
                collector.excerpt, compared.shapes, compared.run_sequence
            )
        if excerpt.empty and excerpt.truncated is None:
            return None
        return excerpt

    async def shapes(self, execution: Execution, node: Node) -> LogShapes | None:
        """Shapes of the failure-like lines of a step's log (for comparing with a red run)."""

        def scan(chunks: Iterator[bytes], budget: ReadBudget, entries: Entries) -> LogShapes:
            return line_shapes(chunks, budget, entries=entries)

        return await self._read(execution, node, scan)

    async def _read(
        self, execution: Execution, node: Node, scan: _Scan[T], covering: str | None = None
    ) -> T | None:
        key = node_prefix(execution, node)
        if covering is not None and _within(key, covering):
            link = await self._link(covering, final=execution.finished)
            if link is not None:
                found = await self._download(link, scan, _files_of(key, self._bodies.account_id))
                if not _nothing(found):
                    return found
            # Not in that export after all: the step's own way.
        step = (
            ("type", node.step_type)
            if node.step_type
            else (str(execution.scope), execution.pipeline_identifier, node.fqn)
        )
        if step in self._per_unit:
            self._per_unit.move_to_end(step)
        else:
            async with self._slots:
                try:
                    async with self._bodies.blob(key) as response:
                        found = await self._scan(response, scan, None)
                    if not _nothing(found):
                        return found
                except (HarnessNotFoundError, NoLogsError):
                    pass
            self._per_unit[step] = None
            while len(self._per_unit) > UNIT_STEPS:
                self._per_unit.popitem(last=False)
        # No blob at the step's key: it logged per command unit; read the export zip.
        # A step's log no longer changes once it ended: its link is kept.
        link = await self._link(key, final=execution.finished or node.finished)
        return None if link is None else await self._download(link, scan, None)

    async def _link(self, prefix: str, *, final: bool) -> LogsLink | None:
        """The export of `prefix`, waited for without holding a reading slot."""
        try:
            return await self._exports.export(prefix, final=final)
        except NoLogsError:
            return None

    async def _download(self, link: LogsLink, scan: _Scan[T], entries: Entries) -> T:
        async with (
            self._slots,
            self._bodies.download(link.url) as response,
        ):
            return await self._scan(response, scan, entries)

    async def _scan(self, response: ByteStream, scan: _Scan[T], entries: Entries) -> T:
        budget = ReadBudget(self._limits)
        encoding = response.headers.get("content-encoding", "").lower()
        chunks = self._raw_chunks(response, budget)
        loop = asyncio.get_running_loop()
        # The socket is read ahead on the loop while the worker scans what came before.
        batches: asyncio.Queue[bytes] = asyncio.Queue(maxsize=_AHEAD)
        pump = asyncio.ensure_future(_pump(chunks, batches))

        def work() -> T:
            blocking = _blocking(batches, loop, budget)
            if encoding in ("gzip", "x-gzip", "deflate"):
                blocking = inflate(blocking, zlib.MAX_WBITS | 32)
            return scan(blocking, budget, entries)

        try:
            return await asyncio.to_thread(work)
        finally:
            budget.stopped.set()
            pump.cancel()
            # A worker still waiting for bytes (its caller gave up) must wake and end.
            while not batches.empty():
                batches.get_nowait()
            batches.put_nowait(b"")
            await chunks.aclose()

    async def _raw_chunks(
        self, response: ByteStream, budget: ReadBudget
    ) -> AsyncGenerator[bytes, None]:
        try:
            read = 0
            async for chunk in response.chunks(_BATCH):
                room = self._limits.max_bytes - read
                read += len(chunk)
                if read > self._limits.max_bytes:
                    if room > 0:
                        yield chunk[:room]
                    budget.stop(ReadStop(StopKind.DOWNLOAD_CAP, self._limits.max_bytes))
                    return
                yield chunk
        except StreamTransportError as exc:
            # What was read is still worth showing; say why it stops there.
            budget.stop(ReadStop(StopKind.BROKE_OFF, detail=str(exc)))


def _within(key: str, prefix: str) -> bool:
    """Whether an export of `prefix` holds the files logged under `key`."""
    return key == prefix or key.startswith(prefix.rstrip("/") + "/")


def _files_of(key: str, account: str) -> Callable[[str], bool]:
    """The zip entries a step logged: its key, or its key and a command unit or a file
    below it (identifiers hold no '-' or '/', so nothing else continues a key that
    way). The log service names entries by their store key, which may carry the
    account in front (CreateAccountSeparatedKey)."""
    starts = (key, f"{account}/{key}")

    def wanted(name: str) -> bool:
        for start in starts:
            if name.startswith(start):
                rest = name[len(start) :]
                if not rest or rest[0] in "-/":
                    return True
        return False

    return wanted


def _nothing(found: object) -> bool:
    """An empty blob: Harness answers 200 with no lines where a step logs per command unit."""
    if isinstance(found, ExcerptCollector):
        return found.empty and found.truncated is None
    return isinstance(found, LogShapes) and found.lines == 0


_BATCH = 1 << 20  # bytes handed to the worker at a time
_AHEAD = 4  # batches read ahead of the worker: bounds memory at about 4 MB a read


async def _pump(chunks: AsyncIterator[bytes], batches: asyncio.Queue[bytes]) -> None:
    """Socket -> batches of about a megabyte; an empty batch says the stream ended."""
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            parts.append(chunk)
            size += len(chunk)
            if size >= _BATCH:
                await batches.put(b"".join(parts))
                parts, size = [], 0
        if parts:
            await batches.put(b"".join(parts))
    finally:
        # Cancelled, the caller wakes the worker itself; otherwise the end is told in order.
        if not asyncio.current_task().cancelling():  # type: ignore[union-attr]
            await batches.put(b"")


def _blocking(
    batches: asyncio.Queue[bytes], loop: asyncio.AbstractEventLoop, budget: ReadBudget
) -> Iterator[bytes]:
    """The batches as a plain iterator, for the worker thread.

    Bytes cross between the threads a megabyte at a time: each crossing waits for
    the other thread to get the GIL, which costs more than the bytes do.
    """
    while not budget.stopped.is_set():
        batch = asyncio.run_coroutine_threadsafe(batches.get(), loop).result()
        if not batch:
            return
        yield batch
