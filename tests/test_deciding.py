"""The deciding answer kept on `Answer`, and the pathway of many organisations computed from it.

The flag must always name the answer the engine would choose, and evaluating many
organisations from SQL roll-ups must give what evaluating each one from its answers gives.
"""

import random
from datetime import date, timedelta

import pytest

from batea.assessments import deciding, pathway, services
from batea.assessments.models import Answer
from batea.domain.pathway.engine import Answer as EngineAnswer
from batea.domain.pathway.engine import choose_answers
from batea.registry.models import Member, Organisation
from batea.standards.models import Requirement, StandardVersion
from tests.conftest import make_member, make_site

pytestmark = pytest.mark.django_db
TODAY = date.today()


def version():
    return StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")


def flagged() -> set:
    return set(Answer.objects.filter(deciding=True).values_list("id", flat=True))


def engine_choice() -> set:
    """The answers the engine chooses among all final current answers, by subject."""
    rows = Answer.objects.filter(current=True, assessment__status__in=pathway.FINAL).values_list(
        "id",
        "requirement_id",
        "value",
        "score",
        "assessment__organisation_id",
        "assessment__version_id",
        "assessment__member_id",
        "assessment__site_id",
        "assessment__kind",
        "assessment__assessed_on",
        "assessment_id",
    )
    groups: dict = {}
    for pk, req, value, score, org, ver, member, site, kind, on, assessment in rows:
        answer = EngineAnswer(str(req), value or None, score, None, kind, on, str(assessment))
        groups.setdefault((org, ver, member, site), []).append((answer, pk))
    chosen = set()
    for pairs in groups.values():
        ids = {id(a): pk for a, pk in pairs}
        chosen |= {ids[id(a)] for a in choose_answers(a for a, _ in pairs).values()}
    return chosen


def answer_randomly(rng, user, assessment, requirements):
    for requirement in requirements:
        if rng.random() < 0.15:
            continue  # left unanswered
        if requirement.scoring == "scale_1_5":
            given = services.AnswerInput(score=rng.randint(1, 5))
        else:
            given = services.AnswerInput(
                value=rng.choice(["compliant", "compliant", "non_compliant", "not_applicable"])
            )
        services.record_answer(user, assessment, requirement, given)


def random_history(world, rng):
    """Members (some out of scope), sites, and assessments of three kinds on several days
    about the organisation, members and sites, some submitted, some corrected, some drafts."""
    for org, prefix, site in ((world.org_a, "A", world.site_a), (world.org_b, "B", world.site_b)):
        for i in range(6):
            make_member(
                org,
                f"{prefix}-R{i}",
                "Rand",
                f"Om{i}",
                status=rng.choice(["approved", "approved", "conditional", "applicant"]),
            )
        make_site(org, f"{prefix}-S2", "Second pit", site.geometry, area_ha=1)
    recorders = {
        world.org_a: [("self", world.manager_a), ("ics", world.inspector_a)],
        world.org_b: [("self", world.manager_b)],
    }
    for org, kinds in recorders.items():
        subjects = [{}]
        subjects += [{"member": m} for m in Member.objects.filter(organisation=org)]
        subjects += [{"site": s} for s in org.sites.all()]
        for _ in range(14):
            subject = rng.choice(subjects)
            kind, user = rng.choice(kinds)
            scope = "member" if "member" in subject else "site" if "site" in subject else None
            requirements = list(
                Requirement.objects.filter(version=version(), applies_to=scope or "organisation")
            )
            on = TODAY - timedelta(days=rng.choice([3, 20, 20, 60]))
            assessment = services.start_assessment(user, org, version(), kind, on, **subject)
            answer_randomly(rng, user, assessment, requirements)
            if not assessment.answers.exists() or rng.random() < 0.2:
                continue  # stays a draft
            services.submit(user, assessment)
            if rng.random() < 0.4:
                answer = rng.choice(list(assessment.answers.filter(current=True)))
                given = (
                    services.AnswerInput(score=rng.randint(1, 5), reason="Recounted")
                    if answer.score is not None
                    else services.AnswerInput(value="compliant", reason="Seen again")
                )
                services.record_answer(user, assessment, answer.requirement, given)


def comparable(result):
    """What a person sees of a result, without the id of the roll-up's newest assessment."""
    return (
        [(lr.level.id, lr.met, [b.requirement.id for b in lr.blocking]) for lr in result.levels],
        {
            code: (
                r.met,
                r.status,
                r.compliant,
                r.applicable,
                r.failing,
                r.score,
                r.answer and (r.answer.kind, r.answer.assessed_on),
            )
            for code, r in result.requirements.items()
        },
        [(s.requirement.id, s.due) for s in result.next_steps],
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_flag_names_the_answer_the_engine_chooses_after_any_history(world, seed):
    random_history(world, random.Random(seed))
    assert flagged() == engine_choice()
    deciding.rebuild()
    assert flagged() == engine_choice()


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_many_organisations_from_sql_roll_ups_match_one_by_one(world, seed):
    random_history(world, random.Random(seed))
    organisations = list(Organisation.objects.filter(pk__in=[world.org_a.pk, world.org_b.pk]))
    many = pathway.evaluate_many(organisations, version())
    for organisation in organisations:
        one = pathway.evaluate_standard(organisation, version())
        # Next steps of evaluate_standard also take open findings' deadlines; compare without.
        one_plain = pathway.evaluate(
            version().catalogue(),
            pathway.entry_date_of(organisation),
            TODAY,
            pathway.answers_for(organisation, [version()]).get("example-mini-standard", []),
            pathway.population_of(organisation),
            organisation.declared_metrics,
        )
        assert comparable(many[organisation.pk]) == comparable(one_plain)
        assert [lr.met for lr in many[organisation.pk].levels] == [lr.met for lr in one.levels]


def test_a_correction_moves_the_flag_to_the_new_answer(world):
    old = Answer.objects.get(assessment=world.assessment_a, current=True)
    assert old.deciding
    new = services.record_answer(
        world.manager_a,
        world.assessment_a,
        old.requirement,
        services.AnswerInput(value="compliant", reason="Title granted"),
    )
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.deciding, new.deciding) == (False, True)


def test_an_ics_inspection_outranks_a_newer_self_assessment(world):
    requirement = Requirement.objects.get(version=version(), code="EX-LEG-01")
    ics = services.start_assessment(
        world.inspector_a, world.org_a, version(), "ics", TODAY - timedelta(days=30)
    )
    services.record_answer(
        world.inspector_a, ics, requirement, services.AnswerInput(value="compliant")
    )
    services.submit(world.inspector_a, ics)
    deciding_answer = Answer.objects.get(
        deciding=True, requirement=requirement, assessment__organisation=world.org_a
    )
    assert deciding_answer.assessment == ics  # self-assessment of 10 days ago loses


def test_a_past_date_is_evaluated_from_every_answer(world):
    """The flag knows today; for a day before an answer existed the engine must choose."""
    before = TODAY - timedelta(days=30)
    many = pathway.evaluate_many([world.org_a], version(), before)
    one = pathway.evaluate_standard(world.org_a, version(), before)
    assert many[world.org_a.pk].requirements["EX-LEG-01"].status == "not_assessed"
    assert comparable(many[world.org_a.pk])[0] == comparable(one)[0]
