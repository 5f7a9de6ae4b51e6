"""Fingerprints of a database: every table's row count and a digest of its rows.

Domain-free: it reads whatever tables the connection's introspection lists (Batea's,
Django's, anything else in the schema), one ordered query per table, rows streamed in
chunks through the backend's server-side cursor, so memory stays flat whatever the size.
The same rows give the same digest on the same database engine, so two fingerprints of one
database (before a backup and after its restore) are equal exactly when no table gained,
lost or changed a row.
"""

import datetime
import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import ConnectionHandler

CHUNK = 2_000

Fingerprints = dict[str, tuple[int, str]]


def table_fingerprints(connection: BaseDatabaseWrapper) -> Fingerprints:
    """Each table of the connection's database → (row count, SHA-256 of its rows in
    primary-key order)."""
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        orders = {table: _order_columns(connection, cursor, table) for table in tables}
    return {table: _fingerprint(connection, table, orders[table]) for table in tables}


def differences(before: Fingerprints, after: Fingerprints) -> list[str]:
    """The tables whose fingerprint differs between two databases (or exist in one only)."""
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def _order_columns(connection, cursor, table: str) -> list[str]:
    """The primary key's columns; without one, every column (a total order of the rows)."""
    keys = connection.introspection.get_primary_key_columns(cursor, table)
    if keys:
        return list(keys)
    description = connection.introspection.get_table_description(cursor, table)
    return [column.name for column in description]


def _fingerprint(connection, table: str, order: list[str]) -> tuple[int, str]:
    quote = connection.ops.quote_name
    sql = f"SELECT * FROM {quote(table)} ORDER BY {', '.join(quote(c) for c in order)}"
    digest = hashlib.sha256()
    count = 0
    streaming = not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    cursor = connection.chunked_cursor() if streaming else connection.cursor()
    try:
        cursor.execute(sql)
        for row in _rows(cursor):
            digest.update(canonical_row(row))
            count += 1
    finally:
        cursor.close()
    return count, digest.hexdigest()


def _rows(cursor) -> Iterator[tuple]:
    while rows := cursor.fetchmany(CHUNK):
        yield from rows


def canonical_row(row) -> bytes:
    """One row as bytes that keep every value and its type (1, '1' and 1.0 differ)."""
    return json.dumps([_canonical(value) for value in row], separators=(",", ":")).encode() + b"\n"


def _canonical(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return ["float", repr(value)]
    if isinstance(value, Decimal):
        return ["decimal", str(value)]
    if isinstance(value, datetime.date | datetime.time):  # datetime is a date
        return [type(value).__name__, value.isoformat()]
    if isinstance(value, datetime.timedelta):
        return ["timedelta", value.total_seconds()]
    if isinstance(value, uuid.UUID):
        return ["uuid", str(value)]
    if isinstance(value, bytes | bytearray | memoryview):
        return ["bytes", bytes(value).hex()]
    if isinstance(value, dict | list):  # a JSON column decoded by the driver
        return ["json", json.dumps(value, sort_keys=True, default=str)]
    return [type(value).__name__, str(value)]


@contextmanager
def side_connection(settings: dict) -> Iterator[BaseDatabaseWrapper]:
    """A connection of its own to the database described by `settings` (a DATABASES entry,
    defaults filled in), outside Django's connections, closed at the end."""
    connection = ConnectionHandler({"default": dict(settings)})["default"]
    try:
        yield connection
    finally:
        connection.close()
