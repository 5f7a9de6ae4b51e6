"""`batea export DATASET --org ORG [--format xlsx|csv|geojson] [--part P] --out FILE`"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from batea.fielddata import cli
from batea.fielddata.exports import (
    DATASETS,
    FORMATS,
    export_csv,
    export_geojson,
    export_xlsx,
    parts_of,
)


class Command(BaseCommand):
    help = "Export an organisation's members, sites, assessments, actions or lots."

    def add_arguments(self, parser):
        parser.add_argument("dataset", choices=DATASETS)
        parser.add_argument("--org", required=True)
        parser.add_argument("--format", choices=FORMATS, default="xlsx")
        parser.add_argument("--part", default="", help="CSV: which part (default the first).")
        parser.add_argument("--out", required=True)

    def handle(self, *args, dataset, **options):
        organisation = cli.organisation(options["org"])
        fmt = options["format"]
        if fmt == "geojson":
            if dataset != "sites":
                raise CommandError("GeoJSON is for sites.")
            content = export_geojson(organisation, None)
        elif fmt == "csv":
            if options["part"] and options["part"] not in parts_of(dataset):
                raise CommandError(f"Parts of {dataset}: {', '.join(parts_of(dataset))}")
            content = export_csv(dataset, organisation, None, options["part"])
        else:
            content = export_xlsx(dataset, organisation, None)
        Path(options["out"]).write_bytes(content)
        self.stdout.write(f"{options['out']}: {dataset} of {organisation.slug} ({fmt})")
