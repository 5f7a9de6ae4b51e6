"""The pathway on a past date sees what was known that day: the answers that stood, the
members who had joined, with the status they had then."""

from datetime import date, timedelta

import pytest

from batea.assessments import pathway, services
from batea.groups.services import decide
from batea.standards.models import Requirement, StandardVersion
from tests.conftest import make_member

pytestmark = pytest.mark.django_db
TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)


def version():
    return StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")


def test_a_correction_recorded_today_is_not_known_yesterday(world):
    requirement = Requirement.objects.get(version=version(), code="EX-LEG-01")
    services.record_answer(
        world.manager_a,
        world.assessment_a,
        requirement,
        services.AnswerInput(value="compliant", reason="Title granted"),
    )
    today = pathway.evaluate_standard(world.org_a, version())
    yesterday = pathway.evaluate_standard(world.org_a, version(), YESTERDAY)
    assert today.requirements["EX-LEG-01"].status == "met"
    assert yesterday.requirements["EX-LEG-01"].status == "not_met"
    many = pathway.evaluate_many([world.org_a], version(), YESTERDAY)
    assert many[world.org_a.pk].requirements["EX-LEG-01"].status == "not_met"


def test_members_count_as_they_were_on_the_day(world):
    newcomer = make_member(
        world.org_a, "A-NEW", "Nueva", "Socia", join_date=TODAY, status="applicant"
    )
    decide(
        world.manager_a,
        world.member_a,
        reason="Mercury found in the tailings",
        decided_on=TODAY,
        target="suspended",
    )
    decide(
        world.manager_a,
        world.member_a,
        reason="Left the group",
        decided_on=TODAY,
        target="excluded",
    )
    then = pathway.population_of(world.org_a, YESTERDAY).members
    now = pathway.population_of(world.org_a).members
    assert str(world.member_a.pk) in then  # approved until today's decisions
    assert str(newcomer.pk) not in then  # had not joined yet
    assert str(world.member_a.pk) not in now  # excluded today
    assert str(newcomer.pk) not in now  # an applicant is not in scope


def test_one_standard_on_its_own_still_reuses_answers_through_crosswalks(world):
    """`batea pathway ORG --standard ID` and `?standard=` see what the ladder sees."""
    from batea.standards import services as standard_services
    from tests.conftest import EXAMPLE_STANDARD

    crosswalk = (
        "batea_crosswalk: 1\n"
        "id: mini-to-next\n"
        "title: {en: Mini to next}\n"
        "languages: [en]\n"
        "from: {standard: example-mini-standard, version: '1.0'}\n"
        "to: {standard: example-next, version: '1.0'}\n"
        "mappings:\n"
        "  - {from: EX-LEG-01, to: EX-LEG-01, relation: equivalent}\n"
    )
    report = standard_services.import_files(
        [
            (
                "next.yaml",
                EXAMPLE_STANDARD.read_text()
                .replace("id: example-mini-standard", "id: example-next")
                .encode(),
            ),
            ("crosswalk.yaml", crosswalk.encode()),
        ]
    )
    assert report.ok, report.problems
    next_version = StandardVersion.objects.get(standard__code="example-next")
    reused = pathway.evaluate_standard(world.org_a, next_version).requirements["EX-LEG-01"]
    assert reused.status == "not_met"  # the non-compliant self-assessment answer carries over
    assert reused.answer.reused_from == "example-mini-standard:EX-LEG-01"
    alone = pathway.evaluate_standard(world.org_a, next_version, reuse=False)
    assert alone.requirements["EX-LEG-01"].status == "not_assessed"
