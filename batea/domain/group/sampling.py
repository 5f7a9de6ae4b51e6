"""Risk-based, reproducible external-audit sampling of group members.

Policies (from the standard's `sampling` section): square root of the number of members
(the usual default), EU-style (at least 5 % and never fewer than 10; all when 10 or fewer),
or a fixed percentage. The size is scaled up by the group's risk, split across risk strata so
that higher-risk members are over-represented, and always includes members that a rule says
must be seen (e.g. with an open major non-conformity). The same seed gives the same sample.
"""

import math
import random
from dataclasses import dataclass, field

from batea.domain.messages import Problem, gettext_noop

RISKS = ("high", "medium", "low")
DEFAULT_MULTIPLIERS = {"low": 1.0, "medium": 1.25, "high": 1.5}


class SamplingError(ValueError):
    pass


@dataclass(frozen=True)
class Policy:
    method: str = "square_root"
    percentage: float | None = None
    minimum: int = 1
    risk_multipliers: dict = field(default_factory=lambda: dict(DEFAULT_MULTIPLIERS))
    always_include: tuple[str, ...] = ("open_major_nonconformity",)

    @classmethod
    def from_catalogue(cls, sampling: dict | None) -> "Policy":
        """The policy a standard declares (`sampling` section), else the square-root default."""
        if not sampling:
            return cls()
        return cls(
            method=sampling["method"],
            percentage=sampling.get("percentage"),
            minimum=sampling.get("minimum", 1),
            risk_multipliers={**DEFAULT_MULTIPLIERS, **sampling.get("risk_multipliers", {})},
            always_include=tuple(sampling.get("always_include", ("open_major_nonconformity",))),
        )


@dataclass(frozen=True)
class Candidate:
    member: str
    risk: str = "low"
    open_major_nonconformity: bool = False
    new_member: bool = False


@dataclass(frozen=True)
class Drawn:
    member: str
    risk: str
    reason: Problem


@dataclass
class Sample:
    population: int
    policy: Policy
    seed: int
    base_size: int
    size: int
    arithmetic: list[str]
    strata: dict[str, tuple[int, int]]  # risk → (members, drawn)
    drawn: list[Drawn]


def base_size(population: int, policy: Policy) -> tuple[int, str]:
    """The policy's sample size before risk scaling, with the arithmetic in words."""
    n = population
    if policy.method == "square_root":
        size = math.ceil(math.sqrt(n))
        text = f"√{n} = {math.sqrt(n):.2f} → {size}"
    elif policy.method == "eu_minimum":
        if n <= 10:
            size, text = n, f"{n} members ≤ 10 → all {n}"
        else:
            five = math.ceil(0.05 * n)
            size = max(10, five)
            text = f"max(10, ⌈5 % × {n}⌉ = {five}) = {size}"
    elif policy.method == "percentage":
        if policy.percentage is None:
            raise SamplingError("The percentage method needs a percentage.")
        size = math.ceil(policy.percentage / 100 * n)
        text = f"⌈{policy.percentage} % × {n}⌉ = {size}"
    else:
        raise SamplingError(f"Unknown sampling method {policy.method!r}.")
    if size < policy.minimum:
        text += f"; at least {policy.minimum}"
        size = policy.minimum
    return min(size, n), text


def draw(
    candidates: list[Candidate],
    policy: Policy,
    seed: int,
    growth: float = 1.0,
    growth_reason: str = "",
) -> Sample:
    """Draw the sample, grown by `growth` (e.g. 2 when the ICS proved unreliable).
    Raises SamplingError for an empty group."""
    if not candidates:
        raise SamplingError("The group has no members to sample.")
    population = len(candidates)
    size, first = base_size(population, policy)
    arithmetic = [first]
    multipliers = policy.risk_multipliers
    by_risk = {risk: sorted(c.member for c in candidates if c.risk == risk) for risk in RISKS}
    factor = sum(multipliers.get(c.risk, 1.0) for c in candidates) / population
    scaled = min(population, math.ceil(size * factor - 1e-9))
    if scaled != size:
        arithmetic.append(f"× average risk factor {factor:.3f} → {scaled}")
    size = scaled
    if growth != 1.0:
        grown = min(population, math.ceil(size * growth))
        arithmetic.append(f"× {growth:g} ({growth_reason or 'growth'}) → {grown}")
        size = grown
    forced = sorted((c for c in candidates if _must_include(c, policy)), key=lambda c: c.member)
    if len(forced) > size:
        arithmetic.append(f"{len(forced)} members must be included → {len(forced)}")
        size = len(forced)
    rng = random.Random(seed)
    drawn = [Drawn(c.member, c.risk, _forced_reason(c, policy)) for c in forced]
    taken = {c.member for c in forced}
    remaining = size - len(drawn)
    allocation = _allocate(
        remaining, {r: [m for m in by_risk[r] if m not in taken] for r in RISKS}, multipliers
    )
    for risk in RISKS:
        pool = [m for m in by_risk[risk] if m not in taken]
        chosen = sorted(rng.sample(pool, allocation[risk]))
        drawn += [
            Drawn(
                m,
                risk,
                Problem(
                    "",
                    gettext_noop("Drawn at random from the %(risk)s-risk members (seed %(seed)s)."),
                    {"risk": risk, "seed": seed},
                ),
            )
            for m in chosen
        ]
    strata = {risk: (len(by_risk[risk]), sum(1 for d in drawn if d.risk == risk)) for risk in RISKS}
    return Sample(
        population, policy, seed, base_size(population, policy)[0], size, arithmetic, strata, drawn
    )


def _must_include(candidate: Candidate, policy: Policy) -> bool:
    rules = policy.always_include
    return (
        (candidate.open_major_nonconformity and "open_major_nonconformity" in rules)
        or (candidate.new_member and "new_member" in rules)
        or (candidate.risk == "high" and "high_risk" in rules)
    )


def _forced_reason(candidate: Candidate, policy: Policy) -> Problem:
    if candidate.open_major_nonconformity and "open_major_nonconformity" in policy.always_include:
        return Problem("", gettext_noop("Always included: open major non-conformity."))
    if candidate.new_member and "new_member" in policy.always_include:
        return Problem("", gettext_noop("Always included: new member."))
    return Problem("", gettext_noop("Always included: high risk."))


def _allocate(size: int, pools: dict[str, list[str]], multipliers: dict) -> dict[str, int]:
    """Split `size` across strata in proportion to members × risk multiplier (largest
    remainder), never more than a stratum has."""
    allocation = {risk: 0 for risk in pools}
    left = size
    while left > 0:
        weights = {
            r: len(pools[r]) * multipliers.get(r, 1.0)
            for r in pools
            if len(pools[r]) > allocation[r]
        }
        if not weights:
            break
        total = sum(weights.values())
        shares = {r: left * w / total for r, w in weights.items()}
        whole = {r: min(math.floor(s), len(pools[r]) - allocation[r]) for r, s in shares.items()}
        if sum(whole.values()) == 0:
            # Hand out one at a time by largest remainder, highest risk first on ties.
            best = max(weights, key=lambda r: (shares[r] - math.floor(shares[r]), -RISKS.index(r)))
            whole = {best: 1}
        for r, k in whole.items():
            allocation[r] += k
            left -= k
    return allocation


def cohens_kappa(pairs: list[tuple[str, str]]) -> tuple[float, float]:
    """Agreement rate and Cohen's kappa between two raters' labels on the same items."""
    if not pairs:
        raise SamplingError("No paired results to compare.")
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    labels = {a for a, _ in pairs} | {b for _, b in pairs}
    expected = sum(
        (sum(a == label for a, _ in pairs) / n) * (sum(b == label for _, b in pairs) / n)
        for label in labels
    )
    kappa = 1.0 if expected == 1 else (observed - expected) / (1 - expected)
    return observed, kappa
