"""`batea epcis export [--org ORG] [--since DATE] --out FILE` — EPCIS 2.0 JSON-LD."""

import contextlib
import json
import uuid
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from batea.custody import epcis
from batea.registry.models import Organisation


def find_organisation(key: str) -> Organisation:
    query = Q(slug=key)
    with contextlib.suppress(ValueError):
        query |= Q(pk=uuid.UUID(key))
    found = Organisation.objects.filter(query).first()
    if found is None:
        raise CommandError(f"No organisation {key!r}; see `batea orgs list`.")
    return found


class Command(BaseCommand):
    help = "Export custody events as an EPCIS 2.0 JSON-LD document, validated against GS1's schema."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        export = sub.add_parser("export", help="Write an EPCIS document of custody events.")
        export.add_argument("--org", help="Only events of this organisation (slug or id)")
        export.add_argument("--since", help="Only events on or after this date, YYYY-MM-DD")
        export.add_argument("--out", required=True, help="The file to write ('-' for stdout)")
        export.add_argument(
            "--schema",
            default=str(epcis.SCHEMA_PATH),
            help="GS1's EPCIS JSON schema (default: %(default)s)",
        )

    def handle(self, *args, subcommand, **options):
        organisation = find_organisation(options["org"]) if options.get("org") else None
        since = None
        if options.get("since"):
            try:
                since = date.fromisoformat(options["since"])
            except ValueError as error:
                raise CommandError(
                    f"--since {options['since']!r} is not a date; use YYYY-MM-DD."
                ) from error
        try:
            document = epcis.export(None, organisation, since)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        text = json.dumps(document, ensure_ascii=False, indent=2)
        count = len(document["epcisBody"]["eventList"])
        schema = Path(options["schema"])
        errors = epcis.validate(document, schema) if schema.exists() else None
        if options["out"] == "-":
            self.stdout.write(text)
        else:
            try:
                Path(options["out"]).write_text(text + "\n", encoding="utf-8")
            except OSError as error:
                raise CommandError(f"Cannot write {options['out']}: {error}") from error
        report = self.stderr if options["out"] == "-" else self.stdout
        scope = f" of {organisation.name}" if organisation else ""
        since_text = f" since {since.isoformat()}" if since else ""
        target = "" if options["out"] == "-" else f" to {options['out']}"
        report.write(f"Wrote {count} EPCIS event(s){scope}{since_text}{target}.")
        if errors is None:
            report.write(f"Not validated: the schema {schema} is not there.")
        elif errors:
            for problem in errors[:50]:
                self.stderr.write(problem)
            raise CommandError(f"The document does not validate against {schema}.")
        else:
            report.write(f"Valid against {schema}.")
