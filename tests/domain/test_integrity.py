"""Hash chains: an untouched chain verifies; any single alteration, insertion or deletion
is found, and the break names the record (or the place) where it happened."""

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Context, Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from batea.domain.integrity import (
    ALTERED,
    DELETED,
    GENESIS,
    INSERTED,
    Head,
    Record,
    canonical,
    decimal_text,
    digest_of_heads,
    instant_text,
    link,
    stored_decimal,
    verify,
)

scalars = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text("abcé", max_size=4))
payloads = st.dictionaries(
    st.sampled_from(["amount", "kind", "note", "id", "on"]), scalars, max_size=3
)
chains = settings(deadline=None)


def build(contents: list[dict]) -> tuple[list[Record], Head]:
    """A sealed chain of the given payloads, labelled r1, r2, … and its head."""
    records, previous = [], GENESIS
    for seq, payload in enumerate(contents, start=1):
        stored = link(previous, payload)
        records.append(Record(seq, f"r{seq}", previous, stored, payload))
        previous = stored
    return records, Head(len(records), previous)


def renumbered(records: list[Record], start: int, by: int) -> list[Record]:
    return [replace(r, seq=r.seq + by) if i >= start else r for i, r in enumerate(records)]


def some_hash(data) -> str:
    return hashlib.sha256(repr(data).encode()).hexdigest()


@chains
@given(st.lists(payloads, max_size=12))
def test_an_untouched_chain_verifies(contents):
    records, head = build(contents)
    verdict = verify(records, head)
    assert verdict.ok and verdict.count == len(contents)


@chains
@given(st.lists(payloads, min_size=1, max_size=12), st.data())
def test_an_altered_record_is_named(contents, data):
    records, head = build(contents)
    i = data.draw(st.integers(0, len(records) - 1))
    what = data.draw(st.sampled_from(["payload", "hash", "previous"]))
    record = records[i]
    if what == "payload":
        key = data.draw(st.sampled_from(["amount", "kind", "note", "id", "on"]))
        changed = {**record.payload, key: data.draw(scalars)}
        assume(canonical(changed) != canonical(record.payload))
        records[i] = replace(record, payload=changed)
    elif what == "hash":
        records[i] = replace(record, stored=some_hash(("forged", i)))
    else:
        records[i] = replace(record, previous=some_hash(("elsewhere", i)))
    broken = verify(records, head).broken
    assert broken is not None
    assert (broken.kind, broken.label, broken.seq) == (ALTERED, f"r{i + 1}", i + 1)


@chains
@given(st.lists(payloads, min_size=1, max_size=12), st.data())
def test_a_deleted_record_is_found_where_it_was(contents, data):
    records, head = build(contents)
    i = data.draw(st.integers(0, len(records) - 1))
    close_the_gap = data.draw(st.booleans())
    rest = records[:i] + records[i + 1 :]
    if close_the_gap:  # the numbers after it moved down, as if nothing were missing
        rest = renumbered(rest, i, -1)
    broken = verify(rest, head).broken
    assert broken is not None
    assert (broken.kind, broken.seq) == (DELETED, i + 1)
    assert broken.label == (f"r{i + 2}" if i + 1 < len(records) else None)


@chains
@given(st.lists(payloads, max_size=12), payloads, st.data())
def test_an_inserted_record_is_named(contents, payload, data):
    records, head = build(contents)
    p = data.draw(st.integers(0, len(records)), label="position")
    links_in = data.draw(st.booleans(), label="links to the record before")
    sound_hash = data.draw(st.booleans(), label="its hash matches its content")
    renumber = data.draw(st.booleans(), label="the records after it are renumbered")
    first = data.draw(st.booleans(), label="stored before the record whose place it takes")
    previous = records[p - 1].stored if p and links_in else GENESIS if links_in else some_hash(p)
    content = {**payload, "forged": True}
    stored = link(previous, content) if sound_hash else some_hash(("forged", p))
    forged = Record(p + 1, "forged", previous, stored, content)
    if renumber or p == len(records) or first:
        after = renumbered(records[p:], 0, 1) if renumber else records[p:]
        chain = records[:p] + [forged] + after
    else:  # two records claim seq p + 1; the forged one is read second
        chain = records[: p + 1] + [forged] + records[p + 1 :]
    broken = verify(chain, head).broken
    assert broken is not None
    assert broken.label == "forged"
    assert broken.kind == INSERTED if sound_hash else broken.kind in (INSERTED, ALTERED)


@chains
@given(st.lists(payloads, min_size=1, max_size=8))
def test_records_without_a_head_are_foreign_and_a_head_without_records_is_a_cut(contents):
    records, head = build(contents)
    assert verify(records, None).broken.kind == INSERTED
    broken = verify([], head).broken
    assert (broken.kind, broken.seq, broken.label) == (DELETED, 1, None)


def test_a_replaced_last_record_disagrees_with_the_head():
    records, head = build([{"amount": "1.00"}, {"amount": "2.00"}])
    forged = {"amount": "20.00"}
    records[-1] = Record(2, "r2", records[0].stored, link(records[0].stored, forged), forged)
    broken = verify(records, head).broken
    assert (broken.kind, broken.label) == (ALTERED, "r2")


def test_the_hash_covers_the_previous_hash_and_every_value():
    payload = {"amount": "1.00", "note": None, "paid": True, "by": 7}
    assert link(GENESIS, payload) != link("1" * 64, payload)
    assert link(GENESIS, payload) != link(GENESIS, {**payload, "paid": False})
    assert link(GENESIS, payload) == link(GENESIS, dict(reversed(payload.items())))
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


@pytest.mark.parametrize("value", [1.5, Decimal("1.5"), datetime(2024, 1, 1), [1]])
def test_only_normalised_values_are_hashed(value):
    with pytest.raises(TypeError):
        canonical({"x": value})


decimals = st.decimals(
    min_value=Decimal("-1e15"), max_value=Decimal("1e15"), allow_nan=False, places=12
)


@given(decimals, st.integers(0, 12))
def test_a_decimal_read_back_from_sqlite_or_postgresql_hashes_as_written(value, places):
    written = stored_decimal(value, places)  # what is stored; PostgreSQL gives it back
    # SQLite keeps a double and Django reads back 15 significant digits, quantized.
    sqlite = (
        Context(prec=15)
        .create_decimal_from_float(float(written))
        .quantize(Decimal(1).scaleb(-places), context=Context(prec=40))
    )
    assert decimal_text(sqlite, places) == decimal_text(written, places)
    assert decimal_text(value, places) == decimal_text(written, places)


@given(st.integers(-(10**14), 10**14), st.integers(0, 12))
def test_distinct_amounts_hash_distinctly(units, places):
    value = Decimal(units).scaleb(-places)
    assert decimal_text(value, places) != decimal_text(value + Decimal(1).scaleb(-places), places)
    assert "E" not in decimal_text(value, places)


def test_zero_has_one_text():
    assert decimal_text(Decimal("-0.00"), 2) == decimal_text(0, 2) == "0.00"


@given(
    st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
    st.integers(-12, 12),
)
def test_an_instant_hashes_the_same_in_any_time_zone(moment, hours):
    elsewhere = moment.astimezone(timezone(timedelta(hours=hours)))
    assert (
        instant_text(elsewhere) == instant_text(moment) == instant_text(moment.replace(tzinfo=None))
    )


def test_the_digest_of_heads_changes_with_any_head():
    heads = [("custody:a", 3, "a" * 64), ("premium:b", 1, "b" * 64)]
    assert digest_of_heads(heads) == digest_of_heads(reversed(heads))
    assert digest_of_heads(heads) != digest_of_heads([("custody:a", 3, "c" * 64), heads[1]])
