"""Risk classification and external-audit sampling for a group of 100,000 members.

Pure domain work (no database): `classify` for every member, then `draw` under each policy.
The baseline for the same data size is one pass that only counts members per risk class —
the least any sampler must do — so the ratio shows the cost of the explainable rules and
the stratified, reproducible draw.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import date, timedelta

from bench import Measurement, Options, Report, measure

GROUP_SIZE = int(os.environ.get("BENCH_SAMPLING_MEMBERS", "100000"))
TODAY = date(2026, 6, 1)


def synthetic_facts(size: int):
    """Deterministic members with a realistic spread of risk factors."""
    from batea.domain.group.risk import MemberFacts

    rng = random.Random(20261129)
    facts = []
    for i in range(size):
        facts.append(
            MemberFacts(
                member=f"m{i:07d}",
                joined_on=TODAY - timedelta(days=rng.randint(10, 4000)),
                open_nonconformities=1 if rng.random() < 0.05 else 0,
                past_nonconformities=1 if rng.random() < 0.15 else 0,
                last_inspected_on=(
                    TODAY - timedelta(days=rng.randint(1, 500)) if rng.random() < 0.8 else None
                ),
                uses_mercury=rng.random() < 0.3,
                holding_hectares=rng.uniform(0.5, 20),
                site_attributes={"child_labour_reported": rng.random() < 0.01},
            )
        )
    return facts


def run(options: Options) -> Report:
    from batea.domain.group.risk import classify
    from batea.domain.group.sampling import Candidate, Policy, draw

    facts = synthetic_facts(GROUP_SIZE)
    repeat = max(3, min(options.repeat, 5))
    results = []

    def classify_all():
        results[:] = [classify(f, TODAY) for f in facts]

    def count_only():
        Counter(f.uses_mercury or f.open_nonconformities > 0 for f in facts)

    classify_time = measure(classify_all, repeat, 1)
    baseline = measure(count_only, repeat, 1)
    candidates = [
        Candidate(r.member, r.risk, open_major_nonconformity=f.open_nonconformities > 0)
        for r, f in zip(results, facts, strict=True)
    ]
    measurements = [
        Measurement(
            "risk classification",
            GROUP_SIZE,
            "domain.group.risk.classify",
            classify_time,
            baseline,
            0,
            GROUP_SIZE,
        )
    ]
    sizes = {}
    for method, policy in (
        ("square_root", Policy("square_root")),
        ("eu_minimum", Policy("eu_minimum")),
        ("percentage 5", Policy("percentage", percentage=5)),
    ):
        sample_time = measure(lambda p=policy: draw(candidates, p, seed=7), repeat, 1)
        sizes[method] = draw(candidates, policy, seed=7).size
        measurements.append(
            Measurement(
                f"sample ({method})",
                GROUP_SIZE,
                "domain.group.sampling.draw",
                sample_time,
                baseline,
                0,
                sizes[method],
            )
        )
    risks = Counter(r.risk for r in results)
    return Report(
        name="sampling",
        description=f"Risk classification and sampling of a group of {GROUP_SIZE:,} members",
        measurements=measurements,
        checks={
            "deterministic sample": draw(candidates, Policy(), seed=7).drawn
            == draw(candidates, Policy(), seed=7).drawn
        },
        notes=[f"risk classes: {dict(risks)}", f"sample sizes: {sizes}"],
        context={
            "members": GROUP_SIZE,
            "database": "none (pure Python, no database)",
            "database_version": "-",
            "django": __import__("django").get_version(),
            "repeat": repeat,
            "warmup": 1,
            "baseline": "one pass counting members by risk factor",
        },
    )
