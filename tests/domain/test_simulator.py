"""The scale-up simulator: scenario format, hand-checked runs, invariants (hypothesis)."""

import copy
import dataclasses
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batea.domain.simulator import (
    MODEL_KINDS,
    ScenarioError,
    compare,
    load_scenario,
    organisations_of,
    read_scenario,
    simulate,
)
from batea.domain.simulator.model import sample_size
from batea.domain.simulator.results import break_even
from batea.domain.simulator.scenario import Group

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FAST = settings(
    max_examples=int(os.environ.get("SIMULATOR_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def base(**changes) -> dict:
    """A small scenario as data: one organisation of 10 members, fixed attributes.

    Premium: 10 members × 1 g × 100 days × 1.0 sold × USD 4/g = USD 4,000 a year.
    """
    data = {
        "batea_scenario": 1,
        "title": "test",
        "seed": 1,
        "years": 3,
        "repetitions": 2,
        "market": {
            "premium_usd_per_kg": 4000,
            "mining_days_per_year": 100,
            "share_sold_certified": 1.0,
        },
        "readiness": {
            "base": 1.0,
            "capacity_gain": 0.0,
            "licence_factor": {"formal": 1, "partial": 1, "in_process": 1, "informal": 1},
        },
        "willingness": {"premium_share": 0.5, "own_funds_per_member": 0},
        "population": {
            "organisations": 1,
            "members": 10,
            "capacity": 0.5,
            "women_share": 0.3,
            "licence": {"formal": 1, "partial": 0, "in_process": 0, "informal": 0},
            "production_g_per_miner_day": 1.0,
        },
        "models": [
            {
                "id": "solo",
                "kind": "individual",
                "costs": {
                    "day_rate": 500,
                    "travel_per_visit": 300,
                    "audit_days": {"base": 2},
                    "surveillance_days_share": 0.5,
                    "annual_fee": 200,
                },
            }
        ],
    }
    for path, value in changes.items():
        node = data
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        last = keys[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return data


def run(data: dict, **kwargs):
    scenario, problems = read_scenario(data)
    assert problems == [], [str(p) for p in problems]
    return simulate(scenario, **kwargs)


def problems_of(data: dict) -> list[str]:
    scenario, problems = read_scenario(data)
    assert scenario is None
    return [str(p) for p in problems]


# --- hand-checked runs --------------------------------------------------------------------------


class TestHandChecked:
    def test_one_organisation_certified_in_year_one_earns_from_year_two(self):
        model = run(base()).models[0]
        years = [y.as_dict() for y in model.years]
        assert [y["organisations_certified"]["mean"] for y in years] == [1, 1, 1]
        assert [y["miners_certified"]["mean"] for y in years] == [10, 10, 10]
        # initial audit 2 days × 500 + 300 travel + 200 fee; surveillance 1 day × 500 + 500
        assert [y["cost"]["total"] for y in years] == [1500, 1000, 1000]
        assert [y["premium"] for y in years] == [0, 4000, 4000]
        assert [y["cumulative_cost"]["mean"] for y in years] == [1500, 2500, 3500]
        assert [y["cumulative_premium"]["mean"] for y in years] == [0, 4000, 8000]
        assert model.break_even_year == 2
        assert model.break_even_share == 1.0
        assert years[0]["cost_per_certified_miner"] == 150
        assert years[2]["cost_per_certified_miner"] == 350

    def test_no_chance_no_certificate_no_cost(self):
        model = run(base(readiness__base=0.0)).models[0]
        assert all(y.organisations_certified.high == 0 for y in model.years)
        assert all(y.cost == 0 for y in model.years)
        assert model.break_even_year is None
        assert model.final.cost_per_certified_miner is None
        assert model.final.organisations_in_progress == 1

    def test_the_chance_rises_with_capacity_and_falls_with_the_licence_factor(self):
        data = base(
            readiness__base=0.1,
            readiness__capacity_gain=0.4,
            readiness__licence_factor={"formal": 1, "partial": 0.5, "in_process": 0, "informal": 0},
            population__licence={"formal": 0, "partial": 1, "in_process": 0, "informal": 0},
            years=1,
            repetitions=4000,
        )
        # (0.1 + 0.4 × 0.5) × 0.5 = 0.15
        share = run(data).models[0].final.organisations_certified.mean
        assert share == pytest.approx(0.15, abs=0.02)

    def test_an_organisation_that_cannot_pay_the_audit_holds_back(self):
        # willing to pay 0.25 × 4,000 = 1,000 < 1,500: ready every year, never audited
        model = run(base(willingness__premium_share=0.25)).models[0]
        assert [y.organisations_held_back for y in model.years] == [1, 1, 1]
        assert [y.organisations_in_progress for y in model.years] == [1, 1, 1]
        assert all(y.cost == 0 and y.organisations_certified.mean == 0 for y in model.years)
        assert model.final.organisations_dropped_out == 0

    def test_an_organisation_that_cannot_keep_its_level_leaves(self):
        # willing to pay 0.2 × 4,000 = 800: the subsidised first audit (750) yes, the
        # unsubsidised surveillance (1,000) no
        data = base(willingness__premium_share=0.2)
        data["models"][0]["subsidy"] = {"share": 0.5, "years": 1}
        model = run(data).models[0]
        assert [y.organisations_certified.mean for y in model.years] == [1, 0, 0]
        assert [y.organisations_dropped_out for y in model.years] == [0, 1, 1]
        assert [y.cost for y in model.years] == [1500, 0, 0]

    def test_internal_costs_above_willingness_make_it_leave(self):
        data = base(readiness__base=0.0)
        data["models"][0]["costs"]["ics_cost_per_member"] = 250  # 2,500 > 2,000
        model = run(data).models[0]
        assert [y.organisations_dropped_out for y in model.years] == [1, 1, 1]
        assert all(y.cost == 0 for y in model.years)

    def test_a_subsidy_keeps_it_in_and_is_counted_as_a_cost(self):
        data = base(willingness__premium_share=0.25)
        data["models"][0]["subsidy"] = {"share": 0.5}
        first = run(data).models[0].years[0]
        assert (first.cost_asmo, first.cost_subsidy, first.organisations_certified.mean) == (
            750,
            750,
            1,
        )

    def test_a_subsidy_budget_is_shared_pro_rata(self):
        data = base(population__organisations=2, years=1)
        data["models"][0]["subsidy"] = {"share": 1.0, "budget_per_year": 1000}
        year = run(data).models[0].years[0]
        assert (year.cost_subsidy, year.cost_asmo) == (1000, 2000)

    def test_a_subsidy_ends_after_its_years(self):
        data = base()
        data["models"][0]["subsidy"] = {"share": 0.5, "years": 1}
        years = run(data).models[0].years
        assert [y.cost_subsidy for y in years] == [750, 0, 0]

    def test_support_raises_the_chance_by_capacity_and_costs_the_programme(self):
        data = base(readiness__base=0.0, population__capacity=0.0, years=2)
        data["models"][0]["support"] = {
            "gain_at_zero_capacity": 1.0,
            "gain_at_full_capacity": 0.0,
            "cost_per_asmo_per_year": 800,
            "years": 1,
        }
        years = run(data).models[0].years
        assert years[0].organisations_certified.mean == 1
        # supported while working toward the certificate: year 1 only
        assert [y.cost_support for y in years] == [800, 0]
        data["population"]["capacity"] = 1.0
        assert run(data).models[0].final.organisations_certified.mean == 0

    def test_group_costs_are_shared_by_members_and_sampled_by_square_root(self):
        data = base(population__organisations=4, population__members=25, years=1)
        data["models"][0] = {
            "id": "group",
            "kind": "group_ics",
            "costs": {
                "day_rate": 500,
                "travel_per_visit": 100,
                "annual_fee": 400,
                "ics_cost_per_member": 10,
            },
            "group": {
                "max_asmos": 4,
                "max_miners": 1000,
                "office_audit_days": 1,
                "audit_days_per_sampled_asmo": 0.5,
            },
        }
        model = run(data).models[0]
        # √4 = 2 sampled: (1 + 2 × 0.5) days × 500 + 2 × 100 travel + 400 fee = 1,600; ICS 4 × 250
        assert model.groups == 1
        assert model.final.cost == 1600 + 1000
        assert model.final.organisations_certified.mean == 4

    def test_organisations_above_the_group_limit_are_not_eligible(self):
        data = base(years=1)
        data["population"] = {
            "records": [
                {
                    "members": 30,
                    "capacity": 1,
                    "women_share": 0,
                    "licence": "formal",
                    "production_g_per_miner_day": 1,
                },
                {
                    "members": 600,
                    "capacity": 1,
                    "women_share": 0,
                    "licence": "formal",
                    "production_g_per_miner_day": 1,
                },
                {
                    "members": 500,
                    "capacity": 1,
                    "women_share": 0,
                    "licence": "formal",
                    "production_g_per_miner_day": 1,
                },
            ]
        }
        data["models"][0] = {
            "id": "group",
            "kind": "group_ics",
            "group": {"max_asmos": 10, "max_miners": 520},
        }
        model = run(data).models[0]
        assert (model.eligible_organisations, model.eligible_miners) == (2, 530)
        assert model.groups == 2  # 30 + 500 > 520: the second starts a new group
        assert model.final.organisations_not_eligible == 1
        assert model.final.organisations_certified.mean == 2

    def test_sample_sizes(self):
        counts = np.array([0, 1, 4, 5, 30, 100])
        assert sample_size(counts, Group(1, 1)).tolist() == [0, 1, 2, 3, 6, 10]
        assert sample_size(counts, Group(1, 1, sample="all")).tolist() == [0, 1, 4, 5, 30, 100]
        eu = Group(1, 1, sample="percentage", sample_percentage=5, sample_minimum=10)
        assert sample_size(counts, eu).tolist() == [0, 1, 4, 5, 10, 10]

    def test_a_ladder_gives_market_access_first_and_the_premium_at_the_top(self):
        data = base(years=3)
        data["models"][0] = {
            "id": "ladder",
            "kind": "stepwise_ladder",
            "costs": {"day_rate": 100},
            "levels": [
                {"id": "entry", "audit_days": {"base": 1}},
                {"id": "top", "audit_days": {"base": 2}, "annual_fee": 50},
            ],
        }
        model = run(data).models[0]
        years = model.years
        assert [y.organisations_reached.mean for y in years] == [1, 1, 1]
        assert [y.organisations_certified.mean for y in years] == [0, 1, 1]
        assert [y.miners_by_level for y in years] == [(10, 0), (0, 10), (0, 10)]
        # entry audit 100, then top 250; the premium comes the year after the top
        assert [y.cost for y in years] == [100, 250, 250]
        assert [y.premium for y in years] == [0, 0, 4000]

    def test_on_a_ladder_an_organisation_keeps_its_level_when_the_next_is_too_dear(self):
        data = base(years=3)
        data["models"][0] = {
            "id": "ladder",
            "kind": "stepwise_ladder",
            "costs": {"day_rate": 100},
            "levels": [
                {"id": "entry", "audit_days": {"base": 1}},
                {"id": "top", "audit_days": {"base": 30}},  # 3,000 > 2,000
            ],
        }
        years = run(data).models[0].years
        assert [y.organisations_reached.mean for y in years] == [1, 1, 1]
        assert [y.organisations_held_back for y in years] == [0, 1, 1]
        assert [y.cost for y in years] == [100, 100, 100]

    def test_a_pgs_earns_the_premium_only_where_buyers_recognise_it(self):
        data = base()
        data["models"][0] = {
            "id": "pgs",
            "kind": "pgs",
            "premium_access_share": 0.4,
            "costs": {"peer_review_per_asmo": 100},
        }
        model = run(data).models[0]
        assert [y.premium for y in model.years] == [0, 1600, 1600]
        assert [y.cost for y in model.years] == [100, 100, 100]

    def test_who_is_left_out_by_size_gender_and_licence(self):
        data = base(
            years=1,
            readiness__base=0.0,
            readiness__capacity_gain=1.0,
            willingness__premium_share=1.0,
        )
        data["population"] = {
            "records": [
                {
                    "members": 5,
                    "capacity": 1,
                    "women_share": 0.6,
                    "licence": "formal",
                    "production_g_per_miner_day": 1,
                },
                {
                    "members": 100,
                    "capacity": 0,
                    "women_share": 0.1,
                    "licence": "informal",
                    "production_g_per_miner_day": 1,
                },
            ]
        }
        left = run(data).models[0].left_out
        size = {b.key: b for b in left.by_size}
        assert (size["size-1"].organisations, size["size-1"].not_certified) == (1, 0.0)
        assert (size["size-3"].miners, size["size-3"].not_certified) == (100, 1.0)
        assert size["size-2"].not_certified is None  # nobody with 11–50 members
        women, men = left.by_gender
        assert women.miners == pytest.approx(13)
        assert women.not_certified == pytest.approx(10 / 13)
        assert men.not_certified == pytest.approx(90 / 92)
        licence = {b.key: b.not_certified for b in left.by_licence}
        assert licence["formal"] == 0 and licence["informal"] == 1
        assert licence["partial"] is None
        shares = {b.key: (b.lower, b.upper, b.not_certified) for b in left.by_women_share}
        assert shares["women-1"] == (0.0, 0.1, 1.0)
        assert shares["women-4"] == (0.5, None, 0.0)

    def test_records_replace_the_generated_population_and_missing_values_are_drawn(self):
        data = base()
        scenario, _ = read_scenario(data)
        result = simulate(scenario, records=[{"id": "a", "members": 7}, {"members": 3}])
        assert (result.population.organisations, result.population.miners) == (2, 10)
        assert result.population.source == "records"
        with pytest.raises(ScenarioError) as error:
            simulate(scenario, records=[{"members": 0}, {"members": 2, "licence": "legal"}])
        assert [p.path for p in error.value.problems] == [
            "records[0].members",
            "records[1].licence",
        ]
        with pytest.raises(ScenarioError):
            simulate(scenario, records=[])


# --- the population ---------------------------------------------------------------------------


def test_generated_populations_respect_bounds_and_shares():
    data = base(population__organisations=2000)
    data["population"].update(
        members={"distribution": "lognormal", "median": 30, "sigma": 1.2, "min": 3, "max": 500},
        capacity={"distribution": "beta", "mean": 0.3, "concentration": 4},
        women_share={"distribution": "uniform", "min": 0.1, "max": 0.4},
        production_g_per_miner_day={"distribution": "triangular", "min": 0.1, "mode": 1, "max": 4},
        licence={"formal": 0.2, "partial": 0.3, "in_process": 0.1, "informal": 0.4},
    )
    scenario, problems = read_scenario(data)
    assert problems == []
    orgs = organisations_of(scenario)
    assert orgs.members.min() >= 3 and orgs.members.max() <= 500
    assert 25 <= np.median(orgs.members) <= 35
    assert orgs.capacity.min() >= 0 and orgs.capacity.max() <= 1
    assert orgs.capacity.mean() == pytest.approx(0.3, abs=0.03)
    assert orgs.women_share.min() >= 0.1 and orgs.women_share.max() <= 0.4
    assert orgs.production.max() <= 4
    assert np.bincount(orgs.licence, minlength=4) / 2000 == pytest.approx(
        [0.2, 0.3, 0.1, 0.4], abs=0.04
    )
    again = organisations_of(scenario)
    assert (again.members == orgs.members).all() and (again.order == orgs.order).all()


# --- the scenario format ----------------------------------------------------------------------


class TestBadInput:
    def test_a_negative_cost_names_the_field(self):
        data = base()
        data["models"][0]["costs"]["day_rate"] = -5
        assert problems_of(data) == [
            "models[0].costs.day_rate: A cost cannot be negative (found -5)."
        ]

    def test_a_share_above_one(self):
        messages = problems_of(base(market__share_sold_certified=1.2))
        assert messages == [
            "market.share_sold_certified: A share is between 0 and 1 (found 1.2); "
            "write 0.3 for 30%."
        ]

    def test_an_unknown_model(self):
        data = base()
        data["models"][0]["kind"] = "franchise"
        assert problems_of(data) == [
            "models[0].kind: Unknown model kind 'franchise'; the kinds are: individual, "
            "group_ics, pgs, stepwise_ladder."
        ]

    def test_an_empty_population(self):
        assert problems_of(base(population__organisations=0)) == [
            "population.organisations: The population is empty: give at least one organisation."
        ]
        data = base()
        data["population"] = {"records": []}
        assert problems_of(data) == [
            "population.records: The population is empty: there is no organisation."
        ]

    def test_many_problems_at_once_with_file_and_line(self):
        text = (SCENARIOS / "colombia-200-asmos.yaml").read_text()
        text = text.replace(
            "day_rate: 700                     # USD per auditor day (assumption)\n"
            "      travel_per_visit: 1200",
            "day_rate: -1\n      travel_per_visit: 1200",
            1,
        )
        text = text.replace("formal: 0.15", "formal: 0.5")
        text = text.replace("kind: pgs ", "kind: pgss ")
        text = text.replace("years: 10 ", "yeers: 10 ")
        scenario, problems = load_scenario(text, "bad.yaml")
        assert scenario is None
        lines = text.splitlines()
        found = {p.path: p for p in problems}
        assert set(found) == {
            "",
            "yeers",
            "population.licence",
            "models[0].costs.day_rate",
            "models[2].kind",
        } or set(found) >= {"population.licence", "models[0].costs.day_rate", "models[2].kind"}
        day_rate = found["models[0].costs.day_rate"]
        assert day_rate.source == "bad.yaml"
        assert "day_rate: -1" in lines[day_rate.line - 1]
        assert str(day_rate).startswith(f"bad.yaml:{day_rate.line}: models[0].costs.day_rate: ")
        assert "kind: pgss" in lines[found["models[2].kind"].line - 1]
        assert "add up to 1.3" in found["population.licence"].message
        assert any("yeers" in p.message for p in problems)
        assert any("years is required" in p.message for p in problems)

    def test_yaml_errors_and_duplicate_keys(self):
        _, problems = load_scenario("seed: 1\nseed: 2\n", "dup.yaml")
        assert "duplicate key" in problems[0].message and problems[0].line == 2
        _, problems = load_scenario("- just\n- a list\n", "list.yaml")
        assert problems[0].message.startswith("Expected a mapping")

    @pytest.mark.parametrize(
        ("change", "path", "words"),
        [
            ({"years": 0}, "years", "below the smallest"),
            ({"repetitions": 2.5}, "repetitions", "whole number"),
            ({"seed": "x"}, "seed", "whole number"),
            ({"title": ""}, "title", "Expected a text"),
            (
                {"population__members": {"distribution": "zipf"}},
                "population.members.distribution",
                "Unknown distribution",
            ),
            (
                {"population__capacity": {"distribution": "uniform", "min": 0.8, "max": 0.2}},
                "population.capacity",
                "must not exceed",
            ),
            ({"population__capacity": 1.5}, "population.capacity", "above the largest"),
            (
                {"population__members": {"distribution": "beta", "mean": 0.5, "concentration": 2}},
                "population.members.distribution",
                "only describes shares",
            ),
            (
                {"population__women_share": {"distribution": "lognormal", "median": 0.2}},
                "population.women_share",
                "sigma is required",
            ),
            (
                {"willingness__own_funds_per_member": -1},
                "willingness.own_funds_per_member",
                "cannot be negative",
            ),
            (
                {"readiness__licence_factor": {"formal": 1}},
                "readiness.licence_factor",
                "partial is required",
            ),
            ({"models": []}, "models", "at least one"),
            ({"models__0__subsidy": {"share": 2}}, "models[0].subsidy.share", "between 0 and 1"),
            (
                {"models__0__subsidy": {"share": 0.5, "budget_per_year": -3}},
                "models[0].subsidy.budget_per_year",
                "cannot be negative",
            ),
            (
                {"models__0__support": {"gain_at_zero_capacity": 0.1}},
                "models[0].support",
                "gain_at_full_capacity is required",
            ),
            (
                {"models__0__group": {"max_asmos": 1, "max_miners": 1}},
                "models[0]",
                "Unknown key group",
            ),
            ({"models__0__id": "two words"}, "models[0].id", "not an identifier"),
            ({"report": {"size_bands": [50, 10]}}, "report.size_bands", "increasing"),
            ({"batea_scenario": 2}, "batea_scenario", "Unknown scenario format"),
            (
                {"population__records": [{"members": 3}]},
                "population.organisations",
                "either organisations",
            ),
            (
                {"repetitions": 10_000, "population__organisations": 1000},
                "repetitions",
                "fewer repetitions",
            ),
        ],
    )
    def test_each_mistake_is_named(self, change, path, words):
        found = problems_of(base(**change))
        assert any(p.startswith(f"{path}: ") and words in p for p in found), found

    def test_model_ids_are_unique_and_kind_blocks_required(self):
        data = base()
        data["models"].append(copy.deepcopy(data["models"][0]))
        data["models"].append({"id": "g", "kind": "group_ics"})
        data["models"].append({"id": "l", "kind": "stepwise_ladder", "levels": [{"id": "one"}]})
        found = problems_of(data)
        assert "models[1].id: The id solo is used more than once." in found
        assert "models[2]: The key group is required." in found
        assert any(p.startswith("models[3].levels: A ladder lists from 2") for p in found)


def test_the_shipped_scenarios_load_and_run():
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert len(files) >= 2
    kinds = set()
    for path in files:
        scenario, problems = load_scenario(path.read_bytes(), str(path))
        assert problems == [], [str(p) for p in problems]
        small = dataclasses.replace(scenario, repetitions=20)
        result = simulate(small)
        kinds |= {m.kind for m in result.models}
        assert all(m.final.organisations_certified.mean > 0 for m in result.models)
    assert kinds == set(MODEL_KINDS)


def test_compare_puts_models_of_scenarios_side_by_side():
    one = run(base())
    other = run(base(willingness__premium_share=0.25))
    rows = compare([one, other])
    assert [(r.model, r.organisations_certified.mean) for r in rows] == [("solo", 1), ("solo", 0)]
    assert rows[0].share_of_miners_certified == 1.0
    assert rows[0].break_even_year == 2 and rows[1].break_even_year is None
    assert rows[1].smallest_not_certified == 1.0
    assert set(rows[0].as_dict()) >= {"miners_certified", "cost_per_certified_miner"}


def test_break_even_needs_some_premium():
    assert break_even([0, 0], [0, 0]) is None
    assert break_even([10, 20, 30], [0, 20, 40]) == 2
    assert break_even([10, 20], [5, 10]) is None


# --- invariants -------------------------------------------------------------------------------

costs = st.floats(0, 3000, allow_nan=False).map(lambda v: round(v, 2))
shares = st.floats(0, 1, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def model_data(draw, kind: str, index: int, cap: bool = True) -> dict:
    model = {
        "id": f"m{index}",
        "kind": kind,
        "ease": draw(st.sampled_from([0.5, 1.0, 2.0])),
        "premium_access_share": draw(shares),
        "costs": {
            "day_rate": draw(costs),
            "travel_per_visit": draw(costs),
            "annual_fee": draw(costs),
            "ics_cost_per_member": draw(st.sampled_from([0, 5, 40])),
            "peer_review_per_asmo": draw(st.sampled_from([0, 150])),
            "surveillance_days_share": draw(shares),
        },
    }
    if kind != "group_ics":
        model["costs"]["audit_days"] = {
            "base": draw(st.sampled_from([0, 1, 3])),
            "per_100_members": draw(st.sampled_from([0, 1])),
        }
    if draw(st.booleans()):
        model["subsidy"] = {"share": draw(shares), "years": draw(st.integers(0, 5))}
        if cap and draw(st.booleans()):
            model["subsidy"]["budget_per_year"] = draw(costs)
    if draw(st.booleans()):
        model["support"] = {
            "gain_at_zero_capacity": draw(shares),
            "gain_at_full_capacity": draw(shares),
            "cost_per_asmo_per_year": draw(costs),
            "years": draw(st.integers(0, 5)),
            "reach": draw(shares),
        }
    if kind == "group_ics":
        model["group"] = {
            "max_asmos": draw(st.integers(1, 6)),
            "max_miners": draw(st.integers(20, 400)),
            "sample": draw(
                st.sampled_from(["square_root", "all", {"percentage": 30, "minimum": 2}])
            ),
            "office_audit_days": draw(st.sampled_from([0, 1, 2])),
            "audit_days_per_sampled_asmo": draw(st.sampled_from([0, 0.5])),
            "capacity_boost": draw(shares),
        }
    if kind == "stepwise_ladder":
        model["levels"] = [
            {
                "id": f"l{k}",
                "ease": draw(st.sampled_from([0.5, 1.0, 3.0])),
                "annual_fee": draw(costs),
            }
            for k in range(draw(st.integers(2, 3)))
        ]
    return model


@st.composite
def scenario_data(draw, kinds=MODEL_KINDS, cap: bool = True) -> dict:
    chosen = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=3))
    return {
        "batea_scenario": 1,
        "title": "property",
        "seed": draw(st.integers(0, 2**32)),
        "years": draw(st.integers(1, 5)),
        "repetitions": draw(st.integers(1, 6)),
        "market": {
            "premium_usd_per_kg": draw(st.sampled_from([0, 2000, 4000])),
            "mining_days_per_year": draw(st.sampled_from([0, 150, 250])),
            "share_sold_certified": draw(shares),
        },
        "readiness": {
            "base": draw(shares),
            "capacity_gain": draw(st.floats(-0.5, 1, allow_nan=False)),
            "licence_factor": {
                "formal": 1.0,
                "partial": draw(shares),
                "in_process": draw(shares),
                "informal": draw(shares),
            },
        },
        "willingness": {
            "premium_share": draw(shares),
            "own_funds_per_member": draw(st.sampled_from([0, 10, 50])),
        },
        "population": {
            "organisations": draw(st.integers(1, 12)),
            "members": {
                "distribution": "lognormal",
                "median": 20,
                "sigma": 1,
                "min": 1,
                "max": 300,
            },
            "capacity": {"distribution": "beta", "mean": 0.4, "concentration": 3},
            "women_share": {"distribution": "uniform", "min": 0, "max": 0.6},
            "licence": {"formal": 0.4, "partial": 0.3, "in_process": 0.2, "informal": 0.1},
            "production_g_per_miner_day": {"distribution": "uniform", "min": 0.1, "max": 4},
        },
        "models": [draw(model_data(kind, i, cap)) for i, kind in enumerate(chosen)],
    }


def checked(data: dict):
    scenario, problems = read_scenario(data)
    assert problems == [], [str(p) for p in problems]
    return scenario


@FAST
@given(scenario_data())
def test_same_seed_same_result_and_the_loop_agrees(data):
    scenario = checked(data)
    first = simulate(scenario).as_dict()
    assert simulate(scenario).as_dict() == first
    assert _close(simulate(scenario, reference=True).as_dict(), first)


def _close(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=0.02)
    return a == b


@FAST
@given(scenario_data())
def test_counts_stay_within_the_population_and_money_is_never_negative(data):
    scenario = checked(data)
    result = simulate(scenario)
    population = result.population
    for model in result.models:
        for year in model.years:
            assert 0 <= year.organisations_certified.low <= year.organisations_certified.high
            assert year.organisations_certified.high <= model.eligible_organisations
            assert year.miners_certified.high <= model.eligible_miners + 1e-9
            assert year.miners_certified.mean <= year.miners_reached.mean + 1e-9
            assert year.organisations_certified.mean <= year.organisations_reached.mean + 1e-9
            total = (
                year.organisations_certified.mean
                + year.organisations_in_progress
                + year.organisations_dropped_out
                + year.organisations_not_eligible
            )
            assert total == pytest.approx(population.organisations)
            assert sum(year.miners_by_level) == pytest.approx(year.miners_reached.mean)
            assert min(year.cost_asmo, year.cost_subsidy, year.cost_support, year.premium) >= 0
            assert year.cost_per_certified_miner is None or year.cost_per_certified_miner >= 0
        cumulative = [y.cumulative_cost.mean for y in model.years]
        assert cumulative == sorted(cumulative)
        for band_set in (model.left_out.by_size, model.left_out.by_licence):
            assert sum(b.organisations for b in band_set) == population.organisations
            assert sum(b.miners for b in band_set) == pytest.approx(population.miners)
            assert all(b.not_certified is None or 0 <= b.not_certified <= 1 for b in band_set)


@FAST
@given(scenario_data())
def test_break_even_is_the_first_year_premium_covers_cost(data):
    for model in simulate(checked(data)).models:
        cost = [y.cumulative_cost.mean for y in model.years]
        premium = [y.cumulative_premium.mean for y in model.years]
        expected = next(
            (i + 1 for i, (c, p) in enumerate(zip(cost, premium, strict=True)) if p > 0 and p >= c),
            None,
        )
        assert model.break_even_year == expected
        if expected is None:
            assert model.break_even_share <= 1


@FAST
@given(
    scenario_data(kinds=("individual", "pgs", "stepwise_ladder"), cap=False),
    st.floats(0, 1),
)
def test_more_subsidy_never_lowers_coverage(data, more):
    """The monotone setting: organisations that share no costs (not group_ics), a subsidy
    of the same share every year without a budget cap. With common random numbers a larger
    share lets each organisation take every step the smaller one allows: a level once paid
    for is affordable to keep (surveillance never costs more than the audit that reached it),
    so no organisation is lower on the ladder or out of the programme sooner."""
    less = copy.deepcopy(data)
    for low, high in zip(less["models"], data["models"], strict=True):
        share = low.get("subsidy", {}).get("share", 0.0)
        low["subsidy"] = {"share": share}
        high["subsidy"] = {"share": round(share + (1 - share) * more, 6)}
    fewer, richer = simulate(checked(less)), simulate(checked(data))
    for low, high in zip(fewer.models, richer.models, strict=True):
        for a, b in zip(low.years, high.years, strict=True):
            assert b.miners_certified.mean >= a.miners_certified.mean - 1e-9
            assert b.miners_reached.mean >= a.miners_reached.mean - 1e-9
            assert b.organisations_dropped_out <= a.organisations_dropped_out + 1e-9


@FAST
@given(scenario_data())
def test_with_costs_above_every_benefit_and_no_help_nobody_is_certified(data):
    """Each organisation's yearly cost above its yearly premium; no subsidy, no support, no
    own funds: nobody pays for a certificate."""
    ceiling = 4.0 * data["market"]["mining_days_per_year"] * data["market"]["premium_usd_per_kg"]
    data["willingness"]["own_funds_per_member"] = 0
    for model in data["models"]:
        model.pop("subsidy", None)
        model.pop("support", None)
        # per member: more than the most a member can earn as premium in a year
        model["costs"]["ics_cost_per_member"] = ceiling / 1000 + 1
    for model in simulate(checked(data)).models:
        assert all(y.organisations_certified.high == 0 for y in model.years)
        assert all(y.premium == 0 for y in model.years)
