"""The pathway over a synthetic federation made by `batea synth` (e.g. 1,000,000 members).

    DATABASE_URL=postgres://… python bench/load/pathway_synth.py

Times, twice each, `pathway.evaluate_many` for every synthetic ASMO against the lower bound
of `bench/pathway.py` (one SQL aggregate over the same answers, every row fetched) and
prints the ratio; then `evaluate_standard` for the biggest ASMO alone and for 100 ASMOs
one by one. Not a benchmark module: `python -m bench` does not run it, since it needs the
synthetic data (`make synth`).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from pathlib import Path


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "batea.settings")
    os.environ.setdefault("SECRET_KEY", "pathway-synth-only")
    import django

    django.setup()
    from batea.registry.models import Member, Organisation
    from batea.standards.models import StandardVersion
    from bench import pathway as bench_pathway

    version = (
        StandardVersion.objects.filter(standard__code=bench_pathway.STANDARD)
        .order_by("-imported_at")
        .first()
    )
    asmos = list(Organisation.objects.filter(slug__startswith="synth-asmo-").order_by("slug"))
    if version is None or not asmos:
        raise SystemExit("no synthetic federation here: run `batea synth` first")
    members = Member.objects.filter(organisation__in=asmos).count()
    print(f"{len(asmos):,} synthetic ASMOs, {members:,} members, {version}")
    for attempt in (1, 2):
        start = time.perf_counter()
        rows = bench_pathway.lower_bound(version)
        bound = time.perf_counter() - start
        batch = bench_pathway.evaluate_many_once(asmos, version)
        print(
            f"pass {attempt}: lower bound {bound * 1000:,.0f} ms ({len(rows):,} rows); "
            f"evaluate_many {batch.total * 1000:,.0f} ms ({len(batch.queries)} queries) "
            f"= {batch.total / bound:.1f}x"
        )
    levels = Counter(result.level for result in batch.outcomes.values())
    print("levels:", ", ".join(f"{level} {n:,}" for level, n in levels.most_common()))
    biggest = bench_pathway.evaluate_all(asmos[:1], version)
    print(f"evaluate_standard, {asmos[0].slug}: {biggest.total * 1000:,.0f} ms")
    hundred = bench_pathway.evaluate_all(asmos[:100], version)
    print(f"evaluate_standard, 100 ASMOs one by one: {hundred.total * 1000:,.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
