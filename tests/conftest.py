"""Shared fixtures: a small world of organisations, people and roles.

`world` has two ASMOs (A in Colombia, B in Peru) and, around A only, a support organisation,
a buyer and a certification body. Users of B must never see A's data and vice versa.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from batea.access.models import RoleAssignment
from batea.domain.access import OrganisationKind, RelationKind, Role
from batea.registry.models import Commodity, Licence, Member, Organisation, Relation, Site

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_STANDARD = ROOT / "docs" / "examples" / "example-standard.yaml"
EXAMPLE_CROSSWALK = ROOT / "tests" / "fixtures" / "example-crosswalk.yaml"


def example_version_1_1() -> bytes:
    """Version 1.1 of the example: one requirement renamed, EX-ENV-01 replaced by EX-ENV-03."""
    text = EXAMPLE_STANDARD.read_text()
    text = text.replace('version: "1.0"', 'version: "1.1"')
    text = text.replace("EX-ENV-01", "EX-ENV-03")
    text = text.replace(
        "The organisation holds a mining title or is formalising",
        "The organisation holds a valid mining title",
    )
    return text.encode()


def import_example_standards():
    """Versions 1.0 and 1.1 of the example standard and a crosswalk between them."""
    from batea.standards import services

    report = services.import_files(
        [
            (str(EXAMPLE_STANDARD), EXAMPLE_STANDARD.read_bytes()),
            ("example-1.1.yaml", example_version_1_1()),
            (str(EXAMPLE_CROSSWALK), EXAMPLE_CROSSWALK.read_bytes()),
        ]
    )
    assert report.ok, report.problems
    return report


POINT_IN_COLOMBIA = {"type": "Point", "coordinates": [-76.65, 5.17]}
POINT_IN_PERU = {"type": "Point", "coordinates": [-69.53, -14.68]}


def make_org(slug: str, kind: str = OrganisationKind.ASMO, country: str = "CO", **extra):
    return Organisation.objects.create(
        slug=slug,
        name=extra.pop("name", slug.replace("-", " ").title()),
        kind=kind,
        country=country,
        **extra,
    )


def make_user(username: str, role: str | None = None, organisation=None, **extra):
    user = get_user_model().objects.create_user(username=username, password="pw", **extra)
    if role:
        RoleAssignment.objects.create(user=user, organisation=organisation, role=role)
    return user


def make_member(organisation, number: str, given: str, family: str, **extra) -> Member:
    defaults = {
        "gender": "female",
        "role": "panner",
        "join_date": date(2020, 1, 1),
        "status": "approved",
    }
    defaults.update(extra)
    return Member.objects.create(
        organisation=organisation,
        member_number=number,
        given_name=given,
        family_name=family,
        **defaults,
    )


def make_site(organisation, code: str, name: str, geometry: dict, **extra) -> Site:
    site = Site(organisation=organisation, site_code=code, name=name, geometry=geometry, **extra)
    site.full_clean()
    site.save()
    site.commodities.set(Commodity.objects.filter(hs_code="7108.12"))
    return site


@dataclass
class World:
    org_a: Organisation
    org_b: Organisation
    support: Organisation
    buyer: Organisation
    cb: Organisation
    standard_owner: Organisation
    member_a: Member
    member_b: Member
    site_a: Site
    site_b: Site
    licence_a: Licence
    licence_b: Licence
    manager_a: object
    inspector_a: object
    manager_b: object
    support_user: object
    buyer_user: object
    auditor_user: object
    standards_user: object
    outsider: object
    superuser: object
    assessment_a: object = None
    assessment_b: object = None
    certifier_user: object = None
    certificate_a: object = None
    certificate_b: object = None


@pytest.fixture
def world(db) -> World:
    org_a = make_org("alpha-coop", name="Alpha Gold Cooperative", country="CO")
    org_b = make_org("beta-assoc", name="Beta Miners Association", country="PE")
    support = make_org("helping-hands", OrganisationKind.SUPPORT, name="Helping Hands NGO")
    buyer = make_org("gold-buyer", OrganisationKind.BUYER, country="CH", name="Gold Buyer AG")
    cb = make_org(
        "cert-body", OrganisationKind.CERTIFICATION_BODY, country="PE", name="Cert Body SAC"
    )
    standard_owner = make_org(
        "demo-standards", OrganisationKind.STANDARD_OWNER, name="Demo Standards Alliance"
    )
    import_example_standards()
    from batea.standards.models import Ladder

    Ladder.objects.create(
        code="example-ladder",
        title={"en": "Example ladder"},
        is_default=True,
        rungs=[
            {"standard": "example-mini-standard", "level": "entry"},
            {"standard": "example-mini-standard", "level": "certified"},
        ],
    )
    for kind, source in (
        (RelationKind.SUPPORT, support),
        (RelationKind.SUPPLY, buyer),
        (RelationKind.CERTIFICATION, cb),
    ):
        Relation.objects.create(kind=kind, source=source, target=org_a)
    site_a = make_site(org_a, "A-1", "Alpha Pit", POINT_IN_COLOMBIA, area_ha=2)
    site_b = make_site(org_b, "B-1", "Betasecret Mine", POINT_IN_PERU, area_ha=2)
    member_a = make_member(org_a, "A-001", "Alicia", "Aguirre", primary_site=site_a)
    member_a.set_national_id("1234567890")
    member_a.save()
    member_b = make_member(org_b, "B-001", "Zoraida", "Zzsecretova", gender="female")
    today = date.today()
    licence_a = Licence.objects.create(
        organisation=org_a,
        kind="mining_title",
        number="LIC-ALPHA",
        issuer="Agency",
        valid_from=today - timedelta(days=100),
        valid_until=today + timedelta(days=30),
    )
    licence_b = Licence.objects.create(
        organisation=org_b,
        kind="registration",
        number="LIC-BETASECRET",
        issuer="Agency",
        valid_from=today - timedelta(days=100),
    )
    world = World(
        org_a=org_a,
        standard_owner=standard_owner,
        org_b=org_b,
        support=support,
        buyer=buyer,
        cb=cb,
        member_a=member_a,
        member_b=member_b,
        site_a=site_a,
        site_b=site_b,
        licence_a=licence_a,
        licence_b=licence_b,
        manager_a=make_user("manager_a", Role.ASMO_MANAGER, org_a),
        inspector_a=make_user("inspector_a", Role.ICS_INSPECTOR, org_a),
        manager_b=make_user("manager_b", Role.ASMO_MANAGER, org_b),
        support_user=make_user("support_user", Role.SUPPORT_OFFICER, support),
        buyer_user=make_user("buyer_user", Role.BUYER, buyer),
        auditor_user=make_user("auditor_user", Role.AUDITOR, cb),
        standards_user=make_user("standards_user", Role.STANDARD_OWNER, standard_owner),
        outsider=make_user("outsider"),
        superuser=get_user_model().objects.create_superuser("root", password="pw"),
    )
    world.assessment_a = assess(world.manager_a, org_a)
    world.assessment_b = assess(world.manager_b, org_b)
    world.certifier_user = make_user("certifier_user", Role.CERTIFIER, cb)
    world.certificate_a = certify(world.certifier_user, org_a)
    world.certificate_b = certify(None, org_b)
    return world


def certify(certifier, organisation):
    """A certificate for the organisation; without a certifier it is written directly (B has
    no certification body in this world)."""
    from batea.certification import services
    from batea.certification.models import Certificate
    from batea.standards.models import StandardVersion

    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    start = date.today() - timedelta(days=30)
    if certifier is None:
        return Certificate.objects.create(
            number=f"BAT-TEST-{organisation.slug}",
            organisation=organisation,
            version=version,
            members_covered=1,
            minerals="gold",
            valid_from=start,
            valid_until=start + timedelta(days=3 * 365),
        )
    return services.certify(
        certifier,
        organisation,
        version,
        valid_from=start,
        valid_until=start + timedelta(days=3 * 365),
        reason="Audit passed",
        sites=list(organisation.sites.all()),
    )


def assess(user, organisation, failing_code="EX-LEG-01"):
    """A submitted self-assessment against the example standard with one finding, and a
    corrective action on it."""
    from batea.assessments import services
    from batea.standards.models import Requirement, StandardVersion

    version = StandardVersion.objects.get(standard__code="example-mini-standard", version="1.0")
    assessment = services.start_assessment(
        user, organisation, version, "self", date.today() - timedelta(days=10)
    )
    requirement = Requirement.objects.get(version=version, code=failing_code)
    services.record_answer(
        user,
        assessment,
        requirement,
        services.AnswerInput(value="non_compliant", notes="No title yet"),
    )
    (finding,) = services.submit(user, assessment)
    services.add_action(user, finding, "Apply for the title", user)
    return assessment


@pytest.fixture
def client_for(client):
    """Log the test client in as a given user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def english_after_each_test():
    """A test that switches the language (e.g. through /i18n/setlang/) must not change the
    language the next test's messages come in."""
    from django.utils import translation

    yield
    translation.activate("en")
