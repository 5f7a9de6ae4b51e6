"""`batea orgs list [--json] [--kind KIND] [--country CC]`: the organisations registered."""

import json

from django.core.management.base import BaseCommand, CommandError

from batea.domain.access import OrganisationKind
from batea.registry.models import Organisation


class Command(BaseCommand):
    help = "Operate on organisations."

    def add_arguments(self, parser):
        subcommands = parser.add_subparsers(dest="subcommand", required=True)
        listing = subcommands.add_parser("list", help="List organisations.")
        listing.add_argument("--json", action="store_true", help="Print JSON instead of a table.")
        listing.add_argument("--kind", choices=[kind.value for kind in OrganisationKind])
        listing.add_argument("--country", help="ISO 3166-1 alpha-2 code, e.g. CO")

    def handle(self, *args, subcommand, **options):
        if subcommand != "list":  # argparse already restricts the choices
            raise CommandError(f"Unknown subcommand {subcommand}")
        organisations = Organisation.objects.order_by("name")
        if options.get("kind"):
            organisations = organisations.filter(kind=options["kind"])
        if options.get("country"):
            organisations = organisations.filter(country=options["country"].upper())
        rows = [
            {"id": str(o.id), "slug": o.slug, "name": o.name, "kind": o.kind, "country": o.country}
            for o in organisations
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write("No organisations.")
            return
        widths = {key: max(len(key), *(len(r[key]) for r in rows)) for key in rows[0]}
        self.stdout.write("  ".join(key.ljust(widths[key]) for key in widths).rstrip())
        for row in rows:
            self.stdout.write("  ".join(row[key].ljust(widths[key]) for key in widths).rstrip())
