"""Background jobs: bounded concurrency, clean drain, nothing silently dropped."""

from __future__ import annotations

import asyncio

from bot.jobs import JobRunner


async def test_at_most_the_limit_run_at_once_and_all_finish() -> None:
    jobs = JobRunner(concurrency=3)
    running = 0
    peak = 0
    release = asyncio.Event()
    three_running = asyncio.Event()
    done: list[int] = []

    async def work(n: int) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        if running == 3:
            three_running.set()
        await release.wait()
        running -= 1
        done.append(n)

    for n in range(10):
        jobs.spawn(work(n), name=f"job{n}")
    await asyncio.wait_for(three_running.wait(), 5)  # the first three start; the rest wait
    assert jobs.in_flight == 10
    release.set()
    await asyncio.wait_for(jobs.idle(), 5)
    assert peak == 3
    assert sorted(done) == list(range(10))


async def test_drain_cancels_what_outlives_the_grace_and_refuses_new_jobs() -> None:
    jobs = JobRunner(concurrency=1)
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    async def never_started() -> None:
        raise AssertionError("a queued job must not run after the drain")

    jobs.spawn(forever(), name="forever")
    jobs.spawn(never_started(), name="queued")
    await started.wait()
    await jobs.drain(grace=0.05)
    assert jobs.in_flight == 0
    late = never_started()
    assert jobs.spawn(late, name="late") is None
