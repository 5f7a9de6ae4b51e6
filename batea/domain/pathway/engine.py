"""Evaluate one standard version for one organisation."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from batea.domain.messages import Problem, gettext_noop
from batea.domain.standards.catalogue import Catalogue, Level, Requirement

# Which assessments win when several answer the same question (first wins), newest first.
PRECEDENCE = ("audit", "ics", "peer", "self")
COMPLIANT, PARTLY, NON_COMPLIANT, NOT_APPLICABLE = (
    "compliant",
    "partly",
    "non_compliant",
    "not_applicable",
)
VALUES = (COMPLIANT, PARTLY, NON_COMPLIANT, NOT_APPLICABLE)
PASS_SCORE = 3  # a 1–5 scored requirement on its own is met from this score
SEVERITY_ORDER = {"core": 0, "major": 1, "development": 2, "voluntary": 3}


@dataclass(frozen=True)
class Answer:
    """One recorded answer. `subject` is None for the organisation (and buyer) scope,
    else the member or site id it is about. `score` is set for 1–5 scored requirements."""

    requirement: str
    value: str | None = None
    score: int | None = None
    subject: str | None = None
    kind: str = "self"
    assessed_on: date = date.min
    assessment: str = ""
    reused_from: str | None = None  # "standard:requirement" when reached through a crosswalk

    @property
    def applicable(self) -> bool:
        return self.value != NOT_APPLICABLE

    @property
    def met(self) -> bool:
        if self.score is not None:
            return self.score >= PASS_SCORE
        return self.value in (COMPLIANT, NOT_APPLICABLE)

    def rank(self) -> tuple:
        """Sort key: direct before reused, then assessment precedence, then newest, then the
        assessment id. Two answers tied on all of these (one assessment holds one current
        answer per requirement and subject, so only data from elsewhere can tie) are ordered
        the cautious way: the one not met first, so the choice never depends on input order."""
        kind_rank = PRECEDENCE.index(self.kind) if self.kind in PRECEDENCE else len(PRECEDENCE)
        return (
            self.reused_from is not None,
            kind_rank,
            -self.assessed_on.toordinal(),
            self.assessment,
            self.met,
            self.value or "",
            -1 if self.score is None else self.score,
            self.reused_from or "",
        )


@dataclass(frozen=True)
class Population:
    """The members and sites that member- and site-level requirements roll up over."""

    members: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()

    def of(self, scope: str) -> frozenset[str]:
        return self.members if scope == "member" else self.sites


@dataclass(frozen=True)
class Rollup:
    """One member- or site-level requirement counted over the organisation's population:
    subjects in scope, those answered, those it applies to (answered), those complying, the
    failing subjects (not met or not assessed, sorted), the scores, and the newest answer."""

    subjects: int
    answered: int
    applicable: int
    compliant: int
    failing: tuple[str, ...] = ()
    score_sum: int = 0
    score_count: int = 0
    latest: Answer | None = None


@dataclass
class RequirementResult:
    requirement: Requirement
    met: bool
    status: str  # met | not_met | not_assessed | not_applicable | share_too_low
    answer: Answer | None = None  # the deciding answer (organisation-level requirements)
    score: float | None = None
    compliant: int = 0  # roll-up: subjects that comply
    applicable: int = 0  # roll-up: subjects it applies to
    failing: tuple[str, ...] = ()  # roll-up: subjects not compliant or not assessed
    required_share: float | None = None

    @property
    def source(self) -> str:
        """Where the result came from, for people: the deciding answer's assessment."""
        if self.answer is None:
            return ""
        reused = f" via {self.answer.reused_from}" if self.answer.reused_from else ""
        return f"{self.answer.kind} {self.answer.assessed_on.isoformat()}{reused}"


@dataclass
class LevelResult:
    level: Level
    met: bool
    year_limit: int
    blocking: list[RequirementResult] = field(default_factory=list)
    development_average: float | None = None
    development_average_min: float | None = None
    eligibility: list[tuple[str, bool | None, float | None]] = field(default_factory=list)
    considered: int = 0
    due: bool = True  # False for a level fixed at a later year than the organisation has reached


@dataclass
class Obligation:
    requirement: Requirement
    binding_on: date


@dataclass
class Step:
    """Something to do next, ordered by deadline then severity."""

    requirement: Requirement
    due: date
    reason: Problem
    level: str


@dataclass
class StandardResult:
    standard: str
    version: str
    evaluated_on: date
    years_since_entry: int
    variant: str | None
    levels: list[LevelResult]
    requirements: dict[str, RequirementResult]
    upcoming: list[Obligation]
    next_steps: list[Step]
    title: dict = field(default_factory=dict)

    @property
    def current_level(self) -> LevelResult | None:
        """The highest level reached with every lower level also met; levels fixed at a year
        the organisation has not reached yet are not due and do not hold it back."""
        current = None
        for result in self.levels:
            if not result.due and not result.met:
                continue
            if not result.met:
                break
            current = result
        return current

    @property
    def next_level(self) -> LevelResult | None:
        return next((result for result in self.levels if result.due and not result.met), None)


def years_since(start: date, on: date) -> int:
    """Whole years from `start` to `on` (anniversaries), never negative."""
    if on < start:
        return 0
    years = on.year - start.year
    if (on.month, on.day) < (start.month, start.day):
        years -= 1
    return years


def add_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def choose_answers(answers: Iterable[Answer]) -> dict[tuple[str, str | None], Answer]:
    """The deciding answer per (requirement, subject), by the stated precedence."""
    chosen: dict[tuple[str, str | None], Answer] = {}
    for answer in answers:
        key = (answer.requirement, answer.subject)
        if key not in chosen or answer.rank() < chosen[key].rank():
            chosen[key] = answer
    return chosen


def evaluate(
    catalogue: Catalogue,
    entry_date: date,
    on: date,
    answers: Iterable[Answer],
    population: Population | None = None,
    metrics: dict[str, float] | None = None,
    scopes: tuple[str, ...] = ("organisation", "member", "site"),
    deadlines: dict[str, date] | None = None,
    rollups: dict[str, "Rollup"] | None = None,
) -> StandardResult:
    """Where an organisation stands on every level of one standard version on a date.

    `deadlines` (requirement id → date) are the deadlines of open findings: the next steps
    for those requirements are due then. `rollups` (requirement id → Rollup) are member- and
    site-level requirements already counted elsewhere (by the database, for many
    organisations at once); the others are counted here from `answers` and `population`.

    Only requirements applying to `scopes` count: an ASMO is not held to what the standard
    asks of its buyers."""
    metrics = metrics or {}
    population = population or Population()
    chosen = choose_answers(a for a in answers if a.assessed_on <= on)  # as known on that day
    years = years_since(entry_date, on)
    requirements = [r for r in catalogue.requirements if r.applies_to in scopes]
    results = {r.id: _requirement_result(r, chosen, population, rollups) for r in requirements}
    levels = [
        _level_result(requirements, catalogue, level, years, results, metrics)
        for level in catalogue.levels
    ]
    upcoming = sorted(
        (
            Obligation(r, add_years(entry_date, r.binding_year))
            for r in requirements
            if r.binding_year > years
        ),
        key=lambda o: (o.binding_on, SEVERITY_ORDER[o.requirement.kind], o.requirement.order),
    )
    standard = StandardResult(
        title=catalogue.title,
        standard=catalogue.id,
        version=catalogue.version,
        evaluated_on=on,
        years_since_entry=years,
        variant=None,
        levels=levels,
        requirements=results,
        upcoming=upcoming,
        next_steps=[],
    )
    standard.next_steps = _next_steps(standard, entry_date, on, deadlines or {})
    return standard


def _requirement_result(
    requirement: Requirement, chosen: dict, population: Population, rollups: dict | None
) -> RequirementResult:
    if requirement.applies_to in ("member", "site"):
        rollup = (rollups or {}).get(requirement.id) or rollup_of(
            requirement.id, chosen, population.of(requirement.applies_to)
        )
        return rollup_result(requirement, rollup)
    answer = chosen.get((requirement.id, None))
    if answer is None:
        return RequirementResult(requirement, False, "not_assessed")
    if not answer.applicable:
        return RequirementResult(requirement, True, "not_applicable", answer)
    return RequirementResult(
        requirement, answer.met, "met" if answer.met else "not_met", answer, score=answer.score
    )


def rollup_of(requirement_id: str, chosen: dict, subjects: frozenset[str]) -> Rollup:
    """Count one member- or site-level requirement over the population from the deciding
    answers. A subject without an answer counts as applicable and failing."""
    answered = applicable = compliant = score_sum = score_count = 0
    failing: list[str] = []
    latest: Answer | None = None
    for subject in sorted(subjects):
        answer = chosen.get((requirement_id, subject))
        if answer is None:
            failing.append(subject)
            continue
        answered += 1
        if latest is None or _newer(answer, latest):
            latest = answer
        if not answer.applicable:
            continue
        applicable += 1
        if answer.met:
            compliant += 1
        else:
            failing.append(subject)
        if answer.score is not None:
            score_sum += answer.score
            score_count += 1
    return Rollup(
        len(subjects),
        answered,
        applicable,
        compliant,
        tuple(failing),
        score_sum,
        score_count,
        latest,
    )


def _newer(answer: Answer, than: Answer) -> bool:
    """The roll-up's source is its newest answer; on the same day the stronger kind."""
    return (answer.assessed_on, -_kind_rank(answer.kind)) > (
        than.assessed_on,
        -_kind_rank(than.kind),
    )


def _kind_rank(kind: str) -> int:
    return PRECEDENCE.index(kind) if kind in PRECEDENCE else len(PRECEDENCE)


def rollup_result(requirement: Requirement, rollup: Rollup) -> RequirementResult:
    """A roll-up judged by the requirement's rule (all subjects, or a share); a level may
    impose its own member share on top."""
    rule = requirement.rollup or {"rule": "all"}
    required = 1.0 if rule["rule"] == "all" else float(rule["min_share"])
    if not rollup.subjects:
        # Nobody registered: the requirement cannot be shown to be met.
        return RequirementResult(requirement, False, "not_assessed", required_share=1.0)
    total = rollup.applicable + rollup.subjects - rollup.answered  # unanswered count as applicable
    share = rollup.compliant / total if total else 1.0
    met = share >= required
    status = "met" if met else ("not_assessed" if not rollup.answered else "share_too_low")
    return RequirementResult(
        requirement,
        met,
        status,
        rollup.latest,
        score=rollup.score_sum / rollup.score_count if rollup.score_count else None,
        compliant=rollup.compliant,
        applicable=total,
        failing=rollup.failing,
        required_share=required,
    )


def _applies(requirement: Requirement, rule: dict, years: int) -> bool:
    limit = years if rule["up_to_year"] == "current" else rule["up_to_year"]
    if requirement.id in rule.get("requirements", ()):
        return True
    if requirement.kind not in rule["kinds"] or requirement.binding_year > limit:
        return False
    if rule.get("chapters") and requirement.chapter not in rule["chapters"]:
        return False
    return requirement.applies_in(rule.get("variant"))


def _level_result(
    requirements, catalogue, level: Level, years: int, results, metrics
) -> LevelResult:
    rule = level.rule
    limit = years if rule["up_to_year"] == "current" else rule["up_to_year"]
    relevant = [results[r.id] for r in requirements if _applies(r, rule, years)]
    threshold = rule.get("development_average_min")
    averaged = [
        r
        for r in relevant
        if threshold is not None
        and r.requirement.kind == "development"
        and r.requirement.scoring == "scale_1_5"
    ]
    member_share = rule.get("member_share_min")
    blocking = []
    for result in relevant:
        if result in averaged:
            continue
        met = result.met
        if (
            member_share is not None
            and result.requirement.applies_to == "member"
            and result.requirement.rollup is None
        ):
            met = result.applicable == 0 or result.compliant / result.applicable >= member_share
        if not met:
            blocking.append(result)
    average = None
    if averaged:
        scores = [r.score for r in averaged if r.score is not None]
        average = sum(scores) / len(scores) if scores else None
        unscored = [r for r in averaged if r.score is None and r.status != "not_applicable"]
        blocking.extend(unscored)
    eligibility = []
    for rule_id in rule.get("eligibility", ()):
        spec = next(e for e in catalogue.document.get("eligibility", []) if e["id"] == rule_id)
        value = metrics.get(spec["metric"])
        ok = (
            None
            if value is None
            else (
                ("max" not in spec or value <= spec["max"])
                and ("min" not in spec or value >= spec["min"])
            )
        )
        eligibility.append((rule_id, ok, value))
    met = (
        not blocking
        and (threshold is None or not averaged or (average is not None and average >= threshold))
        and all(ok for _, ok, _ in eligibility)
    )
    blocking.sort(key=lambda r: (SEVERITY_ORDER[r.requirement.kind], r.requirement.order))
    return LevelResult(
        level,
        met,
        limit,
        blocking,
        None if average is None else round(average, 2),
        threshold,
        eligibility,
        considered=len(relevant),
        due=rule["up_to_year"] == "current" or rule["up_to_year"] <= years,
    )


def _next_steps(
    result: StandardResult, entry_date: date, on: date, deadlines: dict[str, date]
) -> list[Step]:
    """Close the gaps of the next level first (due now, or when they become binding), then
    prepare the obligations that become binding next."""
    steps: list[Step] = []
    seen: set[str] = set()
    target = result.next_level
    if target is not None:
        for blocker in target.blocking:
            requirement = blocker.requirement
            # An open finding's deadline wins; else now, or when it becomes binding.
            due = deadlines.get(requirement.id) or max(
                on, add_years(entry_date, requirement.binding_year)
            )
            steps.append(Step(requirement, due, _reason(blocker), target.level.id))
            seen.add(requirement.id)
        for step in _development_steps(result, target, on):
            if step.requirement.id not in seen:
                steps.append(step)
                seen.add(step.requirement.id)
        for rule_id, ok, _value in target.eligibility:
            if not ok:
                steps.append(
                    Step(
                        Requirement(rule_id, "", {}, {}, "organisation", "core", 0, "pass_fail"),
                        on,
                        Problem(
                            "",
                            gettext_noop("Show that the eligibility rule %(rule)s is met."),
                            {"rule": rule_id},
                        ),
                        target.level.id,
                    )
                )
    for obligation in result.upcoming:
        if obligation.requirement.id not in seen:
            steps.append(
                Step(
                    obligation.requirement,
                    obligation.binding_on,
                    Problem(
                        "",
                        gettext_noop("Becomes binding on %(date)s: prepare it."),
                        {"date": obligation.binding_on.isoformat()},
                    ),
                    "",
                )
            )
    steps.sort(
        key=lambda s: (
            s.due,
            SEVERITY_ORDER.get(s.requirement.kind, 9),
            s.requirement.order,
            s.requirement.id,
        )
    )
    return steps


def _development_steps(result: StandardResult, target: LevelResult, on: date) -> list[Step]:
    """When the development average is short, the three weakest scores to raise."""
    threshold = target.development_average_min
    if threshold is None or (target.development_average or 0) >= threshold:
        return []
    weakest = sorted(
        (
            r
            for r in result.requirements.values()
            if r.requirement.kind == "development" and r.score is not None and r.score < threshold
        ),
        key=lambda r: (r.score, r.requirement.order),
    )
    template = gettext_noop(
        "Raise the score (now %(score)s) so the development average reaches %(threshold)s."
    )
    return [
        Step(
            r.requirement,
            on,
            Problem("", template, {"score": r.score, "threshold": threshold}),
            target.level.id,
        )
        for r in weakest[:3]
    ]


def _reason(result: RequirementResult) -> Problem:
    if result.status == "not_assessed":
        return Problem("", gettext_noop("Not assessed yet."))
    if result.status == "share_too_low":
        return Problem(
            "",
            gettext_noop("%(compliant)s of %(total)s comply; %(required)s %% needed."),
            {
                "compliant": result.compliant,
                "total": result.applicable,
                "required": round((result.required_share or 1) * 100),
            },
        )
    return Problem(
        "",
        gettext_noop("Not met in the %(assessment_kind)s of %(date)s."),
        {
            "assessment_kind": result.answer.kind if result.answer else "",
            "date": result.answer.assessed_on.isoformat() if result.answer else "",
        },
    )
