"""Dumping and restoring the database, per engine.

SQLite: the online backup API copies a consistent snapshot while the application keeps
working, and copies a dump back into the live file in one transaction.

PostgreSQL: pg_dump in custom format, from a snapshot exported by a REPEATABLE READ
transaction that also fingerprints the tables, so the manifest describes exactly what was
dumped; the restore runs pg_restore's script through psql in a single transaction (tables
that exist now are dropped first), so a failed restore changes nothing. The connection
comes from DATABASES, the password through PGPASSWORD, never on a command line.
"""

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from batea.backup.fingerprints import Fingerprints, side_connection, table_fingerprints

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
DUMP_FILES = {SQLITE: "database.sqlite3", POSTGRESQL: "database.pgdump"}
PG_ENVIRONMENT = {  # DATABASES OPTIONS → libpq environment variables
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


@dataclass
class Snapshot:
    """What the dump holds: every table's fingerprint and the applied migrations."""

    fingerprints: Fingerprints
    migrations: dict[str, list[str]]


def engine_of(settings: dict) -> str:
    """`sqlite` or `postgresql`; other engines are refused."""
    engine = settings["ENGINE"]
    if engine.endswith("sqlite3"):
        return SQLITE
    if engine.endswith("postgresql"):
        return POSTGRESQL
    raise CommandError(
        _("Backups support SQLite and PostgreSQL, not %(engine)s.") % {"engine": engine}
    )


def describe(settings: dict) -> str:
    """The database as an operator names it (no password)."""
    if engine_of(settings) == SQLITE:
        return str(settings["NAME"])
    return _("%(name)s on %(host)s:%(port)s") % {
        "name": settings.get("NAME"),
        "host": settings.get("HOST") or "localhost",
        "port": settings.get("PORT") or 5432,
    }


def applied_migrations(connection) -> dict[str, list[str]]:
    """The migrations recorded as applied in django_migrations, by app (raw SQL, so that
    it works on any connection)."""
    with connection.cursor() as cursor:
        if "django_migrations" not in connection.introspection.table_names(cursor):
            return {}
        cursor.execute("SELECT app, name FROM django_migrations")
        applied: dict[str, list[str]] = {}
        for app, name in cursor.fetchall():
            applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def dump(settings: dict, target: Path) -> Snapshot:
    if engine_of(settings) == SQLITE:
        return _sqlite_dump(settings, target)
    return _pg_dump(settings, target)


def restore(settings: dict, dump_file: Path) -> None:
    if engine_of(settings) == SQLITE:
        _sqlite_restore(settings, dump_file)
    else:
        _pg_restore(settings, dump_file)


# SQLite ---------------------------------------------------------------------------------


def _sqlite_path(settings: dict) -> Path:
    name = str(settings["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise CommandError(_("An in-memory SQLite database cannot be backed up or restored."))
    return Path(name)


def _sqlite_dump(settings: dict, target: Path) -> Snapshot:
    source_path = _sqlite_path(settings)
    if not source_path.is_file():
        raise CommandError(_("No database file %(file)s.") % {"file": source_path})
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step: a consistent snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()
    with side_connection({"ENGINE": settings["ENGINE"], "NAME": str(target)}) as connection:
        return Snapshot(table_fingerprints(connection), applied_migrations(connection))


def _sqlite_restore(settings: dict, dump_file: Path) -> None:
    path = _sqlite_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(dump_file)
    live = sqlite3.connect(path, timeout=30)
    try:
        source.backup(live)  # replaces every page of the live file in one transaction
    finally:
        live.close()
        source.close()


# PostgreSQL -----------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program, or a clear error."""
    found = shutil.which(name)
    if found is None:
        raise CommandError(
            _(
                "%(tool)s is not installed: install PostgreSQL's client programs (on Debian: "
                "apt-get install postgresql-client) of the server's major version or newer."
            )
            % {"tool": name}
        )
    return found


def pg_environment(settings: dict) -> dict[str, str]:
    """libpq's environment for the configured database: the password stays out of the
    process list."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    values = {
        "PGDATABASE": settings.get("NAME"),
        "PGUSER": settings.get("USER"),
        "PGPASSWORD": settings.get("PASSWORD"),
        "PGHOST": settings.get("HOST"),
        "PGPORT": settings.get("PORT"),
    }
    options = settings.get("OPTIONS") or {}
    for option, variable in PG_ENVIRONMENT.items():
        values[variable] = options.get(option)
    values["PGOPTIONS"] = f"{options.get('options', '')} -c client_min_messages=warning".strip()
    env.update({key: str(value) for key, value in values.items() if value not in (None, "")})
    return env


def _run(command: list[str], settings: dict, what: str) -> None:
    result = subprocess.run(
        command, env=pg_environment(settings), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise CommandError(
            _("%(what)s failed: %(error)s") % {"what": what, "error": result.stderr.strip()}
        )


def _pg_dump(settings: dict, target: Path) -> Snapshot:
    program = pg_tool("pg_dump")
    with side_connection(settings) as connection:
        connection.ensure_connection()
        connection.set_autocommit(False)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                (snapshot,) = cursor.fetchone()
            found = Snapshot(table_fingerprints(connection), applied_migrations(connection))
            command = [program, "--format=custom", "--no-password", f"--snapshot={snapshot}"]
            _run([*command, f"--file={target}"], settings, "pg_dump")
        finally:
            connection.rollback()
    return found


def _pg_restore(settings: dict, dump_file: Path) -> None:
    restorer, psql = pg_tool("pg_restore"), pg_tool("psql")
    script, drop = dump_file.with_suffix(".sql"), dump_file.with_suffix(".drop.sql")
    _run(
        [restorer, "--no-owner", "--no-privileges", "--clean", "--if-exists", "-f", str(script)]
        + [str(dump_file)],
        settings,
        "pg_restore",
    )
    drop.write_text(_drop_tables_sql(settings))
    _run(
        [psql, "--no-psqlrc", "--quiet", "--no-password", "--single-transaction"]
        + ["-v", "ON_ERROR_STOP=1", "-f", str(drop), "-f", str(script)],
        settings,
        _("Restoring the database (nothing was changed)"),
    )


def _drop_tables_sql(settings: dict) -> str:
    """Drop every table there is now, so that tables the backup does not have (of later
    migrations) do not survive the restore; run in the restore's transaction."""
    with side_connection(settings) as connection:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        quote = connection.ops.quote_name
    if not tables:
        return ""
    return f"DROP TABLE IF EXISTS {', '.join(quote(t) for t in sorted(tables))} CASCADE;\n"
