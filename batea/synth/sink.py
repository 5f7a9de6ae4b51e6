"""Where generated rows go: COPY on PostgreSQL, `bulk_create` in batches elsewhere.

Rows are dicts keyed by the model's attnames (`organisation_id`, not `organisation`). Keys
a generator leaves out take the field's default. Auto-increment primary keys are left to
the database. One progress bar per table is written to stderr.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.db import connection, models
from tqdm import tqdm

BULK_BATCH = 2_000


class Table:
    """The columns of one model as written by the synthesiser."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
        ]
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        self.columns = [f.column for f in fields]
        self.json = {f.attname for f in fields if isinstance(f, models.JSONField)}
        self.defaults = {f.attname: f.get_default() for f in fields if f.has_default()}

    def complete(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row with defaults filled in for the keys the generator left out."""
        missing = {k: v for k, v in self.defaults.items() if k not in row}
        return {**missing, **row} if missing else row


class Sink:
    """Writes rows of many tables, keeps counts and one tqdm bar per table."""

    def __init__(self, totals: dict[str, int] | None = None, progress: bool = True) -> None:
        self.tables: dict[type[models.Model], Table] = {}
        self.counts: dict[str, int] = {}
        self.bars: dict[str, tqdm] = {}
        self.totals = totals or {}
        self.progress = progress
        self.copy = connection.vendor == "postgresql"

    def table(self, model: type[models.Model]) -> Table:
        if model not in self.tables:
            self.tables[model] = Table(model)
        return self.tables[model]

    def bar(self, name: str) -> tqdm:
        if name not in self.bars:
            self.bars[name] = tqdm(
                total=self.totals.get(name),
                desc=f"{name:<22}",
                unit=" rows",
                unit_scale=True,
                file=sys.stderr,
                position=len(self.bars),
                disable=not self.progress,
                dynamic_ncols=True,
            )
        return self.bars[name]

    def write(self, model: type[models.Model], rows: list[dict[str, Any]]) -> None:
        """Insert `rows` into the model's table (inside the caller's transaction)."""
        if not rows:
            return
        table = self.table(model)
        if self.copy:
            self._copy(table, rows)
        else:
            self._bulk(table, rows)
        name = model._meta.db_table
        self.counts[name] = self.counts.get(name, 0) + len(rows)
        self.bar(name).update(len(rows))

    def _copy(self, table: Table, rows: list[dict[str, Any]]) -> None:
        columns = ", ".join(connection.ops.quote_name(c) for c in table.columns)
        sql = f"COPY {connection.ops.quote_name(table.model._meta.db_table)} ({columns}) FROM STDIN"
        attnames, json_keys = table.attnames, table.json
        connection.ensure_connection()
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                row = table.complete(row)
                if json_keys:
                    row = {**row, **{k: json.dumps(row[k]) for k in json_keys}}
                copy.write_row([row[a] for a in attnames])

    def _bulk(self, table: Table, rows: list[dict[str, Any]]) -> None:
        model = table.model
        objects = [model(**table.complete(row)) for row in rows]
        model.objects.bulk_create(objects, batch_size=BULK_BATCH)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
