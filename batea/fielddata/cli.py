"""Shared pieces of the field-data commands: reading files, a progress bar on stderr and
the all-or-nothing report with exit status 1."""

import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from batea.registry.models import Organisation

MAX_CLI_FILE_BYTES = 200 * 1024 * 1024


def organisation(slug: str) -> Organisation:
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        raise CommandError(f"No organisation {slug!r} (see: batea orgs list).")
    return found


def user(username: str | None):
    if not username:
        return None
    found = get_user_model().objects.filter(username=username).first()
    if found is None:
        raise CommandError(f"No user {username!r}.")
    return found


def read(path: str) -> bytes:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_CLI_FILE_BYTES:
            raise CommandError(f"{path}: larger than {MAX_CLI_FILE_BYTES // 2**20} MB.")
        return file.read_bytes()
    except OSError as error:
        raise CommandError(str(error)) from error


class ProgressBar:
    """`[#######             ] 35%  35,000 / 100,000 rows` on stderr, redrawn in place at
    most five times a second."""

    def __init__(self, stream, label: str = "rows", width: int = 30):
        self.stream = stream
        self.label = label
        self.width = width
        self.last = 0.0
        self.shown = False
        self.finished = -1  # the total last drawn complete: a later pass redraws from 0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.finished == total or (done < total and now - self.last < 0.2):
            return
        self.last = now
        share = done / total if total else 1.0
        filled = int(self.width * share)
        bar = "#" * filled + " " * (self.width - filled)
        self.stream.write(f"\r[{bar}] {share:4.0%}  {done:,} / {total:,} {self.label}", ending="")
        self.stream.flush()
        self.shown = True
        if done >= total:
            self.finished = total
            self.stream.write("")
        elif done == 0:
            self.finished = -1


def finish(command, report) -> None:
    """Print what was done, or every problem and exit 1."""
    if not report.ok:
        for problem in report.problems:
            command.stderr.write(str(problem))
        command.stderr.write(f"{len(report.problems)} problem(s); nothing imported.")
        sys.exit(1)
    for note in report.notes:
        command.stderr.write(f"note: {note}")
    command.stdout.write(
        f"{report.kind}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged"
    )


def records_command(template: str, extra_help: str = ""):
    """The `members`, `sites`, `licences` and `lots` commands: `import FILE --org ORG` and
    `template --org ORG --out FILE [--language es]`. Lots are recorded by a person:
    `lots import` also takes `--user USERNAME` (custody records say who recorded them)."""
    from django.core.management.base import BaseCommand
    from django.utils import translation

    from batea.fielddata.records import import_records, template_workbook

    class Command(BaseCommand):
        help = f"Import {template} from a spreadsheet (CSV or XLSX), or write the template."

        def add_arguments(self, parser):
            sub = parser.add_subparsers(dest="subcommand", required=True)
            importer = sub.add_parser("import", help=f"Import {template}: all or nothing.")
            importer.add_argument("file")
            importer.add_argument("--org", required=True)
            if template == "lots":
                importer.add_argument(
                    "--user",
                    required=True,
                    help="The user who records the lots (e.g. the organisation's manager).",
                )
            if template == "sites":
                importer.add_argument(
                    "--mapping",
                    help="A column mapping (YAML) for third-party site data (CSV or GeoJSON).",
                )
            writer = sub.add_parser("template", help="Write the .xlsx template.")
            writer.add_argument("--org", required=True)
            writer.add_argument("--out", required=True)
            writer.add_argument("--language", default="en")

        def handle(self, *args, subcommand, **options):
            organisation_ = organisation(options["org"])
            if subcommand == "template":
                with translation.override(options["language"]):
                    content = template_workbook(organisation_, template)
                Path(options["out"]).write_bytes(content)
                self.stdout.write(f"{options['out']}: {template} template")
                return
            content = read(options["file"])
            progress = ProgressBar(self.stderr, "rows")
            if options.get("mapping"):
                from batea.fielddata.sitedata import import_site_data

                report = import_site_data(
                    None,
                    organisation_,
                    content,
                    options["file"],
                    read(options["mapping"]),
                    options["mapping"],
                    progress=progress,
                    via="cli",
                )
            else:
                try:
                    report = import_records(
                        user(options.get("user")),
                        organisation_,
                        template,
                        content,
                        options["file"],
                        progress=progress,
                        via="cli",
                    )
                except PermissionDenied as error:
                    raise CommandError(str(error)) from error
            finish(self, report)

    return Command
