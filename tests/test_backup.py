"""`batea backup` and `batea restore`: a round trip brings back every table, row for row,
and every media file; a restore refuses what it cannot restore — a bundle of a newer
version, a damaged one, one not confirmed — before it changes anything; PostgreSQL's
password never reaches a command line. Runs on the session's engine (SQLite or
PostgreSQL), the commands in processes of their own against a throwaway database."""

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from batea.backup import bundle as bundle_module
from batea.backup import engines
from batea.backup.bundle import MANIFEST, Manifest, read_manifest
from batea.backup.fingerprints import differences, table_fingerprints
from batea.registry.models import Licence, Member, Relation
from tests.fixtures import throwaway


@pytest.fixture(scope="session")
def scratch(request, tmp_path_factory, django_db_blocker):
    with django_db_blocker.unblock():
        return throwaway.scratch(request.config, tmp_path_factory)


@pytest.fixture
def database(scratch, django_db_blocker):
    """The session's copy of the lived-in database (see tests/fixtures/throwaway.py)."""
    with django_db_blocker.unblock():
        yield scratch


def test_a_restore_brings_back_every_table_and_media_file_as_it_was(database, tmp_path):
    before, photos = database.fingerprints(), database.media_files()
    assert before[Member._meta.db_table][0] > 30 and photos  # something worth keeping
    bundle = tmp_path / "nightly.tar.gz"
    database.run("backup", str(bundle))
    assert_the_manifest_describes(bundle, before, photos, database.vendor)

    (photo,) = photos
    (database.media / photo).unlink()
    (database.media / "stray.pdf").write_bytes(b"%PDF-1.4 not in the backup")
    database.execute(
        f"UPDATE {Member._meta.db_table} SET given_name = 'Overwritten'",
        f"DELETE FROM {Licence._meta.db_table}",
        f"DELETE FROM {Relation._meta.db_table}",
        "CREATE TABLE later_migration (id integer PRIMARY KEY)",
    )
    assert differences(before, database.fingerprints()) == sorted(
        [Member._meta.db_table, Licence._meta.db_table, Relation._meta.db_table, "later_migration"]
    )

    restored = database.run("restore", str(bundle), "--yes")
    assert "every one as backed up" in restored.stdout
    assert database.fingerprints() == before
    assert database.media_files() == photos


def assert_the_manifest_describes(bundle: Path, tables: dict, media: dict, engine: str) -> None:
    """The manifest holds every table's fingerprint, every media file's checksum, the
    migrations; it comes first; the bundle is readable by its owner only."""
    manifest = read_manifest(bundle)
    assert (manifest.fingerprints(), manifest.media, manifest.engine) == (tables, media, engine)
    assert manifest.leaves["custody"] == [max(manifest.migrations["custody"])]
    with tarfile.open(bundle) as tar:
        assert tar.getnames() == [
            MANIFEST,
            manifest.database_file,
            *(f"media/{name}" for name in media),
        ]
    assert bundle.stat().st_mode & 0o077 == 0  # personal data


# Refusals, in this process: nothing is touched -------------------------------------------


def fake_bundle(path: Path, manifest: Manifest, database: bytes = b"not a database") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, content in ((MANIFEST, manifest.to_json()), (manifest.database_file, database)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return path


def manifest_of_this_database(**changes) -> Manifest:
    engine = engines.engine_of(connection.settings_dict)
    fields = {
        "batea_version": "0.1.0",
        "created_at": "2026-01-01T00:00:00+00:00",
        "engine": engine,
        "database_file": engines.DUMP_FILES[engine],
        "database_sha256": "0" * 64,
        "migrations": engines.applied_migrations(connection),
        "leaves": {},
        "tables": {},
        "media": {},
    }
    return Manifest(**(fields | changes))


@pytest.mark.django_db
def test_a_bundle_of_a_newer_version_is_refused_before_anything_changes(tmp_path, monkeypatch):
    newer = manifest_of_this_database(batea_version="9.0.0")
    newer.migrations["custody"] = [*newer.migrations["custody"], "9999_from_the_future"]
    bundle = fake_bundle(tmp_path / "newer.tar.gz", newer)
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked before checking"))
    before = table_fingerprints(connection)
    with pytest.raises(CommandError, match=r"newer Batea \(9\.0\.0\).*custody\.9999_from_the"):
        call_command("restore", str(bundle))
    assert table_fingerprints(connection) == before


@pytest.mark.django_db
@pytest.mark.parametrize("answer", ["no", "", EOFError])
def test_without_a_yes_nothing_is_restored(tmp_path, monkeypatch, answer):
    bundle = fake_bundle(tmp_path / "b.tar.gz", manifest_of_this_database())

    def reply(prompt):
        if answer is EOFError:
            raise EOFError  # no terminal
        return answer

    monkeypatch.setattr("builtins.input", reply)
    monkeypatch.setattr(bundle_module, "unpack", lambda *a: pytest.fail("it went on"))
    with pytest.raises(CommandError, match="Nothing was restored"):
        call_command("restore", str(bundle))


@pytest.mark.django_db
def test_a_damaged_bundle_is_refused_before_the_database_is_touched(tmp_path, monkeypatch):
    bundle = fake_bundle(tmp_path / "damaged.tar.gz", manifest_of_this_database())
    monkeypatch.setattr(engines, "restore", lambda *a: pytest.fail("the database was touched"))
    with pytest.raises(CommandError, match="does not match its checksum"):
        call_command("restore", str(bundle), "--yes")


@pytest.mark.django_db
def test_a_bundle_of_the_other_engine_is_refused(tmp_path):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    bundle = fake_bundle(tmp_path / "other.tar.gz", manifest_of_this_database(engine=other))
    with pytest.raises(CommandError, match=f"backup of a {other} database"):
        call_command("restore", str(bundle), "--yes")


def test_a_file_that_is_not_a_bundle_is_refused(tmp_path):
    not_a_bundle = tmp_path / "notes.tar.gz"
    not_a_bundle.write_text(json.dumps({"format": 1}))
    with pytest.raises(CommandError, match="cannot be read as a Batea backup"):
        read_manifest(not_a_bundle)


def test_without_postgresql_client_programs_the_error_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="pg_dump is not installed.*postgresql-client"):
        engines.pg_tool("pg_dump")


def test_the_postgresql_password_goes_through_the_environment():
    env = engines.pg_environment(
        {
            "NAME": "batea",
            "USER": "batea",
            "PASSWORD": "s3cret",
            "HOST": "db.example.org",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require"},
        }
    )
    assert (env["PGPASSWORD"], env["PGHOST"], env["PGPORT"]) == ("s3cret", "db.example.org", "5433")
    assert (env["PGDATABASE"], env["PGSSLMODE"]) == ("batea", "require")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump runs on PostgreSQL")
def test_pg_dump_gets_the_password_from_the_environment_not_its_arguments(tmp_path, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "s3cret")  # trust: ignored
    calls = []
    run = engines.subprocess.run

    def recording(command, **kwargs):
        calls.append((command, kwargs["env"]))
        return run(command, **kwargs)

    monkeypatch.setattr(engines.subprocess, "run", recording)
    from batea.backup import services

    services.backup(tmp_path / "b.tar.gz", include_media=False)
    ((command, env),) = calls
    assert command[0].endswith("pg_dump") and env["PGPASSWORD"] == "s3cret"
    assert not any("s3cret" in argument for argument in command)


# Fingerprints ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_fingerprint_changes_with_any_value_of_its_table_and_only_that_table(world):
    before = table_fingerprints(connection)
    assert before[Member._meta.db_table][0] == 2
    Member.objects.filter(pk=world.member_a.pk).update(birth_year=1990)
    after = table_fingerprints(connection)
    assert differences(before, after) == [Member._meta.db_table]
    assert after[Member._meta.db_table][0] == 2  # the same rows, one value changed
    Member.objects.filter(pk=world.member_a.pk).update(birth_year=None)
    assert table_fingerprints(connection) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "typed", "agreed"),
    [
        ("en", "yes", True),
        ("en", " YES ", True),
        ("es", "sí", True),
        ("es", "si", True),
        ("fr", "oui", True),
        ("en", "y", False),
        ("es", "no", False),
    ],
)
def test_restore_takes_yes_in_the_operators_language(monkeypatch, language, typed, agreed):
    from io import StringIO

    from django.utils import translation

    from batea.backup.management.commands.restore import Command

    monkeypatch.setattr("builtins.input", lambda prompt: typed)
    with translation.override(language):
        assert Command(stdout=StringIO()).confirm(manifest_of_this_database()) is agreed
