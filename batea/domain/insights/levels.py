"""Where an organisation stands on a ladder of standards, and since when (approximately).

The level of an organisation is the number of rungs of the ladder it has climbed: rungs met
one after the other from the bottom (as on the pathway page). A rung whose standard version
has no such level does not apply and is passed through.

Since when: Batea does not store a history of levels, so the date a rung was reached is
approximated from the evidence it rests on today: the newest assessment date among the
deciding answers of the requirements the level considers (for member and site
requirements, the newest answer of the roll-up). On the evidence standing today, the rung
has been met at least since then; it may have been met earlier on evidence since replaced,
so the time to a level is an upper bound. A rung is reached no earlier than the rung below
it. A level that asks for nothing counts as reached on entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from batea.domain.pathway.engine import LevelResult, StandardResult, _applies


@dataclass(frozen=True)
class Position:
    """Rungs climbed (0: none), and for each climbed rung the date it was reached."""

    climbed: int
    reached_on: tuple[date, ...] = ()


def evidence_date(standard: StandardResult, level: LevelResult) -> date | None:
    """The newest assessment date among the answers the level rests on, None without any."""
    dates = [
        result.answer.assessed_on
        for result in standard.requirements.values()
        if result.answer is not None
        and _applies(result.requirement, level.level.rule, standard.years_since_entry)
    ]
    return max(dates) if dates else None


def position(rungs: Sequence[tuple[StandardResult | None, str]], entry_date: date) -> Position:
    """Climb the ladder: `rungs` are (the organisation's result on the rung's standard, or
    None when it has none; the rung's level id), bottom first."""
    climbed, reached, last = 0, [], entry_date
    for standard, level_id in rungs:
        level = (
            None
            if standard is None
            else next((lr for lr in standard.levels if lr.level.id == level_id), None)
        )
        if standard is not None and level is None:
            climbed += 1  # the version has no such level: the rung does not apply
            reached.append(last)
            continue
        if level is None or not level.met:
            break
        evidence = evidence_date(standard, level)
        last = max(last, evidence or entry_date)
        climbed += 1
        reached.append(last)
    return Position(climbed, tuple(reached))
