"""`batea xlsform STANDARD --scope member|site|organisation [--org ORG] --out FILE.xlsx`"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from batea.domain.fielddata.xlsform import KINDS, SCOPES
from batea.fielddata import cli
from batea.fielddata.xlsform import FormCheckError, current_version, generate


class Command(BaseCommand):
    help = "Write an XLSForm (ODK, KoboToolbox) for a standard version, checked with pyxform."

    def add_arguments(self, parser):
        parser.add_argument("standard", help="The standard's id, e.g. fairmined-style-progressive")
        parser.add_argument("--scope", required=True, choices=SCOPES)
        parser.add_argument("--standard-version", help="Default: the newest published version.")
        parser.add_argument("--org", help="Organisation slug: its members or sites to choose.")
        parser.add_argument(
            "--kind", choices=KINDS, help="Default: ics, or self for an organisation."
        )
        parser.add_argument(
            "--subjects",
            choices=["auto", "list", "file"],
            default="auto",
            help="Members/sites as a choice list in the form, or in an attached CSV file.",
        )
        parser.add_argument("--out", required=True, help="The .xlsx file to write.")

    def handle(self, *args, **options):
        version = current_version(options["standard"], options["standard_version"])
        if version is None:
            raise CommandError(
                f"No such standard version: {options['standard']} {options['version'] or ''}"
            )
        organisation = cli.organisation(options["org"]) if options["org"] else None
        try:
            generated = generate(
                version,
                options["scope"],
                organisation=organisation,
                kind=options["kind"],
                subjects=options["subjects"],
            )
        except FormCheckError as error:
            for message in error.messages:
                self.stderr.write(message)
            self.stderr.write("pyxform did not convert the form cleanly; nothing written.")
            sys.exit(1)
        out = Path(options["out"])
        out.write_bytes(generated.xlsx)
        form = generated.form
        questions = sum(
            1
            for row in form.survey
            if row["name"].startswith("r_") and row["type"].startswith("select_one")
        )
        self.stdout.write(
            f"{out}: form {form.form_id} version {form.version}, {questions} requirements "
            "(pyxform: no errors, no warnings)"
        )
        if form.external_file:
            attached = out.with_name(form.external_file)
            if generated.subjects_csv is not None:
                attached.write_bytes(generated.subjects_csv)
                self.stdout.write(f"{attached}: attach it to the form on the server")
            else:
                self.stdout.write(
                    f"attach {form.external_file} (columns name,label) to the form on the server"
                )
