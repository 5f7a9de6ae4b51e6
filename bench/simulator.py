"""The scale-up simulator: `scenarios/colombia-200-asmos.yaml` (four models, 200 ASMOs ×
10 years × 500 repetitions) and the issue's size, 10,000 ASMOs × 10 years × 100 repetitions
for the same four models, with the peak memory of one run.

Pure domain work (numpy, no database). The baseline is the bare random draws a run needs
(one uniform per organisation and repetition for the support reach, then one per year) —
the least any Monte-Carlo run of this size must do — so the ratio is the cost of the model
itself over its random numbers. For contrast, the same model written as a plain
per-organisation Python loop (`batea.domain.simulator.reference`, which the tests check
gives the same results) is timed on 20 repetitions and scaled to 500: too slow to run at
full size in a benchmark.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import tracemalloc
from pathlib import Path

import numpy as np

from bench import Measurement, Options, Report, Timing, measure

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "colombia-200-asmos.yaml"
LARGE_ORGANISATIONS = int(os.environ.get("BENCH_SIMULATOR_ORGANISATIONS", "10000"))
LARGE_REPETITIONS = int(os.environ.get("BENCH_SIMULATOR_REPETITIONS", "100"))
LOOP_REPETITIONS = 20


def bare_draws(scenario, models: int):
    """The random numbers of a run of every model, and nothing else."""
    from batea.domain.simulator import seeds

    size = scenario.repetitions, scenario.population.organisations
    for _ in range(models):
        rng = np.random.default_rng(seeds(scenario)[1])
        rng.random(size)
        for _year in range(scenario.years):
            rng.random(size)


def close(a, b) -> bool:
    """Equal figures, up to the rounding of sums taken in another order."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=0.02)
    return a == b


def peak_memory_mb(call) -> float:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def run(options: Options) -> Report:
    from batea.domain.simulator import load_scenario, simulate

    scenario, problems = load_scenario(SCENARIO.read_bytes(), str(SCENARIO))
    assert not problems, problems
    models = len(scenario.models)
    repeat = max(3, min(options.repeat, 5))
    cells = scenario.population.organisations * scenario.repetitions
    vectorised = measure(lambda: simulate(scenario), repeat, 1)
    baseline = measure(lambda: bare_draws(scenario, models), repeat, 1)
    small = dataclasses.replace(scenario, repetitions=LOOP_REPETITIONS)
    started = time.perf_counter()
    loop_result = simulate(small, reference=True)
    scale = scenario.repetitions / LOOP_REPETITIONS
    loop = (time.perf_counter() - started) * scale
    same = close(simulate(small).as_dict(), loop_result.as_dict())

    large = dataclasses.replace(
        scenario,
        repetitions=LARGE_REPETITIONS,
        population=dataclasses.replace(scenario.population, organisations=LARGE_ORGANISATIONS),
    )
    large_cells = LARGE_ORGANISATIONS * LARGE_REPETITIONS
    large_time = measure(lambda: simulate(large), 3, 0)
    large_baseline = measure(lambda: bare_draws(large, models), 3, 0)
    peak = peak_memory_mb(lambda: simulate(large))

    label = f"{models} models × {scenario.years} years"
    measurements = [
        Measurement(
            f"simulate, vectorised ({scenario.population.organisations} ASMOs × "
            f"{scenario.repetitions} repetitions, {label})",
            cells,
            "domain.simulator.simulate",
            vectorised,
            baseline,
            0,
            cells,
        ),
        Measurement(
            f"simulate, per-ASMO Python loop (scaled from {LOOP_REPETITIONS} repetitions)",
            cells,
            "domain.simulator.reference.run_reference",
            Timing(loop, loop, loop, 1),
            baseline,
            0,
            cells,
        ),
        Measurement(
            f"simulate, vectorised ({LARGE_ORGANISATIONS:,} ASMOs × {LARGE_REPETITIONS} "
            f"repetitions, {label})",
            large_cells,
            "domain.simulator.simulate",
            large_time,
            large_baseline,
            0,
            large_cells,
        ),
    ]
    return Report(
        name="simulator",
        description="Scale-up simulator: four certification models over 10 years",
        measurements=measurements,
        checks={
            "same seed, same result": simulate(small).as_dict() == simulate(small).as_dict(),
            "vectorised run equals the per-ASMO loop": same,
            "200 × 10 × 500 under 2 s": vectorised.median < 2,
        },
        notes=[
            f"per-ASMO loop / vectorised: {loop / vectorised.median:.0f}× slower",
            f"peak memory of one {LARGE_ORGANISATIONS:,} × {LARGE_REPETITIONS} run "
            f"(tracemalloc, numpy arrays included): {peak:.0f} MB",
            "size column: organisations × repetitions (cells of each state array)",
        ],
        context={
            "scenario": str(SCENARIO.name),
            "database": "none (numpy, no database)",
            "database_version": "-",
            "django": __import__("django").get_version(),
            "numpy": np.__version__,
            "repeat": repeat,
            "warmup": 1,
            "baseline": "the bare numpy random draws of the same run",
        },
    )
