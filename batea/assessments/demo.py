"""Fictional assessment histories that put the demo ASMOs at different places on the ladder:
Kyabalanga at the entry, Sol de Oro progressing with overdue actions, Río Claro ready for
certification. Idempotent: ids are derived from names."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from batea.assessments import deciding
from batea.assessments.models import Answer, Assessment, CorrectiveAction
from batea.assessments.services import escalate_overdue, raise_nonconformity
from batea.registry.demo import demo_id
from batea.registry.models import Member, Organisation, Site
from batea.standards.models import Ladder, Requirement
from batea.standards.pathway_defaults import DEFAULT_LADDER

STANDARDS = ("oecd-annex-ii-risk-screen", "craft-style-market-entry", "fairmined-style-progressive")


def load(stdout=None) -> dict[str, int]:
    from batea.assessments.pathway import current_version

    Ladder.objects.update_or_create(
        code=DEFAULT_LADDER["code"],
        defaults={
            "title": DEFAULT_LADDER["title"],
            "rungs": DEFAULT_LADDER["rungs"],
            "is_default": True,
        },
    )
    versions = {code: current_version(code) for code in STANDARDS}
    if not all(versions.values()):
        return {"assessments": 0}
    today = timezone.localdate()
    users = {
        u.username: u
        for u in get_user_model().objects.filter(
            username__in=[
                "manager",
                "inspector",
                "auditor",
                "manager.peru",
                "peer",
                "manager.uganda",
                "certifier",
            ]
        )
    }
    with transaction.atomic():
        _rio_claro(versions, users, today)
        _sol_de_oro(versions, users, today)
        _kyabalanga(versions, users, today)
        escalate_overdue(today)
    return {"assessments": Assessment.objects.count(), "answers": Answer.objects.count()}


def _assess(
    org,
    version,
    kind,
    user,
    on,
    key,
    member=None,
    site=None,
    failing=frozenset(),
    score=4,
):
    """One submitted assessment answering every requirement of its subject scope;
    `failing` requirement codes are answered non-compliant (score 2)."""
    assessment_id = demo_id("assessment", org.slug, key)
    if Assessment.objects.filter(pk=assessment_id).exists():
        return None
    scope = "member" if member else "site" if site else "organisation"
    assessment = Assessment.objects.create(
        id=assessment_id,
        organisation=org,
        version=version,
        kind=kind,
        subject_type=scope,
        member=member,
        site=site,
        assessor=user,
        assessed_on=on,
        status="reviewed" if kind == "audit" else "submitted",
        submitted_at=timezone.now(),
    )
    answers = []
    for requirement in Requirement.objects.filter(version=version, applies_to=scope):
        bad = requirement.code in failing
        if requirement.scoring == "scale_1_5":
            fields = {"score": 2 if bad else score, "value": ""}
        else:
            fields = {"value": "non_compliant" if bad else "compliant"}
        answers.append(
            Answer(assessment=assessment, requirement=requirement, answered_by=user, **fields)
        )
    Answer.objects.bulk_create(answers)
    deciding.refresh_for(assessment)
    for answer in Answer.objects.filter(assessment=assessment).select_related(
        "requirement", "assessment__version"
    ):
        raise_nonconformity(answer)
    return assessment


def _assess_everything(
    org,
    version,
    kind,
    user,
    on,
    key,
    failing=frozenset(),
    site_failing=None,
    inspector=None,
    score=4,
):
    """The organisation, each of its sites and each member in scope, for one standard."""
    first = _assess(org, version, kind, user, on, f"{key}-org", failing=failing, score=score)
    for site in Site.objects.filter(organisation=org):
        bad = site_failing(site) if site_failing else frozenset()
        _assess(
            org,
            version,
            "ics" if inspector else kind,
            inspector or user,
            on - timedelta(days=15),
            f"{key}-{site.site_code}",
            site=site,
            failing=bad,
            score=score,
        )
    if Requirement.objects.filter(version=version, applies_to="member").exists():
        members = Member.objects.filter(
            organisation=org, status__in=["approved", "conditional", "suspended"]
        )
        for member in members:
            _assess(
                org,
                version,
                "ics" if inspector else kind,
                inspector or user,
                on - timedelta(days=25),
                f"{key}-{member.member_number}",
                member=member,
                score=score,
            )
    return first


def _rio_claro(versions, users, today):
    """Three years in, audited: ready for certification (not yet for the ecological level:
    one site still uses mercury)."""
    org = Organisation.objects.get(slug="rio-claro")
    org.declared_metrics = {"gold_grams_per_miner_day": 1.8}
    org.save(update_fields=["declared_metrics"])
    on = today - timedelta(days=40)
    for code, version in versions.items():
        _assess_everything(
            org,
            version,
            "audit",
            users.get("auditor"),
            on,
            f"audit-{code}",
            site_failing=lambda site: {"PG-ECO-01"} if site.uses_mercury else frozenset(),
            inspector=users.get("inspector"),
        )


def _sol_de_oro(versions, users, today):
    """A year in: past the OECD screen, CRAFT-style progressing, with findings whose
    corrective actions are overdue."""
    org = Organisation.objects.get(slug="sol-de-oro")
    org.declared_metrics = {"gold_grams_per_miner_day": 2.6}
    org.save(update_fields=["declared_metrics"])
    rng = random.Random("sol-de-oro")
    on = today - timedelta(days=200)
    oecd, craft = versions["oecd-annex-ii-risk-screen"], versions["craft-style-market-entry"]
    manager = users.get("manager.peru")
    _assess_everything(org, oecd, "self", manager, on, "self-oecd")
    craft_majors = list(
        Requirement.objects.filter(
            version=craft, kind="major", applies_to="organisation"
        ).values_list("code", flat=True)
    )
    failing = set(rng.sample(craft_majors, min(3, len(craft_majors))))
    assessment = _assess_everything(
        org,
        craft,
        "self",
        manager,
        on,
        "self-craft",
        failing=failing,
        site_failing=lambda site: {"ME-ESG-09"} if site.uses_mercury else frozenset(),
        score=3,
    )
    if assessment is None:
        return
    for finding in org.nonconformities.filter(answer__assessment=assessment):
        CorrectiveAction.objects.create(
            nonconformity=finding,
            owner=manager,
            due_on=finding.due_on,
            description="Write and adopt the missing procedure; train the members.",
            status=CorrectiveAction.Status.IN_PROGRESS,
        )


def _kyabalanga(versions, users, today):
    """New this year: the OECD risk screen finds no reason to disengage, but the risks to
    mitigate are not yet under control."""
    org = Organisation.objects.get(slug="kyabalanga")
    oecd = versions["oecd-annex-ii-risk-screen"]
    majors = set(
        Requirement.objects.filter(
            version=oecd, kind="major", applies_to="organisation"
        ).values_list("code", flat=True)[:6]
    )
    _assess_everything(
        org,
        oecd,
        "self",
        users.get("manager.uganda"),
        today - timedelta(days=20),
        "self-oecd",
        failing=majors,
    )
