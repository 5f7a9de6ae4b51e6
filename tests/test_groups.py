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


def ics_and_audit_disagree(world, members: int = 4, disagreements: int = 2):
    """The ICS passed `members` members on EX-LEG-02; the auditor failed `disagreements` of
    them. Returns the version assessed."""
    from datetime import date

    from batea.assessments import services
    from batea.standards.models import Requirement, StandardVersion

    version = StandardVersion.objects.get(version="1.0")
    requirement = Requirement.objects.get(version=version, code="EX-LEG-02")
    group = [world.member_a] + [
        make_member(world.org_a, f"A-{i + 500}", "D", f"S{i}") for i in range(members - 1)
    ]
    for index, member in enumerate(group):
        for user, kind, value in (
            (world.inspector_a, "ics", "compliant"),
            (
                world.auditor_user,
                "audit",
                "non_compliant" if index < disagreements else "compliant",
            ),
        ):
            assessment = services.start_assessment(
                user, world.org_a, version, kind, date.today(), member=member
            )
            services.record_answer(user, assessment, requirement, services.AnswerInput(value=value))
            services.submit(user, assessment)
    return version


RULES_YAML = """\
thresholds: {medium: 3, high: 6}
factors:
  mercury_use: {points: 7}
  not_inspected: {points: 1, months: 12}
"""


def rule_set(owner, title="Field rules", rules=None):
    from batea.groups.models import RiskRuleSet

    return RiskRuleSet.objects.create(
        owner=owner,
        title=title,
        rules=rules
        or {"thresholds": {"medium": 3, "high": 6}, "factors": {"mercury_use": {"points": 7}}},
    )


class TestRiskRuleSets:
    def test_a_group_uses_its_supporters_rules_else_the_standard_owners_else_batea_defaults(
        self, world
    ):
        from datetime import date, timedelta

        from batea.groups.services import applicable_rules
        from batea.registry.models import Relation
        from batea.standards.models import Standard

        standard = Standard.objects.get(code="example-mini-standard")
        standard.owner = world.standard_owner
        standard.save()
        assert applicable_rules(world.org_a, standard).basis == "default"
        owners = rule_set(world.standard_owner, "Owner rules")
        assert applicable_rules(world.org_a, standard).rule_set == owners
        assert applicable_rules(world.org_a).basis == "default"  # no standard named
        rule_set(world.support, "Old support rules")
        newest = rule_set(world.support, "New support rules")
        applied = applicable_rules(world.org_a, standard)
        assert (applied.rule_set, applied.basis) == (newest, "support")
        assert applicable_rules(world.org_b, standard).rule_set == owners  # B has no supporter
        Relation.objects.filter(kind="support", target=world.org_a).update(
            ended_on=date.today() - timedelta(days=1)
        )
        assert applicable_rules(world.org_a, standard).rule_set == owners

    def test_the_ics_page_and_the_sample_say_which_rules_they_used(self, world, client_for):
        world.site_a.uses_mercury = True
        world.site_a.save()
        rules = rule_set(world.support, "Mercury first")
        page = client_for(world.inspector_a).get(f"/orgs/{world.org_a.slug}/ics/")
        assert page.context["applied"].rule_set == rules
        body = page.content.decode()
        assert "Mercury first" in body and "which supports the group" in body
        _member, result = page.context["register"][0]
        assert (result.risk, result.points) == ("high", 7)
        text = sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "1")
        assert "risk rules: Mercury first (helping-hands, support)" in text
        data = json.loads(
            sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "1", "--json")
        )
        assert data["risk_rules"]["id"] == str(rules.pk)

    def test_without_a_supporter_the_page_uses_the_standard_owners_rules(self, world, client_for):
        from batea.standards.models import Standard

        Standard.objects.filter(code="example-mini-standard").update(owner=world.standard_owner)
        owners = rule_set(world.standard_owner, "Alliance rules")
        page = client_for(world.manager_b).get(
            f"/orgs/{world.org_b.slug}/ics/", {"standard": "example-mini-standard"}
        )
        assert page.context["standard"].code == "example-mini-standard"
        assert page.context["applied"].rule_set == owners
        assert "which owns the standard" in page.content.decode()

    def test_without_a_rule_set_the_page_says_batea_defaults_are_used(self, world, client_for):
        body = client_for(world.manager_a).get(f"/orgs/{world.org_a.slug}/ics/").content.decode()
        assert "Batea&#x27;s defaults" in body or "Batea's defaults" in body
        text = sample(world.org_a.slug, "--standard", "example-mini-standard", "--seed", "1")
        assert "risk rules: Batea defaults" in text

    def test_a_support_officer_writes_rules_for_their_organisation(self, world, client_for):
        from batea.groups.models import RiskRuleSet

        client = client_for(world.support_user)
        form = client.get("/risk-rules/new/")
        assert form.status_code == 200
        assert "mercury_use" in form.content.decode()  # prefilled with Batea's defaults
        response = client.post(
            "/risk-rules/new/",
            {"owner": str(world.support.pk), "title": "Andes rules", "rules": RULES_YAML},
        )
        saved = RiskRuleSet.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/risk-rules/{saved.pk}/"
        assert (saved.owner, saved.updated_by) == (world.support, world.support_user)
        assert saved.rules["factors"]["mercury_use"] == {"points": 7}
        detail = client_for(world.buyer_user).get(f"/risk-rules/{saved.pk}/").content.decode()
        assert "Mercury is used at the site: +7" in detail  # everyone signed in reads them

    def test_bad_rules_are_shown_with_path_and_line_and_nothing_is_saved(self, world, client_for):
        from batea.groups.models import RiskRuleSet

        client = client_for(world.support_user)
        response = client.post(
            "/risk-rules/new/",
            {
                "owner": str(world.support.pk),
                "title": "Broken",
                "rules": "thresholds: {medium: 5, high: 2}\nfactors:\n  lucky_charm: {points: 1}\n",
            },
        )
        assert response.status_code == 400
        body = response.content.decode()
        assert "Nothing was saved." in body
        assert "Line 3: factors.lucky_charm: Unknown risk factor lucky_charm" in body
        assert not RiskRuleSet.objects.exists()
        response = client.post(
            "/risk-rules/new/",
            {
                "owner": str(world.support.pk),
                "title": "Broken",
                "rules": "thresholds: {medium: 5, high: 2}\nfactors: {}\n",
            },
        )
        assert "thresholds.medium: The medium threshold (5) must not be above" in (
            response.content.decode()
        )
        assert not RiskRuleSet.objects.exists()

    def test_a_change_is_checked_the_same_way(self, world, client_for):
        rules = rule_set(world.support)
        client = client_for(world.support_user)
        bad = client.post(
            f"/risk-rules/{rules.pk}/edit/",
            {"title": "Field rules", "rules": "thresholds: {medium: 1, high: 2}\nfactors: 3\n"},
        )
        assert bad.status_code == 400
        rules.refresh_from_db()
        assert rules.rules["factors"] == {"mercury_use": {"points": 7}}
        good = client.post(
            f"/risk-rules/{rules.pk}/edit/", {"title": "Field rules v2", "rules": RULES_YAML}
        )
        assert good.status_code == 302
        rules.refresh_from_db()
        assert rules.title == "Field rules v2" and "not_inspected" in rules.rules["factors"]

    def test_only_the_owner_organisation_changes_its_rules(self, world, client_for):
        from django.core.exceptions import PermissionDenied

        from batea.groups.services import save_rule_set

        rules = rule_set(world.support)
        for user in (world.manager_a, world.standards_user, world.auditor_user):
            client = client_for(user)
            assert client.get(f"/risk-rules/{rules.pk}/").status_code == 200
            assert client.get(f"/risk-rules/{rules.pk}/edit/").status_code == 403
            response = client.post(
                f"/risk-rules/{rules.pk}/edit/", {"title": "Taken", "rules": RULES_YAML}
            )
            assert response.status_code == 403
        assert client_for(world.manager_a).get("/risk-rules/new/").status_code == 403
        with pytest.raises(PermissionDenied):
            save_rule_set(world.standards_user, owner=world.support, title="x", text=RULES_YAML)
        rules.refresh_from_db()
        assert rules.title == "Field rules"


class TestRedFlagsAndAnomalies:
    def test_sites_named_as_red_flag_or_anomalous_give_their_members_the_fact(self, world):
        from datetime import date

        from batea.groups.services import member_facts, risk_register

        today = date.today()
        (plain,) = member_facts(world.org_a, today)
        assert (plain.in_red_flag_area, plain.production_anomaly) == (False, False)
        (facts,) = member_facts(
            world.org_a,
            today,
            red_flag_sites={world.site_a.pk},
            anomalous_sites={str(world.site_a.pk)},
        )
        assert (facts.in_red_flag_area, facts.production_anomaly) == (True, True)
        ((_member, result),) = risk_register(world.org_a, today, red_flag_sites={world.site_a.pk})
        assert "red_flag_area" in {reason.path for reason in result.reasons}
        (elsewhere,) = member_facts(world.org_a, today, red_flag_sites={world.site_b.pk})
        assert elsewhere.in_red_flag_area is False

    def test_another_app_supplies_the_sites_through_the_hook(self, world):
        from datetime import date

        from batea.groups import hooks
        from batea.groups.services import member_facts

        asked = []

        def custody(organisation, today):
            asked.append((organisation, today))
            return [world.site_a.pk] if organisation == world.org_a else []

        hooks.register(hooks.ANOMALOUS_SITES, custody)
        try:
            (facts,) = member_facts(world.org_a, date.today())
        finally:
            hooks.unregister(hooks.ANOMALOUS_SITES, custody)
        assert facts.production_anomaly and not facts.in_red_flag_area
        assert asked == [(world.org_a, date.today())]
        (after,) = member_facts(world.org_a, date.today())
        assert after.production_anomaly is False


class TestUnreliableIcsFinding:
    def test_drawing_the_sample_records_the_finding_once_per_cycle(self, world):
        from datetime import date
        from decimal import Decimal

        from batea.groups.models import GroupFinding
        from batea.groups.services import raise_ics_finding, sample_group

        version = ics_and_audit_disagree(world)
        today = date.today()
        sample_group(world.org_a, None, 3, today, version)
        sample_group(world.org_a, None, 4, today, version)
        assert raise_ics_finding(world.org_a, version, today) == GroupFinding.objects.get()
        finding = GroupFinding.objects.get()
        assert (finding.organisation, finding.standard_version, finding.status) == (
            world.org_a,
            version,
            "open",
        )
        assert (finding.pairs, finding.agreement, finding.threshold, finding.sample_factor) == (
            4,
            Decimal("0.500"),
            Decimal("0.800"),
            Decimal("2.00"),
        )
        assert finding.cycle == today.year
        raise_ics_finding(world.org_a, version, today.replace(year=today.year + 1))
        assert GroupFinding.objects.count() == 2  # a new cycle, a new record

    def test_a_reliable_ics_raises_nothing(self, world):
        from datetime import date

        from batea.groups.models import GroupFinding
        from batea.groups.services import raise_ics_finding, sample_group

        version = ics_and_audit_disagree(world, members=5, disagreements=0)
        sample_group(world.org_a, None, 3, date.today(), version)
        assert raise_ics_finding(world.org_a, version, date.today()) is None
        assert not GroupFinding.objects.exists()

    def test_the_ics_page_shows_the_finding_and_records_it_when_asked(self, world, client_for):
        from batea.groups.models import GroupFinding

        version = ics_and_audit_disagree(world)
        url = f"/orgs/{world.org_a.slug}/ics/"
        page = client_for(world.auditor_user).get(url).content.decode()
        assert "Record as a finding" in page
        client_for(world.support_user).post(url, {"form": "raise", "version": str(version.pk)})
        assert not GroupFinding.objects.exists()  # support officers only read the ICS
        client = client_for(world.auditor_user)
        assert client.post(url, {"form": "raise", "version": str(version.pk)}).status_code == 302
        client.post(url, {"form": "raise", "version": str(version.pk)})
        assert GroupFinding.objects.count() == 1
        page = client_for(world.manager_a).get(url).content.decode()
        assert "Findings about the ICS" in page and "Agreement 0.500 below 0.800" in page
        assert "Record as a finding" not in page

    def test_the_manager_or_the_auditor_closes_it_saying_what_was_done(self, world, client_for):
        from datetime import date

        from django.core.exceptions import PermissionDenied, ValidationError

        from batea.groups.services import close_finding, raise_ics_finding

        finding = raise_ics_finding(world.org_a, ics_and_audit_disagree(world), date.today())
        with pytest.raises(PermissionDenied):
            close_finding(world.inspector_a, finding, note="Done", closed_on=date.today())
        with pytest.raises(ValidationError, match="Say what was done"):
            close_finding(world.manager_a, finding, note=" ", closed_on=date.today())
        finding.refresh_from_db()
        assert finding.status == "open"
        url = f"/orgs/{world.org_a.slug}/ics/"
        assert (
            client_for(world.manager_b)
            .post(url, {"form": "close", "finding": str(finding.pk), "note": "x"})
            .status_code
            == 404
        )
        client_for(world.manager_a).post(
            url, {"form": "close", "finding": str(finding.pk), "note": "Inspectors retrained"}
        )
        finding.refresh_from_db()
        assert (finding.status, finding.closed_by, finding.closing_note) == (
            "closed",
            world.manager_a,
            "Inspectors retrained",
        )
        with pytest.raises(ValidationError, match="already closed"):
            close_finding(world.auditor_user, finding, note="Again", closed_on=date.today())
        page = client_for(world.manager_a).get(url).content.decode()
        assert "Inspectors retrained" in page


INDIVIDUAL_ONLY = "example-individual-only"


def import_individual_only_standard():
    """The example standard as one that certifies organisations individually only."""
    from batea.standards import services
    from tests.conftest import EXAMPLE_STANDARD

    text = EXAMPLE_STANDARD.read_text()
    text = text.replace("id: example-mini-standard", f"id: {INDIVIDUAL_ONLY}")
    text = text.replace("models: [individual, ics_group, pgs]", "models: [individual]")
    text = text[: text.index("sampling:")] + text[text.index("sanctions:") :]
    report = services.import_files([("individual-only.yaml", text.encode())])
    assert report.ok, report.problems
    from batea.standards.models import Standard

    return Standard.objects.get(code=INDIVIDUAL_ONLY)


class TestAssuranceModels:
    def test_sampling_refuses_a_standard_without_group_certification(self, world):
        from batea.groups.models import GroupFinding

        import_individual_only_standard()
        with pytest.raises(CommandError, match="does not accept group certification"):
            sample(world.org_a.slug, "--standard", INDIVIDUAL_ONLY, "--seed", "1")
        assert not GroupFinding.objects.exists()

    def test_a_peer_group_is_set_up_under_a_standard_that_accepts_a_pgs(self, world, client_for):
        from batea.groups.models import PeerGroup
        from batea.standards.models import Standard

        other = make_member(world.org_a, "A-801", "Rosa", "Mena")
        example = Standard.objects.get(code="example-mini-standard")
        individual = import_individual_only_standard()
        client = client_for(world.manager_a)
        page = client.get(f"/orgs/{world.org_a.slug}/pgs/").content.decode()
        assert "Set up a peer-review group" in page
        assert example.display_title in page
        group = {
            "form": "group",
            "name": "Quebrada group",
            "council": "Two producers and the parish",
            "members": [str(world.member_a.pk), str(other.pk)],
        }
        refused = client.post(
            f"/orgs/{world.org_a.slug}/pgs/", {**group, "standard": str(individual.pk)}
        )
        assert refused.status_code == 400
        assert "does not accept a Participatory Guarantee System" in refused.content.decode()
        assert not PeerGroup.objects.exists()
        alone = client.post(
            f"/orgs/{world.org_a.slug}/pgs/",
            {**group, "standard": str(example.pk), "members": [str(other.pk)]},
        )
        assert "at least two producers" in alone.content.decode()
        assert not PeerGroup.objects.exists()
        created = client.post(
            f"/orgs/{world.org_a.slug}/pgs/", {**group, "standard": str(example.pk)}
        )
        assert created.status_code == 302
        made = PeerGroup.objects.get()
        assert made.standard == example and set(made.members.all()) == {world.member_a, other}
        inspector = client_for(world.inspector_a).post(
            f"/orgs/{world.org_a.slug}/pgs/",
            {**group, "name": "Other", "standard": str(example.pk)},
        )
        assert inspector.status_code == 403
        assert PeerGroup.objects.count() == 1

    def test_a_group_under_a_standard_without_a_pgs_records_no_visit(self, world):
        from datetime import date

        from django.core.exceptions import ValidationError

        from batea.groups.models import PeerGroup, PeerVisit
        from batea.groups.services import record_peer_visit

        other = make_member(world.org_a, "A-802", "Rosa", "Mena")
        group = PeerGroup.objects.create(
            organisation=world.org_a,
            name="G",
            council="C",
            standard=import_individual_only_standard(),
        )
        group.members.set([world.member_a, other])
        with pytest.raises(ValidationError, match="does not accept a Participatory Guarantee"):
            record_peer_visit(
                world.manager_a,
                group,
                visited=world.member_a,
                visitor=other,
                companion_name="Carla",
                companion_kind="consumer",
                visited_on=date.today(),
                findings="x",
                recommendation="approved",
            )
        assert not PeerVisit.objects.exists()
