"""A Harness stand-in on 127.0.0.1 that follows DESIGN.md section 4, quirks included.

- Pipeline API: pipelines list (with `searchTerm`), execution summary (newest
  first, paged), execution v2 with graph; errors as `{"status": "ERROR", ...}`
  (an unknown execution is a 400 "does not exist", as Harness does).
- Log service export: `queued` on the first call for a prefix, then `success`
  from call `ready_after_polls` on (by default the second) and once
  `export_delay` seconds (default none) have passed, or while `export_gate` is
  clear, `in_progress`: readiness follows the calls the test makes, not the clock;
  `cannot list files for prefix` (404) where nothing is logged,
  `Prefix Key Exceeds Maximum Download Limit` as a 500 for prefixes marked so.
- Auth: `x-api-key` or `Authorization: Bearer`; anything else is a 401.
- Retry and rerun: `retryStages` lists a run's stages in groups with their
  statuses and says whether the run is resumable (`retry_refusals` holds the
  reasons it is not, e.g. older than 30 days); `inputsetV2` gives the run's input
  set; a retry or rerun adds a new `Running` run with the next run number, copying
  the stages (a retry keeps the stages before the first retried one). Keys in
  `no_execute` lack Pipeline Execute permission (403, as Harness's RBAC answers).
- Faults: `fail_next(endpoint, status, times, retry_after)` scripts 429/5xx,
  `drop_next(endpoint, times)` closes the connection without an answer.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import zlib
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from stream_zip import ZIP_32, stream_zip

from emulators.clock import SYSTEM, WallClock
from emulators.harness.routes import ROUTES, Route
from emulators.harness.runs import (
    RunSpec,
    child_stage_run,
    execution_json,
    step_logs,
    summary_json,
    uid,
)
from emulators.waiting import Changes

ACCOUNT = "acc8Hd72kLmQ0pZx1yVw2A"
LINK_LIFE = timedelta(days=1)  # the log service signs its links for a day
# Prefixes the log service exports: a legacy key, or a simplified one down to a run.
_EXPORTABLE = re.compile(r"runSequence:[\d+]|\w+/pipeline/\w+/[1-9]\d*/")
RETRY_WINDOW = 30 * 86400.0  # Harness retries runs up to 30 days old
TOO_OLD = "Execution is more than 30 days old. Cannot retry"
TOO_OLD_ERROR = (
    "The pipeline execution cannot be retried because the previous execution is more than "
    "30 days old"
)
API_KEY = "pat.acc8Hd72kLmQ0pZx1yVw2A.65f0c2a1b3.Zk8s7dLq2wXnVb4"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    endpoint: str = ""  # the route's name (emulators.harness.routes; "" for downloads)
    pairs: tuple[tuple[str, str], ...] = ()  # the query in order, repeated names included

    def values(self, name: str) -> list[str]:
        """Every value of a query parameter sent once per value (`retryStages`)."""
        return [value for key, value in self.pairs if key == name]


@dataclass
class _ExportJob:
    started: float
    expires: float  # set when the job is queued: the link's and the cache entry's end
    polls: int = 0


@dataclass
class Fault:
    status: int
    times: int
    retry_after: str | None = None
    body: dict[str, Any] | None = None


@dataclass
class Pipeline:
    identifier: str
    name: str
    org: str = "default"
    project: str = "shop"
    runs: list[RunSpec] = field(default_factory=list)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RateLimits:
    """Harness's API rate limit: "1000 requests per API key per minute" in any sliding
    window (developer.harness.io/docs/platform/rate-limits). Beyond it a 429 from the
    edge, not from the services: "Retry-After in the 429 error responses is not
    currently supported by Google Cloud Armor" (same page), so none is sent unless
    `retry_after` asks for one (whole seconds until the oldest call leaves the window)."""

    def __init__(
        self, calls: int | None = 1000, window: float = 60.0, retry_after: bool = False
    ) -> None:
        self.calls = calls
        self.window = window
        self.retry_after = retry_after
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def wait(self, key: str, now: float) -> str | None:
        """None when the call is within the limit (and it is counted), else Retry-After."""
        if self.calls is None:
            return None
        seen = self._seen[key]
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.calls:
            return str(max(1, math.ceil(seen[0] + self.window - now)))
        seen.append(now)
        return None


class HarnessEmulator:
    def __init__(
        self, account: str = ACCOUNT, api_key: str = API_KEY, clock: WallClock = SYSTEM
    ) -> None:
        self.clock = clock
        self.account = account
        self.api_key = api_key
        self.pipelines: dict[tuple[str, str], dict[str, Pipeline]] = defaultdict(dict)
        self.requests: list[Recorded] = []
        self.request_times: list[float] = []
        self.changes = Changes()
        self.export_delay = 0.0
        self.ready_after_polls = 2
        self.export_gate: asyncio.Event | None = None
        self.export_final_status = "success"
        self.too_many_files: set[str] = set()
        # None: an export link lasts a day from when it is made, as the log service's
        # pre-signed URLs do; a test may pin its own.
        self.link_expiry: str | None = None
        self._jobs: dict[str, _ExportJob] = {}  # the log service's export cache, by prefix
        self.exports: dict[str, str] = {}  # export id in a link -> its prefix
        self._signed = 0  # links signed so far
        # What was logged, by log-service key: bytes, or a function making chunks (huge logs).
        self.logs: dict[str, bytes | Callable[[], Iterable[bytes]]] = {}
        self.gzip_blobs = False  # serve blobs with Content-Encoding: gzip
        self.gzip_downloads = False  # serve export zips with Content-Encoding: gzip
        # Hand out export links on another origin (the account's vanity host, or a
        # hostile one): "scheme://host[:port]".
        self.link_origin: str | None = None
        self.downloads: list[str] = []  # export ids whose zip was fetched
        # Pre-built files (benchmarks): a `.gz` blob by key, or a `.zip` export by prefix.
        self.files: dict[str, Path] = {}
        self.retry_refusals: dict[str, str] = {}  # planExecutionId -> why not resumable
        self.no_execute = False  # the key lacks Pipeline Execute permission
        # Runs past Harness's 30 days: refused in `retryStages` as `resumable: false`
        # (by default), or with a 400 as newer versions do.
        self.old_runs_refused_with_error = False
        # Pipeline stages name their child run in their step details (newer Harness);
        # False: only `childGraph` says where it is (older Harness).
        self.child_details = True
        self.input_sets: dict[str, str] = {}  # planExecutionId -> input set YAML
        self.started: list[tuple[str, RunSpec]] = []  # ("retry" | "rerun", the new run)
        self.start_gate: asyncio.Event | None = None  # while clear, starts wait to answer
        self._faults: dict[str, list[Fault]] = defaultdict(list)
        self._drops: dict[str, int] = defaultdict(int)
        self.rate_limits = RateLimits()  # calls a minute per key, as Harness allows
        self.rate_limited = 0  # 429s answered
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- world --------------------------------------------------------------

    def add_pipeline(
        self, identifier: str, name: str, org: str = "default", project: str = "shop"
    ) -> Pipeline:
        pipeline = Pipeline(identifier, name, org, project)
        self.pipelines[(org, project)][identifier] = pipeline
        return pipeline

    def add_run(self, run: RunSpec) -> RunSpec:
        if run.started_at is None:
            run.started_at = self.clock.time() - 300.0
        for stage in run.stages:
            if stage.child is not None:
                child = stage.child
                if child.pipeline not in self.pipelines[(child.org, child.project)]:
                    self.add_pipeline(child.pipeline, child.pipeline_name, child.org, child.project)
                self.add_run(child)
        self.logs.update(step_logs(self.account, run))
        pipeline = self.pipelines[(run.org, run.project)][run.pipeline]
        pipeline.runs.append(run)
        pipeline.runs.sort(key=lambda r: r.run_sequence, reverse=True)
        return run

    def run_by_id(self, plan_execution_id: str) -> RunSpec | None:
        for project in self.pipelines.values():
            for pipeline in project.values():
                for run in pipeline.runs:
                    if run.plan_execution_id == plan_execution_id:
                        return run
        return None

    def all_log_keys(self) -> list[str]:
        return list(self.logs)

    def keys_under(self, prefix: str) -> list[str]:
        if prefix in self.files:
            return [prefix]
        return sorted(
            k
            for k in self.logs
            if k == prefix or k.startswith(prefix + "/") or k.startswith(prefix + "-commandUnit:")
        )

    def log_chunks(self, key: str) -> Iterator[bytes]:
        source = self.logs[key]
        if isinstance(source, bytes):
            yield source
        else:
            yield from source()

    # -- faults and inspection ----------------------------------------------

    def fail_next(
        self,
        endpoint: str,
        status: int,
        times: int = 1,
        retry_after: str | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        self._faults[endpoint].append(Fault(status, times, retry_after, body))

    def clear_faults(self) -> None:
        """Harness answers again: the scripted faults still to come are forgotten."""
        self._faults.clear()
        self._drops.clear()

    def drop_next(self, endpoint: str, times: int = 1) -> None:
        self._drops[endpoint] += times

    def calls(self, endpoint: str) -> list[Recorded]:
        """Requests to one route, by its name (emulators.harness.routes)."""
        return [r for r in self.requests if r.endpoint == endpoint]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- server -------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        handlers: dict[str, Handler] = {
            "pipelines.list": self._pipelines_list,
            "executions.summary": self._summary,
            "executions.v2": self._execution,
            "pipeline.retry_stages": self._retry_stages,
            "executions.inputset": self._input_set,
            "pipeline.retry": self._retry,
            "pipeline.rerun": self._rerun,
            "logs.export": self._export,
            "logs.blob": self._blob,
        }
        for route in ROUTES:
            app.router.add_route(
                route.method, route.path, self._serving(route, handlers[route.name])
            )
        app.router.add_get("/storage/harness-download/{account}/{export}/logs.zip", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def _serving(self, route: Route, handler: Handler) -> Handler:
        async def serve(request: web.Request) -> web.StreamResponse:
            refused = await self._prologue(request, route)
            return refused if refused is not None else await handler(request)

        return serve

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _prologue(self, request: web.Request, route: Route) -> web.Response | None:
        """What every call goes through before its handler: recorded, then refused as
        Harness would refuse it (scripted faults, the rate limit, auth, the account,
        a missing parameter, the wrong body type), else None."""
        endpoint = route.name
        body: Any = None
        raw = await request.read()
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                dict(request.query),
                dict(request.headers),
                body,
                endpoint,
                tuple(request.query.items()),
            )
        )
        self.request_times.append(self.clock.time())
        await self.changes.notify()
        if self._drops[endpoint] > 0:
            self._drops[endpoint] -= 1
            assert request.transport is not None
            request.transport.close()
            raise ConnectionResetError("emulated connection drop")
        faults = self._faults[endpoint]
        if faults:
            fault = faults[0]
            fault.times -= 1
            if fault.times <= 0:
                faults.pop(0)
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            payload = fault.body or {
                "status": "ERROR",
                "code": "INTERNAL",
                "message": "emulated fault",
            }
            return web.json_response(payload, status=fault.status, headers=headers)
        key = request.headers.get("x-api-key") or request.headers.get(
            "authorization", ""
        ).removeprefix("Bearer ")
        if (wait := self.rate_limits.wait(key, self.clock.time())) is not None:
            self.rate_limited += 1
            headers = {"Retry-After": wait} if self.rate_limits.retry_after else {}
            # The edge's own page, not a Harness JSON error.
            return web.Response(
                status=429,
                text="<html><body>429 Too Many Requests</body></html>",
                content_type="text/html",
                headers=headers,
            )
        if key != self.api_key:
            if route.log_service:
                return web.json_response({"error_msg": "unauthorized"}, status=401)
            return self._error(route, 401, "INVALID_TOKEN", "Token is not valid.")
        account_param = "accountID" if route.log_service else "accountIdentifier"
        if request.query.get(account_param) != self.account:
            return self._error(route, 403, "ACCESS_DENIED", "Not authorized for account")
        missing = [name for name in route.required if not request.query.get(name)]
        if missing and route.log_service:
            # log-service middleware RequiredQueryParams answers a 404.
            return self._error(route, 404, "", f"parameter {missing[0]} is required.")
        if missing:
            return self._error(route, 400, "INVALID_REQUEST", f"{missing[0]}: must not be null")
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        wanted = {"json": "application/json", "yaml": "application/yaml"}.get(route.body or "")
        if wanted is not None and content_type != wanted:
            return self._error(route, 415, "UNSUPPORTED_MEDIA_TYPE", f"{route.body} body expected")
        return None

    @staticmethod
    def _error(
        route: Route, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> web.Response:
        """An error in the answering service's own shape."""
        if route.log_service:
            return web.json_response({"error_msg": message}, status=status, headers=headers)
        body = {"status": "ERROR", "code": code, "message": message}
        return web.json_response(body, status=status, headers=headers)

    def _project(self, request: web.Request) -> dict[str, Pipeline] | None:
        key = (request.query.get("orgIdentifier", ""), request.query.get("projectIdentifier", ""))
        return self.pipelines.get(key)

    @staticmethod
    def _not_found(message: str, status: int = 404) -> web.Response:
        return web.json_response(
            {"status": "ERROR", "code": "RESOURCE_NOT_FOUND_EXCEPTION", "message": message},
            status=status,
        )

    @staticmethod
    def _page(items: list[Any], request: web.Request) -> dict[str, Any]:
        page, size = int(request.query.get("page", 0)), int(request.query.get("size", 20))
        chunk = items[page * size : (page + 1) * size]
        total_pages = (len(items) + size - 1) // size
        return {
            "status": "SUCCESS",
            "data": {
                "content": chunk,
                "totalElements": len(items),
                "totalPages": total_pages,
                "pageIndex": page,
                "pageSize": size,
                "empty": not chunk,
            },
        }

    async def _pipelines_list(self, request: web.Request) -> web.Response:
        project = self._project(request)
        if project is None:
            return self._not_found(
                f"Project with identifier [{request.query.get('projectIdentifier')}] does not exist"
            )
        term = request.query.get("searchTerm", "").lower()
        items = [
            {"identifier": p.identifier, "name": p.name, "tags": {}, "storeType": "INLINE"}
            for p in project.values()
            if term in p.identifier.lower() or term in p.name.lower()
        ]
        return web.json_response(self._page(items, request))

    async def _summary(self, request: web.Request) -> web.Response:
        project = self._project(request)
        pipeline = project.get(request.query.get("pipelineIdentifier", "")) if project else None
        runs = pipeline.runs if pipeline else []
        items = [summary_json(self.account, r) for r in runs]
        return web.json_response(self._page(items, request))

    async def _execution(self, request: web.Request) -> web.Response:
        run = self.run_by_id(request.match_info["planExecutionId"])
        if run is None or (run.org, run.project) != (
            request.query.get("orgIdentifier"),
            request.query.get("projectIdentifier"),
        ):
            return self._not_found(
                "Plan Execution Summary does not exist or has been deleted for planExecutionId: "
                + request.match_info["planExecutionId"],
                status=400,
            )
        # What is answered follows ExecutionHelper#getResponseDTO (pipeline service).
        body = execution_json(self.account, run, child_details=self.child_details)
        data = body["data"]
        stage_node = request.query.get("stageNodeId", "")
        child = child_stage_run(run, stage_node)
        if child is not None:
            # A Pipeline stage: the child run's summary, and a graph of the child only for
            # one of its stages (`childStageNodeId`); never the parent's graph.
            child_data = execution_json(self.account, child, self.child_details)["data"]
            child_graph: dict[str, Any] = {
                "pipelineExecutionSummary": child_data["pipelineExecutionSummary"]
            }
            child_stage = request.query.get("childStageNodeId")
            if child_stage:
                child_graph["executionGraph"] = _stage_graph(child_data, child_stage)
            del data["executionGraph"]
            data["childGraph"] = child_graph
        elif stage_node:
            data["executionGraph"] = _stage_graph(data, stage_node)
        elif request.query.get("renderFullBottomGraph") != "true":
            del data["executionGraph"]  # the summary only, as the UI's first read asks
        return web.json_response(body)

    def _run_in(self, request: web.Request, plan_execution_id: str) -> RunSpec | None:
        run = self.run_by_id(plan_execution_id)
        if run is None or (run.org, run.project) != (
            request.query.get("orgIdentifier"),
            request.query.get("projectIdentifier"),
        ):
            return None
        return run

    def _denied(self) -> web.Response:
        return web.json_response(
            {
                "status": "ERROR",
                "code": "NG_ACCESS_DENIED",
                "message": "Missing permission core_pipeline_execute on pipeline",
            },
            status=403,
        )

    async def _retry_stages(self, request: web.Request) -> web.Response:
        if self.no_execute:
            return self._denied()
        run = self._run_in(request, request.match_info["planExecutionId"])
        if run is None:
            return self._not_found("Execution does not exist", status=400)
        refusal = self._retry_refusal(run)
        if refusal is None and run.status not in ("Failed", "Aborted", "Expired", "Rejected"):
            refusal = "Pipeline execution is not finished or has not failed"
        if refusal == TOO_OLD and self.old_runs_refused_with_error:
            # Newer Harness (RetryExecutionHelper#validateParentExecution) throws instead.
            return web.json_response(
                {"status": "ERROR", "code": "INVALID_REQUEST", "message": TOO_OLD_ERROR},
                status=400,
            )
        # One group per stage in order, skipped stages left out; statuses as the
        # ExecutionStatus enum writes them (RetryExecutionHelper#getRetryInfo).
        shown = [stage for stage in run.stages if stage.status != "Skipped"]
        groups = [
            {
                "info": [
                    {
                        "name": stage.name,
                        "identifier": stage.identifier,
                        "status": stage.status,
                        "createdAt": run.start_ms,
                        "parentId": uid("parent", run.plan_execution_id),
                        "nextId": uid("next", run.plan_execution_id, index),
                    }
                ]
            }
            for index, stage in enumerate(shown)
        ]
        # A run Harness will not retry gets no groups at all: `groups` is null, and the
        # pipeline service writes nulls out (RetryExecutionHelper#validateRetry).
        data: dict[str, Any] = {
            "errorMessage": refusal,
            "groups": None if refusal else groups,
            "resumable": refusal is None,
        }
        return web.json_response({"status": "SUCCESS", "data": data})

    def _retry_refusal(self, run: RunSpec) -> str | None:
        """Why Harness will not retry the run, if it will not (a scripted reason, or its
        age: PlanResourceUtility#validateInTimeLimitForRetry allows 30 days)."""
        refusal = self.retry_refusals.get(run.plan_execution_id)
        if refusal is None and self.clock.time() - (run.started_at or 0.0) > RETRY_WINDOW:
            refusal = TOO_OLD
        return refusal

    async def _input_set(self, request: web.Request) -> web.Response:
        run = self._run_in(request, request.match_info["planExecutionId"])
        if run is None:
            return self._not_found("Execution does not exist", status=400)
        yaml = self.input_sets.get(run.plan_execution_id)
        data = {"inputSetYaml": yaml, "inputSetTemplateYaml": None, "latestTemplateYaml": None}
        return web.json_response({"status": "SUCCESS", "data": data})

    async def _retry(self, request: web.Request) -> web.Response:
        if self.no_execute:
            return self._denied()
        run = self._run_in(request, request.query.get("planExecutionId", ""))
        if run is None or run.pipeline != request.match_info["pipelineIdentifier"]:
            return self._not_found("Execution does not exist", status=400)
        # The start checks again (PlanExecutionResourceImpl#retryPipelineWithInputSet...).
        refusal = self._retry_refusal(run)
        if refusal is not None:
            return web.json_response(
                {"status": "ERROR", "code": "INVALID_REQUEST", "message": refusal}, status=400
            )
        wanted = request.query.getall("retryStages", [])
        known = [s.identifier for s in run.stages]
        if not wanted or any(w not in known for w in wanted):
            return web.json_response(
                {"status": "ERROR", "code": "INVALID_REQUEST", "message": "Invalid retry stages"},
                status=400,
            )
        first = min(known.index(w) for w in wanted)
        return await self._start("retry", run, first)

    async def _rerun(self, request: web.Request) -> web.Response:
        if self.no_execute:
            return self._denied()
        run = self._run_in(request, request.match_info["originalExecutionId"])
        if run is None or run.pipeline != request.match_info["pipelineIdentifier"]:
            return self._not_found("Execution does not exist", status=400)
        return await self._start("rerun", run, 0)

    async def _start(self, how: str, run: RunSpec, first_stage: int) -> web.Response:
        if self.start_gate is not None:
            await self.start_gate.wait()
        pipeline = self.pipelines[(run.org, run.project)][run.pipeline]
        number = max(r.run_sequence for r in pipeline.runs) + 1
        stages = [
            replace(stage, status="Running" if i >= first_stage else stage.status)
            for i, stage in enumerate(run.stages)
        ]
        new = replace(
            run,
            run_sequence=number,
            status="Running",
            stages=stages,
            failure=None,
            started_at=self.clock.time(),
        )
        self.add_run(new)
        self.started.append((how, new))
        plan = {
            "uuid": new.plan_execution_id,
            "planId": uid("plan", new.plan_execution_id),
            "status": "RUNNING",
            "metadata": {"runSequence": number, "executionUuid": new.plan_execution_id},
            "startTs": int(self.clock.time() * 1000),
        }
        return web.json_response(
            {"status": "SUCCESS", "data": {"planExecution": plan, "gitDetails": None}}
        )

    async def _export(self, request: web.Request) -> web.Response:
        prefix = request.query.get("prefix", "")
        if not _EXPORTABLE.search(prefix):  # log-service middleware ValidatePrefixRequest
            return web.json_response(
                {"error_msg": f"operation not permitted for prefix: {prefix}"}, status=400
            )
        if prefix in self.too_many_files:
            return web.json_response(
                {"error_msg": "Prefix Key Exceeds Maximum Download Limit"}, status=500
            )
        if not prefix or not self.keys_under(prefix):
            return web.json_response({"error_msg": "cannot list files for prefix"}, status=404)
        # log-service handler HandleZipLinkPrefix and middleware CacheRequest: the first
        # call queues a job (the link and its expiry are set then), later calls answer
        # from the job's cache entry until it expires; an `error` is answered once and
        # forgotten, so the next call starts a new job.
        now = self.clock.time()
        job = self._jobs.get(prefix)
        if job is None or job.expires <= now:
            job = self._jobs[prefix] = _ExportJob(started=now, expires=self._expires_at(now))
        job.polls += 1
        export_id = uid("export", prefix)
        self.exports[export_id] = prefix
        host = self.link_origin or self.base_url
        # Each answer signs the link anew, as a pre-signed URL is signed when it is
        # handed out (X-Amz-Date, X-Amz-Signature): the same zip, a fresh link.
        self._signed += 1
        signed_at = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%SZ")
        signature = f"{zlib.crc32(f'{export_id}:{self._signed}'.encode()):08x}"
        link = (
            f"{host}/storage/harness-download/{self.account}/{export_id}/logs.zip"
            f"?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={signed_at}&X-Amz-Expires=86400"
            f"&X-Amz-Signature={signature}"
        )
        if self.export_gate is not None and not self.export_gate.is_set():
            status = "in_progress"
        elif job.polls < self.ready_after_polls or now - job.started < self.export_delay:
            status = "queued" if job.polls == 1 else "in_progress"
        else:
            status = self.export_final_status
        expires = datetime.fromtimestamp(job.expires, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer_body = {"link": link, "status": status, "expires": expires}
        if status == "error":
            answer_body["message"] = "emulated export failure"
            del self._jobs[prefix]
        return web.json_response(answer_body)

    def _expires_at(self, now: float) -> float:
        if self.link_expiry is not None:
            return datetime.fromisoformat(self.link_expiry).timestamp()
        return now + LINK_LIFE.total_seconds()

    def link_expires(self, prefix: str) -> datetime | None:
        """When the link of the export made for `prefix` expires (None: none made)."""
        job = self._jobs.get(prefix)
        return None if job is None else datetime.fromtimestamp(job.expires, UTC)

    def clock_now(self) -> datetime:
        """The emulator's now, as an aware UTC datetime."""
        return datetime.fromtimestamp(self.clock.time(), UTC)

    async def _blob(self, request: web.Request) -> web.StreamResponse:
        key = request.query.get("key", "")
        if key in self.files:
            headers = {"content-type": "application/x-ndjson"}
            if self.files[key].suffix == ".gz":
                headers["content-encoding"] = "gzip"
            return await self._stream(request, headers, _file_chunks(self.files[key]))
        if key not in self.logs:
            return web.json_response({"error_msg": "cannot list files for prefix"}, status=404)
        headers = {"content-type": "application/x-ndjson"}
        chunks: Iterable[bytes] = self.log_chunks(key)
        if self.gzip_blobs:
            headers["content-encoding"] = "gzip"
            chunks = _gzip_stream(chunks)
        return await self._stream(request, headers, chunks)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        export_id = request.match_info["export"]
        prefix = self.exports.get(export_id)
        self.requests.append(
            Recorded("GET", request.path, dict(request.query), dict(request.headers), None)
        )
        await self.changes.notify()
        if prefix is None or "X-Amz-Signature" not in request.query:
            return web.Response(status=403, text="AccessDenied")
        self.downloads.append(export_id)
        if prefix in self.files:
            return await self._stream(
                request, {"content-type": "application/zip"}, _file_chunks(self.files[prefix])
            )
        modified = datetime.fromtimestamp(self.clock.time(), UTC).replace(tzinfo=None)
        files = [
            (key, modified, 0o600, ZIP_32, self.log_chunks(key)) for key in self.keys_under(prefix)
        ]
        chunks: Iterable[bytes] = stream_zip(files)
        headers = {"content-type": "application/zip"}
        if self.gzip_downloads:
            headers["content-encoding"] = "gzip"
            chunks = _gzip_stream(chunks)
        return await self._stream(request, headers, chunks)

    @staticmethod
    async def _stream(
        request: web.Request, headers: dict[str, str], chunks: Iterable[bytes]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        try:
            for chunk in chunks:
                await response.write(chunk)
        except (ConnectionResetError, RuntimeError):
            return response  # the reader stopped early, as it may
        await response.write_eof()
        return response


def _stage_graph(data: dict[str, Any], layout_key: str) -> dict[str, Any]:
    """The part of an execution graph under one stage (by its layout key)."""
    layout = data["pipelineExecutionSummary"]["layoutNodeMap"].get(layout_key) or {}
    prefix = f"pipeline.stages.{layout.get('nodeIdentifier', '')}"
    graph = data["executionGraph"]
    nodes = {
        uuid: node
        for uuid, node in graph["nodeMap"].items()
        if node["baseFqn"] == prefix or node["baseFqn"].startswith(prefix + ".")
    }
    return {**graph, "nodeMap": nodes}


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            yield chunk


def _gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    compressor = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    for chunk in chunks:
        out = compressor.compress(chunk)
        if out:
            yield out
    yield compressor.flush()
