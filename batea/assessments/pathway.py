"""Feed the pathway engine from the database: answers, members, sites, crosswalks, ladder."""

from datetime import date

from django.utils import timezone

from batea.assessments.models import Answer as AnswerRow
from batea.domain.pathway import Answer, Population, evaluate
from batea.domain.pathway.ladder import Rung, evaluate_ladder
from batea.domain.standards.crosswalk import Crosswalk, Mapping
from batea.registry.models import Member, Site
from batea.standards.models import Crosswalk as CrosswalkRow
from batea.standards.models import Ladder, StandardVersion

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


def answers_for(organisation, versions: list[StandardVersion]) -> dict[str, list[Answer]]:
    """Final (submitted or reviewed) current answers of the organisation, by standard code,
    in one query."""
    rows = (
        AnswerRow.objects.filter(
            current=True,
            assessment__organisation=organisation,
            assessment__status__in=FINAL,
            assessment__version__in=versions,
        )
        .order_by()
        .values_list(  # no sort: the engine does not need one
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
    )
    by_standard: dict[str, list[Answer]] = {}
    for code, requirement, value, score, member, site, kind, on, assessment in rows:
        subject = str(member) if member else str(site) if site else None
        by_standard.setdefault(code, []).append(
            Answer(requirement, value or None, score, subject, kind, on, str(assessment))
        )
    return by_standard


def population_of(organisation) -> Population:
    members = Member.objects.filter(organisation=organisation, status__in=MEMBERS_IN_SCOPE)
    return Population(
        frozenset(str(pk) for pk in members.order_by().values_list("id", flat=True)),
        frozenset(
            str(pk)
            for pk in Site.objects.filter(organisation=organisation).values_list("id", flat=True)
        ),
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


def evaluate_standard(organisation, version: StandardVersion, on: date | None = None):
    on = on or timezone.localdate()
    answers = answers_for(organisation, [version]).get(version.standard.code, [])
    return evaluate(
        version.catalogue(),
        entry_date_of(organisation),
        on,
        answers,
        population_of(organisation),
        organisation.declared_metrics,
        deadlines=finding_deadlines(organisation, [version]).get(version.standard.code),
    )


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
    answers = answers_for(organisation, list(versions.values()))
    return evaluate_ladder(
        rungs,
        answers,
        domain_crosswalks(list(versions.values())),
        entry_date_of(organisation),
        on,
        population_of(organisation),
        organisation.declared_metrics,
        deadlines=finding_deadlines(organisation, list(versions.values())),
    )


def evaluate_many(organisations, version: StandardVersion, on: date | None = None) -> dict:
    """Evaluate one standard version for many organisations with three set-based queries
    (answers, members, sites) instead of three per organisation. Returns {org id: result}."""
    on = on or timezone.localdate()
    organisations = list(organisations)
    ids = [o.pk for o in organisations]
    catalogue = version.catalogue()
    answers: dict = {pk: [] for pk in ids}
    rows = (
        AnswerRow.objects.filter(
            current=True,
            assessment__organisation_id__in=ids,
            assessment__status__in=FINAL,
            assessment__version=version,
        )
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
    for org, pk in Member.objects.filter(
        organisation_id__in=ids, status__in=MEMBERS_IN_SCOPE
    ).values_list("organisation_id", "id"):
        members[org].add(str(pk))
    sites: dict = {pk: set() for pk in ids}
    for org, pk in Site.objects.filter(organisation_id__in=ids).values_list(
        "organisation_id", "id"
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
