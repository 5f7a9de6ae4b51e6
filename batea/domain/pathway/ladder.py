"""A ladder of standards (e.g. OECD risk screen → CRAFT → Fairmined → ecological) and the
reuse of answers across standards through crosswalks."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from batea.domain.pathway.engine import (
    Answer,
    LevelResult,
    Population,
    StandardResult,
    choose_answers,
    evaluate,
)
from batea.domain.standards.catalogue import Catalogue
from batea.domain.standards.crosswalk import Crosswalk

# An answer to the `from` requirement answers the `to` one when it covers at least as much.
# Through an equivalence every answer carries over; through a broader requirement only a
# compliant one does (failing the broader one does not mean failing the narrower one).
FORWARD = ("equivalent", "broader")
BACKWARD = ("equivalent", "narrower")


@dataclass(frozen=True)
class Rung:
    """One step of a ladder: a level of a standard version."""

    catalogue: Catalogue
    level: str


@dataclass
class RungResult:
    rung: Rung
    standard: StandardResult
    level: LevelResult

    @property
    def met(self) -> bool:
        return self.level.met


def reuse_answers(
    standard: str, answers_by_standard: dict[str, list[Answer]], crosswalks: Iterable[Crosswalk]
) -> list[Answer]:
    """Answers of other standards that reach `standard`'s requirements through crosswalks,
    marked with where they came from. Direct answers always take precedence over these."""
    reused: list[Answer] = []
    for crosswalk in crosswalks:
        source, target = crosswalk.source[0], crosswalk.target[0]
        if target == standard and source in answers_by_standard:
            links = [
                (m.source, m.target, m.relation == "equivalent")
                for m in crosswalk.mappings
                if m.relation in FORWARD
            ]
            origin, given = source, answers_by_standard[source]
        elif source == standard and target in answers_by_standard:
            links = [
                (m.target, m.source, m.relation == "equivalent")
                for m in crosswalk.mappings
                if m.relation in BACKWARD
            ]
            origin, given = target, answers_by_standard[target]
        else:
            continue
        by_requirement: dict[str, list[Answer]] = {}
        for answer in choose_answers(given).values():  # the deciding answer only
            by_requirement.setdefault(answer.requirement, []).append(answer)
        for from_id, to_id, equivalent in links:
            for answer in by_requirement.get(from_id, ()):
                if equivalent or answer.met:
                    reused.append(
                        replace(answer, requirement=to_id, reused_from=f"{origin}:{from_id}")
                    )
    return reused


def evaluate_ladder(
    rungs: list[Rung],
    answers_by_standard: dict[str, list[Answer]],
    crosswalks: Iterable[Crosswalk],
    entry_date: date,
    on: date,
    population: Population | None = None,
    metrics: dict[str, float] | None = None,
    deadlines: dict[str, dict] | None = None,
) -> list[RungResult]:
    """Evaluate every rung; each standard sees its own answers plus reused ones.
    `deadlines` are the open findings' deadlines per standard and requirement."""
    crosswalks = list(crosswalks)
    cache: dict[str, StandardResult] = {}
    results = []
    for rung in rungs:
        standard_id = rung.catalogue.id
        if standard_id not in cache:
            answers = list(answers_by_standard.get(standard_id, ()))
            answers += reuse_answers(standard_id, answers_by_standard, crosswalks)
            cache[standard_id] = evaluate(
                rung.catalogue,
                entry_date,
                on,
                answers,
                population,
                metrics,
                deadlines=(deadlines or {}).get(standard_id),
            )
        standard = cache[standard_id]
        level = next((lr for lr in standard.levels if lr.level.id == rung.level), None)
        if level is None:
            continue  # the version evaluated has no such level: the rung does not apply
        results.append(RungResult(rung, standard, level))
    return results


def current_rung(results: list[RungResult]) -> int:
    """How many rungs are climbed: consecutive met rungs from the bottom."""
    climbed = 0
    for result in results:
        if not result.met:
            break
        climbed += 1
    return climbed
