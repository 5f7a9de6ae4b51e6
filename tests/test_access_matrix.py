"""The access matrix: every URL pattern and API endpoint × every role × own vs other
organisation.

The routes are read from the URL configuration; `MATRIX` says, for each of them, what every
role gets when the URL names records of organisation A — the role's own organisation or
one related to it. Organisation B is related to none of these roles: whatever names B's
records is refused to all of them but platform staff, and no page, list or export shows
B's data. A route added later fails `test_every_route_is_in_the_matrix` until it has a
row; a URL parameter the matrix does not know fails until it is added to `PARAMETERS`.

One test per role walks every route (requests are cheap, building the world is not); a
failure lists every route that broke the matrix.
"""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from batea.domain.access import OrganisationKind, Role
from tests.conftest import make_org, make_user

pytestmark = pytest.mark.django_db

# Who asks: nobody signed in, each role (of A or of an organisation related to A; the
# standard owner and the outsider are related to nobody), and platform staff.
COLUMNS = (
    "anon",
    "manager",  # ASMO manager of A
    "inspector",  # ICS inspector of A
    "peer",  # peer reviewer of A's support organisation
    "support",  # officer of A's support organisation
    "buyer",  # buyer with a supply relation to A
    "auditor",  # auditor of A's certification body
    "certifier",  # certifier of A's certification body
    "standards",  # standard owner (owns the example standard's risk rules, not A's)
    "outsider",  # signed in, no role anywhere
    "staff",  # platform superuser
)
# What each asks for on A's records: the status code of a GET.
#                                    anon man ins peer sup buy aud cer std out staff
MATRIX = {
    "home":                         "302 200 200 200 200 200 200 200 200 200 200",
    "login":                        "200 302 302 302 302 302 302 302 302 302 302",
    "logout":                       "405 405 405 405 405 405 405 405 405 405 405",
    "set_language":                 "302 302 302 302 302 302 302 302 302 302 302",
    "organisation-list":            "302 200 200 200 200 200 200 200 200 200 200",
    "organisation-detail":          "302 200 200 200 200 200 200 200 404 404 200",
    "organisation-members":         "302 200 200 200 200 200 200 200 404 404 200",
    "organisation-members-csv":     "302 200 200 200 200 200 200 200 404 404 200",
    "member-create":                "302 200 403 403 403 403 403 403 404 404 200",
    "site-create":                  "302 200 200 403 403 403 403 403 404 404 200",
    "organisation-sites-geojson":   "302 200 200 200 200 200 200 200 404 404 200",
    "licence-create":               "302 200 403 403 403 403 403 403 404 404 200",
    "member-list":                  "302 200 200 200 200 200 200 200 200 200 200",
    "member-detail":                "302 200 200 200 200 404 200 200 404 404 200",
    "member-edit":                  "302 200 403 403 403 404 403 403 404 404 200",
    "site-detail":                  "302 200 200 200 200 200 200 200 404 404 200",
    "site-edit":                    "302 200 200 403 403 403 403 403 404 404 200",
    "licence-edit":                 "302 200 403 403 403 403 403 403 404 404 200",
    "portfolio":                    "302 200 200 200 200 200 200 200 200 200 200",
    "standard-list":                "302 200 200 200 200 200 200 200 200 200 200",
    "standard-import":              "302 403 403 403 403 403 403 403 200 403 200",
    "standard-compare":             "302 200 200 200 200 200 200 200 200 200 200",
    "standard-version":             "302 200 200 200 200 200 200 200 200 200 200",
    "crosswalk-detail":             "302 200 200 200 200 200 200 200 200 200 200",
    "answer-evidence":              "302 200 200 200 200 404 200 200 404 404 200",
    "pathway":                      "302 200 200 200 200 404 200 200 404 404 200",
    "pathway-pdf":                  "302 200 200 200 200 404 200 200 404 404 200",
    "assessment-list":              "302 200 200 200 200 404 200 200 404 404 200",
    "action-board":                 "302 200 200 200 200 404 200 200 404 404 200",
    "action-change":                "302 405 405 405 405 405 405 405 405 405 405",
    "assessment-entry":             "302 200 200 200 200 404 200 200 404 404 200",
    "assessment-submit":            "302 405 405 405 405 405 405 405 405 405 405",
    "ics":                          "302 200 200 200 200 404 200 200 404 404 200",
    "pgs":                          "302 200 200 200 200 404 200 200 404 404 200",
    "member-decide":                "302 405 405 405 405 405 405 405 405 405 405",
    "risk-rules":                   "302 200 200 200 200 200 200 200 200 200 200",
    "risk-rules-new":               "302 403 403 403 200 403 403 403 200 403 200",
    "risk-rules-detail":            "302 200 200 200 200 200 200 200 200 200 200",
    "risk-rules-edit":              "302 403 403 403 200 403 403 403 403 403 200",
    "certify":                      "302 403 403 403 403 403 403 200 404 404 200",
    "certificate-detail":           "302 200 200 200 200 200 200 200 404 404 200",
    "certificate-decide":           "302 405 405 405 405 405 405 405 405 405 405",
    "certificate-pdf":              "302 200 200 200 200 200 200 200 404 404 200",
    "verify":                       "200 200 200 200 200 200 200 200 200 200 200",
    "verify-code":                  "200 200 200 200 200 200 200 200 200 200 200",
    "fielddata-home":               "302 200 200 200 200 200 200 200 200 200 200",
    "fielddata":                    "302 200 200 200 200 200 200 200 404 404 200",
    "fielddata-xlsform":            "302 200 200 200 200 200 200 200 404 404 200",
    "fielddata-subjects":           "302 200 200 200 200 403 200 200 404 404 200",
    "fielddata-template":           "302 200 403 403 403 403 403 403 404 404 200",
    "fielddata-export":             "302 200 200 200 200 403 200 200 404 404 200",
    "premium-fund":                 "302 200 200 200 200 404 200 200 404 404 200",
    "premium-fund-pdf":             "302 200 200 200 200 404 200 200 404 404 200",
    "lot-list":                     "302 200 200 200 200 200 200 200 200 200 200",
    "lot-detail":                   "302 200 200 200 200 200 200 200 404 404 200",
    "lot-produce":                  "302 200 404 404 404 404 404 404 404 404 200",
    "incident-list":                "302 200 200 200 200 200 200 200 200 200 200",
    "incident-detail":              "302 200 200 200 200 200 200 200 404 404 200",
    "supplier-list":                "302 200 200 200 200 200 200 200 200 200 200",
    "simulator":                    "302 200 200 200 200 200 200 200 200 200 200",
    "simulator-plotly":             "200 200 200 200 200 200 200 200 200 200 200",
    "insights-home":                "302 200 200 200 200 200 200 200 200 200 200",
    "insights-organisation":        "302 200 200 200 200 404 200 200 404 404 200",
    "insights-organisation-pdf":    "302 200 200 200 200 404 200 200 404 404 200",
    "insights-portfolio":           "302 200 200 200 200 200 200 200 200 200 200",
    "insights-portfolio-pdf":       "302 200 200 200 200 200 200 200 200 200 200",
    "insights-country":             "302 200 200 200 200 404 200 200 404 404 200",
    "insights-public":              "200 200 200 200 200 200 200 200 200 200 200",
    "insights-segments":            "302 200 200 200 200 200 200 200 200 200 200",
    "insights-segment":             "302 200 200 200 200 404 200 200 404 404 200",
    "insights-segment-delete":      "302 405 405 405 405 405 405 405 405 405 405",
    "api:organisation-list":        "403 200 200 200 200 200 200 200 200 200 200",
    "api:organisation-detail":      "403 200 200 200 200 200 200 200 404 404 200",
    "api:member-list":              "403 200 200 200 200 200 200 200 200 200 200",
    "api:member-detail":            "403 200 200 200 200 404 200 200 404 404 200",
    "api:site-list":                "403 200 200 200 200 200 200 200 200 200 200",
    "api:site-detail":              "403 200 200 200 200 200 200 200 404 404 200",
    "api:licence-list":             "403 200 200 200 200 200 200 200 200 200 200",
    "api:licence-detail":           "403 200 200 200 200 200 200 200 404 404 200",
    "api:relation-list":            "403 200 200 200 200 200 200 200 200 200 200",
    "api:relation-detail":          "403 200 200 404 404 404 200 200 404 404 200",
    "api:standard-version-list":    "403 200 200 200 200 200 200 200 200 200 200",
    "api:standard-version-detail":  "403 200 200 200 200 200 200 200 200 200 200",
    "api:requirement-list":         "403 200 200 200 200 200 200 200 200 200 200",
    "api:requirement-detail":       "403 200 200 200 200 200 200 200 200 200 200",
    "api:crosswalk-list":           "403 200 200 200 200 200 200 200 200 200 200",
    "api:crosswalk-detail":         "403 200 200 200 200 200 200 200 200 200 200",
    "api:assessment-list":          "403 200 200 200 200 200 200 200 200 200 200",
    "api:assessment-detail":        "403 200 200 200 200 404 200 200 404 404 200",
    "api:answer-list":              "403 200 200 200 200 200 200 200 200 200 200",
    "api:answer-detail":            "403 200 200 200 200 404 200 200 404 404 200",
    "api:nonconformity-list":       "403 200 200 200 200 200 200 200 200 200 200",
    "api:nonconformity-detail":     "403 200 200 200 200 404 200 200 404 404 200",
    "api:corrective-action-list":   "403 200 200 200 200 200 200 200 200 200 200",
    "api:corrective-action-detail": "403 200 200 200 200 404 200 200 404 404 200",
    "api:certificate-list":         "403 200 200 200 200 200 200 200 200 200 200",
    "api:certificate-detail":       "403 200 200 200 200 200 200 200 404 404 200",
    "api:certificate-reinstate":    "403 405 405 405 405 405 405 405 405 405 405",
    "api:certificate-suspend":      "403 405 405 405 405 405 405 405 405 405 405",
    "api:certificate-withdraw":     "403 405 405 405 405 405 405 405 405 405 405",
    "api:lot-list":                 "403 200 200 200 200 200 200 200 200 200 200",
    "api:lot-detail":               "403 200 200 200 200 200 200 200 404 404 200",
    "api:lot-trace":                "403 200 200 200 200 200 200 200 404 404 200",
    "api:incident-list":            "403 200 200 200 200 200 200 200 200 200 200",
    "api:incident-detail":          "403 200 200 200 200 200 200 200 404 404 200",
    "api:sale-list":                "403 200 200 200 200 200 200 200 200 200 200",
    "api:sale-detail":              "403 200 200 200 200 200 200 200 404 404 200",
    "api:api-root":                 "403 200 200 200 200 200 200 200 200 200 200",
    "api-pathway":                  "403 200 200 200 200 404 200 200 404 404 200",
    "api-epcis":                    "403 200 200 200 200 200 200 200 200 200 200",
    "api-schema":                   "200 200 200 200 200 200 200 200 200 200 200",
    "api-docs":                     "200 200 200 200 200 200 200 200 200 200 200",
    "api-redoc":                    "200 200 200 200 200 200 200 200 200 200 200",
}  # fmt: skip
# Public reference data: the URL names the same record whichever organisation asks.
PUBLIC_READ = {
    "standard-compare",
    "standard-version",
    "crosswalk-detail",
    "risk-rules-detail",
    "verify-code",
    "api:standard-version-detail",
    "api:requirement-detail",
    "api:crosswalk-detail",
}
# For parametrised API routes: which record a `pk` refers to, by route basename.
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
# Web routes: which record each URL parameter refers to, and by which attribute.
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
# Routes whose `code` parameter is not a standard's.
CODE_OF = {"crosswalk-detail": "crosswalk", "verify-code": "certificate_code"}
# Strings that only organisation B's data contains.
B_MARKERS = ["Zzsecretova", "Betasecret", "LIC-BETASECRET", "beta-assoc", "Beta Miners"]
# A's member, whom only those who may see A's members see; and her national id, which
# nobody ever sees (only its mask).
A_MEMBER_MARKERS = ["Aguirre"]
RAW_NATIONAL_ID = "1234567890"
MAY_SEE_A_MEMBERS = {"manager", "inspector", "peer", "support", "auditor", "certifier", "staff"}
WRITE_METHODS = ("post", "put", "patch", "delete")


def all_routes() -> list[tuple[str, tuple[str, ...]]]:
    """(name, parameter names) of every named route outside the Django admin."""
    return [(name, params) for name, params, _pattern in walk_patterns()]


def walk_patterns(patterns=None, namespace: str = ""):
    """(name or None, parameter names, pattern) of every URL pattern outside the admin."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            name = namespace + pattern.name if pattern.name else None
            yield name, tuple(pattern.pattern.regex.groupindex), pattern


ROUTES = all_routes()
PRIVATE = [(name, params) for name, params in ROUTES if MATRIX.get(name, "")[:3] != "200"]


def expected(name: str, column: str) -> int:
    return int(MATRIX[name].split()[COLUMNS.index(column)])


def custody_of(world, side: str) -> dict:
    """A lot of the side's organisation, sold, with a red-flag incident (90 g per miner-day).
    B's lot code and buyer carry B markers, so a leak of them shows."""
    from decimal import Decimal

    from batea.custody import services
    from batea.custody.models import Lot

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
    """The records a URL may name, of organisation A or B (and the public ones)."""
    from batea.standards.models import Crosswalk, Requirement, StandardVersion

    suffix = "a" if side == "a" else "b"
    relation = world.org_a.incoming_relations.get(kind="certification") if side == "a" else None
    version = StandardVersion.objects.select_related("standard").order_by("version").first()
    assessment = getattr(world, f"assessment_{suffix}")
    answer = assessment.answers.get()
    with_evidence(answer)
    finding = answer.finding
    certificate = getattr(world, f"certificate_{suffix}")
    return {
        "certificate": certificate,
        "certificate_code": type("Code", (), {"code": certificate.public_code}),
        "assessment": assessment,
        "answer": answer,
        "nonconformity": finding,
        "corrective_action": finding.actions.get(),
        "operation": type("Literal", (), {"value": "plan"}),
        "standard": version.standard,
        "standard_version": version,
        "requirement": Requirement.objects.filter(version=version).order_by("code").first(),
        "crosswalk": Crosswalk.objects.order_by("code").first(),
        "org": getattr(world, f"org_{suffix}"),
        "member": getattr(world, f"member_{suffix}"),
        "site": getattr(world, f"site_{suffix}"),
        "licence": getattr(world, f"licence_{suffix}"),
        "relation": relation,
        **custody_of(world, side),
        "rule_set": rule_set_of(world, side),
        "segment": segment_of(world, side),
    }


def with_evidence(answer) -> None:
    """A photo as the answer's evidence, so that serving evidence is in the matrix too."""
    if not answer.evidence:
        answer.evidence.save("photo.png", SimpleUploadedFile("photo.png", PNG), save=True)


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def rule_set_of(world, side: str):
    """A risk rule set (public reference data): A's kept by A's support organisation, B's by
    a support organisation none of the roles belongs to."""
    from batea.domain.group.risk import DEFAULT_RULES
    from batea.groups.models import RiskRuleSet

    if side == "a":
        owner = world.support
    else:
        owner = make_org("far-support", OrganisationKind.SUPPORT, name="Far Away Programme")
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


def url_for(name: str, params: tuple, objects: dict) -> str | None:
    """The route's URL naming the given records; None if the side has no such record."""
    kwargs = {}
    for param in params:
        if param in PARAMETERS:
            key, attribute = PARAMETERS[param]
            if param == "code":
                key, attribute = CODE_OF.get(name, key), "code"
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


def user_for(world, column: str):
    if column == "peer":
        return make_user("peer_user", Role.PEER_REVIEWER, world.support)
    attribute = {
        "anon": None,
        "manager": "manager_a",
        "inspector": "inspector_a",
        "support": "support_user",
        "buyer": "buyer_user",
        "auditor": "auditor_user",
        "certifier": "certifier_user",
        "standards": "standards_user",
        "outsider": "outsider",
        "staff": "superuser",
    }[column]
    return attribute and getattr(world, attribute)


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", errors="ignore")


@pytest.fixture
def no_pdf_rendering():
    """Who may have a PDF is decided before it is drawn; drawing is tested elsewhere."""
    with mock.patch("weasyprint.HTML.write_pdf", return_value=b"%PDF-1.7 (not drawn)"):
        yield


def test_every_route_is_in_the_matrix():
    names = [name for name, _params in ROUTES]
    missing = sorted(set(names) - set(MATRIX))
    assert not missing, f"add these routes to MATRIX in {__file__}: {missing}"
    assert not sorted(set(MATRIX) - set(names)), "MATRIX lists routes that no longer exist"
    for name, row in MATRIX.items():
        assert len(row.split()) == len(COLUMNS), name
        assert set(row.split()) <= {"200", "302", "403", "404", "405"}, name


def test_every_url_pattern_has_a_name_so_the_matrix_sees_it():
    unnamed = [str(pattern.pattern) for name, _params, pattern in walk_patterns() if not name]
    assert not unnamed


def test_the_matrix_covers_pages_api_and_exports():
    names = {name for name, _ in ROUTES}
    assert {
        "organisation-detail",
        "organisation-members-csv",
        "fielddata-export",
        "api:member-detail",
        "api:site-list",
        "api-epcis",
        "portfolio",
    } <= names


def check_a_side(client, column: str, objects: dict) -> list[str]:
    """Every route on A's records answers as the matrix says, and shows nothing it must not."""
    problems = []
    for name, params in ROUTES:
        url = url_for(name, params, objects)
        if url is None:
            continue
        response = client.get(url)
        if response.status_code != expected(name, column):
            problems.append(f"{url}: {response.status_code}, expected {expected(name, column)}")
            continue
        if response.status_code == 200:
            problems += leaks(url, body_of(response), column)
    return problems


def leaks(url: str, body: str, column: str) -> list[str]:
    shown = [marker for marker in B_MARKERS if marker in body] if column != "staff" else []
    if column not in MAY_SEE_A_MEMBERS:
        shown += [marker for marker in A_MEMBER_MARKERS if marker in body]
    if RAW_NATIONAL_ID in body:
        shown.append("a national id in full")
    return [f"{url} shows {marker}" for marker in shown]


def check_b_side(client, column: str, objects: dict) -> list[str]:
    """Every route naming B's records is refused (staff excepted)."""
    problems = []
    for name, params in ROUTES:
        if not params or name in PUBLIC_READ:
            continue  # the same URL as on A's side, checked there
        url = url_for(name, params, objects)
        if url is None:
            continue
        status = client.get(url).status_code
        if column == "staff":
            allowed = {expected(name, "staff")}
        elif column == "anon":
            allowed = {expected(name, "anon")}
        elif expected(name, column) == 405:
            allowed = {405}
        else:
            allowed = {403, 404}
        if status not in allowed:
            problems.append(f"{url}: {status}, expected one of {sorted(allowed)}")
    return problems


@pytest.mark.parametrize("column", COLUMNS)
def test_each_role_gets_what_the_matrix_says_and_nothing_of_another_organisation(
    world, client, column, no_pdf_rendering
):
    a_side, b_side = objects_of(world, "a"), objects_of(world, "b")
    user = user_for(world, column)
    if user is not None:
        client.force_login(user)
    problems = check_a_side(client, column, a_side) + check_b_side(client, column, b_side)
    assert not problems, "\n".join(problems)


def snapshot() -> dict:
    """Every tenant record, to show that a refused write wrote nothing."""
    from django.apps import apps

    labels = [
        "registry.Organisation",
        "registry.Member",
        "registry.Site",
        "registry.Licence",
        "registry.Relation",
        "assessments.Assessment",
        "assessments.Answer",
        "assessments.NonConformity",
        "assessments.CorrectiveAction",
        "certification.Certificate",
        "certification.CertificationDecision",
        "custody.Lot",
        "custody.Incident",
        "custody.Sale",
        "groups.RiskRuleSet",
        "insights.Segment",
        "access.RoleAssignment",
    ]
    return {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in labels}


def write_methods(url: str) -> list[str]:
    """The write methods the route's view answers; the rest are refused with 405 anyway."""
    view = resolve(url).func
    actions = getattr(view, "actions", None)  # a DRF viewset route
    if actions is not None:
        return [method for method in WRITE_METHODS if method in actions]
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return list(WRITE_METHODS)
    return [method for method in WRITE_METHODS if hasattr(view_class, method)]


def hostile_payload(world, b_side: dict) -> dict:
    """A write that, if anything let it through, would change or create B's records."""
    return {
        "name": "hijacked",
        "given_name": "hijacked",
        "member_number": "X-1",
        "gender": "male",
        "role": "worker",
        "join_date": "2020-01-01",
        "status": "closed",
        "resolution": "hijacked",
        "reason": "hijacked",
        "until": str(date.today() + timedelta(days=30)),
        "organisation": str(world.org_b.pk),
        "assessment": str(b_side["assessment"].pk),
        "nonconformity": str(b_side["nonconformity"].pk),
        "version": str(b_side["standard_version"].pk),
        "requirement": str(b_side["requirement"].pk),
        "kind": "self",
        "assessed_on": str(date.today()),
        "value": "compliant",
        "description": "hijacked",
        "owner": world.manager_b.pk,
        "valid_from": str(date.today()),
        "valid_until": str(date.today() + timedelta(days=365)),
    }


def write_targets(b_side: dict) -> list[tuple[str, str]]:
    """(name, URL) of every private route naming B's records, and of every API collection
    (a new record there would have to point at B's)."""
    targets = []
    for name, params in PRIVATE:
        if params and name not in PUBLIC_READ:
            url = url_for(name, params, b_side)
            if url is not None:
                targets.append((name, url))
        elif name.startswith("api:") and name.endswith("-list"):
            targets.append((name, reverse(name)))
    return targets


@pytest.mark.parametrize("column", [c for c in COLUMNS if c != "staff"])
def test_nothing_of_another_organisation_can_be_changed(world, client, column):
    b_side = objects_of(world, "b")
    user = user_for(world, column)
    if user is not None:
        client.force_login(user)
    payload = hostile_payload(world, b_side)
    problems = []
    for name, url in write_targets(b_side):
        before = snapshot()
        for method in write_methods(url):
            if name.startswith("api:"):
                response = getattr(client, method)(url, payload, content_type="application/json")
            else:
                response = getattr(client, method)(url, payload)
            if response.status_code not in (302, 400, 401, 403, 404, 405) or (
                response.status_code == 302 and user is not None
            ):
                problems.append(f"{method} {url}: {response.status_code}")
        if snapshot() != before:
            problems.append(f"{url} changed records")
    assert not problems, "\n".join(problems)


def test_the_django_admin_is_for_platform_staff_only(world, client_for):
    response = client_for(world.manager_a).get("/admin/registry/member/")
    assert response.status_code == 302
    assert client_for(world.superuser).get("/admin/registry/member/").status_code == 200
