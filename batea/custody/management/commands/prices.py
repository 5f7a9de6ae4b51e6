"""`batea prices import FILE [--metal gold]` — reference prices from a Date,Price CSV."""

from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from batea.custody import services
from batea.domain.custody.prices import PriceError, parse_prices
from batea.domain.messages import Problem
from batea.registry.models import explain


class Command(BaseCommand):
    help = "Import reference prices (USD per troy ounce) from a CSV of Date,Price; all or nothing."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        importer = sub.add_parser("import", help="Import a Date,Price CSV (YYYY-MM or YYYY-MM-DD).")
        importer.add_argument("file")
        importer.add_argument("--metal", default="gold", help="Default: %(default)s")
        importer.add_argument("--source", help="Where the prices come from (default: the file)")

    def handle(self, *args, subcommand, **options):
        path = Path(options["file"])
        metal = options["metal"].strip().lower()
        if not metal or len(metal) > 16:
            raise CommandError("--metal: give a metal name of at most 16 letters, e.g. gold.")
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        source = options.get("source") or path.name
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text; nothing was imported.") from error
        try:
            parse_prices(text, source)
        except PriceError as error:
            for problem in error.problems:
                where = f"{path}:{problem.line}" if problem.line else str(path)
                column = f" {problem.path}" if problem.path else ""
                message = explain(Problem("", problem.template, problem.params))
                self.stderr.write(f"{where}:{column} {message}")
            raise CommandError(
                f"{len(error.problems)} problem(s) in {path}; nothing was imported."
            ) from error
        try:
            count = services.import_prices(text, metal=metal, source=source)
        except ValidationError as error:
            for message in error.messages:
                self.stderr.write(f"{path}: {message}")
            raise CommandError(f"Nothing was imported from {path}.") from error
        latest = services.reference_price(metal, date.max)
        tail = (
            f"; latest {latest.on}: USD {latest.usd_per_troy_oz} per troy ounce" if latest else ""
        )
        self.stdout.write(f"Imported {count} {metal} price(s) from {path}{tail}.")
