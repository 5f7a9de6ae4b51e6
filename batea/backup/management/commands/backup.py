"""`batea backup [FILE] [--no-media]`: the database and the media files in one bundle."""

from pathlib import Path

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from batea.backup import services


class Command(BaseCommand):
    help = _(
        "Write a backup bundle (.tar.gz): a consistent copy of the database, the media "
        "files and a manifest with the version, migrations, row counts and checksums."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help=_("Default: batea-backup-<UTC time>.tar.gz"))
        parser.add_argument("--no-media", action="store_true", help=_("Leave the media files out."))

    def handle(self, *args, file=None, no_media=False, **options):
        target = Path(file or services.default_name())
        manifest = services.backup(target, include_media=not no_media)
        rows = sum(rows for rows, _digest in manifest.tables.values())
        if manifest.media is None:
            media = _("no media files")
        else:
            count = len(manifest.media)
            media = ngettext("%(count)s media file", "%(count)s media files", count) % {
                "count": count
            }
        self.stdout.write(
            _("%(file)s: %(tables)s tables, %(rows)s rows, %(media)s (Batea %(version)s).")
            % {
                "file": target,
                "tables": len(manifest.tables),
                "rows": rows,
                "media": media,
                "version": manifest.batea_version,
            }
        )
