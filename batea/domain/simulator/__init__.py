"""The scale-up simulator: which way of scaling certification reaches which miners, at what
cost, with what premium (plain Python and numpy; see docs/simulator.md).

    scenario, problems = load_scenario(text, "scenarios/colombia-200-asmos.yaml")
    result = simulate(scenario)                     # or simulate(scenario, records)
    rows = compare([result, other_result])          # side by side
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from batea.domain.messages import Problem, gettext_noop
from batea.domain.simulator import model as engine
from batea.domain.simulator.population import Organisations, build, with_records
from batea.domain.simulator.results import (
    ModelResult,
    ScenarioResult,
    population_summary,
    summarise,
)
from batea.domain.simulator.scenario import (
    KIND_TITLES,
    LICENCE_STATUSES,
    MAX_CELLS,
    MODEL_KINDS,
    Scenario,
    ScenarioError,
    load_scenario,
    read_scenario,
    text,
)

__all__ = [
    "KIND_TITLES",
    "LICENCE_STATUSES",
    "MODEL_KINDS",
    "Comparison",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "compare",
    "load_scenario",
    "organisations_of",
    "read_scenario",
    "simulate",
    "text",
]


def seeds(scenario: Scenario) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """The population's and the yearly draws' seed sequences, both from the scenario's seed."""
    population, process = np.random.SeedSequence(scenario.seed).spawn(2)
    return population, process


def organisations_of(scenario: Scenario) -> Organisations:
    """The population a scenario runs on (drawn from its seed)."""
    return build(scenario.population, seeds(scenario)[0])


def simulate(
    scenario: Scenario, records: list[dict[str, Any]] | None = None, reference: bool = False
) -> ScenarioResult:
    """Run every model of `scenario`; `records` replace its population (e.g. the registry).

    Same scenario and seed → the same result. `reference=True` runs the plain-Python loop
    instead of the vectorised model (for tests and the benchmark).
    """
    if records is not None:
        scenario = with_records(scenario, records)
    size = len(scenario.population.records or ()) or scenario.population.organisations or 0
    if size * scenario.repetitions > MAX_CELLS:
        raise ScenarioError(
            [
                Problem(
                    "repetitions",
                    gettext_noop(
                        "%(organisations)s organisations × %(repetitions)s repetitions is more "
                        "than %(limit)s; use fewer repetitions."
                    ),
                    {
                        "organisations": size,
                        "repetitions": scenario.repetitions,
                        "limit": MAX_CELLS,
                    },
                    scenario.name,
                )
            ]
        )
    population_seed, process_seed = seeds(scenario)
    organisations = build(scenario.population, population_seed)
    results = []
    for model in scenario.models:
        s = engine.setup(model, scenario, organisations)
        if reference:
            from batea.domain.simulator.reference import run_reference

            run = run_reference(model, scenario, organisations, process_seed, s)
        else:
            run = engine.run(model, scenario, organisations, process_seed, s)
        groups = s.group_count if model.group is not None else None
        results.append(summarise(model, run, organisations, scenario, s.eligible, groups))
    return ScenarioResult(
        name=scenario.name,
        title=scenario.title,
        description=scenario.description,
        seed=scenario.seed,
        years=scenario.years,
        repetitions=scenario.repetitions,
        population=population_summary(
            organisations, "records" if scenario.population.records else "generated"
        ),
        models=tuple(results),
    )


@dataclass(frozen=True)
class Comparison:
    """One model of one scenario, by the figures of its last year, for a side-by-side table."""

    scenario: str
    scenario_title: Any
    model: str
    model_title: Any
    kind: str
    year: int
    organisations: int
    miners: int
    organisations_certified: Any
    miners_certified: Any
    miners_reached: Any
    share_of_miners_certified: float
    cumulative_cost: float
    cumulative_premium: float
    cost_per_certified_miner: float | None
    break_even_year: int | None
    break_even_share: float
    women_not_certified: float | None
    men_not_certified: float | None
    smallest_not_certified: float | None  # share of miners not certified in the smallest band
    informal_not_certified: float | None

    def as_dict(self) -> dict[str, Any]:
        def rounded(value, digits):
            return None if value is None else round(value, digits)

        return {
            "scenario": self.scenario,
            "scenario_title": self.scenario_title,
            "model": self.model,
            "model_title": self.model_title,
            "kind": self.kind,
            "year": self.year,
            "organisations": self.organisations,
            "miners": self.miners,
            "organisations_certified": self.organisations_certified.as_dict(),
            "miners_certified": self.miners_certified.as_dict(),
            "miners_reached": self.miners_reached.as_dict(),
            "share_of_miners_certified": round(self.share_of_miners_certified, 4),
            "cumulative_cost": round(self.cumulative_cost, 2),
            "cumulative_premium": round(self.cumulative_premium, 2),
            "cost_per_certified_miner": rounded(self.cost_per_certified_miner, 2),
            "break_even_year": self.break_even_year,
            "break_even_share": round(self.break_even_share, 4),
            "women_not_certified": rounded(self.women_not_certified, 4),
            "men_not_certified": rounded(self.men_not_certified, 4),
            "smallest_not_certified": rounded(self.smallest_not_certified, 4),
            "informal_not_certified": rounded(self.informal_not_certified, 4),
        }


def _row(result: ScenarioResult, model: ModelResult) -> Comparison:
    final = model.final
    left = model.left_out
    smallest = next((b for b in left.by_size if b.miners > 0), None)
    informal = next(b for b in left.by_licence if b.key == "informal")
    return Comparison(
        scenario=result.name,
        scenario_title=result.title,
        model=model.id,
        model_title=model.title,
        kind=model.kind,
        year=final.year,
        organisations=result.population.organisations,
        miners=result.population.miners,
        organisations_certified=final.organisations_certified,
        miners_certified=final.miners_certified,
        miners_reached=final.miners_reached,
        share_of_miners_certified=final.miners_certified.mean / max(result.population.miners, 1),
        cumulative_cost=final.cumulative_cost.mean,
        cumulative_premium=final.cumulative_premium.mean,
        cost_per_certified_miner=final.cost_per_certified_miner,
        break_even_year=model.break_even_year,
        break_even_share=model.break_even_share,
        women_not_certified=left.by_gender[0].not_certified,
        men_not_certified=left.by_gender[1].not_certified,
        smallest_not_certified=smallest.not_certified if smallest else None,
        informal_not_certified=informal.not_certified,
    )


def compare(results: list[ScenarioResult]) -> list[Comparison]:
    """Every model of every scenario side by side, by its last year's figures."""
    return [_row(result, model) for result in results for model in result.models]
