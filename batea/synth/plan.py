"""The shape of a synthetic federation: how many of what, deterministic ids and draws.

Everything is derived from the seed: organisation sizes, ids (sequential within a table, so
B-tree inserts stay cheap), names and dates. The same seed and the same `today` give the
same rows.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate

from django.utils import timezone

SLUG_PREFIX = "synth-"
MEMBERS_PER_ASMO = 400  # mean size; the spread is log-normal
SIZE_SIGMA = 1.3
FLAGSHIP_SHARE = 0.05  # the biggest ASMO holds 5 % of all members
MIN_ASMO_MEMBERS = 10
EVENTS_PER_CHAIN = 38  # see batea.synth.custody
TABLES = {
    "organisation": 1,
    "site": 2,
    "member": 3,
    "licence": 4,
    "relation": 5,
    "assessment": 6,
    "answer": 7,
    "lot": 8,
    "event": 9,
    "sale": 10,
    "certificate": 11,
}


@dataclass(frozen=True)
class Request:
    """What `batea synth` was asked for."""

    members: int
    events: int
    seed: int = 1
    today: date = field(default_factory=timezone.localdate)
    country: str = "CO"
    inspector_id: int | None = None  # the user recorded as assessor
    clerk_id: int | None = None  # the user recorded as having entered custody events


def weighted(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    """Values and cumulative weights for `random.choices(values, cum_weights=...)`."""
    values, weights = zip(*pairs, strict=True)
    return list(values), list(accumulate(weights))


class Ids:
    """Deterministic UUIDs: 64 bits from the seed, then the table and a counter."""

    def __init__(self, seed: int) -> None:
        digest = hashlib.sha256(f"batea-synth:{seed}".encode()).digest()
        self.prefix = int.from_bytes(digest[:8], "big") << 64

    def of(self, table: str, number: int) -> uuid.UUID:
        return uuid.UUID(int=self.prefix | (TABLES[table] << 48) | number, version=4)


@functools.lru_cache(maxsize=8192)
def noon(day: date) -> datetime:
    """A timestamp for a day (noon UTC), so that created_at is deterministic too."""
    return datetime.combine(day, time(12), tzinfo=UTC)


def asmo_sizes(members: int, rng: random.Random) -> list[int]:
    """Member counts of the ASMOs, biggest first, adding up to `members`.

    About one ASMO per 400 members (at least five from 250 members), sizes drawn log-normal
    (median ~ 0.4 × mean, a few groups of thousands), and a flagship cooperative with 5 % of
    everyone.
    """
    count = max(1, min(5, members // 50), members // MEMBERS_PER_ASMO)
    if count == 1 or members < count * MIN_ASMO_MEMBERS:
        return [members]
    flagship = max(MIN_ASMO_MEMBERS, int(members * FLAGSHIP_SHARE))
    draws = [rng.lognormvariate(0, SIZE_SIGMA) for _ in range(count - 1)]
    rest = members - flagship - MIN_ASMO_MEMBERS * (count - 1)
    total = sum(draws)
    sizes = [MIN_ASMO_MEMBERS + math.floor(rest * d / total) for d in draws]
    sizes[0] += members - flagship - sum(sizes)  # rounding remainder
    return sorted([flagship, *sizes], reverse=True)


@dataclass
class Asmo:
    """One synthetic ASMO: its number, id, members (a range of the member counter), sites."""

    number: int
    id: uuid.UUID
    slug: str
    region: tuple[str, float, float]
    first_member: int
    size: int
    sites: list[uuid.UUID] = field(default_factory=list)

    def member_id(self, ids: Ids, index: int) -> uuid.UUID:
        return ids.of("member", self.first_member + index)


class Picker:
    """Draws an ASMO with probability proportional to its members (its production)."""

    def __init__(self, asmos: list[Asmo]) -> None:
        self.asmos = asmos
        self.cumulative = list(accumulate(a.size for a in asmos))

    def draw(self, rng: random.Random) -> Asmo:
        point = rng.random() * self.cumulative[-1]
        return self.asmos[bisect.bisect_right(self.cumulative, point)]


def sites_for(size: int) -> int:
    """Sites of an ASMO: one per ~150 members, between 1 and 40."""
    return max(1, min(40, size // 150))


def chains_and_rest(events: int) -> tuple[int, int]:
    """Whole supply chains of 38 events, and the single productions that make up the rest."""
    return divmod(events, EVENTS_PER_CHAIN)


def timedelta_days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))
