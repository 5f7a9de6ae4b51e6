"""`batea actions escalate [--at YYYY-MM-DD]`: apply overdue escalation rules."""

from datetime import date

from django.core.management.base import BaseCommand
from django.utils import timezone

from batea.assessments.services import escalate_overdue


class Command(BaseCommand):
    help = "Escalate overdue non-conformities (minor → major; overdue major → suspension flag)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        escalate = sub.add_parser("escalate")
        escalate.add_argument("--at", help="Date to apply (default: today)")

    def handle(self, *args, **options):
        today = date.fromisoformat(options["at"]) if options.get("at") else timezone.localdate()
        changed = escalate_overdue(today)
        self.stdout.write(f"{changed} non-conformit{'y' if changed == 1 else 'ies'} escalated.")
