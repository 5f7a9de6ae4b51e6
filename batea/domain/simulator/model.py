"""The scale-up model, vectorised over repetitions × organisations with numpy.

One year of one model, for every repetition r and organisation i still in the programme
(docs/simulator.md has the same with words and an example):

1. chance of closing the gaps to the next level k:
   p = clip((base + capacity_gain·c' + support) · licence_factor_k[licence] · ease_k, 0, 1),
   c' = c + capacity_boost·(1 − c) (an ICS lifts capacity, group_ics only); support =
   g0 + (g1 − g0)·c during the support years for organisations the programme reaches;
   the organisation closes them when its uniform draw u < p (one level a year at most);
2. this year's certification cost: internal costs (ICS per member, peer review) every year,
   plus an audit (initial at the new level if it advances, else surveillance at its level,
   none before the first level): days × day rate, travel, annual fee; in `group_ics` the
   group's external audit (office days, days × ⌈√k⌉ sampled organisations, travel, one fee)
   is shared among the k audited organisations in proportion to their members;
3. subsidy: a share of each cost, scaled down pro rata when the year's budget is exceeded;
4. drop-out: what an organisation is willing to pay in a year is premium_share × its
   expected yearly premium once certified + own funds per member × members × capacity; if
   its own part (cost − subsidy) is more, it holds back from the step (stays at its level,
   paying that level's costs) and, if even that is more, it leaves the programme for good
   (no cost, no premium that year);
5. premium: organisations certified at the start of the year earn members × g/miner/day ×
   days × share sold certified × premium access share of their level × premium USD/g.

The random numbers come from one stream per scenario seed, drawn in a fixed order whatever
the parameters (the support-reach draw, then one uniform per organisation per year), and
every model of a scenario uses the same stream: models are compared on common random
numbers, and adding a model changes no other model's results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from batea.domain.simulator.population import Organisations, form_groups
from batea.domain.simulator.scenario import LICENCE_STATUSES, Group, Model, Scenario

TOLERANCE = 1e-9  # money compared for drop-out: a cent's fraction is not a reason to leave


@dataclass
class Setup:
    """What one model makes of the population: constants per level and organisation."""

    levels: int  # K
    eligible: np.ndarray  # (N,) bool
    groups: np.ndarray  # (N,) group index, -1 when not in a group (or no groups)
    group_count: int
    base_chance: np.ndarray  # (K, N): the chance without support, before clipping
    support_factor: np.ndarray  # (K, N): what one unit of support adds to the chance
    support_gain: np.ndarray  # (N,)
    initial_audit: np.ndarray  # (K + 1, N): cost of the audit that reaches level k (0: none)
    surveillance_audit: np.ndarray  # (K + 1, N): cost of a year's audit at level k
    internal: np.ndarray  # (N,): ICS and peer-review costs a year
    premium: np.ndarray  # (K + 1, N): premium a year at level k
    willingness: np.ndarray  # (N,)


def setup(model: Model, scenario: Scenario, organisations: Organisations) -> Setup:
    n = organisations.members.astype(float)
    capacity = organisations.capacity
    levels = len(model.levels)
    readiness = scenario.readiness
    boost = model.group.capacity_boost if model.group else 0.0
    effective = capacity + boost * (1 - capacity)
    base = np.empty((levels, organisations.size))
    factor = np.empty((levels, organisations.size))
    initial = np.zeros((levels + 1, organisations.size))
    surveillance = np.zeros((levels + 1, organisations.size))
    premium = np.zeros((levels + 1, organisations.size))
    market = scenario.market
    yearly_gold_g = n * organisations.production * market.mining_days_per_year
    usd_per_g = market.premium_usd_per_kg / 1000
    for k, level in enumerate(model.levels):
        licence = np.array([level.licence_factor[s] for s in LICENCE_STATUSES])[
            organisations.licence
        ]
        factor[k] = licence * level.ease
        base[k] = (readiness.base + readiness.capacity_gain * effective) * factor[k]
        if model.kind != "group_ics":
            days = level.audit_days_base + level.audit_days_per_100_members * n / 100
            travel = np.where(days > 0, level.travel_per_visit, 0.0)
            initial[k + 1] = days * model.day_rate + travel + level.annual_fee
            surveillance[k + 1] = (
                days * model.surveillance_days_share * model.day_rate + travel + level.annual_fee
            )
        premium[k + 1] = (
            yearly_gold_g * market.share_sold_certified * level.premium_access_share * usd_per_g
        )
    support = model.support
    gain = (
        support.gain_at_zero_capacity
        + (support.gain_at_full_capacity - support.gain_at_zero_capacity) * capacity
        if support
        else np.zeros(organisations.size)
    )
    willingness = (
        scenario.willingness.premium_share * premium[levels]
        + scenario.willingness.own_funds_per_member * n * capacity
    )
    if model.group is not None:
        groups = form_groups(organisations, model.group)
        eligible = groups >= 0
        group_count = int(groups.max()) + 1 if eligible.any() else 0
    else:
        groups = np.full(organisations.size, -1, dtype=np.int64)
        eligible = np.ones(organisations.size, dtype=bool)
        group_count = 0
    return Setup(
        levels=levels,
        eligible=eligible,
        groups=groups,
        group_count=group_count,
        base_chance=base,
        support_factor=factor,
        support_gain=gain,
        initial_audit=initial,
        surveillance_audit=surveillance,
        internal=n * model.ics_cost_per_member + model.peer_review_per_asmo,
        premium=premium,
        willingness=willingness,
    )


def sample_size(audited: np.ndarray, group: Group) -> np.ndarray:
    """Organisations the external auditor visits in a group of `audited` audited ones."""
    k = np.asarray(audited, dtype=float)
    if group.sample == "all":
        size = k
    elif group.sample == "square_root":
        size = np.ceil(np.sqrt(k))
    else:
        size = np.maximum(
            np.ceil(k * group.sample_percentage / 100), np.minimum(group.sample_minimum, k)
        )
    return np.where(k > 0, np.minimum(size, k), 0.0)


def group_cost(model: Model, audited_count: np.ndarray) -> np.ndarray:
    """Cost of each group's external audit for the year, from its audited organisations."""
    group = model.group
    visits = sample_size(audited_count, group)
    days = group.office_audit_days + group.audit_days_per_sampled_asmo * visits
    cost = days * model.day_rate + visits * model.travel_per_visit + model.levels[0].annual_fee
    return np.where(audited_count > 0, cost, 0.0)


@dataclass
class Run:
    """Per-repetition results of one model: (R, T) series and the final states (R, N)."""

    organisations_certified: np.ndarray
    miners_certified: np.ndarray
    organisations_reached: np.ndarray
    miners_reached: np.ndarray
    miners_by_level: np.ndarray  # (R, T, K)
    organisations_in_progress: np.ndarray
    organisations_held_back: np.ndarray  # ready for the next level, but not paying for it
    organisations_dropped: np.ndarray
    cost_asmo: np.ndarray
    subsidy: np.ndarray
    support: np.ndarray
    premium: np.ndarray
    certified_final: np.ndarray  # (R, N) bool
    reached_final: np.ndarray  # (R, N) bool


def empty_run(repetitions: int, years: int, levels: int, size: int) -> Run:
    def series():
        return np.zeros((repetitions, years))

    return Run(
        organisations_certified=series(),
        miners_certified=series(),
        organisations_reached=series(),
        miners_reached=series(),
        miners_by_level=np.zeros((repetitions, years, levels)),
        organisations_in_progress=series(),
        organisations_held_back=series(),
        organisations_dropped=series(),
        cost_asmo=series(),
        subsidy=series(),
        support=series(),
        premium=series(),
        certified_final=np.zeros((repetitions, size), dtype=bool),
        reached_final=np.zeros((repetitions, size), dtype=bool),
    )


def in_force(years: int | None, year: int) -> bool:
    """Whether a subsidy or support programme of `years` years runs in `year` (1-based)."""
    return years is None or year <= years


def run(
    model: Model,
    scenario: Scenario,
    organisations: Organisations,
    seed_sequence: np.random.SeedSequence,
    s: Setup | None = None,
) -> Run:
    """Simulate one model over the scenario's years and repetitions (vectorised)."""
    s = s or setup(model, scenario, organisations)
    rng = np.random.default_rng(seed_sequence)
    R, N, T, K = scenario.repetitions, organisations.size, scenario.years, s.levels
    out = empty_run(R, T, K, N)
    n = organisations.members.astype(float)
    level = np.zeros((R, N), dtype=np.int8)
    active = np.repeat(s.eligible[None, :], R, axis=0)
    reach = rng.random((R, N))
    support, subsidy = model.support, model.subsidy
    supported_gain = (reach < support.reach) * s.support_gain if support else None
    if model.group is not None:
        G = s.group_count + 1  # the last one holds organisations outside any group
        group_of = np.where(s.groups >= 0, s.groups, s.group_count)
        flat = (np.arange(R)[:, None] * G + group_of[None, :]).ravel()

    def group_shares(audited: np.ndarray) -> np.ndarray:
        counts = np.bincount(flat, weights=audited.ravel(), minlength=R * G).reshape(R, G)
        miners = np.bincount(flat, weights=(audited * n).ravel(), minlength=R * G).reshape(R, G)
        cost = group_cost(model, counts)
        cost[:, -1] = 0.0
        per_miner = np.divide(cost, miners, out=np.zeros_like(cost), where=miners > 0)
        return per_miner.ravel()[flat].reshape(R, N) * n * audited

    limit = s.willingness + TOLERANCE

    def miners(mask: np.ndarray) -> np.ndarray:
        """Members of the organisations in `mask`, per repetition (faster than mask @ n)."""
        return np.where(mask, n, 0.0).sum(axis=1)

    # Tables by level (K + 1 rows, the top's "next step" rows zero), read for every cell by
    # its level.
    zero = np.zeros((1, N))
    chance_of = np.vstack([s.base_chance, zero])
    factor_of = np.vstack([s.support_factor, zero])
    step_of = np.vstack([s.initial_audit[1:], zero])
    keep_of = s.surveillance_audit
    premium_of = s.premium
    supported = reach < support.reach if support else None

    for t in range(T):
        year = t + 1
        u = rng.random((R, N))
        at_level = [level == k for k in range(1, K + 1)]

        def at(table, at_level=at_level):
            """table[level] for every cell (a few `where`s beat a fancy-indexed `take`)."""
            value = np.where(at_level[0], table[1], table[0])
            for k in range(2, K + 1):
                value = np.where(at_level[k - 1], table[k], value)
            return value

        helped = support is not None and in_force(support.years, year)
        chance = at(chance_of)
        if helped:
            chance = chance + at(factor_of) * supported_gain
        advance = active & (u < chance)  # the top level's chance is 0: nobody advances
        # this year's cost if the organisation takes the step it is ready for, and if it holds
        if model.group is not None:
            audited = active & (advance | (level >= 1))
            cost = (s.internal + group_shares(audited)) * active
            hold = s.internal * active  # only organisations at level 0 advance
        else:
            hold = (s.internal + at(keep_of)) * active
            cost = np.where(advance, s.internal + at(step_of), hold)
        share = None
        if subsidy is not None and in_force(subsidy.years, year):
            share = np.full((R, 1), subsidy.share)
            if subsidy.budget_per_year is not None:
                wanted = subsidy.share * cost.sum(axis=1, keepdims=True)
                share = np.where(
                    wanted > subsidy.budget_per_year,
                    subsidy.share * subsidy.budget_per_year / np.maximum(wanted, 1e-300),
                    share,
                )
        # drop-out: too dear → hold back from the step; still too dear → leave
        affordable = (cost - cost * share if share is not None else cost) <= limit
        held = advance & ~affordable
        if held.any():
            held &= (hold - hold * share if share is not None else hold) <= limit
        stay = active & (affordable | held)
        advance &= affordable
        premium = at(premium_of) * stay  # earned at the level held when the year starts
        if helped:
            working = np.count_nonzero(stay & (level < K) & supported, axis=1)
            out.support[:, t] = working * support.cost_per_asmo_per_year
        if model.group is not None:
            cost = s.internal * stay + group_shares(stay & (advance | (level >= 1)))
        else:
            cost = np.where(held, hold, cost) * stay
        active = stay
        level = level + advance.astype(np.int8)
        total = cost.sum(axis=1)
        paid = total * share[:, 0] if share is not None else np.zeros(R)
        certified = active & (level == K)
        reached = active & (level >= 1)
        out.organisations_certified[:, t] = np.count_nonzero(certified, axis=1)
        out.miners_certified[:, t] = miners(certified)
        out.organisations_reached[:, t] = np.count_nonzero(reached, axis=1)
        out.miners_reached[:, t] = miners(reached)
        for k in range(1, K):
            out.miners_by_level[:, t, k - 1] = miners(active & (level == k))
        out.miners_by_level[:, t, K - 1] = out.miners_certified[:, t]
        out.organisations_held_back[:, t] = np.count_nonzero(held, axis=1)
        out.organisations_dropped[:, t] = s.eligible.sum() - np.count_nonzero(active, axis=1)
        out.organisations_in_progress[:, t] = (
            np.count_nonzero(active, axis=1) - out.organisations_certified[:, t]
        )
        out.cost_asmo[:, t] = total - paid
        out.subsidy[:, t] = paid
        out.premium[:, t] = premium.sum(axis=1)
    out.certified_final = active & (level == K)
    out.reached_final = active & (level >= 1)
    return out
