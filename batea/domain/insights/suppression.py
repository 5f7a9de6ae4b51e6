"""Small-cell suppression for figures shown to the public (anonymised and aggregated).

A count of people below `k` (default 5) could point at someone: "the one woman processor
who was excluded". On public pages:

1. A table whose total is below `k` is not shown at all (every cell and the total hidden):
   even its zeros would say something about a handful of people.
2. Every cell from 1 to k-1 is hidden (primary suppression). Zeros are shown.
3. Because the total is shown, hidden cells could be recovered by subtraction; so while the
   hidden cells add up to less than `k`, the smallest shown non-zero cell is hidden too
   (complementary suppression). What can be derived about the hidden cells is then a sum of
   at least `k` people.

Shares follow the counts: a share is hidden when its part, or the rest of its whole, is a
hidden size (1 to k-1), or when the whole is below `k`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MIN_CELL = 5


@dataclass(frozen=True)
class Suppressed:
    """A one-way table after suppression: each cell its count or None (hidden)."""

    cells: dict[str, int | None]
    total: int | None
    k: int

    @property
    def hidden(self) -> list[str]:
        return [key for key, value in self.cells.items() if value is None]

    def share(self, key: str) -> float | None:
        """The cell's share of the total, when both are shown and the total is not zero."""
        value = self.cells.get(key)
        if value is None or not self.total:
            return None
        return value / self.total


def is_small(count: int, k: int) -> bool:
    """A count that must not be shown: from 1 to k-1."""
    return 0 < count < k


def suppress(counts: Mapping[str, int], k: int = DEFAULT_MIN_CELL) -> Suppressed:
    """Suppress a one-way table of counts of people (see the module's rules). With k <= 1
    nothing is hidden (the figures of people who may see every record anyway)."""
    if any(value < 0 for value in counts.values()):
        raise ValueError("counts cannot be negative")
    total = sum(counts.values())
    if k <= 1:
        return Suppressed(dict(counts), total, k)
    if total < k:
        return Suppressed(dict.fromkeys(counts), None, k)
    hidden = {key for key, value in counts.items() if is_small(value, k)}
    while 0 < sum(counts[key] for key in hidden) < k:
        shown = sorted(
            (value, index, key)
            for index, (key, value) in enumerate(counts.items())
            if key not in hidden and value > 0
        )
        if not shown:  # cannot happen: the hidden cells would then be the whole total ≥ k
            break
        hidden.add(shown[0][2])
    return Suppressed(
        {key: None if key in hidden else value for key, value in counts.items()}, total, k
    )


def safe_share(part: int, whole: int, k: int = DEFAULT_MIN_CELL) -> float | None:
    """part / whole, or None when showing it would reveal a group smaller than `k`: the
    whole is below k, or the part or the rest of the whole is from 1 to k-1. With k <= 1
    it is only None for an empty whole."""
    if not 0 <= part <= whole:
        raise ValueError("the part must be between 0 and the whole")
    if whole == 0:
        return None
    if k > 1 and (whole < k or is_small(part, k) or is_small(whole - part, k)):
        return None
    return part / whole


def safe_count(count: int, k: int = DEFAULT_MIN_CELL) -> int | None:
    """A single count of people: None when it is from 1 to k-1."""
    return None if k > 1 and is_small(count, k) else count
