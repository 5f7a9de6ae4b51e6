"""The addresses the load test requests, read from a database `batea synth` filled.

    DATABASE_URL=postgres://… python bench/load/targets.py > /tmp/batea-load-targets.json

Prints JSON: the biggest synthetic ASMO (slug, id, number of member pages), some of its
members, some ASMOs of the federation, bars sold by the first refinery (to trace), and the
certificate. The locustfile reads it from the file named by LOAD_TARGETS.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

SAMPLE = 200


def targets() -> dict:
    """What to request: ids and slugs of the synthetic federation."""
    from django.db.models import Count

    from batea.certification.models import Certificate
    from batea.custody.models import Lot
    from batea.registry.models import Member, Organisation

    asmos = Organisation.objects.filter(slug__startswith="synth-asmo-")
    biggest = asmos.annotate(n=Count("members")).order_by("-n").first()
    if biggest is None:
        raise SystemExit("no synthetic ASMO here: run `batea synth` first")
    members = Member.objects.filter(organisation=biggest).order_by("member_number")
    step = max(1, biggest.n // SAMPLE)
    refinery = Organisation.objects.get(slug="synth-refinery-001")
    bars = Lot.objects.filter(organisation=refinery, status="sold").order_by("code")
    return {
        "asmo": {"slug": biggest.slug, "id": str(biggest.pk), "members": biggest.n},
        "pages": max(1, -(-biggest.n // 50)),
        "members": [str(pk) for pk in members.values_list("id", flat=True)[::step][:SAMPLE]],
        "family_names": ["Cuesta", "Mena", "Rivas", "Zapata", "Angulo"],
        "asmos": list(asmos.order_by("slug").values_list("slug", flat=True)[:SAMPLE]),
        "bars": [str(code) for code in bars.values_list("code", flat=True)[:SAMPLE]],
        "bar_ids": [str(pk) for pk in bars.values_list("id", flat=True)[:SAMPLE]],
        "certificate": str(Certificate.objects.filter(organisation=biggest).first().pk),
    }


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "batea.settings")
    os.environ.setdefault("SECRET_KEY", "load-targets-only")
    import django

    django.setup()
    json.dump(targets(), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
