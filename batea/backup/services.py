"""`backup` writes a bundle of the configured database and the media files; `restore`
puts one back, refusing anything it cannot restore before changing anything, and checks
afterwards that every table is exactly as it was backed up."""

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from batea.backup import bundle, engines
from batea.backup.bundle import Manifest
from batea.backup.fingerprints import differences, side_connection, table_fingerprints


def database_settings() -> dict:
    return connections["default"].settings_dict


def batea_version() -> str:
    try:
        return metadata.version("batea")
    except metadata.PackageNotFoundError:
        return "unknown"


def default_name(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"batea-backup-{stamp}.tar.gz"


def backup(target: Path, include_media: bool = True) -> Manifest:
    """Write a bundle of the database (a consistent snapshot) and the media files."""
    if target.exists():
        raise CommandError(_("%(file)s exists already; give another name.") % {"file": target})
    if not target.parent.is_dir():
        raise CommandError(_("No folder %(folder)s.") % {"folder": target.parent})
    db = database_settings()
    engine = engines.engine_of(db)
    media_root = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(prefix="batea-backup-") as folder:
        dump_file = Path(folder) / engines.DUMP_FILES[engine]
        snapshot = engines.dump(db, dump_file)
        manifest = Manifest(
            batea_version=batea_version(),
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            engine=engine,
            database_file=dump_file.name,
            database_sha256=bundle.file_sha256(dump_file),
            migrations=snapshot.migrations,
            leaves=leaves(snapshot.migrations),
            tables={t: list(f) for t, f in snapshot.fingerprints.items()},
            media=bundle.media_inventory(media_root) if include_media else None,
        )
        bundle.write(target, manifest, dump_file, media_root)
    return manifest


def leaves(migrations: dict[str, list[str]]) -> dict[str, list[str]]:
    """Of the applied migrations, each app's latest: those no applied migration of the
    same app follows."""
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    applied = {(app, name) for app, names in migrations.items() for name in names}
    found: dict[str, list[str]] = {}
    for app, name in sorted(applied):
        node = graph.node_map.get((app, name))
        later = [c for c in node.children if c[0] == app and c in applied] if node else []
        if not later:
            found.setdefault(app, []).append(name)
    return found


def unknown_migrations(manifest: Manifest) -> list[str]:
    """Migrations applied in the backup that this code does not have: a newer version."""
    disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    known = set(disk) | {replaced for m in disk.values() for replaced in m.replaces or ()}
    return sorted(
        f"{app}.{name}"
        for app, names in manifest.migrations.items()
        for name in names
        if (app, name) not in known
    )


def pending_migrations(manifest: Manifest) -> list[str]:
    """Migrations of this code that the backup had not applied (`batea migrate` after)."""
    disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    applied = {(app, name) for app, names in manifest.migrations.items() for name in names}
    return sorted(f"{app}.{name}" for app, name in disk if (app, name) not in applied)


def check_restorable(manifest: Manifest) -> None:
    """Refuse a bundle of another engine or of a newer version, before anything changes."""
    engine = engines.engine_of(database_settings())
    if manifest.engine != engine:
        raise CommandError(
            _("This is a backup of a %(theirs)s database; the configured database is %(ours)s.")
            % {"theirs": manifest.engine, "ours": engine}
        )
    newer = unknown_migrations(manifest)
    if newer:
        raise CommandError(
            _(
                "This backup was made by a newer Batea (%(version)s): this code lacks the "
                "migrations %(migrations)s. Install that version or a later one to restore it; "
                "nothing was changed."
            )
            % {"version": manifest.batea_version, "migrations": ", ".join(newer)}
        )


@dataclass
class Restored:
    manifest: Manifest
    pending: list[str]  # migrations to apply with `batea migrate`


def restore(source: Path, confirm: Callable[[Manifest], bool]) -> Restored:
    """Replace the database (and the media files, if the bundle has them) with a bundle's.

    The manifest is checked and the person's confirmation asked before anything is
    unpacked; every file is checked against its checksum before the database is touched;
    the restored tables are compared with the manifest at the end."""
    manifest = bundle.read_manifest(source)
    check_restorable(manifest)
    if not confirm(manifest):
        raise CommandError(_("Nothing was restored."))
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(prefix=f"{bundle.STAGING_PREFIX}new-", dir=media_root))
    try:
        with tempfile.TemporaryDirectory(prefix="batea-restore-") as folder:
            dump_file = Path(folder) / manifest.database_file
            bundle.unpack(source, manifest, dump_file, staged)
            connections.close_all()
            engines.restore(database_settings(), dump_file)
        if manifest.media is not None:
            bundle.replace_media(media_root, staged)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    verify(manifest)
    return Restored(manifest, pending_migrations(manifest))


def verify(manifest: Manifest) -> None:
    """Every table of the database now is as the manifest says (rows and digests)."""
    with side_connection(database_settings()) as connection:
        found = table_fingerprints(connection)
    changed = differences(manifest.fingerprints(), found)
    if changed:
        raise CommandError(
            _("The restored database differs from the backup in: %(tables)s.")
            % {"tables": ", ".join(changed)}
        )
