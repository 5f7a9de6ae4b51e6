"""Assessments, corrections, findings, corrective actions and the pathway, end to end."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from batea.assessments import services
from batea.assessments.models import Answer, Assessment, CorrectiveAction, NonConformity
from batea.standards.models import Requirement, StandardVersion

pytestmark = pytest.mark.django_db
TODAY = date.today()


def version(number="1.0"):
    return StandardVersion.objects.get(standard__code="example-mini-standard", version=number)


def requirement(code, number="1.0"):
    return Requirement.objects.get(version=version(number), code=code)


def draft(world, kind="self", user=None, **subject):
    return services.start_assessment(
        user or world.manager_a, world.org_a, version(), kind, TODAY - timedelta(days=1), **subject
    )


class TestBadInput:
    def test_an_answer_for_a_requirement_of_another_version_is_refused(self, world):
        assessment = draft(world)
        with pytest.raises(ValidationError, match="not a requirement of"):
            services.record_answer(
                world.manager_a,
                assessment,
                requirement("EX-LEG-01", "1.1"),
                services.AnswerInput(value="compliant"),
            )
        assert not assessment.answers.exists()

    def test_a_score_outside_the_scale_is_refused(self, world):
        assessment = draft(world, site=world.site_a)
        with pytest.raises(ValidationError, match="outside the scale"):
            services.record_answer(
                world.manager_a, assessment, requirement("EX-ENV-01"), services.AnswerInput(score=7)
            )
        with pytest.raises(ValidationError, match="not scored"):
            services.record_answer(
                world.manager_a,
                assessment,
                requirement("EX-ENV-02"),
                services.AnswerInput(value="compliant", score=3),
            )
        assert not assessment.answers.exists()

    def test_a_retired_version_cannot_be_assessed(self, world):
        version().retire()
        with pytest.raises(ValidationError, match="retired"):
            draft(world)

    def test_a_requirement_about_members_is_not_asked_of_the_organisation(self, world):
        assessment = draft(world)
        with pytest.raises(ValidationError, match="applies to the Member"):
            services.record_answer(
                world.manager_a,
                assessment,
                requirement("EX-LEG-02"),
                services.AnswerInput(value="compliant"),
            )

    def test_a_due_date_before_the_finding_is_refused(self, world):
        finding = world.assessment_a.answers.get().finding
        with pytest.raises(ValidationError, match="before the finding"):
            services.add_action(
                world.manager_a,
                finding,
                "Too late",
                world.manager_a,
                finding.raised_on - timedelta(days=1),
            )

    def test_a_subject_of_another_organisation_is_refused(self, world):
        with pytest.raises(ValidationError, match="another organisation"):
            draft(world, member=world.member_b)


class TestLifecycle:
    def test_submitted_answers_are_corrected_with_a_reason_never_silently(self, world):
        assessment = world.assessment_a
        code = requirement("EX-LEG-01")
        with pytest.raises(ValidationError, match="say why"):
            services.record_answer(
                world.manager_a, assessment, code, services.AnswerInput(value="compliant")
            )
        corrected = services.record_answer(
            world.manager_a,
            assessment,
            code,
            services.AnswerInput(value="compliant", reason="Title found in the archive"),
        )
        history = Answer.objects.filter(assessment=assessment).order_by("answered_at")
        assert [(a.value, a.current) for a in history] == [
            ("non_compliant", False),
            ("compliant", True),
        ]
        assert corrected.supersedes.value == "non_compliant"

    def test_a_non_compliant_answer_raises_a_finding_with_the_standards_deadline(self, world):
        finding = world.assessment_a.answers.get().finding
        assert finding.severity == "critical"  # EX-LEG-01 is core
        assert (finding.due_on - finding.raised_on).days == 90  # the major deadline

    def test_development_scores_below_3_raise_minor_findings(self, world):
        assessment = draft(world, site=world.site_a)
        services.record_answer(
            world.manager_a, assessment, requirement("EX-ENV-01"), services.AnswerInput(score=2)
        )
        (finding,) = services.submit(world.manager_a, assessment)
        assert finding.severity == "minor"
        assert (finding.due_on - finding.raised_on).days == 180

    def test_an_action_is_verified_by_someone_other_than_its_owner(self, world):
        finding = world.assessment_a.answers.get().finding
        action = finding.actions.get()
        services.complete_action(world.manager_a, action, "Application filed, receipt 42")
        with pytest.raises(ValidationError, match="cannot verify"):
            services.verify_action(world.manager_a, action)
        from batea.access.models import RoleAssignment

        RoleAssignment.objects.create(
            user=world.inspector_a, organisation=world.org_a, role="asmo_manager"
        )
        inspector = type(world.inspector_a).objects.get(pk=world.inspector_a.pk)
        services.verify_action(inspector, action)
        finding.refresh_from_db()
        assert finding.status == "closed"

    def test_overdue_findings_escalate(self, world):
        finding = world.assessment_a.answers.get().finding
        NonConformity.objects.filter(pk=finding.pk).update(
            severity="minor", due_on=TODAY - timedelta(days=1)
        )
        out = StringIO()
        call_command("actions", "escalate", stdout=out)
        finding.refresh_from_db()
        assert finding.severity == "major" and not finding.flagged_for_suspension
        # As a major it has the major deadline from today; past that it is flagged.
        call_command("actions", "escalate", "--at", str(TODAY + timedelta(days=91)), stdout=out)
        finding.refresh_from_db()
        assert finding.flagged_for_suspension

    def test_external_audits_are_reviewed_by_someone_else(self, world):
        audit = services.start_assessment(
            world.auditor_user, world.org_a, version(), "audit", TODAY
        )
        services.record_answer(
            world.auditor_user,
            audit,
            requirement("EX-LEG-01"),
            services.AnswerInput(value="compliant"),
        )
        services.submit(world.auditor_user, audit)
        with pytest.raises(ValidationError, match="someone else"):
            services.review(world.auditor_user, audit)


class TestPermissions:
    def test_a_member_of_another_organisation_cannot_answer_or_read(self, world):
        with pytest.raises(PermissionDenied):
            services.start_assessment(world.manager_b, world.org_a, version(), "self", TODAY)
        with pytest.raises(PermissionDenied):
            services.record_answer(
                world.manager_b,
                world.assessment_a,
                requirement("EX-LEG-01"),
                services.AnswerInput(value="compliant", reason="x"),
            )
        assert (
            not Assessment.objects.visible_to(world.manager_b)
            .filter(organisation=world.org_a)
            .exists()
        )

    def test_roles_record_only_their_kind_of_assessment(self, world):
        assert services.assessable_kinds(world.manager_a, world.org_a) == ["self", "ics"]
        assert services.assessable_kinds(world.auditor_user, world.org_a) == ["audit"]
        assert services.assessable_kinds(world.support_user, world.org_a) == []
        assert services.assessable_kinds(world.auditor_user, world.org_b) == []

    def test_buyers_do_not_see_findings(self, world):
        assert not NonConformity.objects.visible_to(world.buyer_user).exists()
        assert CorrectiveAction.objects.visible_to(world.support_user).count() == 1


class TestPathway:
    def test_the_cli_prints_levels_blocking_requirements_and_next_steps(self, world):
        out = StringIO()
        call_command("pathway", world.org_a.slug, "--standard", "example-mini-standard", stdout=out)
        text = out.getvalue()
        assert "✗ entry" in text and "EX-LEG-01" in text and "next steps" in text

    def test_the_cli_speaks_json_and_accepts_a_date(self, world):
        import json

        out = StringIO()
        call_command(
            "pathway",
            str(world.org_a.pk),
            "--json",
            "--at",
            str(TODAY - timedelta(days=30)),
            stdout=out,
        )
        data = json.loads(out.getvalue())
        # Thirty days ago nothing was assessed yet.
        assert data["standards"][0]["levels"][0]["blocking"][0]["status"] == "not_assessed"

    def test_a_correction_moves_the_organisation_up(self, world, client_for):
        services.record_answer(
            world.manager_a,
            world.assessment_a,
            requirement("EX-LEG-01"),
            services.AnswerInput(value="compliant", reason="Title found"),
        )
        data = client_for(world.support_user).get(f"/api/pathway/{world.org_a.pk}/").json()
        assert data["standards"][0]["current_level"] == "entry", data

    def test_the_pathway_page_and_pdf_report_in_spanish(self, world, client_for):
        from batea.registry.models import Organisation

        Organisation.objects.filter(pk=world.org_a.pk).update(
            entry_date=TODAY - timedelta(days=800)
        )
        client = client_for(world.manager_a)
        client.post("/i18n/setlang/", {"language": "es", "next": "/"})
        page = client.get(f"/orgs/{world.org_a.slug}/pathway/")
        assert page.status_code == 200
        assert "EX-LEG-01" in page.content.decode()
        # The member requirement's roll-up names who does not comply yet.
        blockers = [
            b
            for item in page.context["standards"]
            for level in item["levels"]
            for b in level["blocking"]
            if b["requirement"] == "EX-LEG-02"
        ]
        assert blockers and "Alicia Aguirre" in blockers[0]["failing_names"]
        pdf = client.get(f"/orgs/{world.org_a.slug}/pathway.pdf")
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")


class TestEntryPages:
    def test_the_new_assessment_form_names_standards_by_title_and_version(self, world, client_for):
        body = client_for(world.manager_a).get(f"/orgs/{world.org_a.slug}/assessments/")
        options = body.context["form"].fields["version"].choices
        labels = {str(label) for value, label in options if value}
        title = version().title["en"]
        assert f"{title}, version 1.0" in labels
        assert not any(label.startswith("example-mini-standard") for label in labels)

    def test_one_requirement_at_a_time_saving_as_you_go(self, world, client_for):
        client = client_for(world.manager_a)
        response = client.post(
            f"/orgs/{world.org_a.slug}/assessments/",
            {
                "kind": "ics",
                "version": version().pk,
                "site": world.site_a.pk,
                "assessed_on": TODAY.isoformat(),
            },
        )
        assessment = Assessment.objects.get(kind="ics")
        assert response.status_code == 302
        page = client.get(f"/assessments/{assessment.pk}/")
        assert page.context["requirement"].code == "EX-ENV-01"
        saved = client.post(
            f"/assessments/{assessment.pk}/?step=0",
            {"score": "4", "latitude": "5.17", "longitude": "-76.65"},
        )
        assert saved.status_code == 302 and saved["Location"].endswith("step=1")
        assert assessment.answers.get().latitude == 5.17
        bad = client.post(f"/assessments/{assessment.pk}/?step=1", {"score": "4"})
        assert bad.status_code == 400  # EX-ENV-02 is pass/fail
        client.post(f"/assessments/{assessment.pk}/?step=1", {"value": "compliant"})
        client.post(f"/assessments/{assessment.pk}/submit/")
        assessment.refresh_from_db()
        assert assessment.status == "submitted"
        assert assessment.answers.count() == 2

    def test_the_action_board_filters_by_severity_and_due_date(self, world, client_for):
        client = client_for(world.manager_a)
        board = client.get(f"/orgs/{world.org_a.slug}/actions/")
        assert len(board.context["findings"]) == 1
        assert (
            len(
                client.get(f"/orgs/{world.org_a.slug}/actions/", {"severity": "minor"}).context[
                    "findings"
                ]
            )
            == 0
        )
        assert (
            len(
                client.get(f"/orgs/{world.org_a.slug}/actions/", {"due": "overdue"}).context[
                    "findings"
                ]
            )
            == 0
        )

    def test_the_api_refuses_answers_outside_the_scale_with_a_400(self, world, client_for):
        client = client_for(world.manager_a)
        assessment = draft(world, site=world.site_a)
        response = client.post(
            "/api/answers/",
            {
                "assessment": str(assessment.pk),
                "requirement": str(requirement("EX-ENV-01").pk),
                "score": 9,
            },
            content_type="application/json",
        )
        assert response.status_code == 400
        assert not assessment.answers.exists()

    def test_a_large_group_names_the_member_by_number_instead_of_a_list(
        self, world, client_for, monkeypatch
    ):
        """A drop-down of thousands of members is unusable on a phone and slow to send."""
        from batea.assessments import forms

        monkeypatch.setattr(forms, "MEMBER_LIST_LIMIT", 0)
        client = client_for(world.manager_a)
        url = f"/orgs/{world.org_a.slug}/assessments/"
        page = client.get(url).content.decode()
        assert '<select name="member"' not in page and 'name="member"' in page
        base = {"kind": "ics", "version": version().pk, "assessed_on": TODAY.isoformat()}
        before = Assessment.objects.count()
        unknown = client.post(url, {**base, "member": "NO-SUCH"})
        assert unknown.status_code == 400
        assert "No member has the number NO-SUCH here." in unknown.content.decode()
        assert Assessment.objects.count() == before
        number = world.member_a.member_number
        assert client.post(url, {**base, "member": number.lower()}).status_code == 302
        assert Assessment.objects.latest("created_at").member == world.member_a


class TestReviewFindings:
    """Regressions for what a review of the first version found."""

    def test_roles_held_elsewhere_do_not_count_in_this_organisation(self, world):
        from batea.access.models import RoleAssignment

        RoleAssignment.objects.create(
            user=world.auditor_user, organisation=world.org_b, role="auditor"
        )
        RoleAssignment.objects.create(user=world.manager_b, organisation=world.cb, role="auditor")
        manager_b = type(world.manager_b).objects.get(pk=world.manager_b.pk)
        # manager_b manages B and is an auditor of the certification body engaged with A:
        # in A it may record audits, but not self-assessments.
        assert services.assessable_kinds(manager_b, world.org_a) == ["audit"]

    def test_only_the_assessor_or_a_recorder_of_that_kind_submits(self, world):
        audit = services.start_assessment(
            world.auditor_user, world.org_a, version(), "audit", TODAY
        )
        services.record_answer(
            world.auditor_user,
            audit,
            requirement("EX-LEG-01"),
            services.AnswerInput(value="non_compliant"),
        )
        with pytest.raises(PermissionDenied):
            services.submit(world.manager_a, audit)

    def test_a_correction_withdraws_the_finding_it_made_wrong(self, world):
        finding = world.assessment_a.answers.get().finding
        services.record_answer(
            world.manager_a,
            world.assessment_a,
            requirement("EX-LEG-01"),
            services.AnswerInput(value="compliant", reason="Title found"),
        )
        finding.refresh_from_db()
        assert finding.status == "withdrawn"

    def test_escalating_twice_on_the_same_day_changes_nothing_more(self, world):
        finding = world.assessment_a.answers.get().finding
        NonConformity.objects.filter(pk=finding.pk).update(
            severity="minor", due_on=TODAY - timedelta(days=1)
        )
        assert services.escalate_overdue(TODAY) == 1
        assert services.escalate_overdue(TODAY) == 0
        finding.refresh_from_db()
        assert (finding.severity, finding.flagged_for_suspension) == ("major", False)
        assert finding.due_on == TODAY + timedelta(days=90)

    def test_actions_are_completed_by_their_owner_and_verified_by_someone_else(
        self, world, client_for
    ):
        finding = world.assessment_a.answers.get().finding
        action = finding.actions.get()
        with pytest.raises(PermissionDenied):
            services.complete_action(world.auditor_user, action, "done")
        with pytest.raises(ValidationError, match="role in the organisation"):
            services.add_action(world.manager_a, finding, "x", world.buyer_user)
        response = client_for(world.manager_a).post(
            f"/orgs/{world.org_a.slug}/findings/{finding.pk}/bogus/", {"action": action.pk}
        )
        assert response.status_code == 404

    def test_evidence_must_be_a_photo_or_pdf_of_at_most_10_mb(self, world):
        from django.core.files.uploadedfile import SimpleUploadedFile

        assessment = draft(world)
        page = SimpleUploadedFile("page.html", b"<script>")
        with pytest.raises(ValidationError, match="photo or a PDF"):
            services.record_answer(
                world.manager_a,
                assessment,
                requirement("EX-LEG-01"),
                services.AnswerInput(value="compliant", evidence=page),
            )
        assert not assessment.answers.exists()

    def test_a_ladder_rung_missing_from_the_version_is_skipped_not_a_crash(self, world, client_for):
        from batea.standards.models import Ladder

        Ladder.objects.update(rungs=[{"standard": "example-mini-standard", "level": "gone"}])
        assert (
            client_for(world.manager_a).get(f"/orgs/{world.org_a.slug}/pathway/").status_code == 200
        )


def test_a_standard_owner_cannot_publish_a_crosswalk_into_someone_elses_standard(world):
    from batea.standards import services as standard_services
    from tests.conftest import EXAMPLE_CROSSWALK

    text = EXAMPLE_CROSSWALK.read_text().replace("id: example-1-0-to-1-1", "id: sneaky")
    report = standard_services.import_files([("x.yaml", text.encode())], owner=world.standard_owner)
    assert "Only the owner of example-mini-standard" in str(report.problems[0])


def test_evaluating_many_organisations_at_once_gives_the_same_results(world):
    from batea.assessments import pathway
    from batea.registry.models import Organisation

    organisations = Organisation.objects.filter(pk__in=[world.org_a.pk, world.org_b.pk])
    many = pathway.evaluate_many(organisations, version())
    for organisation in organisations:
        one = pathway.evaluate_standard(organisation, version())
        assert [lr.met for lr in many[organisation.pk].levels] == [lr.met for lr in one.levels]
        assert many[organisation.pk].requirements.keys() == one.requirements.keys()


def test_audits_are_reviewed_and_evidence_is_served_only_to_readers(world, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    audit = services.start_assessment(world.auditor_user, world.org_a, version(), "audit", TODAY)
    photo = SimpleUploadedFile("pit.jpg", b"\xff\xd8\xff\xe0 fake jpeg", "image/jpeg")
    answer = services.record_answer(
        world.auditor_user,
        audit,
        requirement("EX-LEG-01"),
        services.AnswerInput(value="compliant", evidence=photo),
    )
    services.submit(world.auditor_user, audit)
    reviewer = client_for(world.manager_a)
    assert reviewer.get(f"/answers/{answer.pk}/evidence/").status_code == 200
    assert client_for(world.manager_b).get(f"/answers/{answer.pk}/evidence/").status_code == 404
    from batea.access.models import RoleAssignment

    second = type(world.auditor_user).objects.create_user("auditor_two", password="pw")
    RoleAssignment.objects.create(user=second, organisation=world.cb, role="auditor")
    client_for(second).post(f"/assessments/{audit.pk}/submit/", {"review": "1"})
    audit.refresh_from_db()
    assert audit.status == "reviewed" and audit.reviewed_by == second


def test_the_pathway_shows_eligibility_and_open_findings(world, client_for):
    page = client_for(world.manager_a).get(f"/orgs/{world.org_a.slug}/pathway/")
    assert [f.requirement.code for f in page.context["findings"]] == ["EX-LEG-01"]
    assert "Apply for the title" in page.content.decode()


def test_next_steps_take_the_deadline_of_the_open_finding(world):
    from batea.assessments import pathway

    finding = world.assessment_a.answers.get().finding
    result = pathway.evaluate_standard(world.org_a, version())
    step = next(s for s in result.next_steps if s.requirement.id == "EX-LEG-01")
    assert step.due == finding.due_on
