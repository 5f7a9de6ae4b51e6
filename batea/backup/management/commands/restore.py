"""`batea restore FILE [--yes]`: replace the database and the media files with a backup."""

import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from batea.backup import engines, services
from batea.backup.bundle import Manifest


class Command(BaseCommand):
    help = _(
        "Replace the database and the media files with a backup bundle; every table is "
        "checked against the bundle's manifest afterwards."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--yes",
            action="store_true",
            help=_("Do not ask: the database is replaced."),
        )

    def handle(self, *args, file, yes=False, **options):
        restored = services.restore(Path(file), lambda manifest: yes or self.confirm(manifest))
        manifest = restored.manifest
        self.stdout.write(
            _("Restored the backup of %(date)s: %(tables)s tables, every one as backed up.")
            % {"date": manifest.created_at, "tables": len(manifest.tables)}
        )
        if manifest.media is None:
            self.stdout.write(_("The bundle has no media files; those here were left as they are."))
        if restored.pending:
            self.stdout.write(
                _("The backup predates %(count)s migrations of this version: run `batea migrate`.")
                % {"count": len(restored.pending)}
            )

    def confirm(self, manifest: Manifest) -> bool:
        """Ask the person at the terminal; anything but yes (or no terminal) is no."""
        rows = sum(rows for rows, _digest in manifest.tables.values())
        self.stdout.write(
            _(
                "This replaces the database %(database)s and the media files in %(media)s with "
                "the backup of %(date)s (Batea %(version)s, %(rows)s rows)."
            )
            % {
                "database": engines.describe(services.database_settings()),
                "media": settings.MEDIA_ROOT,
                "date": manifest.created_at,
                "version": manifest.batea_version,
                "rows": rows,
            }
        )
        try:
            answer = input(_("Type yes to go on: "))
        except EOFError:  # no terminal
            self.stdout.write("")
            return False
        return plain(answer) in {"yes", plain(_("yes"))}


def plain(word: str) -> str:
    """Lower case without accents: someone typing "si" means "sí"."""
    decomposed = unicodedata.normalize("NFD", word.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
