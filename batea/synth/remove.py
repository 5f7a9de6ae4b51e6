"""Remove synthetic federations (organisations whose short name starts with `synth-`).

The big tables are emptied of synthetic rows with set-based DELETEs in foreign-key order
(the ORM's cascade would load millions of objects); the ORM then deletes the organisations
themselves, which cascades to whatever small rows remain, and the synthetic logins.
"""

from __future__ import annotations

from django.db import connection, models, transaction

from batea.synth.plan import SLUG_PREFIX


def synthetic_organisations() -> int:
    from batea.registry.models import Organisation

    return Organisation.objects.filter(slug__startswith=SLUG_PREFIX).count()


def _t(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def statements() -> list[str]:
    """DELETE statements, children first, each limited to rows of synthetic organisations."""
    from batea.assessments.models import Answer, Assessment, CorrectiveAction, NonConformity
    from batea.custody.models import CustodyEvent, Incident, Lot, LotLink, LotOrigin, LotUse, Sale
    from batea.registry.models import Licence, Member, Organisation, Relation, Site

    orgs = f"SELECT id FROM {_t(Organisation)} WHERE slug LIKE '{SLUG_PREFIX}%'"
    lots = (
        f"SELECT id FROM {_t(Lot)} WHERE organisation_id IN ({orgs}) "
        f"OR origin_organisation_id IN ({orgs}) OR consignee_id IN ({orgs})"
    )
    events = (
        f"SELECT id FROM {_t(CustodyEvent)} WHERE organisation_id IN ({orgs}) "
        f"OR counterparty_id IN ({orgs})"
    )
    assessments = f"SELECT id FROM {_t(Assessment)} WHERE organisation_id IN ({orgs})"
    findings = f"SELECT id FROM {_t(NonConformity)} WHERE organisation_id IN ({orgs})"
    members = f"SELECT id FROM {_t(Member)} WHERE organisation_id IN ({orgs})"
    sites = f"SELECT id FROM {_t(Site)} WHERE organisation_id IN ({orgs})"
    through = Site.commodities.through
    return [
        f"DELETE FROM {_t(Sale)} WHERE lot_id IN ({lots}) OR event_id IN ({events})",
        f"DELETE FROM {_t(LotUse)} WHERE lot_id IN ({lots}) OR event_id IN ({events})",
        f"DELETE FROM {_t(LotLink)} WHERE event_id IN ({events}) "
        f"OR parent_id IN ({lots}) OR child_id IN ({lots})",
        f"DELETE FROM {_t(LotOrigin)} WHERE lot_id IN ({lots}) OR member_id IN ({members})",
        f"DELETE FROM {_t(Incident)} WHERE lot_id IN ({lots}) OR organisation_id IN ({orgs})",
        f"DELETE FROM {_t(CustodyEvent)} WHERE id IN ({events})",
        f"DELETE FROM {_t(Lot)} WHERE id IN ({lots})",
        f"DELETE FROM {_t(CorrectiveAction)} WHERE nonconformity_id IN ({findings})",
        f"DELETE FROM {_t(NonConformity)} WHERE id IN ({findings})",
        f"DELETE FROM {_t(Answer)} WHERE assessment_id IN ({assessments})",
        f"DELETE FROM {_t(Assessment)} WHERE id IN ({assessments})",
        f"DELETE FROM {_t(through)} WHERE site_id IN ({sites})",
        f"DELETE FROM {_t(Licence)} WHERE organisation_id IN ({orgs})",
        f"DELETE FROM {_t(Member)} WHERE id IN ({members})",
        f"DELETE FROM {_t(Relation)} WHERE source_id IN ({orgs}) OR target_id IN ({orgs})",
    ]


@transaction.atomic
def remove_all() -> None:
    """Delete every synthetic organisation, its data and the `synth-…` logins."""
    from django.contrib.auth import get_user_model

    from batea.certification.models import Certificate
    from batea.registry.models import Organisation

    with connection.cursor() as cursor:
        for sql in statements():
            cursor.execute(sql)
    forget_chains()
    Certificate.objects.filter(organisation__slug__startswith=SLUG_PREFIX).delete()
    get_user_model().objects.filter(username__startswith=SLUG_PREFIX).delete()
    Organisation.objects.filter(slug__startswith=SLUG_PREFIX).delete()


def forget_chains() -> None:
    """The custody hash chains of the removed organisations go with them (their events are
    gone, so their heads would point at nothing)."""
    from batea.integrity.models import ChainHead, chain_name
    from batea.registry.models import Organisation

    ids = Organisation.objects.filter(slug__startswith=SLUG_PREFIX).values_list("id", flat=True)
    names = [chain_name("custody", str(pk)) for pk in ids]
    for start in range(0, len(names), 500):
        ChainHead.objects.filter(chain__in=names[start : start + 500]).delete()
