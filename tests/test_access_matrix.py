"""Every registered URL is checked for cross-organisation access.

The URL patterns are read from the URL configuration, so an endpoint added later is covered
automatically; one whose parameters this test does not know fails until it is added here.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# URLs anyone may open: sign-in, language switch, the API description (no tenant data).
PUBLIC = {
    "login",
    "logout",
    "set_language",
    "api-schema",
    "api-docs",
    "api-redoc",
    "verify",
    "verify-code",
    "simulator-plotly",  # the charting library from the installed plotly package
    "insights-public",  # anonymised, aggregated figures; small cells suppressed
}
# For parametrised API routes: which fixture object a `pk` refers to, by route basename.
API_BASENAMES = {
    "organisation": "org",
    "member": "member",
    "site": "site",
    "licence": "licence",
    "relation": "relation",
    "standard-version": "standard_version",
    "requirement": "requirement",
    "crosswalk": "crosswalk",
    "assessment": "assessment",
    "answer": "answer",
    "nonconformity": "nonconformity",
    "corrective-action": "corrective_action",
    "lot": "lot",
    "incident": "incident",
    "sale": "sale",
    "certificate": "certificate",
}
# Web routes: which fixture object each URL parameter refers to, and by which attribute.
PARAMETERS = {
    "org_slug": ("org", "slug"),
    "member_id": ("member", "pk"),
    "site_id": ("site", "pk"),
    "licence_id": ("licence", "pk"),
    "code": ("standard", "code"),
    "version": ("standard_version", "version"),
    "assessment_id": ("assessment", "pk"),
    "nonconformity_id": ("nonconformity", "pk"),
    "organisation_id": ("org", "pk"),
    "operation": ("operation", "value"),
    "certificate_id": ("certificate", "pk"),
    "answer_id": ("answer", "pk"),
    "lot_code": ("lot", "code"),
    "incident_id": ("incident", "pk"),
    "rule_set_id": ("rule_set", "pk"),
    "country_code": ("org", "country"),
    "segment_id": ("segment", "pk"),
}
# Views that only accept POST: a GET is refused whatever the object.
POST_ONLY = {
    "action-change",
    "assessment-submit",
    "member-decide",
    "certificate-decide",
    "api:certificate-suspend",
    "api:certificate-reinstate",
    "api:certificate-withdraw",
    "insights-segment-delete",
}
# Public reference data: every signed-in user may read it, whatever their organisation.
PUBLIC_READ = {
    "standard-list",
    "standard-version",
    "standard-compare",
    "crosswalk-detail",
    "api:standard-version-list",
    "api:standard-version-detail",
    "api:requirement-list",
    "api:requirement-detail",
    "api:crosswalk-list",
    "api:crosswalk-detail",
    "risk-rules-detail",
    # Every signed-in user gets a PDF of their own portfolio (empty without one); a PDF is
    # not text to search for markers, so tests/test_insights.py checks what it is made of.
    "insights-portfolio-pdf",
}
# What an ASMO manager gets on their own side, where it is not 200.
MANAGER_EXPECTS = {
    "standard-import": 403,
    "certify": 403,
    "answer-evidence": 404,
    "risk-rules-new": 403,
    "risk-rules-edit": 403,
    **{name: 405 for name in POST_ONLY},
}
# Strings that only organisation B's data contains.
B_MARKERS = ["Zzsecretova", "Betasecret", "LIC-BETASECRET", "beta-assoc", "Beta Miners"]


def all_routes():
    """(name, parameter names) of every named route outside the Django admin."""
    routes = []

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                routes.append((namespace + pattern.name, tuple(pattern.pattern.regex.groupindex)))

    walk(get_resolver().url_patterns)
    return routes


ROUTES = all_routes()
PRIVATE = [(name, params) for name, params in ROUTES if name not in PUBLIC]


def custody_of(world, side: str) -> dict:
    """A lot of the side's organisation, sold, with a red-flag incident (90 g per miner-day).
    B's lot code and buyer carry B markers, so a leak of them shows."""
    from datetime import date, timedelta
    from decimal import Decimal

    from batea.custody import services
    from batea.custody.models import Lot
    from tests.conftest import make_org

    code = "LOT-ALPHA-1" if side == "a" else "LOT-Betasecret-1"
    lot = Lot.objects.filter(code=code).first()
    if lot is None:
        org, site, member, user = (
            (world.org_a, world.site_a, world.member_a, world.manager_a)
            if side == "a"
            else (world.org_b, world.site_b, world.member_b, world.manager_b)
        )
        on = date.today() - timedelta(days=3)
        lot = services.produce(
            user,
            org,
            site=site,
            mineral="gold",
            kind="dore",
            mass_g=Decimal(1000),
            fineness=Decimal(900),
            members={member: Decimal(10)},
            on=on,
            code=code,
        )
        buyer = (
            world.buyer
            if side == "a"
            else make_org("betasecret-buyer", "buyer", country="CH", name="Betasecret Buyer")
        )
        services.sell(user, lot, buyer, on, "2000")
    return {"lot": lot, "incident": lot.incidents.first(), "sale": lot.sale}


def objects_of(world, side: str) -> dict:
    from batea.standards.models import Crosswalk, Requirement, StandardVersion

    suffix = "a" if side == "a" else "b"
    relation = world.org_a.incoming_relations.first() if side == "a" else None
    version = StandardVersion.objects.select_related("standard").first()
    assessment = getattr(world, f"assessment_{suffix}")
    finding = assessment.answers.get().finding
    return {
        "certificate": getattr(world, f"certificate_{suffix}"),
        "assessment": assessment,
        "answer": assessment.answers.get(),
        "nonconformity": finding,
        "corrective_action": finding.actions.get(),
        "operation": type("Literal", (), {"value": "plan"}),
        "standard": version.standard,
        "standard_version": version,
        "requirement": Requirement.objects.filter(version=version).first(),
        "crosswalk": Crosswalk.objects.first(),
        "org": getattr(world, f"org_{suffix}"),
        "member": getattr(world, f"member_{suffix}"),
        "site": getattr(world, f"site_{suffix}"),
        "licence": getattr(world, f"licence_{suffix}"),
        "relation": relation,
        **custody_of(world, side),
        "rule_set": rule_set_of(world, side),
        "segment": segment_of(world, side),
    }


def url_for(name: str, params: tuple, objects: dict) -> str | None:
    kwargs = {}
    for param in params:
        if param in PARAMETERS:
            key, attribute = PARAMETERS[param]
            if name == "crosswalk-detail":
                key = "crosswalk"
            kwargs[param] = getattr(objects[key], attribute)
        elif param == "pk" and name.startswith("api:"):
            basename = name.split(":", 1)[1].rsplit("-", 1)[0]
            assert basename in API_BASENAMES, f"add API basename {basename} to the matrix"
            obj = objects[API_BASENAMES[basename]]
            if obj is None:
                return None
            kwargs[param] = obj.pk
        else:
            pytest.fail(f"URL {name} has parameter {param!r} unknown to the access matrix")
    return reverse(name, kwargs=kwargs)


def test_the_matrix_covers_pages_api_and_exports():
    names = {name for name, _ in ROUTES}
    assert {
        "organisation-detail",
        "organisation-members-csv",
        "api:member-detail",
        "api:site-list",
        "portfolio",
    } <= names


@pytest.mark.parametrize(("name", "params"), PRIVATE, ids=[n for n, _ in PRIVATE])
def test_anonymous_visitors_are_sent_to_sign_in(world, client, name, params):
    url = url_for(name, params, objects_of(world, "a"))
    if url is None:
        return
    response = client.get(url)
    assert response.status_code in (302, 401, 403), url
    if response.status_code == 302:
        assert reverse("login") in response["Location"]


@pytest.mark.parametrize(("name", "params"), PRIVATE, ids=[n for n, _ in PRIVATE])
def test_a_manager_reaches_their_own_records(world, client_for, name, params):
    url = url_for(name, params, objects_of(world, "a"))
    if url is None:
        return
    response = client_for(world.manager_a).get(url)
    assert response.status_code == MANAGER_EXPECTS.get(name, 200), url


@pytest.mark.parametrize(("name", "params"), PRIVATE, ids=[n for n, _ in PRIVATE])
def test_nothing_of_another_organisation_is_reachable(world, client_for, name, params):
    client = client_for(world.manager_a)
    url = url_for(name, params, objects_of(world, "b"))
    if url is None:
        return
    response = client.get(url)
    if name in POST_ONLY:
        assert response.status_code == 405, url
    elif name in MANAGER_EXPECTS:
        assert response.status_code in (MANAGER_EXPECTS[name], 403, 404), url
    elif name in PUBLIC_READ:
        assert response.status_code == 200, url
    elif params:
        assert response.status_code in (403, 404), url
    else:
        assert response.status_code == 200, url
        body = response.content.decode()
        for marker in B_MARKERS:
            assert marker not in body, f"{url} shows {marker}"
        assert str(world.org_b.pk) not in body
        assert str(world.member_b.pk) not in body


@pytest.mark.parametrize(
    ("name", "params"), [(n, p) for n, p in PRIVATE if p], ids=[n for n, p in PRIVATE if p]
)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_nothing_of_another_organisation_can_be_changed(world, client_for, name, params, method):
    from batea.registry.models import Licence, Member, Organisation, Site

    def snapshot():
        return (
            list(Member.objects.filter(organisation=world.org_b).values()),
            list(Site.objects.filter(organisation=world.org_b).values()),
            list(Licence.objects.filter(organisation=world.org_b).values()),
            list(Organisation.objects.filter(pk=world.org_b.pk).values()),
        )

    client = client_for(world.manager_a)
    url = url_for(name, params, objects_of(world, "b"))
    if url is None:
        return
    before = snapshot()
    payload = {
        "name": "hijacked",
        "given_name": "hijacked",
        "member_number": "X-1",
        "gender": "male",
        "role": "worker",
        "join_date": "2020-01-01",
    }
    response = getattr(client, method)(url, payload, content_type="application/json")
    assert response.status_code in (400, 403, 404, 405), f"{method} {url}"
    assert snapshot() == before


@pytest.mark.parametrize(
    "user_attr", ["support_user", "buyer_user", "auditor_user", "inspector_a", "outsider"]
)
def test_other_roles_see_nothing_of_an_unrelated_organisation(world, client_for, user_attr):
    client = client_for(getattr(world, user_attr))
    for name, params in PRIVATE:
        url = url_for(name, params, objects_of(world, "b"))
        if url is None:
            continue
        response = client.get(url)
        if name in PUBLIC_READ:
            assert response.status_code == 200, f"{user_attr} {url}"
        elif name in POST_ONLY:
            assert response.status_code == 405, f"{user_attr} {url}"
        elif params:
            assert response.status_code in (403, 404), f"{user_attr} {url}"
        else:
            body = response.content.decode()
            assert not any(marker in body for marker in B_MARKERS), f"{user_attr} {url}"


def test_the_django_admin_is_for_platform_staff_only(world, client_for):
    response = client_for(world.manager_a).get("/admin/registry/member/")
    assert response.status_code == 302
    assert client_for(world.superuser).get("/admin/registry/member/").status_code == 200


def rule_set_of(world, side: str):
    """A risk rule set (public reference data): A's kept by A's support organisation, B's by
    the standard owner, whose change page no user of the other-roles check may open."""
    from batea.domain.group.risk import DEFAULT_RULES
    from batea.groups.models import RiskRuleSet

    owner = world.support if side == "a" else world.standard_owner
    rule_set, _created = RiskRuleSet.objects.get_or_create(
        owner=owner, title=f"Rules {side}", defaults={"rules": DEFAULT_RULES}
    )
    return rule_set


def segment_of(world, side: str):
    """A saved segment of the side's organisation (its members' view decides who sees it)."""
    from batea.insights.models import Segment

    org, user = (world.org_a, world.manager_a) if side == "a" else (world.org_b, world.manager_b)
    segment, _created = Segment.objects.get_or_create(
        owner=org,
        name=f"Women panners {side}",
        defaults={
            "definition": {"clauses": [{"field": "gender", "op": "in", "values": ["female"]}]},
            "created_by": user,
        },
    )
    return segment
