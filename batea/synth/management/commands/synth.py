"""`batea synth`: generate a fictional federation of the requested size, deterministic by seed.

batea synth --members 1000000 --events 10000000 --seed 1
batea synth --members 300 --events 2000 --replace --password s3cret
"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from batea.synth.load import DEFAULT_PASSWORD, USERS, SynthError, Synthesiser
from batea.synth.plan import Request


class Command(BaseCommand):
    help = _(
        "Generate a synthetic (fictional) federation: ASMOs, members, sites, licences, "
        "assessments, custody lots and events, sales, and logins synth-manager, "
        "synth-federation and synth-buyer. Uses COPY on PostgreSQL."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--members", type=int, default=10_000, help=_("members in all"))
        parser.add_argument("--events", type=int, default=100_000, help=_("custody events in all"))
        parser.add_argument("--seed", type=int, default=1, help=_("same seed, same data"))
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help=_("the day the data is generated as of (YYYY-MM-DD; default today)"),
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help=_("remove the synthetic organisations (synth-…) already here first"),
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=_("password of the synthetic logins (default: %(default)s)"),
        )
        parser.add_argument(
            "--no-progress", action="store_true", help=_("no progress bars on stderr")
        )

    def handle(self, *args, **options) -> None:
        extra = {"today": options["today"]} if options["today"] else {}
        request = Request(options["members"], options["events"], options["seed"], **extra)
        try:
            synthesiser = Synthesiser(request, progress=not options["no_progress"])
            outcome = synthesiser.run(replace=options["replace"], password=options["password"])
        except SynthError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(_("Synthetic data written (all of it fictional):"))
        for table, count in sorted(outcome.counts.items()):
            self.stdout.write(f"  {table:<32} {count:>12,}")
        seconds = ", ".join(f"{stage} {s:.1f} s" for stage, s in outcome.seconds.items())
        self.stdout.write(_("Time: %(seconds)s") % {"seconds": seconds})
        self.stdout.write(_("Biggest ASMO: /orgs/%(slug)s/") % {"slug": outcome.biggest})
        if outcome.bars:
            self.stdout.write(_("A sold bar to trace: /lots/%(code)s/") % {"code": outcome.bars[0]})
        self.stdout.write(
            _("Logins (password %(password)s): %(users)s")
            % {"password": options["password"], "users": ", ".join(USERS)}
        )
        if not outcome.sealed:
            self.stdout.write(_("Custody events were not sealed: this Batea keeps no hash chains."))
