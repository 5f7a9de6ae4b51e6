"""Inclusion insights as stored and shown: every figure against a direct query on a small
world, suppression and no personal data on the public page, no person on portfolio and
country pages, permissions, CSV files, Spanish pages and PDF reports, saved segments and
their snapshots, the `insights snapshot` command and the demo."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Count, Sum
from django.urls import reverse

from batea.assessments.models import Assessment, CorrectiveAction, NonConformity
from batea.custody.models import (
    CommitteeMember,
    InvestmentPlan,
    LotUse,
    PlanProject,
    PremiumFund,
    PremiumReceipt,
)
from batea.domain.insights.segments import CURRENT_STATUSES
from batea.groups.models import IcsCost, MemberDecision
from batea.groups.services import decide
from batea.insights import figures, services
from batea.insights import segments as stored
from batea.insights.models import Segment, SegmentSnapshot
from batea.integrity.chains import seal
from batea.registry.models import Member
from tests.conftest import make_member, make_org

pytestmark = pytest.mark.django_db

TODAY = date.today()
# Strings only organisation B's records (or its people) contain.
B_MARKERS = ["Zzsecretova", "Zoraida", "Betasecret", "LIC-BETASECRET", "beta-assoc", "Beta Miners"]
# A's people: no aggregate page names them.
A_PEOPLE = ["Aguirre", "Alicia", "Quintero", "Benedicta", "A-001", "A-012", "****7890"]


@pytest.fixture(autouse=True)
def fresh_public_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def insight_world(world):
    """World A with a dozen more members, a sanction, an exclusion, a premium committee and
    projects, audit and ICS costs, a premium received and a lot produced."""
    org = world.org_a
    year = TODAY.year
    people = [
        ("A-002", "male", "worker", "approved", year - 30),
        ("A-003", "male", "worker", "approved", year - 31),
        ("A-004", "male", "worker", "approved", year - 45),
        ("A-005", "male", "owner", "approved", year - 50),
        ("A-006", "female", "selector", "conditional", year - 20),
        ("A-007", "female", "selector", "approved", year - 22),
        ("A-008", "female", "panner", "approved", year - 16),
        ("A-009", "male", "processor", "applicant", None),
        ("A-010", "male", "worker", "left", year - 40),
        ("A-011", "undisclosed", "trader", "approved", year - 33),
        ("A-012", "female", "panner", "approved", year - 28),
    ]
    for number, gender, role, status, birth in people:
        make_member(
            org,
            number,
            "Benedicta" if number == "A-012" else "Miner",
            "Quintero" if number == "A-012" else number,
            gender=gender,
            role=role,
            status=status,
            birth_year=birth,
            join_date=TODAY - timedelta(days=400),
        )
    suspended = Member.objects.get(organisation=org, member_number="A-002")
    decide(
        world.manager_a,
        suspended,
        target="suspended",
        reason="Sold outside the group",
        decided_on=TODAY - timedelta(days=20),
    )
    excluded = Member.objects.get(organisation=org, member_number="A-007")
    decide(
        world.manager_a,
        excluded,
        target="excluded",
        reason="Mercury after warnings",
        decided_on=TODAY - timedelta(days=5),
    )
    fund = PremiumFund.objects.create(organisation=org)
    for name, gender, until in (
        ("Ana", "female", None),
        ("Bea", "female", None),
        ("Carlos", "male", None),
        ("Dario", "male", TODAY - timedelta(days=1)),  # no longer serving
        ("Eli", "", None),  # gender not recorded
    ):
        CommitteeMember.objects.create(
            fund=fund,
            name=name,
            represents="miners",
            gender=gender,
            since=TODAY - timedelta(days=300),
            until=until,
        )
    approved = InvestmentPlan.objects.create(
        fund=fund,
        title="Plan",
        starts_on=TODAY - timedelta(days=100),
        ends_on=TODAY + timedelta(days=600),
        approved_on=TODAY - timedelta(days=90),
    )
    PlanProject.objects.create(
        plan=approved, title="Health", budget=1000, beneficiaries=40, women_beneficiaries=30
    )
    PlanProject.objects.create(
        plan=approved, title="Retorts", budget=500, beneficiaries=10, women_beneficiaries=0
    )
    draft = InvestmentPlan.objects.create(
        fund=fund, title="Draft", starts_on=TODAY, ends_on=TODAY + timedelta(days=300)
    )
    PlanProject.objects.create(
        plan=draft, title="Not yet", budget=100, beneficiaries=99, women_beneficiaries=99
    )
    Assessment.objects.create(
        organisation=org,
        version=world.assessment_a.version,
        kind="audit",
        assessed_on=TODAY.replace(month=1, day=10),
        status="submitted",
        cost=Decimal("1200"),
    )
    IcsCost.objects.create(organisation=org, year=TODAY.year, amount=Decimal("300"))
    IcsCost.objects.create(organisation=org, year=TODAY.year - 1, amount=Decimal("150"))
    seal(PremiumReceipt(fund=fund, amount=Decimal("650"), received_on=TODAY))
    from batea.custody import services as custody

    custody.produce(
        world.manager_a,
        org,
        site=world.site_a,
        mineral="gold",
        kind="dore",
        mass_g=Decimal(100),
        fineness=Decimal(900),
        members={world.member_a: Decimal(2)},
        on=TODAY,
    )
    return world


def current_members(org):
    return Member.objects.filter(organisation=org, status__in=CURRENT_STATUSES)


# Figures against direct queries ------------------------------------------------------------


def test_member_figures_match_direct_queries(insight_world):
    world = insight_world
    data = services.collect(services.organisation_scope(world.manager_a, world.org_a))
    by_gender = dict(
        current_members(world.org_a).values_list("gender").annotate(n=Count("id")).order_by()
    )
    gender = figures.members_by_gender(data)
    shown = {row[0]: row[1] for row in gender.rows}
    labels = figures.gender_labels()
    assert {key: shown[labels[key]] for key in by_gender} == by_gender
    assert sum(v for v in shown.values()) == current_members(world.org_a).count() == 10
    by_status = dict(
        Member.objects.filter(organisation=world.org_a)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    status = figures.members_by_status(data)
    status_labels = figures.status_labels()
    totals = {row[0]: row[-2] for row in status.rows}
    assert {k: totals[status_labels[k]] for k in by_status} == by_status
    assert totals[status_labels["excluded"]] == 1
    role = {row[0]: row for row in figures.members_by_role(data).rows}
    women_selectors = current_members(world.org_a).filter(gender="female", role="selector")
    assert role["Selector (ore picker)"][1] == women_selectors.count() == 1
    # Age bands from birth years, this year.
    ages = {row[0]: row[-2] for row in figures.members_by_age(data).rows}
    assert ages["under 18"] == 1  # A-008, 16
    assert ages["18–24"] == 1  # A-006, 20 (A-007 is excluded)
    assert ages["birth year not known"] == 2  # Alicia and A-009
    assert sum(ages.values()) == 10


def test_women_sanctions_actions_money_and_production_match_direct_queries(insight_world):
    world = insight_world
    data = services.collect(services.organisation_scope(world.manager_a, world.org_a))
    women = {row.key: row for row in figures.women_share_comparison_rows(data)}
    members = current_members(world.org_a)
    assert (women["members"].women, women["members"].total) == (
        members.filter(gender="female").count(),
        members.count(),
    )
    serving = CommitteeMember.objects.filter(fund__organisation=world.org_a, until__isnull=True)
    assert (
        (women["committee"].women, women["committee"].total)
        == (
            serving.filter(gender="female").count(),
            serving.exclude(gender="").count(),
        )
        == (2, 3)
    )
    projects = PlanProject.objects.filter(plan__approved_on__isnull=False).aggregate(
        w=Sum("women_beneficiaries"), t=Sum("beneficiaries")
    )
    assert (women["beneficiaries"].women, women["beneficiaries"].total) == (30, 50)
    assert (projects["w"], projects["t"]) == (30, 50)
    assert women["beneficiaries"].gap == pytest.approx(30 / 50 - 4 / 10)

    sanctioned = MemberDecision.objects.filter(member__organisation=world.org_a).filter(
        to_status__in=["conditional", "suspended", "excluded"]
    )
    by_gender = {row[0]: row for row in figures.sanctions_by_gender(data).rows}
    labels = figures.gender_labels()
    for gender in ("female", "male"):
        row = by_gender[labels[gender]]
        register = Member.objects.filter(organisation=world.org_a, gender=gender).count()
        assert row[1] == register
        assert row[2] == sanctioned.filter(member__gender=gender).count() == 1
        assert row[3] == round(100 / register, 1)
    assert by_gender[labels["female"]][4] == 1  # the excluded selector

    actions = {row[0]: row for row in figures.actions(data).rows}
    open_findings = NonConformity.objects.filter(organisation=world.org_a, status="open")
    assert sum(row[1] for row in actions.values()) == open_findings.count() == 1
    assert sum(row[3] for row in actions.values()) == (
        CorrectiveAction.objects.filter(nonconformity__organisation=world.org_a)
        .exclude(status="verified")
        .count()
    )

    money = {row[0]: row for row in figures.money(data).rows}
    this_year = money[str(TODAY.year)]
    assert this_year[2:6] == [1200.0, 300.0, 1500.0, 650.0]
    assert this_year[6] == 150.0 and this_year[7] == 65.0  # 10 current members
    assert money[str(TODAY.year - 1)][3] == 150.0

    production = {row[0]: row for row in figures.production(data).rows}
    month = f"{TODAY.year:04d}-{TODAY.month:02d}"
    fine = LotUse.objects.filter(use="produced", holder=world.org_a).aggregate(
        g=Sum("lot__fine_g")
    )["g"]
    assert production[month][1] == round(float(fine), 1) == 90.0
    assert production[month][3] == 650.0


def test_levels_match_the_pathway_and_time_to_level_is_from_the_evidence(world):
    from batea.assessments import pathway
    from batea.assessments import services as assessments
    from batea.domain.pathway.ladder import current_rung
    from batea.standards.models import Requirement

    org = world.org_a
    org.entry_date = TODAY - timedelta(days=365)
    org.save()
    version = world.assessment_a.version
    later = assessments.start_assessment(
        world.manager_a, org, version, "self", TODAY - timedelta(days=3)
    )
    for requirement in Requirement.objects.filter(version=version, applies_to="organisation"):
        assessments.record_answer(
            world.manager_a, later, requirement, assessments.AnswerInput(value="compliant")
        )
    assessments.submit(world.manager_a, later)
    data = services.collect(services.portfolio_scope(world.support_user))
    expected = current_rung(pathway.evaluate_ladder_for(org, pathway.default_ladder()))
    assert expected >= 1
    assert data.positions[org.pk].climbed == expected
    assert data.positions[org.pk].reached_on[0] == TODAY - timedelta(days=3)
    levels = {row[0]: row for row in figures.levels(data).rows}
    label = figures.short_level_labels(data.ladder)[expected]
    assert levels[label][2] == 1 and levels[label][4] == current_members(org).count()
    assert levels[label][1] == "Example mini standard"
    timing = {row[0]: row for row in figures.time_to_level(data).rows}
    months = round((TODAY - timedelta(days=3) - org.entry_date).days / (365.25 / 12), 1)
    assert timing[figures.short_level_labels(data.ladder)[1]][3] == months


def test_collecting_is_a_fixed_number_of_queries(insight_world, django_assert_max_num_queries):
    world = insight_world
    for number in range(3):
        make_org(f"extra-{number}", name=f"Extra {number}")
        make_member(
            make_org(f"more-{number}"), f"M-{number}", "Some", "One", gender="male", role="worker"
        )
    scope = services.public_scope()
    with django_assert_max_num_queries(70):
        services.collect(scope)
    assert len(scope.organisations) == 8 and world


# Pages, permissions, CSV ----------------------------------------------------------------------


def test_an_organisation_page_has_every_figure_with_chart_table_and_csv(insight_world, client_for):
    world = insight_world
    client = client_for(world.manager_a)
    url = reverse("insights-organisation", args=[world.org_a.slug])
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    for figure in (
        "members-gender",
        "members-age",
        "members-role",
        "members-status",
        "levels",
        "time-to-level",
        "women",
        "sanctions-gender",
        "sanctions-role",
        "actions",
        "money",
        "production",
    ):
        assert f'id="{figure}"' in body, figure
        if figure != "time-to-level":  # A has reached no level: the card says so
            assert f"?csv={figure}" in body, figure
    assert "No organisation has reached a level yet." in body
    assert 'data-chart="members-age"' in body and "<caption" in body
    assert reverse("simulator-plotly") in body  # plotly from the installed package
    assert "cdn" not in body.lower()
    assert 'id="insights-map-data"' in body  # the sites, by member risk
    assert reverse("insights-organisation-pdf", args=[world.org_a.slug]) in body
    csv_response = client.get(url + "?csv=members-gender")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert 'filename="batea-alpha-coop-members-gender.csv"' in csv_response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    assert rows[0] == ["gender", "members", "share (%)"]
    assert rows[1][:2] == ["Female", "4"]
    map_csv = client.get(url + "?csv=map").content.decode()
    assert "Alpha Pit" in map_csv
    assert client.get(url + "?csv=nothing").status_code == 404


def test_csv_cells_cannot_run_as_formulas(world, client_for):
    world.org_a.name = "=HYPERLINK(1)"
    world.org_a.save()
    body = (
        client_for(world.support_user)
        .get(reverse("insights-portfolio") + "?csv=organisations")
        .content.decode()
    )
    assert "'=HYPERLINK(1)" in body


def test_others_cannot_open_an_organisations_insights(insight_world, client_for):
    world = insight_world
    url = reverse("insights-organisation", args=[world.org_a.slug])
    pdf = reverse("insights-organisation-pdf", args=[world.org_a.slug])
    for user in (world.manager_b, world.buyer_user, world.outsider, world.standards_user):
        client = client_for(user)
        assert client.get(url).status_code == 404, user
        assert client.get(url + "?csv=members-gender").status_code == 404
        assert client.get(pdf).status_code == 404
    # Support officers, auditors and the group's inspector may: they see its members.
    for user in (world.support_user, world.auditor_user, world.inspector_a):
        assert client_for(user).get(url).status_code == 200, user
    # Insights of a non-ASMO are not a thing.
    assert client_for(world.superuser).get(
        reverse("insights-organisation", args=[world.support.slug])
    ).status_code == (404)


def test_portfolio_and_country_pages_show_no_person(insight_world, client_for):
    world = insight_world
    client = client_for(world.support_user)
    for url in (reverse("insights-portfolio"), reverse("insights-country", args=["co"])):
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        assert "Alpha Gold Cooperative" in body  # organisations are named, people are not
        for marker in A_PEOPLE + B_MARKERS:
            assert marker not in body, (url, marker)
        for figure in figures.all_figures(
            services.collect(services.portfolio_scope(world.support_user))
        ):
            text = client.get(f"{url}?csv={figure.id}").content.decode()
            for marker in A_PEOPLE + B_MARKERS:
                assert marker not in text, (url, figure.id, marker)
    assert client.get(reverse("insights-country", args=["PE"])).status_code == 404
    assert client.get(reverse("insights-country", args=["XX"])).status_code == 404
    # Without a portfolio the page says so.
    empty = client_for(world.manager_b).get(reverse("insights-portfolio")).content.decode()
    assert "no organisations in its portfolio" in empty
    for marker in ("Alpha Gold", "Aguirre"):
        assert marker not in empty


def test_the_public_page_needs_no_login_and_hides_small_groups(insight_world, client):
    world = insight_world
    # Six more women panners in B: enough women on the platform to be shown.
    for number in range(6):
        make_member(world.org_b, f"B-1{number}", "Rosa", "Mamani", role="panner")
    page = client.get(reverse("insights-public"))
    assert page.status_code == 200
    body = page.content.decode()
    for marker in A_PEOPLE + B_MARKERS + ["Alpha Gold", "Alpha Pit", "Mamani", "Rosa"]:
        assert marker not in body, marker
    assert 'id="insights-map-data"' not in body  # no sites on the public page
    assert "Counts of fewer than 5 people are hidden" in body
    assert "hidden" in body
    scope = services.public_scope()
    data = services.collect(scope)
    for figure in figures.all_figures(data):
        response = client.get(reverse("insights-public") + f"?csv={figure.id}")
        assert response.status_code == 200
        text = response.content.decode()
        for marker in A_PEOPLE + B_MARKERS + ["Alpha", "Mamani"]:
            assert marker not in text, (figure.id, marker)
        rows = list(csv.reader(io.StringIO(text)))
        header = rows[0]
        people = [
            i
            for i, name in enumerate(header)
            if name
            in {
                "members",
                "women",
                "people",
                "members on the register",
                "members sanctioned",
                "members excluded",
                "miners",
            }
        ]
        for row in rows[1:]:
            for i in people:
                if row[i] not in ("", "hidden"):
                    assert float(row[i]) == 0 or float(row[i]) >= 5, (figure.id, header[i], row)
    gender = {row[0]: row[1] for row in figures.members_by_gender(data).rows}
    assert gender["Female"] == 11  # 4 in A, 7 in B
    assert isinstance(gender["Prefers not to say"], figures.Hidden)  # one person
    # and the 5 men too: else 17 − 11 − 5 would tell the one hidden person.
    assert isinstance(gender["Male"], figures.Hidden)
    status = {row[0]: row[1] for row in figures.members_by_status(data).rows}
    assert isinstance(status["Excluded"], figures.Hidden)
    assert isinstance(status["Left"], figures.Hidden)  # else 1 + 1 could be worked out


def test_pages_and_pdf_reports_in_spanish(insight_world, client_for, monkeypatch):
    from batea.insights import views_insights

    original, rendered = views_insights.render_to_string, []

    def render(*args, **kwargs):
        rendered.append(original(*args, **kwargs))
        return rendered[-1]

    monkeypatch.setattr(views_insights, "render_to_string", render)
    world = insight_world
    client = client_for(world.support_user)
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    page = client.get(reverse("insights-organisation", args=[world.org_a.slug]))
    body = page.content.decode()
    assert '<html lang="es">' in body and "Cerrar sesión" in body
    assert "Descargar CSV" in body and "Tabla de datos" in body and "Mujer" in body
    for url in (
        reverse("insights-organisation-pdf", args=[world.org_a.slug]),
        reverse("insights-portfolio-pdf"),
    ):
        pdf = client.get(url)
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert len(rendered) == 2
    for html in rendered:
        assert '<html lang="es">' in html and "Generado por Batea" in html and "Mujer" in html
        assert "Alpha Gold Cooperative" in html
        for marker in B_MARKERS + ["Aguirre", "Quintero"]:
            assert marker not in html
    for page in ("insights-public", "insights-portfolio", "insights-home", "insights-segments"):
        assert '<html lang="es">' in client.get(reverse(page)).content.decode()


def test_the_portfolio_pdf_of_someone_without_a_portfolio_is_empty(world, client_for, monkeypatch):
    from batea.insights import views_insights

    original, rendered = views_insights.render_to_string, []
    monkeypatch.setattr(
        views_insights,
        "render_to_string",
        lambda *a, **k: rendered.append(original(*a, **k)) or rendered[-1],
    )
    response = client_for(world.manager_b).get(reverse("insights-portfolio-pdf"))
    assert response.content.startswith(b"%PDF")
    assert "no organisations in its portfolio" in rendered[0]
    assert "Alpha" not in rendered[0] and "Beta" not in rendered[0]


def test_the_home_page_lists_what_the_reader_may_open(world, client_for):
    body = client_for(world.support_user).get(reverse("insights-home")).content.decode()
    assert reverse("insights-organisation", args=["alpha-coop"]) in body
    assert reverse("insights-portfolio") in body
    assert reverse("insights-country", args=["CO"]) in body
    assert reverse("insights-public") in body
    assert "beta-assoc" not in body
    manager = client_for(world.manager_b).get(reverse("insights-home")).content.decode()
    assert reverse("insights-portfolio") not in manager and "alpha-coop" not in manager
    assert (
        client_for(world.manager_b).get("/").content.decode().count(reverse("insights-home")) >= 1
    )  # in the navigation


# Segments ---------------------------------------------------------------------------------------


def test_saving_a_segment_from_choices_counts_it_and_takes_a_snapshot(insight_world, client_for):
    world = insight_world
    client = client_for(world.manager_a)
    response = client.post(
        reverse("insights-segments"),
        {
            "owner": world.org_a.pk,
            "name": "Women panners and selectors",
            "gender": ["female"],
            "role": ["panner", "selector"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    segment = Segment.objects.get(name="Women panners and selectors")
    assert segment.owner == world.org_a and segment.created_by == world.manager_a
    expected = current_members(world.org_a).filter(gender="female", role__in=["panner", "selector"])
    snapshot = segment.snapshots.get()
    assert snapshot.taken_on == TODAY
    assert snapshot.members == expected.count() == 4
    assert snapshot.women == 4 and snapshot.organisations == 1
    assert snapshot.population == current_members(world.org_a).count()
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "gender: Female" in body and "Panner" in body
    assert "gender = female and role in (panner, selector)" in body
    assert "current members only" in body
    assert 'data-chart="snapshots"' in body
    rows = list(
        csv.reader(
            io.StringIO(client.get(response["Location"] + "?csv=snapshots").content.decode())
        )
    )
    assert rows[1][:3] == [TODAY.isoformat(), "4", "4"]
    for marker in A_PEOPLE:
        assert marker not in body


def test_saving_a_segment_from_a_written_filter(insight_world, client_for):
    world = insight_world
    client = client_for(world.support_user)
    bad = client.post(
        reverse("insights-segments"),
        {"owner": world.support.pk, "name": "Bad", "filter": "gender = woman or role = x"},
    )
    assert bad.status_code == 400
    assert "Expected “and” at character 16" in bad.content.decode()
    wrong_value = client.post(
        reverse("insights-segments"),
        {"owner": world.support.pk, "name": "Bad", "filter": "gender = woman"},
    )
    assert "gender cannot be “woman”" in wrong_value.content.decode()
    assert not Segment.objects.exists()
    good = client.post(
        reverse("insights-segments"),
        {
            "owner": world.support.pk,
            "name": "Young women in licensed groups",
            "filter": "gender = female and age in (under-18, 18-24) and country = co",
        },
    )
    assert good.status_code == 302
    segment = Segment.objects.get()
    assert segment.owner == world.support  # the portfolio's members
    counts = stored.count(segment.definition, segment.owner)
    year = TODAY.year
    direct = current_members(world.org_a).filter(
        gender="female", birth_year__gte=year - 24, birth_year__lte=year
    )
    assert counts.members == direct.count() == 2  # A-008 (16) and A-006 (20)
    again = client.post(
        reverse("insights-segments"),
        {"owner": world.support.pk, "name": "Young women in licensed groups", "gender": ["male"]},
    )
    assert "already has a segment by this name" in again.content.decode()


def test_segment_clauses_count_as_the_rules_say(insight_world):
    """The SQL of every kind of clause against the plain rules, member by member."""
    from batea.domain.insights import segments as rules
    from batea.domain.insights.bands import age_band

    world = insight_world
    words = stored.vocabulary()
    position = services.ladder_positions([world.org_a])[world.org_a.pk].climbed
    licence = str(world.org_a.formalisation(TODAY).status)
    filters = [
        "",
        "status in (excluded, left)",
        "gender != female",
        "age not in (unknown, 25-34)",
        "age in (unknown)",
        f"licence = {licence}",
        "licence != formal and role not in (worker)",
        "level >= 1",
        f"level <= {position}",
        "country = PE",
        "country != PE and gender in (male, undisclosed)",
    ]
    for text in filters:
        definition, problems = rules.parse(text, words)
        assert problems == [], text
        counted = stored.count(definition, world.org_a)
        expected = sum(
            rules.matches(
                definition,
                {
                    "gender": m.gender,
                    "role": m.role,
                    "status": m.status,
                    "age": age_band(m.birth_year, TODAY.year),
                    "licence": licence,
                    "country": world.org_a.country,
                    "level": position,
                },
            )
            for m in Member.objects.filter(organisation=world.org_a)
        )
        assert counted.members == expected, text


def test_a_past_snapshot_reads_statuses_from_the_decisions(insight_world):
    world = insight_world
    segment = Segment.objects.create(
        owner=world.org_a,
        name="Sanctioned",
        definition={"clauses": [{"field": "status", "op": "in", "values": ["suspended"]}]},
    )
    before = stored.snapshot(segment, TODAY - timedelta(days=30))
    now = stored.snapshot(segment, TODAY)
    assert before.members == 0  # A-002 was suspended 20 days ago
    assert now.members == 1
    assert before.population == Member.objects.filter(organisation=world.org_a).count()
    earlier = stored.snapshot(segment, TODAY - timedelta(days=500))
    assert earlier.population == 1  # only Alicia had joined then
    assert stored.snapshot(segment, TODAY).pk == now.pk  # one snapshot per day


def test_segments_are_scoped_like_the_owners_members(insight_world, client_for):
    world = insight_world
    own = Segment.objects.create(
        owner=world.org_a, name="A women", definition={"clauses": []}, created_by=world.manager_a
    )
    other = Segment.objects.create(
        owner=world.org_b, name="Betasecret women", definition={"clauses": []}
    )
    stored.snapshot(own)
    detail = reverse("insights-segment", args=[own.pk])
    assert client_for(world.support_user).get(detail).status_code == 200
    assert client_for(world.auditor_user).get(detail).status_code == 200
    for user in (world.buyer_user, world.manager_b, world.outsider):
        assert client_for(user).get(detail).status_code == 404, user
    listing = client_for(world.manager_a).get(reverse("insights-segments")).content.decode()
    assert "A women" in listing and "Betasecret" not in listing
    delete = reverse("insights-segment-delete", args=[own.pk])
    assert client_for(world.inspector_a).post(delete).status_code == 403  # reads, cannot change
    assert client_for(world.support_user).post(delete).status_code == 403
    assert client_for(world.manager_b).post(delete).status_code == 404
    assert client_for(world.manager_a).get(delete).status_code == 405
    assert client_for(world.manager_a).post(delete).status_code == 302
    assert not Segment.objects.filter(pk=own.pk).exists()
    assert not SegmentSnapshot.objects.filter(segment_id=own.pk).exists()
    assert Segment.objects.filter(pk=other.pk).exists()
    # Nobody saves a segment for an organisation they may not change.
    response = client_for(world.support_user).post(
        reverse("insights-segments"), {"owner": world.org_a.pk, "name": "Sneaky"}
    )
    assert response.status_code == 400
    assert not Segment.objects.filter(name="Sneaky").exists()
    assert (
        client_for(world.buyer_user)
        .post(reverse("insights-segments"), {"owner": world.buyer.pk, "name": "x"})
        .status_code
        == 403
    )


def test_the_snapshot_command(insight_world):
    world = insight_world
    segment = Segment.objects.create(owner=world.org_a, name="Everyone", definition={"clauses": []})
    out = io.StringIO()
    call_command("insights", "snapshot", stdout=out)
    assert f"1 segment(s) counted on {TODAY.isoformat()}." in out.getvalue()
    past = (TODAY - timedelta(days=40)).isoformat()
    call_command("insights", "snapshot", "--on", past, "--segment", str(segment.pk), stdout=out)
    call_command("insights", "snapshot", stdout=out)
    assert [s.taken_on.isoformat() for s in segment.snapshots.order_by("taken_on")] == [
        past,
        TODAY.isoformat(),
    ]
    assert segment.snapshots.get(taken_on=TODAY).members == current_members(world.org_a).count()
    from django.core.management.base import CommandError

    for args, message in (
        (["--on", "yesterday"], "is not a date"),
        (["--on", (TODAY + timedelta(days=2)).isoformat()], "in the future"),
        (["--segment", "nope"], "is not a segment id"),
        (["--segment", "00000000-0000-0000-0000-000000000000"], "no segment"),
    ):
        with pytest.raises(CommandError, match=message):
            call_command("insights", "snapshot", *args, stdout=out)


def test_a_segment_needs_an_asmo_or_support_owner(world):
    owners = set(stored.owners_for(world.support_user))
    assert owners == {world.support}
    assert set(stored.owners_for(world.manager_a)) == {world.org_a}
    assert not stored.owners_for(world.buyer_user).exists()
    assert not stored.owners_for(world.inspector_a).exists()
    assert set(stored.owners_for(world.superuser)) >= {world.org_a, world.org_b, world.support}


def test_the_demo_shows_every_insight_and_loads_twice(db, client):
    call_command("demo", stdout=io.StringIO())
    segments = Segment.objects.count()
    snapshots = SegmentSnapshot.objects.count()
    decisions = MemberDecision.objects.count()
    assert segments >= 3 and snapshots >= 3 * 6
    from batea.insights import demo

    assert demo.load()["decisions added"] == 0
    assert (Segment.objects.count(), MemberDecision.objects.count()) == (segments, decisions)
    assert SegmentSnapshot.objects.count() == snapshots
    from django.contrib.auth import get_user_model

    support = get_user_model().objects.get(username="support")
    data = services.collect(services.portfolio_scope(support))
    for figure in figures.all_figures(data):
        assert figure.rows, f"the demo leaves {figure.id} empty"
        if figure.id != "organisations":
            assert figure.chart, figure.id
    assert {p.climbed for p in data.positions.values()} >= {0, 1}
    client.force_login(support)
    assert client.get(reverse("insights-portfolio")).status_code == 200
    sanctions = {row[0]: row for row in figures.sanctions_by_gender(data).rows}
    assert sanctions["Female"][2] > 0 and sanctions["Male"][2] > 0
    public = client.get(reverse("insights-public")).content.decode()
    assert "Río Claro" not in public and "Kyabalanga" not in public
