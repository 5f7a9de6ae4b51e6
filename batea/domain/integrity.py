"""Tamper-evident history: records chained by hashes, and the walk that finds where a chain
was altered, added to or cut.

Each record stores the hash of the record before it and its own hash, computed over that
previous hash and its content. Changing a record changes what its hash should be; removing
or slipping in a record breaks the link of the next one. The chain head (the number of
records and the last hash), kept apart, shows a cut at the end. Someone who rewrites every
record after a point *and* the head is not caught here: that is what exporting the heads
elsewhere is for.

Payloads are plain data: the shell turns stored values into str, int, bool or None
(`decimal_text`, `instant_text`) so that a value read back from any database hashes the
same as the value given when the record was written.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal

from batea.domain.messages import Problem, gettext_noop

GENESIS = "0" * 64  # the "previous hash" of a chain's first record
ALTERED, INSERTED, DELETED = "altered", "inserted", "deleted"

Scalar = str | int | bool | None
_SCALARS = frozenset({str, int, bool, type(None)})
_WIDE = Context(prec=80)  # room for any quantize of a stored decimal
_SQLITE = Context(prec=15)  # SQLite keeps 15 significant digits (a double)


def canonical(payload: Mapping[str, Scalar]) -> bytes:
    """The payload as stable JSON: sorted keys, no whitespace, UTF-8.

    Only str, int, bool and None are accepted, so that nothing hashes differently by
    accident (a float, a Decimal or a date must be normalised first).
    """
    for key, value in payload.items():
        if type(value) not in _SCALARS:
            raise TypeError(f"payload value of {key!r} is {type(value).__name__}, not a scalar")
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link(previous_hash: str, payload: Mapping[str, Scalar]) -> str:
    """The hash of a record: SHA-256 (hex) over the previous hash and the payload."""
    digest = hashlib.sha256(previous_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(payload))
    return digest.hexdigest()


def stored_decimal(value: Decimal | int | str, places: int) -> Decimal:
    """The value as it is written: to `places` decimals, halves away from zero (as
    PostgreSQL rounds), so the database never rounds it differently."""
    return Decimal(value).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP, _WIDE)


def decimal_text(value: Decimal | int | str, places: int) -> str:
    """A decimal as hashed: its first 15 significant digits, to `places` decimals.

    SQLite keeps a decimal as a double and hands back 15 significant digits; PostgreSQL
    keeps every digit. Hashing 15 digits makes both read back what was hashed at write
    time (a change beyond the 15th digit, under 1e-12 g on a kilogram, goes unseen).
    """
    exact = stored_decimal(value, places)
    fifteen = _SQLITE.create_decimal_from_float(float(exact))
    text = fifteen.quantize(Decimal(1).scaleb(-places), context=_WIDE)
    return format(abs(text) if text.is_zero() else text, "f")


def instant_text(moment: datetime) -> str:
    """A point in time as hashed: ISO 8601 in UTC, to the microsecond (naive = UTC)."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")


def digest_of_heads(heads: Iterable[tuple[str, int, str]]) -> str:
    """One hash over chain heads (name, length, last hash), to anchor them elsewhere."""
    digest = hashlib.sha256()
    for name, seq, last_hash in sorted(heads):
        digest.update(f"{name} {seq} {last_hash}\n".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Record:
    """One record of a chain as stored: its position, a label naming it for people (e.g.
    its id), the previous hash and its own hash as stored, and its content."""

    seq: int
    label: str
    previous: str
    stored: str
    payload: Mapping[str, Scalar]


@dataclass(frozen=True)
class Head:
    """What the chain head says: how many records, and the hash of the last."""

    seq: int
    last_hash: str


@dataclass(frozen=True)
class Break:
    """The first place where a chain is not what was sealed.

    `label` names the record that was altered or inserted; for a deletion, the record
    after the gap (None when records are missing at the end). `seq` is the position.
    """

    kind: str  # ALTERED, INSERTED or DELETED
    seq: int
    label: str | None
    problem: Problem


@dataclass(frozen=True)
class Verdict:
    """How many records were read and the first break, if any."""

    count: int
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _problem(template: str, **params) -> Problem:
    return Problem("", template, params)


class _Walk:
    """The state of a walk along a chain: what the next record must link to."""

    def __init__(self, head: Head | None) -> None:
        self.head = head
        self.expected = 1  # the seq the next record must have
        self.last_hash = GENESIS  # the hash the next record must link to
        self.before_last: str | None = None  # the hash the last accepted record linked to
        self.last_label: str | None = None

    def accept(self, record: Record) -> None:
        self.before_last, self.last_hash = self.last_hash, record.stored
        self.last_label = record.label
        self.expected += 1

    def step(self, record: Record, following: Record | None) -> Break | None:
        """Accept the record or say what is wrong with it (or around it)."""
        if self.head is None:
            return Break(
                INSERTED,
                record.seq,
                record.label,
                _problem(gettext_noop("No chain head knows this chain: it was written outside.")),
            )
        if link(record.previous, record.payload) != record.stored:
            return Break(
                ALTERED,
                record.seq,
                record.label,
                _problem(
                    gettext_noop(
                        "Its content does not match its hash: it was changed after it was sealed."
                    )
                ),
            )
        if record.previous == self.last_hash and record.seq == self.expected:
            if record.seq > self.head.seq:
                return Break(
                    INSERTED,
                    record.seq,
                    record.label,
                    _problem(
                        gettext_noop(
                            "It comes after the last record the chain head knows (%(n)s)."
                        ),
                        n=self.head.seq,
                    ),
                )
            self.accept(record)
            return None
        return self._misplaced(record, following)

    def _misplaced(self, record: Record, following: Record | None) -> Break:
        """A record with a sound hash that does not follow the last accepted one."""
        skipped = _problem(gettext_noop("It does not belong here: the chain links past it."))
        if following is not None and following.previous == self.last_hash:
            return Break(INSERTED, record.seq, record.label, skipped)
        head = self.head
        if following is None and (head.seq, head.last_hash) == (
            self.expected - 1,
            self.last_hash,
        ):
            return Break(INSERTED, record.seq, record.label, skipped)
        if self.last_label is not None and record.previous == self.before_last:
            # This record and the one before both follow the same record: the one the rest
            # of the chain (or the head) goes on from is genuine, the other was slipped in.
            genuine = (following.previous if following else head.last_hash) == record.stored
            twin = _problem(
                gettext_noop(
                    "It claims the place of another record: the chain goes on from that one."
                )
            )
            if genuine:
                return Break(INSERTED, self.expected - 1, self.last_label, twin)
            return Break(INSERTED, record.seq, record.label, twin)
        if record.previous == self.last_hash:
            return Break(
                ALTERED,
                record.seq,
                record.label,
                _problem(
                    gettext_noop("Its position was changed: %(seq)s instead of %(expected)s."),
                    seq=record.seq,
                    expected=self.expected,
                ),
            )
        if record.seq < self.expected:
            return Break(INSERTED, record.seq, record.label, skipped)
        return Break(
            DELETED,
            self.expected,
            record.label,
            _problem(
                gettext_noop("Record %(seq)s is missing: the record after the gap is this one."),
                seq=self.expected,
            ),
        )

    def end(self) -> Break | None:
        """After the last record: does the head agree?"""
        if self.head is None:
            return None
        last = self.expected - 1
        if self.head.seq > last:
            return Break(
                DELETED,
                last + 1,
                None,
                _problem(
                    gettext_noop(
                        "The chain head counts %(n)s records; records from %(seq)s on are missing."
                    ),
                    n=self.head.seq,
                    seq=last + 1,
                ),
            )
        if self.head.last_hash != self.last_hash:
            return Break(
                ALTERED,
                last,
                self.last_label,
                _problem(
                    gettext_noop(
                        "The last record is not the one the chain head sealed: it was replaced."
                    )
                ),
            )
        return None


def verify(records: Iterable[Record], head: Head | None) -> Verdict:
    """Walk a chain's records in order (by seq) and find the first break.

    `head` is the chain head, or None if there is none (then any record is foreign). A
    record is *altered* when its hash does not match its content (or its position was
    changed), *inserted* when the chain links past it or it claims another record's place
    or comes after the head's last, and records are *deleted* when the numbering or the
    links jump, or the head counts more. Records are read one ahead, never all at once.
    """
    walk = _Walk(head)
    stream: Iterator[Record] = iter(records)
    current = next(stream, None)
    count = 0
    while current is not None:
        following = next(stream, None)
        count += 1
        broken = walk.step(current, following)
        if broken is not None:
            return Verdict(count, broken)
        current = following
    return Verdict(count, walk.end())
