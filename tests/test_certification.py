"""Certification: only certifiers decide; suspension limits; public verification."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from batea.certification import services
from batea.certification.models import Certificate, CertificationDecision
from batea.standards.models import StandardVersion

pytestmark = pytest.mark.django_db
TODAY = date.today()


def version():
    return StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")


def test_only_a_certifier_of_an_engaged_body_decides(world):
    for user in (world.manager_a, world.auditor_user, world.support_user):
        with pytest.raises(PermissionDenied):
            services.certify(
                user,
                world.org_a,
                version(),
                valid_from=TODAY,
                valid_until=TODAY + timedelta(days=365),
                reason="x",
            )
    with pytest.raises(PermissionDenied):  # no engagement with B
        services.change_status(world.certifier_user, world.certificate_b, "withdraw", "x")


def test_a_certificate_has_a_number_scope_validity_and_a_recorded_decision(world):
    certificate = world.certificate_a
    assert certificate.number.startswith(f"BAT-{(TODAY - timedelta(days=30)).year}-")
    assert certificate.members_covered == 1
    assert list(certificate.sites.all()) == [world.site_a]
    assert certificate.current_status == "valid"
    assert CertificationDecision.objects.get(certificate=certificate).action == "certify"


def test_suspension_is_limited_then_reinstated_or_withdrawn(world):
    certificate = world.certificate_a
    with pytest.raises(ValidationError, match="at most 183 days"):
        services.change_status(
            world.certifier_user,
            certificate,
            "suspend",
            "Major NC open",
            TODAY + timedelta(days=200),
        )
    services.change_status(
        world.certifier_user, certificate, "suspend", "Major NC open", TODAY + timedelta(days=90)
    )
    certificate.refresh_from_db()
    assert certificate.status == "suspended"
    services.change_status(world.certifier_user, certificate, "reinstate", "NC closed")
    services.change_status(world.certifier_user, certificate, "withdraw", "Fraud found")
    with pytest.raises(ValidationError, match="withdrawn certificate"):
        services.change_status(world.certifier_user, certificate, "reinstate", "x")
    assert CertificationDecision.objects.filter(certificate=certificate).count() == 4


def test_bad_certification_input_changes_nothing(world):
    with pytest.raises(ValidationError) as error:
        services.certify(
            world.certifier_user,
            world.org_a,
            version(),
            valid_from=TODAY,
            valid_until=TODAY,
            reason="",
            variant="organic",
            sites=[world.site_b],
        )
    assert set(error.value.message_dict) == {"valid_until", "reason", "variant", "sites"}
    assert Certificate.objects.filter(organisation=world.org_a).count() == 1


def test_the_public_verification_page_shows_status_and_scope_without_personal_data(world, client):
    certificate = world.certificate_a
    page = client.get(f"/verify/{certificate.public_code}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert certificate.number in body and "Alpha Gold Cooperative" in body
    for personal in ("Alicia", "Aguirre", "A-001", "•••", world.member_a.national_id_masked):
        assert personal not in body
    assert (
        "No certificate has this code" in client.get("/verify/", {"code": "NOPE"}).content.decode()
    )


def test_the_certificate_pdf_carries_a_qr_code(world, client_for):
    response = client_for(world.manager_a).get(
        f"/certificates/{world.certificate_a.pk}/certificate.pdf"
    )
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_certifiers_decide_from_the_web(world, client_for):
    client = client_for(world.certifier_user)
    response = client.post(
        f"/orgs/{world.org_a.slug}/certify/",
        {
            "version": str(version().pk),
            "valid_from": TODAY.isoformat(),
            "valid_until": (TODAY + timedelta(days=365)).isoformat(),
            "reason": "Audit passed",
            "sites": [str(world.site_a.pk)],
        },
    )
    assert response.status_code == 302
    assert client_for(world.manager_a).get(f"/orgs/{world.org_a.slug}/certify/").status_code == 403


class TestApi:
    """Certificate decisions through the API: the same services and rules as the pages."""

    def certify_payload(self, world, **changes):
        return {
            "organisation": str(world.org_a.pk),
            "version": str(version().pk),
            "valid_from": TODAY.isoformat(),
            "valid_until": (TODAY + timedelta(days=3 * 365)).isoformat(),
            "sites": [str(world.site_a.pk)],
            "reason": "Audit passed, no open major finding",
            **changes,
        }

    def test_a_certifier_certifies_and_the_decision_is_recorded(self, world, client_for):
        response = client_for(world.certifier_user).post(
            "/api/certificates/", self.certify_payload(world), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["number"].startswith(f"BAT-{TODAY.year}-")
        assert (data["standard"], data["status"], data["members_covered"]) == (
            "example-mini-standard",
            "valid",
            1,
        )
        assert data["sites"] == [str(world.site_a.pk)]
        assert [(d["action"], d["decided_by"]) for d in data["decisions"]] == [
            ("certify", "certifier_user")
        ]

    def test_anyone_but_a_certifier_gets_403_and_nothing_is_written(self, world, client_for):
        certificate = world.certificate_a
        for user in (world.manager_a, world.auditor_user, world.buyer_user):
            client = client_for(user)
            response = client.post(
                "/api/certificates/", self.certify_payload(world), content_type="application/json"
            )
            assert response.status_code == 403, user
            for action, body in (
                ("suspend", {"reason": "x", "until": (TODAY + timedelta(days=30)).isoformat()}),
                ("reinstate", {"reason": "x"}),
                ("withdraw", {"reason": "x"}),
            ):
                response = client.post(
                    f"/api/certificates/{certificate.pk}/{action}/",
                    body,
                    content_type="application/json",
                )
                assert response.status_code == 403, (user, action)
        assert Certificate.objects.filter(organisation=world.org_a).count() == 1
        certificate.refresh_from_db()
        assert certificate.status == "valid"
        assert CertificationDecision.objects.filter(certificate=certificate).count() == 1

    def test_suspend_within_the_limit_then_reinstate_then_withdraw(self, world, client_for):
        client = client_for(world.certifier_user)
        url = f"/api/certificates/{world.certificate_a.pk}"
        too_long = client.post(
            f"{url}/suspend/",
            {"reason": "Major NC open", "until": (TODAY + timedelta(days=200)).isoformat()},
            content_type="application/json",
        )
        assert too_long.status_code == 400
        assert "at most 183 days" in too_long.json()["until"][0]
        suspended = client.post(
            f"{url}/suspend/",
            {"reason": "Major NC open", "until": (TODAY + timedelta(days=90)).isoformat()},
            content_type="application/json",
        )
        assert suspended.status_code == 200
        assert suspended.json()["status"] == "suspended"
        assert suspended.json()["suspended_until"] == (TODAY + timedelta(days=90)).isoformat()
        reinstated = client.post(
            f"{url}/reinstate/", {"reason": "NC closed"}, content_type="application/json"
        )
        assert reinstated.json()["status"] == "valid"
        withdrawn = client.post(
            f"{url}/withdraw/", {"reason": "Fraud found"}, content_type="application/json"
        )
        assert withdrawn.json()["status"] == "withdrawn"
        again = client.post(f"{url}/reinstate/", {"reason": "x"}, content_type="application/json")
        assert again.status_code == 400
        assert "withdrawn certificate" in again.json()["status"][0]
        actions = [d["action"] for d in client.get(f"{url}/").json()["decisions"]]
        assert sorted(actions) == ["certify", "reinstate", "suspend", "withdraw"]

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"valid_until": TODAY.isoformat()}, "valid_until"),
            ({"valid_from": "someday"}, "valid_from"),
            ({"version": "00000000-0000-0000-0000-000000000000"}, "version"),
            ({"version": "not-a-uuid"}, "version"),
            ({"variant": "organic"}, "variant"),
            ({"reason": ""}, "reason"),
            ({"surveillance_months": 0}, "surveillance_months"),
        ],
    )
    def test_bad_certification_input_answers_400_and_writes_nothing(
        self, world, client_for, changes, field
    ):
        response = client_for(world.certifier_user).post(
            "/api/certificates/",
            self.certify_payload(world, **changes),
            content_type="application/json",
        )
        assert response.status_code == 400
        assert field in response.json()
        assert Certificate.objects.filter(organisation=world.org_a).count() == 1

    def test_bad_decision_input_answers_400_or_404_never_500(self, world, client_for):
        client = client_for(world.certifier_user)
        url = f"/api/certificates/{world.certificate_a.pk}"
        for body in ({"reason": "x", "until": "soon"}, {"reason": "x"}, {"until": "2030-01-01"}):
            assert (
                client.post(f"{url}/suspend/", body, content_type="application/json").status_code
                == 400
            )
        past = client.post(
            f"{url}/suspend/",
            {"reason": "x", "until": (TODAY - timedelta(days=1)).isoformat()},
            content_type="application/json",
        )
        assert past.status_code == 400
        reinstate_valid = client.post(
            f"{url}/reinstate/", {"reason": "x"}, content_type="application/json"
        )
        assert reinstate_valid.status_code == 400
        assert (
            client.post(
                f"/api/certificates/{world.certificate_b.pk}/withdraw/",
                {"reason": "x"},
                content_type="application/json",
            ).status_code
            == 404
        )
        other_org = client.post(
            "/api/certificates/",
            self.certify_payload(world, organisation=str(world.org_b.pk)),
            content_type="application/json",
        )
        assert other_org.status_code == 400
        world.certificate_a.refresh_from_db()
        assert world.certificate_a.status == "valid"

    def test_certificates_are_listed_to_those_who_may_see_them(self, world, client_for):
        for user in (world.manager_a, world.buyer_user, world.certifier_user):
            numbers = [
                c["number"] for c in client_for(user).get("/api/certificates/").json()["results"]
            ]
            assert numbers == [world.certificate_a.number], user
        assert (
            client_for(world.manager_b)
            .get(f"/api/certificates/{world.certificate_a.pk}/")
            .status_code
            == 404
        )

    def test_the_decisions_are_described_in_the_openapi_schema(self, client):
        schema = client.get("/api/schema/").content.decode()
        for path in ("suspend", "reinstate", "withdraw"):
            assert f"/api/certificates/{{id}}/{path}/" in schema
        assert "SuspendRequest" in schema
