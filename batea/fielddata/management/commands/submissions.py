"""`batea submissions import FILE --org ORG --user USER [--standard ID]`"""

from django.core.management.base import BaseCommand

from batea.fielddata import cli
from batea.fielddata.submissions import import_submissions


class Command(BaseCommand):
    help = "Import KoboToolbox / ODK submissions (CSV, XLSX or Kobo API JSON) as assessments."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        importer = sub.add_parser("import", help="Import an export of submissions.")
        importer.add_argument("file")
        importer.add_argument("--org", required=True, help="Organisation slug.")
        importer.add_argument(
            "--user",
            required=True,
            help="Who records the assessments (their role must allow the kind).",
        )
        importer.add_argument(
            "--standard", default="", help="When the export lacks Batea's hidden fields."
        )
        importer.add_argument("--version", default="", help="With --standard.")
        importer.add_argument(
            "--map-retired",
            action="store_true",
            help="Record submissions of a retired version against the current one, "
            "requirement by requirement id.",
        )

    def handle(self, *args, subcommand, **options):
        organisation = cli.organisation(options["org"])
        user = cli.user(options["user"])
        content = cli.read(options["file"])
        report = import_submissions(
            user,
            organisation,
            content,
            options["file"],
            standard=options["standard"],
            version=options["version"],
            remap_retired=options["map_retired"],
            progress=cli.ProgressBar(self.stderr, "submissions"),
            via="cli",
        )
        cli.finish(self, report)
