"""`batea trace LOT [--forward] [--json]` — where a lot comes from, or where it went."""

import contextlib
import json
import uuid

from django.core.management.base import BaseCommand, CommandError

from batea.custody.api import trace_data
from batea.custody.models import Lot


def find_lot(key: str) -> Lot:
    """A lot by code or id (the operator sees every lot)."""
    lots = Lot.objects.select_related("organisation")
    lot = lots.filter(code=key).first()
    if lot is None:
        with contextlib.suppress(ValueError):
            lot = lots.filter(pk=uuid.UUID(key)).first()
    if lot is None:
        raise CommandError(f"No lot {key!r}: give a lot code (e.g. LOT-3F1C…) or id.")
    return lot


def _percent(share: str) -> str:
    return f"{float(share) * 100:7.2f} %"


def _grams(value: str) -> str:
    return f"{float(value):12,.3f}"


class Command(BaseCommand):
    help = (
        "Trace a lot back to its origin sites and members with their shares of its fine "
        "content, or --forward to the lots made from it and their buyers."
    )

    def add_arguments(self, parser):
        parser.add_argument("lot", help="Lot code or id")
        parser.add_argument(
            "--forward", action="store_true", help="Where the lot went, not where it came from"
        )
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        lot = find_lot(options["lot"])
        direction = "forward" if options["forward"] else "back"
        data = trace_data(lot, direction)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{lot.code}: {float(lot.fine_g):,.3f} g fine ({lot.kind}, {float(lot.mass_g):,.3f} g "
            f"at {float(lot.fineness):g} ‰), {lot.status}, held by {lot.organisation.name}"
        )
        if direction == "back":
            self._back(data)
        else:
            self._forward(data)

    def _back(self, data: dict) -> None:
        self.stdout.write(f"Origins, up to {data['depth']} custody step(s) back:")
        self.stdout.write(f"  {'share':>9} {'fine g':>12}  site")
        for row in data["sites"]:
            self.stdout.write(f"  {_percent(row['share'])} {_grams(row['fine_g'])}  {_site(row)}")
        self.stdout.write("Members:")
        for row in data["origins"]:
            who = row["member_name"] or "(members not recorded)"
            self.stdout.write(
                f"  {_percent(row['share'])} {_grams(row['fine_g'])}  {who} — {_site(row)}"
            )

    def _forward(self, data: dict) -> None:
        if data["sold_to"]:
            self.stdout.write(f"Sold to {data['sold_to']}.")
        if not data["descendants"]:
            self.stdout.write("Nothing was made from it.")
        else:
            self.stdout.write("Made from it (part of each that comes from this lot):")
            for row in data["descendants"]:
                sold = f", sold to {row['sold_to']}" if row["sold_to"] else ""
                self.stdout.write(
                    f"  {'  ' * (row['depth'] - 1)}{row['code']} {row['kind']}: "
                    f"{_percent(row['share']).strip()} of {float(row['fine_g']):,.3f} g fine, "
                    f"{row['status']} at {row['holder_name']}{sold}"
                )
        if data["buyers"]:
            self.stdout.write("Buyers (fine grams from this lot):")
            for row in data["buyers"]:
                self.stdout.write(f"  {_grams(row['fine_g'])}  {row['buyer']}")


def _site(row: dict) -> str:
    if row["site_name"]:
        return f"{row['site_name']} ({row['site_code']}), {row['organisation_name']}"
    if row["organisation_name"]:
        return f"a site of {row['organisation_name']}"
    return "unknown origin"
