"""The progressive pathway: where an organisation stands on a standard and on a ladder.

From a standard version (its catalogue), the organisation's entry date, an evaluation date
and the answers recorded so far, compute for each level whether it is met, what blocks it,
the obligations that become binding next and an ordered list of next steps. Plain Python,
deterministic, no Django.
"""

from batea.domain.pathway.engine import (
    Answer,
    LevelResult,
    Population,
    RequirementResult,
    StandardResult,
    choose_answers,
    evaluate,
    years_since,
)
from batea.domain.pathway.ladder import Rung, RungResult, evaluate_ladder, reuse_answers

__all__ = [
    "Answer",
    "LevelResult",
    "Population",
    "RequirementResult",
    "Rung",
    "RungResult",
    "StandardResult",
    "choose_answers",
    "evaluate",
    "evaluate_ladder",
    "reuse_answers",
    "years_since",
]
