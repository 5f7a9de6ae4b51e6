"""Keep `Answer.deciding`: which final answer decides each requirement for each subject.

The pathway engine picks, among the final (submitted or reviewed) current answers about one
subject (the organisation, a member or a site) to one requirement of one standard version,
the answer of the strongest kind (external audit, ICS inspection, peer review,
self-assessment), then the newest, then the lowest assessment id (`engine.PRECEDENCE`,
`Answer.rank`). Recording that choice on the answer turns the roll-up of member- and
site-level requirements over many organisations into one plain SQL aggregate.

The flag changes only when an assessment's final answers change: on submission and on
correction (services call `refresh_for`). `rebuild` recomputes it for everything (migrations,
bulk loads); both run the same SQL, so they cannot disagree.
"""

from django.db import connection

from batea.assessments.models import Answer, Assessment
from batea.domain.pathway.engine import PRECEDENCE

FINAL = ("submitted", "reviewed")


def _kind_order(alias: str) -> str:
    cases = " ".join(f"WHEN '{kind}' THEN {i}" for i, kind in enumerate(PRECEDENCE))
    return f"CASE {alias}.kind {cases} ELSE {len(PRECEDENCE)} END"


def _statements(where: str) -> tuple[str, str]:
    """Reset then set the flag for the assessments matching `where` (over alias s)."""
    answer, assessment = Answer._meta.db_table, Assessment._meta.db_table
    scope = f"SELECT s.id FROM {assessment} s WHERE {where}"
    reset = f"UPDATE {answer} SET deciding = FALSE WHERE deciding AND assessment_id IN ({scope})"
    final = ", ".join(f"'{status}'" for status in FINAL)
    ranked = (
        f"SELECT a.id, ROW_NUMBER() OVER ("
        f"PARTITION BY s.organisation_id, s.version_id, s.member_id, s.site_id, a.requirement_id "
        f"ORDER BY {_kind_order('s')}, s.assessed_on DESC, s.id) AS position "
        f"FROM {answer} a JOIN {assessment} s ON s.id = a.assessment_id "
        f"WHERE a.current AND s.status IN ({final}) AND {where}"
    )
    mark = (
        f"UPDATE {answer} SET deciding = TRUE "
        f"WHERE id IN (SELECT id FROM ({ranked}) ranked WHERE position = 1)"
    )
    return reset, mark


def _run(where: str, params: list) -> None:
    reset, mark = _statements(where)
    with connection.cursor() as cursor:
        cursor.execute(reset, params)
        cursor.execute(mark, params)


def refresh_for(assessment: Assessment) -> None:
    """Recompute the flag among the assessments about the same subject, for the same
    organisation and standard version. Call inside the transaction that changed it."""
    where = "s.organisation_id = %s AND s.version_id = %s"
    params = [assessment.organisation_id, assessment.version_id]
    if assessment.member_id:
        where += " AND s.member_id = %s"
        params.append(assessment.member_id)
    elif assessment.site_id:
        where += " AND s.site_id = %s"
        params.append(assessment.site_id)
    else:
        where += " AND s.member_id IS NULL AND s.site_id IS NULL"
    # The ids go through the field so each database gets its own UUID representation.
    field = Assessment._meta.pk
    params = [field.get_db_prep_value(p, connection) for p in params]
    _run(where, params)


def rebuild(version=None) -> None:
    """Recompute the flag for every answer (of one standard version, if given)."""
    if version is None:
        _run("1 = 1", [])
    else:
        field = Assessment._meta.pk
        _run("s.version_id = %s", [field.get_db_prep_value(version.pk, connection)])
