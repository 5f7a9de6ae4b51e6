"""A ladder of standards (e.g. OECD risk screen → CRAFT → Fairmined → ecological) and the
reuse of answers across standards through crosswalks."""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from batea.domain.pathway.engine import (
    COMPLIANT,
    NON_COMPLIANT,
    Answer,
    LevelResult,
    Population,
    StandardResult,
    choose_answers,
    evaluate,
    rollup_of,
    rollup_result,
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
    standard: str,
    answers_by_standard: dict[str, list[Answer]],
    crosswalks: Iterable[Crosswalk],
    catalogues: dict[str, Catalogue] | None = None,
    population: Population | None = None,
) -> list[Answer]:
    """Answers of other standards that reach `standard`'s requirements through crosswalks,
    marked with where they came from. Direct answers always take precedence over these.

    When the two requirements are about different subjects (`catalogues` says which):
    an organisation-level answer stands for every member or site of the `population`, and a
    member- or site-level requirement reaches an organisation-level one through its roll-up
    (met by its own rule: compliant; not met: non-compliant). Without catalogues, answers
    carry over only between requirements of the same subject."""
    reused: list[Answer] = []
    catalogues = catalogues or {}
    for crosswalk in crosswalks:
        source, target = crosswalk.source[0], crosswalk.target[0]
        if target == standard and source in answers_by_standard:
            links = [
                (m.source, m.target, m.relation == "equivalent")
                for m in crosswalk.mappings
                if m.relation in FORWARD
            ]
            origin = source
        elif source == standard and target in answers_by_standard:
            links = [
                (m.target, m.source, m.relation == "equivalent")
                for m in crosswalk.mappings
                if m.relation in BACKWARD
            ]
            origin = target
        else:
            continue
        chosen = choose_answers(answers_by_standard[origin])  # the deciding answers only
        by_requirement: dict[str, list[Answer]] = {}
        for answer in chosen.values():
            by_requirement.setdefault(answer.requirement, []).append(answer)
        for from_id, to_id, equivalent in links:
            from_scope = _scope(catalogues.get(origin), from_id)
            to_scope = _scope(catalogues.get(standard), to_id)
            if from_scope == to_scope or None in (from_scope, to_scope):
                given = by_requirement.get(from_id, ())
            elif from_scope == "organisation":
                given = _for_every_subject(by_requirement.get(from_id, ()), population, to_scope)
            elif to_scope == "organisation":
                given = _from_rollup(catalogues[origin], from_id, chosen, population)
            else:
                continue  # members and sites are different subjects: nothing carries over
            for answer in given:
                if equivalent or answer.met:
                    reused.append(
                        replace(answer, requirement=to_id, reused_from=f"{origin}:{from_id}")
                    )
    return reused


def _scope(catalogue: Catalogue | None, requirement_id: str) -> str | None:
    requirement = catalogue.requirement(requirement_id) if catalogue else None
    return requirement.applies_to if requirement else None


def _for_every_subject(
    answers: Iterable[Answer], population: Population | None, scope: str
) -> list[Answer]:
    """An organisation-wide answer, given for each member or site."""
    subjects = sorted((population or Population()).of(scope))
    return [replace(a, subject=s) for a in answers if a.subject is None for s in subjects]


def _from_rollup(
    catalogue: Catalogue, requirement_id: str, chosen: dict, population: Population | None
) -> list[Answer]:
    """A member- or site-level requirement rolled up by its own rule, as one
    organisation-level answer dated by its newest answer."""
    requirement = catalogue.requirement(requirement_id)
    subjects = (population or Population()).of(requirement.applies_to)
    result = rollup_result(requirement, rollup_of(requirement_id, chosen, subjects))
    if result.answer is None:
        return []
    value = COMPLIANT if result.met else NON_COMPLIANT
    return [replace(result.answer, value=value, score=None, subject=None)]


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
    catalogues = {rung.catalogue.id: rung.catalogue for rung in rungs}
    cache: dict[str, StandardResult] = {}
    results = []
    for rung in rungs:
        standard_id = rung.catalogue.id
        if standard_id not in cache:
            answers = list(answers_by_standard.get(standard_id, ()))
            answers += reuse_answers(
                standard_id, answers_by_standard, crosswalks, catalogues, population
            )
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
