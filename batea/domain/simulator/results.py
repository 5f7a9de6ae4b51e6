"""Summaries of runs over repetitions: means, 90 % intervals, break-even, who is left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from batea.domain.simulator.model import Run
from batea.domain.simulator.population import Organisations
from batea.domain.simulator.scenario import LICENCE_STATUSES, Bands, Model, Scenario, Text

LOW, HIGH = 0.05, 0.95  # the 90 % interval over repetitions


@dataclass(frozen=True)
class Interval:
    """Mean and the 5th–95th percentile range over repetitions."""

    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, values: np.ndarray) -> Interval:
        low, high = np.quantile(values, [LOW, HIGH])
        return cls(float(values.mean()), float(low), float(high))

    def as_dict(self, digits: int = 3) -> dict[str, float]:
        return {
            "mean": round(self.mean, digits),
            "low": round(self.low, digits),
            "high": round(self.high, digits),
        }


@dataclass(frozen=True)
class Year:
    year: int
    organisations_certified: Interval
    miners_certified: Interval
    organisations_reached: Interval
    miners_reached: Interval
    miners_by_level: tuple[float, ...]
    organisations_in_progress: float
    organisations_held_back: float
    organisations_dropped_out: float
    organisations_not_eligible: int
    cost_asmo: float
    cost_subsidy: float
    cost_support: float
    premium: float
    cumulative_cost: Interval
    cumulative_premium: Interval

    @property
    def cost(self) -> float:
        return self.cost_asmo + self.cost_subsidy + self.cost_support

    @property
    def cost_per_certified_miner(self) -> float | None:
        """Cumulative cost to date per miner certified at the end of the year (of means)."""
        miners = self.miners_certified.mean
        return self.cumulative_cost.mean / miners if miners > 0 else None

    def as_dict(self) -> dict[str, Any]:
        per_miner = self.cost_per_certified_miner
        return {
            "year": self.year,
            "organisations_certified": self.organisations_certified.as_dict(),
            "miners_certified": self.miners_certified.as_dict(),
            "organisations_reached": self.organisations_reached.as_dict(),
            "miners_reached": self.miners_reached.as_dict(),
            "miners_by_level": [round(v, 3) for v in self.miners_by_level],
            "organisations_in_progress": round(self.organisations_in_progress, 3),
            "organisations_held_back": round(self.organisations_held_back, 3),
            "organisations_dropped_out": round(self.organisations_dropped_out, 3),
            "organisations_not_eligible": self.organisations_not_eligible,
            "cost": {
                "asmo": round(self.cost_asmo, 2),
                "subsidy": round(self.cost_subsidy, 2),
                "support": round(self.cost_support, 2),
                "total": round(self.cost, 2),
            },
            "premium": round(self.premium, 2),
            "cumulative_cost": self.cumulative_cost.as_dict(2),
            "cumulative_premium": self.cumulative_premium.as_dict(2),
            "cost_per_certified_miner": None if per_miner is None else round(per_miner, 2),
        }


@dataclass(frozen=True)
class Band:
    """Organisations in one band and the shares of their miners not certified / not reached.

    `lower` is exclusive except for the first band; `upper` is inclusive (None: no limit).
    Shares are means over repetitions, None for an empty band.
    """

    key: str
    lower: float | None
    upper: float | None
    organisations: int
    miners: float
    not_certified: float | None
    not_reached: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "lower": self.lower,
            "upper": self.upper,
            "organisations": self.organisations,
            "miners": round(self.miners, 3),
            "not_certified": None if self.not_certified is None else round(self.not_certified, 4),
            "not_reached": None if self.not_reached is None else round(self.not_reached, 4),
        }


@dataclass(frozen=True)
class LeftOut:
    """Who is not certified (or not reached) at the end of the last year."""

    by_size: tuple[Band, ...]
    by_women_share: tuple[Band, ...]
    by_licence: tuple[Band, ...]
    by_gender: tuple[Band, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            name: [band.as_dict() for band in getattr(self, name)]
            for name in ("by_size", "by_women_share", "by_licence", "by_gender")
        }


@dataclass(frozen=True)
class ModelResult:
    id: str
    title: Text
    kind: str
    levels: tuple[tuple[str, Text], ...]
    eligible_organisations: int
    eligible_miners: int
    groups: int | None
    years: tuple[Year, ...]
    left_out: LeftOut
    break_even_share: float  # repetitions whose cumulative premium reaches their cost

    @property
    def break_even_year(self) -> int | None:
        """First year when the mean cumulative premium reaches the mean cumulative cost."""
        return break_even(
            [y.cumulative_cost.mean for y in self.years],
            [y.cumulative_premium.mean for y in self.years],
        )

    @property
    def final(self) -> Year:
        return self.years[-1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "levels": [{"id": i, "title": t} for i, t in self.levels],
            "eligible_organisations": self.eligible_organisations,
            "eligible_miners": self.eligible_miners,
            "groups": self.groups,
            "break_even_year": self.break_even_year,
            "break_even_share": round(self.break_even_share, 4),
            "years": [year.as_dict() for year in self.years],
            "left_out": self.left_out.as_dict(),
        }


@dataclass(frozen=True)
class PopulationSummary:
    organisations: int
    miners: int
    women_miners: float
    median_members: float
    by_licence: dict[str, int]
    source: str  # "generated", "records"

    def as_dict(self) -> dict[str, Any]:
        return {
            "organisations": self.organisations,
            "miners": self.miners,
            "women_miners": round(self.women_miners, 3),
            "median_members": self.median_members,
            "by_licence": self.by_licence,
            "source": self.source,
        }


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    title: Text
    description: Text
    seed: int
    years: int
    repetitions: int
    population: PopulationSummary
    models: tuple[ModelResult, ...]

    def model(self, model_id: str) -> ModelResult:
        return next(m for m in self.models if m.id == model_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "title": self.title,
            "description": self.description,
            "seed": self.seed,
            "years": self.years,
            "repetitions": self.repetitions,
            "population": self.population.as_dict(),
            "models": [model.as_dict() for model in self.models],
        }


def break_even(cumulative_cost: list[float], cumulative_premium: list[float]) -> int | None:
    """First year (1-based) with some premium and cumulative premium ≥ cumulative cost."""
    for year, (cost, premium) in enumerate(zip(cumulative_cost, cumulative_premium, strict=True)):
        if premium > 0 and premium >= cost:
            return year + 1
    return None


def _bands(edges: tuple[float, ...], low: float) -> list[tuple[float | None, float | None]]:
    bounds = [low, *edges]
    return [(bounds[i], edges[i] if i < len(edges) else None) for i in range(len(bounds))]


def _left_out(run: Run, organisations: Organisations, bands: Bands) -> LeftOut:
    n = organisations.members.astype(float)
    certified = run.certified_final
    reached = run.reached_final

    def band_rows(keys, index: np.ndarray, count: int, weights: np.ndarray, bounds=None):
        # weights: miners of each organisation counted in the band (e.g. women miners)
        matrix = np.zeros((organisations.size, count))
        matrix[np.arange(organisations.size), index] = weights
        miners = matrix.sum(axis=0)
        organisations_in = np.bincount(index, minlength=count)
        cert = certified @ matrix  # (R, B)
        reach = reached @ matrix
        rows = []
        for b in range(count):
            empty = miners[b] <= 0
            lower, upper = bounds[b] if bounds else (None, None)
            rows.append(
                Band(
                    key=keys[b],
                    lower=lower,
                    upper=upper,
                    organisations=int(organisations_in[b]),
                    miners=float(miners[b]),
                    not_certified=None if empty else float(1 - cert[:, b].mean() / miners[b]),
                    not_reached=None if empty else float(1 - reach[:, b].mean() / miners[b]),
                )
            )
        return tuple(rows)

    size_bounds = _bands(tuple(float(e) for e in bands.size), 1.0)
    size_index = np.searchsorted(np.array(bands.size, dtype=float), n, side="left")
    women_bounds = _bands(bands.women_share, 0.0)
    women_index = np.searchsorted(
        np.array(bands.women_share), organisations.women_share, side="left"
    )
    women = n * organisations.women_share
    return LeftOut(
        by_size=band_rows(
            [f"size-{i + 1}" for i in range(len(size_bounds))],
            size_index,
            len(size_bounds),
            n,
            size_bounds,
        ),
        by_women_share=band_rows(
            [f"women-{i + 1}" for i in range(len(women_bounds))],
            women_index,
            len(women_bounds),
            n,
            women_bounds,
        ),
        by_licence=band_rows(
            LICENCE_STATUSES, organisations.licence.astype(np.int64), len(LICENCE_STATUSES), n
        ),
        by_gender=(
            band_rows(["women"], np.zeros(organisations.size, dtype=np.int64), 1, women)[0],
            band_rows(["men"], np.zeros(organisations.size, dtype=np.int64), 1, n - women)[0],
        ),
    )


def summarise(
    model: Model,
    run: Run,
    organisations: Organisations,
    scenario: Scenario,
    eligible: np.ndarray,
    groups: int | None,
) -> ModelResult:
    """The per-year figures of `run` over its repetitions."""
    cost = run.cost_asmo + run.subsidy + run.support
    cumulative_cost = np.cumsum(cost, axis=1)
    cumulative_premium = np.cumsum(run.premium, axis=1)
    not_eligible = int((~eligible).sum())
    years = tuple(
        Year(
            year=t + 1,
            organisations_certified=Interval.of(run.organisations_certified[:, t]),
            miners_certified=Interval.of(run.miners_certified[:, t]),
            organisations_reached=Interval.of(run.organisations_reached[:, t]),
            miners_reached=Interval.of(run.miners_reached[:, t]),
            miners_by_level=tuple(float(v) for v in run.miners_by_level[:, t, :].mean(axis=0)),
            organisations_in_progress=float(run.organisations_in_progress[:, t].mean()),
            organisations_held_back=float(run.organisations_held_back[:, t].mean()),
            organisations_dropped_out=float(run.organisations_dropped[:, t].mean()),
            organisations_not_eligible=not_eligible,
            cost_asmo=float(run.cost_asmo[:, t].mean()),
            cost_subsidy=float(run.subsidy[:, t].mean()),
            cost_support=float(run.support[:, t].mean()),
            premium=float(run.premium[:, t].mean()),
            cumulative_cost=Interval.of(cumulative_cost[:, t]),
            cumulative_premium=Interval.of(cumulative_premium[:, t]),
        )
        for t in range(scenario.years)
    )
    broke_even = ((cumulative_premium >= cumulative_cost) & (cumulative_premium > 0)).any(axis=1)
    return ModelResult(
        id=model.id,
        title=model.title,
        kind=model.kind,
        levels=tuple((level.id, level.title) for level in model.levels),
        eligible_organisations=int(eligible.sum()),
        eligible_miners=int(organisations.members[eligible].sum()),
        groups=groups,
        years=years,
        left_out=_left_out(run, organisations, scenario.bands),
        break_even_share=float(broke_even.mean()),
    )


def population_summary(organisations: Organisations, source: str) -> PopulationSummary:
    counts = np.bincount(organisations.licence.astype(np.int64), minlength=len(LICENCE_STATUSES))
    return PopulationSummary(
        organisations=organisations.size,
        miners=organisations.miners,
        women_miners=float((organisations.members * organisations.women_share).sum()),
        median_members=float(np.median(organisations.members)),
        by_licence={s: int(c) for s, c in zip(LICENCE_STATUSES, counts, strict=True)},
        source=source,
    )
