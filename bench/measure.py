"""Timing: one job at a time for latency, several client threads for throughput."""

import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Contender:
    """One way of doing a case's job: `run` is timed; `after` checks its result (and cleans up), untimed."""

    name: str
    run: Callable[[], Any]
    after: Callable[[Any], None]


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    error: str | None = None  # the first failure; the contender is not run again

    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None


def time_job(contender: Contender, timings: Timings) -> None:
    if timings.error is not None:
        return
    try:
        start = time.perf_counter()
        result = contender.run()
        elapsed = time.perf_counter() - start
        contender.after(result)
    except Exception as exc:  # a failing contender is recorded (Orthanc on JPEG 2000), not fatal
        timings.error = f"{type(exc).__name__}: {exc}"
        return
    timings.seconds.append(elapsed)


def per_round(ours: Timings, other: Timings, combine: Callable[[float, float], float]) -> list[float]:
    """ours combined with the other contender, round by round (both ran in the same rounds)."""
    if ours.error or other.error:
        return []
    return [combine(a, b) for a, b in zip(ours.seconds, other.seconds)]


def throughput(job: Callable[[], None], clients: int, seconds: float) -> dict:
    """Requests per second of `clients` threads, each calling `job` back to back for `seconds`.
    A failed job counts as failed, not done (Orthanc 1.10 sometimes answers concurrent uploads
    of one instance with HTTP 500, a race in its storage folders); the first failure is kept."""
    deadline = time.monotonic() + seconds
    failures: list[str] = []

    def client_loop(_: int) -> int:
        done = 0
        while time.monotonic() < deadline:
            try:
                job()
                done += 1
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}"[:300])
        return done

    start = time.monotonic()
    with ThreadPoolExecutor(clients) as executor:
        requests = sum(executor.map(client_loop, range(clients)))
    elapsed = time.monotonic() - start
    return {"clients": clients, "requests": requests, "seconds": round(elapsed, 3),
            "per_second": round(requests / elapsed, 2), "failed": len(failures),
            "first_failure": failures[0] if failures else None}
