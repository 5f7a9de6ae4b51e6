"""The same model as `model.run`, one organisation at a time in plain Python.

Slow on purpose: it states the model as a loop, so the tests check the vectorised run
against it on small scenarios (same random numbers, same results) and the benchmark uses
it as the baseline.
"""

from __future__ import annotations

import numpy as np

from batea.domain.simulator.model import (
    TOLERANCE,
    Run,
    Setup,
    empty_run,
    group_cost,
    in_force,
    setup,
)
from batea.domain.simulator.population import Organisations
from batea.domain.simulator.scenario import Model, Scenario


def run_reference(
    model: Model,
    scenario: Scenario,
    organisations: Organisations,
    seed_sequence: np.random.SeedSequence,
    s: Setup | None = None,
) -> Run:
    s = s or setup(model, scenario, organisations)
    rng = np.random.default_rng(seed_sequence)
    R, N, T, K = scenario.repetitions, organisations.size, scenario.years, s.levels
    out = empty_run(R, T, K, N)
    reach = rng.random((R, N)).tolist()
    draws = [rng.random((R, N)).tolist() for _ in range(T)]
    n = [float(v) for v in organisations.members]
    base = s.base_chance.tolist()
    factor = s.support_factor.tolist()
    gain = s.support_gain.tolist()
    initial = s.initial_audit.tolist()
    surveillance = s.surveillance_audit.tolist()
    internal = s.internal.tolist()
    premium_at = s.premium.tolist()
    willingness = s.willingness.tolist()
    groups = s.groups.tolist()
    support, subsidy = model.support, model.subsidy
    for r in range(R):
        level = [0] * N
        active = [bool(e) for e in s.eligible]
        supported = [support is not None and reach[r][i] < support.reach for i in range(N)]
        for t in range(T):
            year = t + 1
            u = draws[t][r]
            helped = support is not None and in_force(support.years, year)
            advance = [False] * N
            for i in range(N):
                if active[i] and level[i] < K:
                    k = level[i]
                    chance = base[k][i]
                    if helped:
                        chance = chance + factor[k][i] * (gain[i] if supported[i] else 0.0)
                    advance[i] = u[i] < min(max(chance, 0.0), 1.0)

            def group_shares(audited):
                counts: dict[int, int] = {}
                miners: dict[int, float] = {}
                for i in range(N):
                    if audited[i]:
                        counts[groups[i]] = counts.get(groups[i], 0) + 1
                        miners[groups[i]] = miners.get(groups[i], 0.0) + n[i]
                shares = [0.0] * N
                for i in range(N):
                    if audited[i]:
                        g = groups[i]
                        cost = float(group_cost(model, np.array([counts[g]]))[0])
                        shares[i] = cost / miners[g] * n[i]
                return shares

            if model.group is not None:
                audited = [active[i] and (advance[i] or level[i] >= 1) for i in range(N)]
                shares = group_shares(audited)
                cost = [internal[i] + shares[i] if active[i] else 0.0 for i in range(N)]
                hold = [internal[i] if active[i] else 0.0 for i in range(N)]
            else:
                hold = [
                    internal[i] + surveillance[level[i]][i] if active[i] else 0.0 for i in range(N)
                ]
                cost = [
                    (internal[i] + initial[level[i] + 1][i] if active[i] else 0.0)
                    if advance[i]
                    else hold[i]
                    for i in range(N)
                ]
            share = None
            if subsidy is not None and in_force(subsidy.years, year):
                share = subsidy.share
                wanted = subsidy.share * sum(cost)
                if subsidy.budget_per_year is not None and wanted > subsidy.budget_per_year:
                    share = subsidy.share * subsidy.budget_per_year / wanted

            def own(amount, share=share):
                return amount - (amount * share if share is not None else 0.0)

            stay, held = [False] * N, [False] * N
            for i in range(N):
                if not active[i]:
                    continue
                if own(cost[i]) <= willingness[i] + TOLERANCE:
                    stay[i] = True
                elif advance[i] and own(hold[i]) <= willingness[i] + TOLERANCE:
                    stay[i] = held[i] = True
                    advance[i] = False
                    cost[i] = hold[i]
                if not stay[i]:
                    advance[i] = False
            if model.group is not None:
                shares = group_shares([stay[i] and (advance[i] or level[i] >= 1) for i in range(N)])
                cost = [internal[i] + shares[i] if stay[i] else 0.0 for i in range(N)]
            else:
                cost = [cost[i] if stay[i] else 0.0 for i in range(N)]
            paid = [c * share if share is not None else 0.0 for c in cost]
            out.organisations_held_back[r, t] = sum(held)
            premium = [premium_at[level[i]][i] if stay[i] else 0.0 for i in range(N)]
            working = sum(1 for i in range(N) if stay[i] and level[i] < K and supported[i])
            for i in range(N):
                if advance[i]:
                    level[i] += 1
            active = stay
            if helped:
                out.support[r, t] = working * support.cost_per_asmo_per_year
            for i in range(N):
                if not active[i]:
                    continue
                if level[i] == K:
                    out.organisations_certified[r, t] += 1
                    out.miners_certified[r, t] += n[i]
                else:
                    out.organisations_in_progress[r, t] += 1
                if level[i] >= 1:
                    out.organisations_reached[r, t] += 1
                    out.miners_reached[r, t] += n[i]
                    out.miners_by_level[r, t, level[i] - 1] += n[i]
            out.organisations_dropped[r, t] = sum(s.eligible) - sum(active)
            out.cost_asmo[r, t] = sum(c - p for c, p in zip(cost, paid, strict=True))
            out.subsidy[r, t] = sum(paid)
            out.premium[r, t] = sum(premium)
        for i in range(N):
            out.certified_final[r, i] = active[i] and level[i] == K
            out.reached_final[r, i] = active[i] and level[i] >= 1
    return out
