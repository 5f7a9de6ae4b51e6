"""Benchmarks for Batea, run with `make bench` (`python -m bench`).

Every public module of this package is a benchmark: it defines `run(options) -> Report`.
`python -m bench` runs them all, prints the figures and saves them to `bench/results.json`
and `bench/results.md`. Benchmarks assert nothing about time; they report wall times, the
ratio to a baseline doing the same database work, and SQL query counts.

The shared pieces live here: the command-line options, the result types, the timing helper
and the Django set-up (production settings on a throw-away database by default).
"""

from __future__ import annotations

import functools
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STEP_SIZES = (1_000, 10_000, 100_000)
DEFAULT_MAX_MEMBERS = 100_000
DEFAULT_REPEAT = 15
DEFAULT_WARMUP = 2
DEFAULT_SQLITE_PATH = Path(tempfile.gettempdir()) / "batea-bench.sqlite3"


@dataclass(frozen=True)
class Options:
    """What the benchmarks are asked to do (from the command line or the environment)."""

    max_members: int = DEFAULT_MAX_MEMBERS
    repeat: int = DEFAULT_REPEAT
    warmup: int = DEFAULT_WARMUP

    def steps(self) -> list[int]:
        """Data sizes to measure at: 1,000, 10,000, 100,000 … up to and including the max."""
        sizes = [size for size in STEP_SIZES if size < self.max_members]
        size = STEP_SIZES[-1] * 10
        while size < self.max_members:
            sizes.append(size)
            size *= 10
        return [*sizes, self.max_members]


@dataclass
class Timing:
    """Wall times of repeated calls, in seconds."""

    median: float
    minimum: float
    maximum: float
    runs: int

    @classmethod
    def of(cls, samples: list[float]) -> Timing:
        return cls(statistics.median(samples), min(samples), max(samples), len(samples))


@dataclass
class Measurement:
    """One thing measured at one data size, with the baseline it is compared against."""

    target: str
    size: int
    url: str
    time: Timing
    baseline: Timing
    queries: int
    rows: int
    sql: list[dict[str, str]] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        """How many times slower than the baseline (the bare ORM query for the same rows)."""
        return self.time.median / self.baseline.median if self.baseline.median else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": round(self.ratio, 2)}


@dataclass
class Report:
    """What one benchmark module returns: its measurements and yes/no findings."""

    name: str
    description: str
    measurements: list[Measurement]
    checks: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "context": self.context,
            "checks": self.checks,
            "notes": self.notes,
            "measurements": [m.as_dict() for m in self.measurements],
        }


def measure(call: Callable[[], object], repeat: int, warmup: int) -> Timing:
    """Call `call` `warmup` times untimed, then `repeat` times timed with a monotonic clock."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return Timing.of(samples)


@functools.cache
def setup_django() -> str:
    """Configure and start Django for a benchmark run; returns a label of the database.

    Production settings (`batea.settings`, DEBUG off) with a throw-away secret. The database
    is the caller's DATABASE_URL if given (e.g. PostgreSQL), else a fresh SQLite file in the
    temporary directory, removed first so that each run starts from nothing. Idempotent.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "batea.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("BATEA_MAP_TILES_URL", "")
    if "DATABASE_URL" not in os.environ:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{DEFAULT_SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{DEFAULT_SQLITE_PATH}"

    import django
    from django.conf import settings

    # WhiteNoise warns that STATIC_ROOT has not been collected; the pages render without it.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()
    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    database = settings.DATABASES["default"]
    vendor = database["ENGINE"].rsplit(".", 1)[-1]
    return f"{vendor}:{database['NAME']}"
