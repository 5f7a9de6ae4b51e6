"""Feed the pathway engine from the database: answers, members, sites, crosswalks, ladder."""

import uuid
from datetime import date

from django.db.models import (
    Aggregate,
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    TextField,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from batea.assessments.models import Answer as AnswerRow
from batea.domain.pathway import Answer, Population, evaluate
from batea.domain.pathway.engine import (
    COMPLIANT,
    NOT_APPLICABLE,
    PASS_SCORE,
    PRECEDENCE,
    Rollup,
)
from batea.domain.pathway.ladder import Rung, evaluate_ladder, reuse_answers
from batea.domain.standards.crosswalk import Crosswalk, Mapping
from batea.registry.models import Member, Site
from batea.standards.models import Crosswalk as CrosswalkRow
from batea.standards.models import Ladder, Requirement, StandardVersion

FINAL = ("submitted", "reviewed")
MEMBERS_IN_SCOPE = ("approved", "conditional", "suspended")


def current_version(standard_code: str) -> StandardVersion | None:
    """The newest published version of a standard (else the newest at all)."""
    versions = StandardVersion.objects.filter(standard__code=standard_code)
    return (
        versions.filter(status="published").order_by("-imported_at").first()
        or versions.order_by("-imported_at").first()
    )


def version_for(organisation, standard_code: str) -> StandardVersion | None:
    """The version an organisation is evaluated on: the newest one it has final answers for
    (its records stay tied to what was asked), else the newest published one."""
    assessed = (
        StandardVersion.objects.filter(
            standard__code=standard_code,
            assessments__organisation=organisation,
            assessments__status__in=FINAL,
        )
        .order_by("-imported_at")
        .first()
    )
    return assessed or current_version(standard_code)


def answers_for(
    organisation, versions: list[StandardVersion], on: date | None = None
) -> dict[str, list[Answer]]:
    """Final (submitted or reviewed) answers of the organisation, by standard code, in one
    query: the current ones, or for a past date `on` the ones that stood that day (a
    correction recorded later is not yet known; the answer it replaced still stands)."""
    rows = standing_answers(on).filter(
        assessment__organisation=organisation, assessment__version__in=versions
    )
    rows = rows.order_by().values_list(  # no sort: the engine does not need one
        "assessment__version__standard__code",
        "requirement__code",
        "value",
        "score",
        "assessment__member_id",
        "assessment__site_id",
        "assessment__kind",
        "assessment__assessed_on",
        "assessment_id",
    )
    by_standard: dict[str, list[Answer]] = {}
    for code, requirement, value, score, member, site, kind, assessed_on, assessment in rows:
        subject = str(member) if member else str(site) if site else None
        by_standard.setdefault(code, []).append(
            Answer(requirement, value or None, score, subject, kind, assessed_on, str(assessment))
        )
    return by_standard


def standing_answers(on: date | None = None):
    """Final answers as they stood on `on`: the current ones for today; for a past date, a
    correction recorded later is not yet known and the answer it replaced still stands."""
    rows = AnswerRow.objects.filter(assessment__status__in=FINAL)
    if on is None or on >= timezone.localdate():
        return rows.filter(current=True)
    return rows.filter(Q(supersedes__isnull=True) | Q(answered_at__date__lte=on)).filter(
        Q(current=True) | Q(superseded_by__answered_at__date__gt=on)
    )


def members_in_scope(on: date | None = None):
    """Members the pathway counts: today's in-scope statuses; for a past date those who had
    joined by then, with the status they had that day (from the committee's decisions)."""
    if on is None or on >= timezone.localdate():
        return Member.objects.filter(status__in=MEMBERS_IN_SCOPE)
    from batea.groups.models import MemberDecision

    later = MemberDecision.objects.filter(member=OuterRef("pk"), decided_on__gt=on).order_by(
        "decided_on", "created_at"
    )
    return (
        Member.objects.filter(join_date__lte=on)
        .annotate(status_then=Coalesce(Subquery(later.values("from_status")[:1]), "status"))
        .filter(status_then__in=MEMBERS_IN_SCOPE)
    )


def sites_registered(on: date | None = None):
    if on is None or on >= timezone.localdate():
        return Site.objects.all()
    return Site.objects.filter(created_at__date__lte=on)


def population_of(organisation, on: date | None = None) -> Population:
    """The members in scope and the sites on `on` (today by default)."""
    members = members_in_scope(on).filter(organisation=organisation)
    sites = sites_registered(on).filter(organisation=organisation)
    return Population(
        frozenset(str(pk) for pk in members.order_by().values_list("id", flat=True)),
        frozenset(str(pk) for pk in sites.order_by().values_list("id", flat=True)),
    )


def entry_date_of(organisation) -> date:
    return organisation.entry_date or organisation.created_at.date()


def finding_deadlines(organisation, versions) -> dict[str, dict[str, date]]:
    """The earliest deadline of the open findings, per standard and requirement."""
    from django.db.models import Min

    from batea.assessments.models import NonConformity

    rows = (
        NonConformity.objects.filter(
            organisation=organisation, status="open", requirement__version__in=versions
        )
        .order_by()
        .values_list("requirement__version__standard__code", "requirement__code")
        .annotate(due=Min("due_on"))
    )
    deadlines: dict[str, dict[str, date]] = {}
    for code, requirement, due in rows:
        deadlines.setdefault(code, {})[requirement] = due
    return deadlines


def evaluate_standard(
    organisation, version: StandardVersion, on: date | None = None, reuse: bool = True
):
    """One standard version for one organisation. With `reuse`, answers to the standards
    linked to this version by crosswalks count too, marked as reused (as on a ladder)."""
    on = on or timezone.localdate()
    code = version.standard.code
    partners = linked_versions(organisation, version) if reuse else []
    versions = [version, *partners]
    answers_by_standard = answers_for(organisation, versions, on)
    population = population_of(organisation, on)
    catalogue = version.catalogue()
    answers = list(answers_by_standard.get(code, []))
    if partners:
        catalogues = {code: catalogue} | {p.standard.code: p.catalogue() for p in partners}
        answers += reuse_answers(
            code, answers_by_standard, domain_crosswalks(versions), catalogues, population
        )
    return evaluate(
        catalogue,
        entry_date_of(organisation),
        on,
        answers,
        population,
        organisation.declared_metrics,
        deadlines=finding_deadlines(organisation, [version]).get(code),
    )


def linked_versions(organisation, version: StandardVersion) -> list[StandardVersion]:
    """The versions of other standards a crosswalk links to `version`, each the one the
    organisation is evaluated on (at most one per standard)."""
    rows = CrosswalkRow.objects.filter(Q(source=version) | Q(target=version)).values_list(
        "source__standard__code", "target__standard__code"
    )
    codes = {c for pair in rows for c in pair} - {version.standard.code}
    linked = [version_for(organisation, c) for c in sorted(codes)]
    return [v for v in linked if v is not None]


def domain_crosswalks(versions: list[StandardVersion]) -> list[Crosswalk]:
    rows = CrosswalkRow.objects.filter(source__in=versions, target__in=versions).select_related(
        "source__standard", "target__standard"
    )
    return [
        Crosswalk(
            row.code,
            row.title,
            (row.source.standard.code, row.source.version),
            (row.target.standard.code, row.target.version),
            [Mapping(m["from"], m["to"], m["relation"]) for m in row.document["mappings"]],
            row.document,
        )
        for row in rows
    ]


def default_ladder() -> Ladder | None:
    return Ladder.objects.order_by("-is_default", "code").first()


def evaluate_ladder_for(organisation, ladder: Ladder, on: date | None = None):
    """Each rung on the newest published version of its standard, answers reused across
    standards through the crosswalks between those versions."""
    on = on or timezone.localdate()
    versions = {}
    for code in dict.fromkeys(rung["standard"] for rung in ladder.rungs):  # once per standard
        version = version_for(organisation, code)
        if version is not None:
            versions[code] = version
    catalogues = {code: version.catalogue() for code, version in versions.items()}
    rungs = [
        Rung(catalogues[r["standard"]], r["level"])
        for r in ladder.rungs
        if r["standard"] in catalogues
    ]
    answers = answers_for(organisation, list(versions.values()), on)
    return evaluate_ladder(
        rungs,
        answers,
        domain_crosswalks(list(versions.values())),
        entry_date_of(organisation),
        on,
        population_of(organisation, on),
        organisation.declared_metrics,
        deadlines=finding_deadlines(organisation, list(versions.values())),
    )


def evaluate_many(organisations, version: StandardVersion, on: date | None = None) -> dict:
    """Evaluate one standard version for many organisations at once. Returns {org id: result}.

    For today (or later) member- and site-level requirements are counted by the database
    from the deciding answers (`Answer.deciding`), in a handful of aggregate queries whatever
    the number of organisations; only organisation-level answers and failing subjects reach
    Python. For a past date the deciding answer may have changed since, so every answer is
    read and the engine chooses (`_evaluate_many_per_answer`)."""
    on = on or timezone.localdate()
    organisations = list(organisations)
    if on < timezone.localdate():
        return _evaluate_many_per_answer(organisations, version, on)
    ids = [o.pk for o in organisations]
    catalogue = version.catalogue()
    answers: dict = {pk: [] for pk in ids}
    deciding = AnswerRow.objects.filter(
        deciding=True, assessment__version=version, assessment__organisation_id__in=ids
    ).order_by()
    for org, requirement, value, score, kind, assessed_on, assessment in deciding.filter(
        assessment__member__isnull=True, assessment__site__isnull=True
    ).values_list(
        "assessment__organisation_id",
        "requirement__code",
        "value",
        "score",
        "assessment__kind",
        "assessment__assessed_on",
        "assessment_id",
    ):
        answers[org].append(
            Answer(requirement, value or None, score, None, kind, assessed_on, str(assessment))
        )
    rollups = _rollups(deciding, version, catalogue, ids)
    return {
        o.pk: evaluate(
            catalogue,
            entry_date_of(o),
            on,
            answers[o.pk],
            Population(),
            o.declared_metrics,
            rollups=rollups[o.pk],
        )
        for o in organisations
    }


def _subject_filters(scope: str) -> tuple[str, dict]:
    """The answer's subject field and the filter keeping subjects in the population."""
    if scope == "member":
        return "assessment__member_id", {"assessment__member__status__in": MEMBERS_IN_SCOPE}
    return "assessment__site_id", {"assessment__site__isnull": False}


def _population_counts(ids) -> dict[str, dict]:
    members = Member.objects.filter(organisation_id__in=ids, status__in=MEMBERS_IN_SCOPE)
    return {
        "member": dict(members.order_by().values_list("organisation_id").annotate(n=Count("id"))),
        "site": dict(
            Site.objects.filter(organisation_id__in=ids)
            .order_by()
            .values_list("organisation_id")
            .annotate(n=Count("id"))
        ),
    }


class JoinedIds(Aggregate):
    """The ids of a group as one comma-separated text (STRING_AGG / GROUP_CONCAT), so the
    failing subjects come back with their counts in the same pass."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = TextField()

    def __init__(self, expression, **extra):
        super().__init__(Cast(expression, TextField()), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def _rollups(deciding, version, catalogue, ids) -> dict:
    """{org id: {requirement code: Rollup}} for member- and site-level requirements, counted
    in SQL over the deciding answers of subjects in the population. Grouped by requirement
    id (not code): no join to the requirements and a cheap grouping key."""
    code_of = dict(Requirement.objects.filter(version=version).values_list("id", "code").order_by())
    applicable = ~Q(value=NOT_APPLICABLE)
    met = Q(score__gte=PASS_SCORE) | Q(score__isnull=True, value=COMPLIANT)
    population = _population_counts(ids)
    rollups: dict = {pk: {} for pk in ids}
    for scope in ("member", "site"):
        codes = [r.id for r in catalogue.requirements if r.applies_to == scope]
        if not codes:
            continue
        subject, in_population = _subject_filters(scope)
        wanted = [pk for pk, code in code_of.items() if code in codes]
        answered = deciding.filter(
            requirement_id__in=wanted, **{f"{subject}__isnull": False}, **in_population
        )
        counts = answered.values_list("assessment__organisation_id", "requirement_id").annotate(
            answered=Count("id"),
            applicable=Count("id", filter=applicable),
            compliant=Count("id", filter=applicable & met),
            score_sum=Sum("score", filter=applicable),
            score_count=Count("score", filter=applicable),
            failing=JoinedIds(subject, filter=applicable & ~met),
            latest=Max("assessment__assessed_on"),
            **{
                f"latest_{kind}": Max("assessment__assessed_on", filter=Q(assessment__kind=kind))
                for kind in PRECEDENCE
            },
        )
        failing: dict = {}
        tallies = {}
        for (
            org,
            requirement,
            n,
            n_applicable,
            n_compliant,
            s_sum,
            s_count,
            failing_ids,
            latest,
            *by_kind,
        ) in counts:
            code = code_of[requirement]
            if failing_ids:
                failing[(org, code)] = [str(uuid.UUID(i)) for i in failing_ids.split(",")]
            # The roll-up's source: its newest answer, on the same day the strongest kind.
            kind = next(k for k, on in zip(PRECEDENCE, by_kind, strict=True) if on == latest)
            tallies[(org, code)] = (n, n_applicable, n_compliant, s_sum or 0, s_count, latest, kind)
        gaps = [
            (org, code)
            for org in ids
            for code in codes
            if tallies.get((org, code), (0,))[0] < population[scope].get(org, 0)
        ]
        for (org, code), subjects in _unanswered(scope, gaps, catalogue).items():
            failing.setdefault((org, code), []).extend(subjects)
        for org in ids:
            size = population[scope].get(org, 0)
            for code in codes:
                n, n_applicable, n_compliant, s_sum, s_count, latest, kind = tallies.get(
                    (org, code), (0, 0, 0, 0, 0, None, None)
                )
                rollups[org][code] = Rollup(
                    size,
                    n,
                    n_applicable,
                    n_compliant,
                    tuple(sorted(failing.get((org, code), ()))),
                    s_sum,
                    s_count,
                    Answer(code, None, None, None, kind, latest) if latest else None,
                )
    return rollups


def _unanswered(scope: str, gaps: list[tuple], catalogue) -> dict:
    """Subjects in the population without a deciding answer, for the (organisation,
    requirement) pairs known to have some: one query per requirement with gaps."""
    found: dict = {}
    by_code: dict = {}
    for org, code in gaps:
        by_code.setdefault(code, []).append(org)
    model = Member if scope == "member" else Site
    subjects = (
        model.objects.filter(status__in=MEMBERS_IN_SCOPE) if scope == "member" else model.objects
    )
    for code, orgs in by_code.items():
        answered = AnswerRow.objects.filter(
            deciding=True,
            requirement__code=code,
            requirement__version__standard__code=catalogue.id,
            requirement__version__version=catalogue.version,
            **{f"assessment__{scope}": OuterRef("pk")},
        )
        for org, pk in (
            subjects.filter(organisation_id__in=orgs)
            .exclude(Exists(answered))
            .order_by()
            .values_list("organisation_id", "id")
        ):
            found.setdefault((org, code), []).append(str(pk))
    return found


def _evaluate_many_per_answer(organisations: list, version: StandardVersion, on: date) -> dict:
    """evaluate_many from every final answer (three set-based queries), for past dates."""
    ids = [o.pk for o in organisations]
    catalogue = version.catalogue()
    answers: dict = {pk: [] for pk in ids}
    rows = (
        standing_answers(on)
        .filter(assessment__organisation_id__in=ids, assessment__version=version)
        .order_by()
        .values_list(
            "assessment__organisation_id",
            "requirement__code",
            "value",
            "score",
            "assessment__member_id",
            "assessment__site_id",
            "assessment__kind",
            "assessment__assessed_on",
            "assessment_id",
        )
    )
    for org, requirement, value, score, member, site, kind, assessed_on, assessment in rows:
        subject = str(member) if member else str(site) if site else None
        answers[org].append(
            Answer(requirement, value or None, score, subject, kind, assessed_on, str(assessment))
        )
    members: dict = {pk: set() for pk in ids}
    for org, pk in (
        members_in_scope(on).filter(organisation_id__in=ids).values_list("organisation_id", "id")
    ):
        members[org].add(str(pk))
    sites: dict = {pk: set() for pk in ids}
    for org, pk in (
        sites_registered(on).filter(organisation_id__in=ids).values_list("organisation_id", "id")
    ):
        sites[org].add(str(pk))
    return {
        o.pk: evaluate(
            catalogue,
            entry_date_of(o),
            on,
            answers[o.pk],
            Population(frozenset(members[o.pk]), frozenset(sites[o.pk])),
            o.declared_metrics,
        )
        for o in organisations
    }
