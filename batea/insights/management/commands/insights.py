"""`batea insights snapshot [--on YYYY-MM-DD] [--segment ID]` — count every saved segment
on a date and keep the counts, so segments can be followed over time (run it monthly, e.g.
from cron on the first of the month). Counting again on the same date replaces that day's
counts; a past date reconstructs members' statuses from the decisions recorded since."""

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from batea.insights.models import Segment
from batea.insights.segments import snapshot_all


class Command(BaseCommand):
    help = "Inclusion insights: `snapshot` records today's counts of every saved segment."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True, metavar="snapshot")
        snapshot = commands.add_parser(
            "snapshot", help="Count every saved segment (or one) and keep the counts."
        )
        snapshot.add_argument("--on", help="The date counted, YYYY-MM-DD (default: today).")
        snapshot.add_argument("--segment", help="Only this segment (its id).")

    def handle(self, *args, **options):
        on = timezone.localdate()
        if options.get("on"):
            try:
                on = date.fromisoformat(options["on"])
            except ValueError as error:
                raise CommandError(
                    f"--on: {options['on']!r} is not a date (YYYY-MM-DD)."
                ) from error
            if on > timezone.localdate():
                raise CommandError(f"--on: {on} is in the future.")
        segments = Segment.objects.all()
        if options.get("segment"):
            try:
                segments = segments.filter(pk=options["segment"])
                found = segments.exists()
            except ValidationError as error:
                raise CommandError(
                    f"--segment: {options['segment']!r} is not a segment id."
                ) from error
            if not found:
                raise CommandError(f"--segment: no segment {options['segment']}.")
        done = snapshot_all(on, segments)
        self.stdout.write(f"{done} segment(s) counted on {on.isoformat()}.")
