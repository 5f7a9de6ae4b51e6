"""The organisations a scenario runs on: generated from distributions or given as records.

The population is drawn once from the scenario's seed and shared by every model and every
repetition, so that models are compared on the same organisations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from batea.domain.messages import gettext_noop
from batea.domain.simulator.scenario import (
    LICENCE_STATUSES,
    MAX_CELLS,
    MAX_MEMBERS_PER_ORGANISATION,
    Distribution,
    Group,
    PopulationSpec,
    Scenario,
    ScenarioError,
)


@dataclass(frozen=True)
class Organisations:
    """One entry per organisation (ASMO), as arrays."""

    ids: tuple[str, ...]
    members: np.ndarray  # int64, at least 1
    capacity: np.ndarray  # float64 in [0, 1]
    women_share: np.ndarray  # float64 in [0, 1]
    licence: np.ndarray  # int8, index into LICENCE_STATUSES
    production: np.ndarray  # float64, grams of gold per miner per day
    order: np.ndarray  # a random permutation, the order in which groups are formed

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def miners(self) -> int:
        return int(self.members.sum())


def draw(
    distribution: Distribution, rng: np.random.Generator, size: int, low: float, high: float
) -> np.ndarray:
    """`size` values of `distribution`, clipped to its bounds and to [low, high]."""
    p = distribution.params
    kind = distribution.kind
    if kind == "fixed":
        values = np.full(size, p["value"], dtype=float)
    elif kind == "lognormal":
        values = np.exp(rng.normal(np.log(p["median"]), p["sigma"], size))
    elif kind == "beta":
        values = rng.beta(
            p["mean"] * p["concentration"], (1 - p["mean"]) * p["concentration"], size
        )
    elif kind == "uniform":
        values = rng.uniform(p["min"], p["max"], size)
    elif kind == "triangular":
        if p["min"] == p["max"]:
            values = np.full(size, p["min"], dtype=float)
        else:
            values = rng.triangular(p["min"], p["mode"], p["max"], size)
    elif kind == "normal":
        values = rng.normal(p["mean"], p["sd"], size)
    else:  # pragma: no cover - the reader refuses other kinds
        raise ValueError(kind)
    lower = low if distribution.minimum is None else max(low, distribution.minimum)
    upper = high if distribution.maximum is None else min(high, distribution.maximum)
    return np.clip(values, lower, upper)


def _placeholder() -> Distribution:
    return Distribution.fixed(0.0)


def build(spec: PopulationSpec, seed_sequence: np.random.SeedSequence) -> Organisations:
    """Draw the organisations of `spec` (its records, when it has any)."""
    rng = np.random.default_rng(seed_sequence)
    records = spec.records
    size = len(records) if records else spec.organisations
    # Every attribute is drawn for every organisation, in a fixed order, even where a record
    # gives it: a record's own value then replaces the draw. The draws stay reproducible.
    members = draw(
        spec.members or Distribution.fixed(1), rng, size, 1, MAX_MEMBERS_PER_ORGANISATION
    )
    capacity = draw(spec.capacity or _placeholder(), rng, size, 0.0, 1.0)
    women = draw(spec.women_share or _placeholder(), rng, size, 0.0, 1.0)
    shares = spec.licence or {status: 1.0 for status in LICENCE_STATUSES}
    weights = np.array([shares[s] for s in LICENCE_STATUSES], dtype=float)
    licence = rng.choice(len(LICENCE_STATUSES), size=size, p=weights / weights.sum())
    production = draw(spec.production or _placeholder(), rng, size, 0.0, 1000.0)
    order = rng.permutation(size)
    members = np.rint(members).astype(np.int64)
    ids = tuple(str(i + 1) for i in range(size))
    if records:
        ids = tuple(r["id"] for r in records)
        members = np.array([r["members"] for r in records], dtype=np.int64)
        for i, record in enumerate(records):
            if "capacity" in record:
                capacity[i] = record["capacity"]
            if "women_share" in record:
                women[i] = record["women_share"]
            if "licence" in record:
                licence[i] = LICENCE_STATUSES.index(record["licence"])
            if "production_g_per_miner_day" in record:
                production[i] = record["production_g_per_miner_day"]
    return Organisations(
        ids=ids,
        members=members,
        capacity=capacity.astype(float),
        women_share=women.astype(float),
        licence=licence.astype(np.int8),
        production=production.astype(float),
        order=order,
    )


def with_records(scenario: Scenario, records: list[dict[str, Any]], name: str = "") -> Scenario:
    """The scenario with its population replaced by `records` (e.g. from the registry).

    Missing attributes of a record (capacity, production, …) are drawn from the scenario's
    distributions. Raises ScenarioError with every problem of the records.
    """
    from dataclasses import replace

    from batea.domain.simulator.scenario import _Reader
    from batea.domain.standards.source import Source

    reader = _Reader(Source(name, records))
    spec = scenario.population
    checked = reader.records(records, ("records",), spec)
    if not reader.problems and len(records) * scenario.repetitions > MAX_CELLS:
        reader.fail(
            ("records",),
            gettext_noop(
                "%(organisations)s organisations × %(repetitions)s repetitions is more than "
                "%(limit)s; use fewer repetitions."
            ),
            {
                "organisations": len(records),
                "repetitions": scenario.repetitions,
                "limit": MAX_CELLS,
            },
        )
    if reader.problems:
        raise ScenarioError(reader.problems)
    return replace(scenario, population=replace(spec, records=tuple(checked)))


def form_groups(organisations: Organisations, group: Group) -> np.ndarray:
    """Group index of each organisation (-1: too large to join any group).

    Groups are filled in the population's random order, each up to `max_asmos`
    organisations and `max_miners` miners (first fit, then the next group).
    """
    gid = np.full(organisations.size, -1, dtype=np.int64)
    current, count, miners = -1, 0, 0
    members = organisations.members
    for i in organisations.order:
        size = int(members[i])
        if size > group.max_miners:
            continue
        if current < 0 or count + 1 > group.max_asmos or miners + size > group.max_miners:
            current, count, miners = current + 1, 0, 0
        gid[i] = current
        count += 1
        miners += size
    return gid
