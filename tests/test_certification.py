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
