"""Sealing records into their hash chains, and walking the chains to find tampering.

- `seal(instance)` inserts a new record as the next of its chain: the chain head is locked
  (`select_for_update`), the record gets its position, the previous hash and its own hash,
  and the head moves on, all in the caller's transaction.
- `seal_rows(model, rows)` does the same for rows a bulk loader is about to insert (COPY or
  `bulk_create`), in the loader's transaction.
- `verify_all(...)` streams every chain in order and returns what `verify` of
  `batea.domain.integrity` finds in each.

Values are hashed as the database gives them back (`batea.domain.integrity.decimal_text`,
`instant_text`; ids as text), so a record verifies on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from batea.domain.integrity import (
    GENESIS,
    Head,
    Record,
    Scalar,
    Verdict,
    decimal_text,
    instant_text,
    link,
    stored_decimal,
    verify,
)
from batea.integrity.models import Chained, ChainHead, chain_name

CHUNK = 5_000  # rows read per round trip when walking chains
HEAD_BATCH = 500


@dataclass(frozen=True)
class Kind:
    """One kind of chain: its name for operators, its prefix and the models in it."""

    name: str
    prefix: str
    models: tuple[str, ...]


KINDS = (
    Kind("decisions", "decision", ("certification.CertificationDecision",)),
    Kind("custody", "custody", ("custody.CustodyEvent",)),
    Kind("premium", "premium", ("custody.PremiumReceipt", "custody.Disbursement")),
)


# Values as hashed ------------------------------------------------------------------------


def _text(value: Any) -> str:
    return str(value)


def _normaliser(field: models.Field) -> Callable[[Any], Scalar]:
    """How a value of this field is hashed (None stays None)."""
    target = field.target_field if field.is_relation else field
    kind = target.get_internal_type()
    if kind == "DecimalField":
        places = field.decimal_places
        return lambda v: decimal_text(v, places)
    if kind == "DateTimeField":
        return lambda v: instant_text(datetime.fromisoformat(v) if isinstance(v, str) else v)
    if kind == "DateField":
        return lambda v: (date.fromisoformat(v) if isinstance(v, str) else v).isoformat()
    if kind == "UUIDField":
        return lambda v: str(v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)))
    if kind == "BooleanField":
        return bool
    if kind.endswith(("IntegerField", "AutoField")):
        return int
    if kind in ("CharField", "TextField", "SlugField", "EmailField"):
        return _text
    raise TypeError(f"{field} ({kind}) cannot be chained")


@functools.lru_cache(maxsize=64)
def _normalisers(
    model: type[models.Model], fields: tuple[str, ...]
) -> tuple[tuple[str, Callable[[Any], Scalar]], ...]:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return tuple((name, _normaliser(by_attname[name])) for name in fields)


def payload(
    model: type[models.Model], fields: tuple[str, ...], values: Mapping[str, Any]
) -> dict[str, Scalar]:
    """What the hash of a record covers: its model and the values of `fields` (attnames)."""
    content: dict[str, Scalar] = {"model": model._meta.label_lower}
    for name, normal in _normalisers(model, fields):
        value = values[name]
        content[name] = None if value is None else normal(value)
    return content


def _chain_of(model: type[models.Model], prefix: str, key: str, values: Mapping) -> str:
    ((_, normal),) = _normalisers(model, (key,))
    return chain_name(prefix, normal(values[key]))


def _stored_decimals(model: type[models.Model], values: Mapping) -> dict[str, Decimal]:
    """The decimals rounded to their field's places, to be written as such, so that the
    database stores exactly what is hashed."""
    return {
        field.attname: stored_decimal(values[field.attname], field.decimal_places)
        for field in model._meta.concrete_fields
        if isinstance(field, models.DecimalField) and values.get(field.attname) is not None
    }


# Sealing ---------------------------------------------------------------------------------


def _locked_heads(names: Iterable[str], head_model=ChainHead) -> dict[str, Any]:
    """The heads of these chains, created if missing, locked until the transaction ends.

    Heads are locked in name order, so two writers never wait for each other in a circle;
    of two writers creating the same head, the second's insert is ignored and it locks the
    first's row once that is committed.
    """
    names = sorted(set(names))
    manager = head_model._default_manager
    heads = _select_heads(manager, names)
    missing = [name for name in names if name not in heads]
    if missing:
        manager.bulk_create([head_model(chain=name) for name in missing], ignore_conflicts=True)
        heads.update(_select_heads(manager, missing))
    return heads


def _select_heads(manager, names: list[str]) -> dict[str, Any]:
    found = {}
    for start in range(0, len(names), HEAD_BATCH):
        chunk = names[start : start + HEAD_BATCH]
        query = manager.select_for_update().filter(chain__in=chunk).order_by("chain")
        found.update({head.chain: head for head in query})
    return found


def _advance(heads: Iterable, head_model=ChainHead) -> None:
    now = timezone.now()
    changed = list(heads)
    for head in changed:
        head.updated_at = now
    head_model._default_manager.bulk_update(
        changed, ["seq", "last_hash", "updated_at"], batch_size=HEAD_BATCH
    )


def seal(instance: Chained) -> Chained:
    """Insert a new record as the next of its chain and move the chain head on.

    Runs in the caller's transaction (or its own): the record and the head commit
    together, and writers of the same chain wait for each other on the head's row lock.
    A record already stored is refused: sealed records never change.
    """
    if not instance._state.adding:
        raise ValueError("Only a new record is sealed; a sealed record never changes.")
    model = type(instance)
    for name, value in _stored_decimals(model, instance.__dict__).items():
        setattr(instance, name, value)
    values = {name: getattr(instance, name) for name in (model.chain_key, *model.chain_fields)}
    name = _chain_of(model, model.chain_prefix, model.chain_key, values)
    with transaction.atomic(savepoint=False):
        head = _locked_heads([name])[name]
        instance.chain_seq = head.seq + 1
        instance.chain_prev = head.last_hash
        instance.chain_hash = link(head.last_hash, payload(model, model.chain_fields, values))
        instance.save(force_insert=True)
        head.seq, head.last_hash = instance.chain_seq, instance.chain_hash
        _advance([head])
    return instance


def _complete(model: type[models.Model], row: dict) -> None:
    """Fill the columns a row leaves out with the field's default (a fresh one per row)."""
    for field in model._meta.concrete_fields:
        if field.attname in row or field.attname.startswith("chain_"):
            continue
        if isinstance(field, models.AutoField):
            continue
        if field.has_default() or field.null or (field.blank and field.empty_strings_allowed):
            row[field.attname] = field.get_default()  # "" for optional text, else None


def seal_rows(model: type[Chained], rows: list[dict[str, Any]]) -> None:
    """Seal rows that a bulk loader is about to insert, in their order.

    `rows` are dicts keyed by the model's attnames (`organisation_id`, not
    `organisation`). In each dict, columns left out get the field's default (a fresh id,
    the current time, …), decimals are rounded to their field's places, and `chain_seq`,
    `chain_prev` and `chain_hash` are set; the chain heads are locked and moved on. Call it
    inside the transaction that inserts the rows, and insert every row exactly as it is
    now: the heads and the rows must commit together.
    """
    if not rows:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("seal_rows must run inside the transaction that inserts the rows.")
    fields = model.chain_fields
    names = []
    for row in rows:
        _complete(model, row)
        row.update(_stored_decimals(model, row))
        missing = [name for name in (model.chain_key, *fields) if name not in row]
        if missing:
            raise KeyError(f"{model.__name__} row without {', '.join(missing)}")
        names.append(_chain_of(model, model.chain_prefix, model.chain_key, row))
    heads = _locked_heads(names)
    for row, name in zip(rows, names, strict=True):
        head = heads[name]
        row["chain_seq"], row["chain_prev"] = head.seq + 1, head.last_hash
        row["chain_hash"] = link(head.last_hash, payload(model, fields, row))
        head.seq, head.last_hash = row["chain_seq"], row["chain_hash"]
    _advance(heads.values())


def seal_existing(
    head_model,
    prefix: str,
    key: str,
    sources: list[tuple[type[models.Model], tuple[str, ...], tuple[str, ...]]],
) -> int:
    """Chain rows stored before chaining existed (for a migration, with its models).

    `sources` are (model, hashed fields, order fields): each chain takes the rows of every
    source in that order, merged (then by source, then by id), numbered from 1 whatever its
    head said before. Returns the rows sealed.
    """
    streams = [_existing(i, prefix, key, *source) for i, source in enumerate(sources)]
    heads: dict[str, Any] = {}
    pending: dict[type[models.Model], list] = {}
    count = 0
    for order, model, fields, pk, row in heapq.merge(*streams, key=lambda item: item[0]):
        chain = order[0]
        if chain not in heads:  # every row of the chain is numbered afresh
            heads.update(_locked_heads([chain], head_model))
            heads[chain].seq, heads[chain].last_hash = 0, GENESIS
        head = heads[chain]
        previous, head.seq = head.last_hash, head.seq + 1
        head.last_hash = link(previous, payload(model, fields, row))
        sealed = model(pk=pk, chain_seq=head.seq, chain_prev=previous, chain_hash=head.last_hash)
        pending.setdefault(model, []).append(sealed)
        count += 1
        if len(pending[model]) >= CHUNK:
            _write_seals(model, pending.pop(model))
    for model, objects in pending.items():
        _write_seals(model, objects)
    _advance(heads.values(), head_model)
    return count


def _existing(index: int, prefix: str, key: str, model, fields, order) -> Iterator[tuple]:
    """A source's rows in chain order: (sort key, model, fields, pk, values)."""
    columns = list(dict.fromkeys((key, *order, *fields)))
    query = model._default_manager.order_by(key, *order, "pk").values_list("pk", *columns)
    # SQLite does not isolate a read from writes to the same table on one connection.
    rows = query.iterator(chunk_size=CHUNK) if connection.vendor == "postgresql" else list(query)
    for pk, *values in rows:
        row = dict(zip(columns, values, strict=True))
        chain = _chain_of(model, prefix, key, row)
        yield (chain, *(row[name] for name in order), index, pk), model, fields, pk, row


def _write_seals(model, objects: list) -> None:
    model._default_manager.bulk_update(
        objects, ["chain_seq", "chain_prev", "chain_hash"], batch_size=1_000
    )


# Verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainResult:
    """One chain as found: its kind, its name and the verdict of the walk."""

    kind: str
    chain: str
    verdict: Verdict


def _records(model: type[Chained], organisation=None, key=None) -> Iterator[tuple]:
    """The model's records in chain order, as (sort key, chain name, Record)."""
    query = model._default_manager.all()
    if organisation is not None:
        query = query.filter(**{model.chain_organisation: organisation})
    if key is not None:
        query = query.filter(**{model.chain_key: key})
    fields = model.chain_fields
    columns = ("pk", model.chain_key, "chain_seq", "chain_prev", "chain_hash", *fields)
    rows = query.order_by(model.chain_key, "chain_seq").values_list(*columns)
    label, record_model = model.__name__, model._meta.label_lower
    normals = [normal for _, normal in _normalisers(model, fields)]
    for pk, tenant, seq, previous, stored, *values in rows.iterator(chunk_size=CHUNK):
        content: dict[str, Scalar] = {"model": record_model}
        for name, normal, value in zip(fields, normals, values, strict=True):
            content[name] = None if value is None else normal(value)
        name = chain_name(model.chain_prefix, tenant)
        yield (tenant, seq), name, Record(seq, f"{label} {pk}", previous, stored, content)


def _tenants(model: type[Chained], organisation) -> list:
    """The ids naming the organisation's chains of this model (custody: the organisation
    itself; decisions: its certificates; premium: its fund)."""
    path = model.chain_organisation.split("__", 1)
    related = model._meta.get_field(model.chain_key).related_model
    lookup = path[1] if len(path) == 2 else "pk"
    return list(
        related._default_manager.filter(**{lookup: organisation}).values_list("pk", flat=True)
    )


def kind_models(kind: Kind) -> list[type[Chained]]:
    return [apps.get_model(label) for label in kind.models]


def _heads_of(kind: Kind, organisation=None, key=None):
    """The kind's chain heads (of one organisation, or the one chain of `key`)."""
    query = ChainHead.objects.filter(chain__startswith=f"{kind.prefix}:")
    if key is not None:
        return query.filter(chain=chain_name(kind.prefix, key))
    if organisation is not None:
        tenants = _tenants(kind_models(kind)[0], organisation)
        return query.filter(chain__in=[chain_name(kind.prefix, t) for t in tenants])
    return query


def _verify_kind(kind: Kind, organisation=None, key=None) -> Iterator[ChainResult]:
    chained = kind_models(kind)
    rows = _heads_of(kind, organisation, key).values_list("chain", "seq", "last_hash")
    heads = {name: Head(seq, last) for name, seq, last in rows.iterator(chunk_size=CHUNK)}
    streams = [_records(model, organisation, key) for model in chained]
    merged = heapq.merge(*streams, key=lambda item: item[0]) if len(streams) > 1 else streams[0]
    for name, group in itertools.groupby(merged, key=lambda item: item[1]):
        verdict = verify((record for _, _, record in group), heads.pop(name, None))
        yield ChainResult(kind.name, name, verdict)
    for name in sorted(heads):  # a head whose records are all gone
        yield ChainResult(kind.name, name, verify([], heads[name]))


def verify_all(
    kinds: Iterable[str] | None = None, organisation=None, key=None
) -> list[ChainResult]:
    """Walk every chain (of some kinds; of one organisation; or the one chain of `key`,
    e.g. an organisation id for custody) and return what was found in each.

    Reads one snapshot: on PostgreSQL a repeatable-read transaction when not already in
    one, so records and heads written meanwhile do not look like tampering.
    """
    wanted = [kind for kind in KINDS if kinds is None or kind.name in set(kinds)]
    fresh = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and fresh:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return [result for kind in wanted for result in _verify_kind(kind, organisation, key)]


def heads(
    kinds: Iterable[str] | None = None, organisation=None, key=None
) -> list[tuple[str, int, str]]:
    """The current chain heads as (name, length, last hash), by name."""
    found = []
    for kind in KINDS:
        if kinds is None or kind.name in set(kinds):
            query = _heads_of(kind, organisation, key).order_by("chain")
            found += query.values_list("chain", "seq", "last_hash")
    return sorted(found)


def tenant_of(chain: str) -> str:
    """Whose chain it is, for people: the organisation, fund or certificate it belongs to."""
    prefix, _, key = chain.partition(":")
    for kind in KINDS:
        if kind.prefix == prefix:
            model = kind_models(kind)[0]
            related = model._meta.get_field(model.chain_key).related_model
            try:
                found = related._default_manager.filter(pk=key).first()
            except (ValueError, ValidationError):  # a name no record of ours would have
                found = None
            return str(found) if found is not None else key
    return key


def anchored(name: str, seq: int) -> str | None:
    """The stored hash of the record at place `seq` of chain `name`, None if there is none."""
    prefix, _, key = name.partition(":")
    for kind in KINDS:
        if kind.prefix == prefix:
            for model in kind_models(kind):
                try:
                    found = (
                        model._default_manager.filter(**{model.chain_key: key, "chain_seq": seq})
                        .values_list("chain_hash", flat=True)
                        .first()
                    )
                except (ValueError, ValidationError):  # not a name Batea gives
                    return None
                if found is not None:
                    return found
    return None
