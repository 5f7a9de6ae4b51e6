"""`batea sample`: risk-based external-audit samples from the registry."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def sample(*args) -> str:
    out = StringIO()
    call_command("sample", *args, stdout=out)
    return out.getvalue()


def test_the_sample_shows_population_policy_arithmetic_and_why_each_was_drawn(world):
    for i in range(30):
        make_member(
            world.org_a,
            f"A-{i + 100}",
            "M",
            f"N{i}",
            gender="male",
            role="worker",
            primary_site=world.site_a,
        )
    text = sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "5")
    assert "31 members" in text  # the approved member Alicia and thirty more
    assert "policy: square_root; seed 5" in text
    assert "√31 = 5.57 → 6" in text
    assert "Drawn at random" in text


def test_the_same_seed_draws_the_same_members_and_open_majors_are_always_in(world):
    for i in range(50):
        make_member(world.org_a, f"A-{i + 100}", "M", f"N{i}", gender="male", role="worker")
    first = json.loads(
        sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "11", "--json")
    )
    again = json.loads(
        sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "11", "--json")
    )
    assert first["drawn"] == again["drawn"]
    assert first["size"] == len(first["drawn"])


def test_bad_input_is_refused_with_a_clear_message(world):
    with pytest.raises(CommandError, match="whole number"):
        sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "abc")
    with pytest.raises(CommandError, match="no members"):
        sample(world.buyer.slug, "--standard", "example-mini-standard", "--seed", "1")
    with pytest.raises(CommandError, match="No organisation"):
        sample("nowhere", "--standard", "example-mini-standard")


class TestDecisions:
    def test_a_sanction_from_the_catalogue_changes_the_status_with_a_record(self, world):
        from datetime import date

        from batea.groups.services import decide
        from batea.standards.models import StandardVersion

        version = StandardVersion.objects.get(version="1.0")
        decision = decide(
            world.manager_a,
            world.member_a,
            sanction="exclusion",
            version=version,
            reason="Sold outside gold as certified",
            decided_on=date.today(),
        )
        world.member_a.refresh_from_db()
        assert world.member_a.status == "excluded"
        assert (decision.from_status, decision.to_status, decision.decided_by) == (
            "approved",
            "excluded",
            world.manager_a,
        )

    def test_illegal_transitions_unknown_sanctions_and_outsiders_are_refused(self, world):
        from datetime import date

        from django.core.exceptions import PermissionDenied, ValidationError

        from batea.groups.models import MemberDecision
        from batea.groups.services import decide
        from batea.standards.models import StandardVersion

        version = StandardVersion.objects.get(version="1.0")
        with pytest.raises(ValidationError, match="no sanction fine"):
            decide(
                world.manager_a,
                world.member_a,
                sanction="fine",
                version=version,
                reason="x",
                decided_on=date.today(),
            )
        with pytest.raises(ValidationError, match="cannot go from approved to applicant"):
            decide(
                world.manager_a,
                world.member_a,
                target="applicant",
                reason="x",
                decided_on=date.today(),
            )
        with pytest.raises(PermissionDenied):
            decide(
                world.support_user,
                world.member_a,
                target="suspended",
                reason="x",
                decided_on=date.today(),
            )
        with pytest.raises(ValidationError, match="Say why"):
            decide(
                world.manager_a,
                world.member_a,
                target="suspended",
                reason=" ",
                decided_on=date.today(),
            )
        assert not MemberDecision.objects.exists()
        world.member_a.refresh_from_db()
        assert world.member_a.status == "approved"


def test_the_committee_decides_from_the_member_page(world, client_for):
    client = client_for(world.manager_a)
    page = client.get(f"/members/{world.member_a.pk}/")
    assert "Record the decision" in page.content.decode()
    response = client.post(
        f"/members/{world.member_a.pk}/decide/",
        {"decision": "status:conditional", "reason": "Late dues"},
    )
    assert response.status_code == 302
    world.member_a.refresh_from_db()
    assert world.member_a.status == "conditional"
    assert "Late dues" in client.get(f"/members/{world.member_a.pk}/").content.decode()
    other = client_for(world.manager_b).post(
        f"/members/{world.member_a.pk}/decide/", {"decision": "status:excluded", "reason": "x"}
    )
    assert other.status_code == 404


def test_the_ics_page_shows_coverage_overdue_inspections_and_risk_with_reasons(world, client_for):
    response = client_for(world.inspector_a).get(f"/orgs/{world.org_a.slug}/ics/")
    assert response.status_code == 200
    plan = response.context["plan"]
    assert (plan["members"], plan["members_inspected"], plan["member_coverage"]) == (1, 0, 0)
    assert [m.member_number for m in plan["overdue_members"]] == ["A-001"]
    assert plan["overdue_total"] == 2  # the member and the site
    member, result = response.context["register"][0]
    assert member == world.member_a and result.reasons
    assert client_for(world.manager_b).get(f"/orgs/{world.org_a.slug}/ics/").status_code == 404


def test_an_inspector_cannot_inspect_a_member_they_declared_a_tie_to(world):
    from datetime import date

    from django.core.exceptions import ValidationError

    from batea.assessments import services
    from batea.groups.models import ConflictOfInterest
    from batea.standards.models import StandardVersion

    ConflictOfInterest.objects.create(
        inspector=world.inspector_a, member=world.member_a, tie="household"
    )
    version = StandardVersion.objects.get(version="1.0")
    with pytest.raises(ValidationError, match="declared a tie"):
        services.start_assessment(
            world.inspector_a, world.org_a, version, "ics", date.today(), member=world.member_a
        )
    with pytest.raises(ValidationError, match="declared a tie"):
        services.start_assessment(
            world.inspector_a, world.org_a, version, "ics", date.today(), site=world.site_a
        )


def test_ics_reliability_compares_audit_and_ics_results_on_the_same_members(world):
    from datetime import date

    from batea.assessments import services
    from batea.groups.services import ics_reliability
    from batea.standards.models import Requirement, StandardVersion

    version = StandardVersion.objects.get(version="1.0")
    requirement = Requirement.objects.get(version=version, code="EX-LEG-02")
    members = [world.member_a] + [
        make_member(world.org_a, f"A-{i + 700}", "R", f"L{i}") for i in range(4)
    ]
    for index, member in enumerate(members):
        for user, kind, value in (
            (world.inspector_a, "ics", "compliant"),
            (world.auditor_user, "audit", "non_compliant" if index < 2 else "compliant"),
        ):
            assessment = services.start_assessment(
                user, world.org_a, version, kind, date.today(), member=member
            )
            services.record_answer(user, assessment, requirement, services.AnswerInput(value=value))
            services.submit(user, assessment)
    result = ics_reliability(world.org_a, version)
    assert result["pairs"] == 5
    assert result["agreement"] == 0.6  # the auditor found two members the ICS passed
    assert result["reliable"] is False and result["sample_factor"] == 2


def test_certification_cost_per_member_adds_audits_and_the_ics(world, client_for):
    from datetime import date
    from decimal import Decimal

    from batea.groups.models import IcsCost
    from batea.groups.services import certification_costs

    response = client_for(world.auditor_user).post(
        "/api/assessments/",
        {
            "organisation": str(world.org_a.pk),
            "version": str(
                __import__("batea.standards.models", fromlist=["x"])
                .StandardVersion.objects.get(version="1.0")
                .pk
            ),
            "kind": "audit",
            "assessed_on": date.today().isoformat(),
            "cost": "3000",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    IcsCost.objects.create(organisation=world.org_a, year=date.today().year, amount=500)
    costs = certification_costs(world.org_a, date.today().year)
    assert costs["rows"] == [
        {
            "currency": "USD",
            "audit": Decimal("3000"),
            "ics": Decimal("500"),
            "total": Decimal("3500"),
            "per_member": Decimal("3500"),
        }
    ]


class TestParticipatoryGuarantee:
    def test_peer_visits_and_council_decisions_are_recorded_and_visible(self, world, client_for):
        from batea.groups.models import PeerGroup, PeerVisit

        other = make_member(world.org_a, "A-800", "Rosa", "Mena")
        group = PeerGroup.objects.create(
            organisation=world.org_a,
            name="Quebrada group",
            council="Two producers, a buyer, the parish",
        )
        group.members.set([world.member_a, other])
        client = client_for(world.manager_a)
        client.post(
            f"/orgs/{world.org_a.slug}/pgs/",
            {
                "form": "visit",
                "group": group.pk,
                "visitor": other.pk,
                "visited": world.member_a.pk,
                "companion_name": "Carla (consumer)",
                "companion_kind": "consumer",
                "visited_on": "2026-05-01",
                "findings": "Retort in use, tailings contained",
                "recommendation": "approved",
            },
        )
        assert PeerVisit.objects.get().companion_kind == "consumer"
        client.post(
            f"/orgs/{world.org_a.slug}/pgs/",
            {
                "form": "decision",
                "group": group.pk,
                "visited": world.member_a.pk,
                "status": "conditional",
                "reason": "Council: fence the pit within a month",
            },
        )
        world.member_a.refresh_from_db()
        assert world.member_a.status == "conditional"
        page = client_for(world.inspector_a).get(f"/orgs/{world.org_a.slug}/pgs/")
        body = page.content.decode()
        assert "Retort in use" in body and "fence the pit" in body
        assert client_for(world.manager_b).get(f"/orgs/{world.org_a.slug}/pgs/").status_code == 404

    def test_a_visit_needs_a_companion_and_is_never_to_oneself(self, world):
        from datetime import date

        from django.core.exceptions import ValidationError

        from batea.groups.models import PeerGroup, PeerVisit
        from batea.groups.services import record_peer_visit

        group = PeerGroup.objects.create(organisation=world.org_a, name="G", council="C")
        group.members.set([world.member_a])
        with pytest.raises(ValidationError) as error:
            record_peer_visit(
                world.manager_a,
                group,
                visited=world.member_a,
                visitor=world.member_a,
                companion_name=" ",
                companion_kind="consumer",
                visited_on=date.today(),
                findings="x",
                recommendation="approved",
            )
        assert {"visitor", "companion_name"} <= set(error.value.message_dict)
        assert not PeerVisit.objects.exists()


def test_an_unreliable_ics_doubles_the_next_sample(world):
    import math
    from datetime import date

    from batea.assessments import services
    from batea.groups.services import sample_group
    from batea.standards.models import Requirement, StandardVersion

    version = StandardVersion.objects.get(version="1.0")
    requirement = Requirement.objects.get(version=version, code="EX-LEG-02")
    members = [world.member_a] + [
        make_member(world.org_a, f"A-{i + 900}", "R", f"K{i}") for i in range(15)
    ]
    for index, member in enumerate(members[:4]):
        for user, kind, value in (
            (world.inspector_a, "ics", "compliant"),
            (world.auditor_user, "audit", "non_compliant" if index < 2 else "compliant"),
        ):
            assessment = services.start_assessment(
                user, world.org_a, version, kind, date.today(), member=member
            )
            services.record_answer(user, assessment, requirement, services.AnswerInput(value=value))
            services.submit(user, assessment)
    sample = sample_group(world.org_a, None, 3, date.today(), version)
    assert any("ICS agreement 0.5 < 0.8" in line for line in sample.arithmetic)
    plain = sample_group(world.org_a, None, 3, date.today())
    assert sample.size >= min(len(members), math.ceil(plain.size * 2) - 1)
