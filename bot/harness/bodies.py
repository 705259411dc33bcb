"""The bytes of logs, streamed: one step's NDJSON blob from the log service, and a
finished export's zip from its pre-signed link (allowed hosts only, no credentials).

The caller reads the body as it comes (`ByteStream.chunks`); nothing is held whole.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from bot.harness.client import HarnessClient
from bot.harness.downloads import open_download
from bot.harness.endpoints import LOGS_BLOB
from bot.harness.streaming import ByteStream, StreamOpener

__all__ = ["LogBodies"]


class LogBodies:
    def __init__(
        self, client: HarnessClient, streams: StreamOpener, *, harness_origins: tuple[str, ...]
    ) -> None:
        """`harness_origins`: where export links may point besides GCS and S3."""
        self._client = client
        self._streams = streams
        self._origins = harness_origins

    @property
    def account_id(self) -> str:
        return self._client.account_id

    def blob(self, key: str) -> AbstractAsyncContextManager[ByteStream]:
        """What the step logged under `key` (raises HarnessNotFoundError where it logged
        per command unit: there is no blob then)."""
        return self._client.stream(LOGS_BLOB, params={"key": key})

    def download(self, url: str) -> AbstractAsyncContextManager[ByteStream]:
        """An export's zip, from its link."""
        return open_download(self._streams, url, self._origins)
