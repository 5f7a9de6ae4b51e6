"""The backup bundle: one gzipped tar holding a manifest, the database dump and the media
files.

```
manifest.json         format, Batea version, when, engine, migrations, tables, files
database.sqlite3      (SQLite: a consistent copy)  or  database.pgdump (pg_dump -Fc)
media/<path>          every file under MEDIA_ROOT
```

The manifest comes first, so a restore reads it (and refuses a bundle it cannot restore)
before unpacking anything; every other member's SHA-256 is in it and is checked while it
is unpacked.
"""

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA = "media"
STAGING_PREFIX = ".batea-restore-"  # folders a restore works in, never backed up
READ_SIZE = 1024 * 1024


@dataclass
class Manifest:
    """What a bundle holds; written as manifest.json."""

    batea_version: str
    created_at: str
    engine: str  # "sqlite" or "postgresql"
    database_file: str
    database_sha256: str
    migrations: dict[str, list[str]]  # applied migrations, by app
    leaves: dict[str, list[str]]  # the latest applied migrations of each app
    tables: dict[str, list]  # table → [row count, SHA-256 of its rows]
    media: dict[str, list] | None  # relative path → [size, SHA-256]; None: not included
    format: int = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, content: bytes) -> "Manifest":
        try:
            data = json.loads(content)
            if data.get("format") != FORMAT:
                raise CommandError(
                    _("This bundle is in format %(format)s; this Batea reads format %(ours)s.")
                    % {"format": data.get("format"), "ours": FORMAT}
                )
            return cls(**data)
        except (ValueError, TypeError, AttributeError) as error:
            raise CommandError(
                _("The bundle's manifest is not readable: %(error)s") % {"error": error}
            ) from error

    def fingerprints(self) -> dict[str, tuple[int, str]]:
        return {table: (rows, digest) for table, (rows, digest) in self.tables.items()}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(READ_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under the media folder (relative POSIX path, path), sorted;
    symbolic links and a restore's own staging folders are left out."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(STAGING_PREFIX))
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def media_inventory(root: Path) -> dict[str, list]:
    return {name: [path.stat().st_size, file_sha256(path)] for name, path in media_files(root)}


def write(target: Path, manifest: Manifest, database: Path, media_root: Path | None) -> None:
    """Write the bundle to `target` (readable by its owner only), through a temporary name
    so that an interrupted backup never leaves a file that looks complete."""
    partial = target.with_name(target.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, manifest.to_json())
            tar.add(database, arcname=manifest.database_file, recursive=False)
            for name, (size, digest) in (manifest.media or {}).items():
                _add_media(tar, media_root / name, f"{MEDIA}/{name}", size, digest)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(content))


def _add_media(tar: tarfile.TarFile, path: Path, name: str, size: int, digest: str) -> None:
    """Add one media file, refusing it if it changed since it was listed."""
    info = tar.gettarinfo(path, arcname=name)
    with open(path, "rb") as file:
        reader = _HashingReader(file)
        if info.size == size:
            tar.addfile(info, reader)
    if info.size != size or reader.digest.hexdigest() != digest:
        raise CommandError(
            _("The media file %(file)s changed during the backup; run the backup again.")
            % {"file": path}
        )


class _HashingReader:
    """A file read through, hashed on the way."""

    def __init__(self, file):
        self.file = file
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.file.read(size)
        self.digest.update(chunk)
        return chunk


def read_manifest(bundle: Path) -> Manifest:
    """The manifest of a bundle (its first member), without unpacking anything else."""
    try:
        with tarfile.open(bundle, mode="r:*") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise CommandError(_("%(file)s is not a Batea backup.") % {"file": bundle})
            return Manifest.from_json(tar.extractfile(first).read())
    except (OSError, tarfile.TarError) as error:
        raise CommandError(
            _("%(file)s cannot be read as a Batea backup: %(error)s")
            % {"file": bundle, "error": error}
        ) from error


def unpack(bundle: Path, manifest: Manifest, database_to: Path, media_to: Path) -> None:
    """Unpack the database dump and the media files, checking each against the manifest;
    a bundle with anything else, anything missing or anything altered is refused."""
    expected = {manifest.database_file: (database_to, manifest.database_sha256)}
    for name, (_size, digest) in (manifest.media or {}).items():
        expected[f"{MEDIA}/{name}"] = (media_to / _safe_relative(name), digest)
    try:
        with tarfile.open(bundle, mode="r:*") as tar:
            for member in tar:
                if member.name == MANIFEST:
                    continue
                if member.name not in expected or not member.isfile():
                    raise CommandError(
                        _("The bundle holds %(name)s, which its manifest does not list.")
                        % {"name": member.name}
                    )
                path, digest = expected.pop(member.name)
                _extract(tar, member, path, digest)
    except (OSError, tarfile.TarError, EOFError) as error:
        raise CommandError(
            _("%(file)s is damaged: %(error)s") % {"file": bundle, "error": error}
        ) from error
    if expected:
        raise CommandError(
            _("The bundle lacks %(names)s, listed in its manifest.")
            % {"names": ", ".join(sorted(expected))}
        )


def _safe_relative(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise CommandError(_("The bundle names an unsafe path: %(name)s") % {"name": name})
    return path


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path, digest: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    found = hashlib.sha256()
    with tar.extractfile(member) as source, open(path, "wb") as target:
        while chunk := source.read(READ_SIZE):
            found.update(chunk)
            target.write(chunk)
    if found.hexdigest() != digest:
        raise CommandError(
            _("%(name)s in the bundle does not match its checksum: the bundle is damaged.")
            % {"name": member.name}
        )


def replace_media(root: Path, staged: Path) -> None:
    """Put the staged media files in place of those under `root`. Both folders are on the
    same file system (the staging folder is inside `root`), so each step is a rename."""
    old = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}old-", dir=root))
    for entry in list(root.iterdir()):
        if not entry.name.startswith(STAGING_PREFIX):
            entry.rename(old / entry.name)
    for entry in list(staged.iterdir()):
        entry.rename(root / entry.name)
    shutil.rmtree(old)
    staged.rmdir()
