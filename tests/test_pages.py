"""Pages: what each role sees, searching, filtering, paging, forms and exports."""

import csv
import io
import json

import pytest

from batea.registry.models import Member, Site
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def test_the_home_dashboard_shows_the_roles_and_their_next_actions(world, client_for):
    body = client_for(world.manager_a).get("/").content.decode()
    assert "ASMO manager" in body
    assert "Register a new member" in body
    assert "Alpha Gold Cooperative" in body
    support = client_for(world.support_user).get("/").content.decode()
    assert "Your portfolio of organisations" in support


def test_an_organisation_page_shows_members_sites_on_a_map_and_licence_warnings(world, client_for):
    response = client_for(world.manager_a).get(f"/orgs/{world.org_a.slug}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alpha Pit" in body
    assert 'id="site-map-data"' in body
    assert "LIC-ALPHA expires on" in body  # expires within 90 days
    assert "Formalisation" in body


def test_buyers_see_a_supplier_without_its_members(world, client_for):
    body = client_for(world.buyer_user).get(f"/orgs/{world.org_a.slug}/").content.decode()
    assert "Alpha Pit" in body
    assert "Member list" not in body
    assert client_for(world.buyer_user).get(f"/orgs/{world.org_a.slug}/members/").status_code == 200
    members_page = client_for(world.buyer_user).get(f"/orgs/{world.org_a.slug}/members/")
    assert "Aguirre" not in members_page.content.decode()


def test_the_member_list_searches_filters_and_pages(world, client_for):
    for i in range(60):
        make_member(
            world.org_a, f"A-{i + 500}", "Pedro", f"Paginado{i:02d}", gender="male", role="worker"
        )
    client = client_for(world.manager_a)
    first = client.get(f"/orgs/{world.org_a.slug}/members/")
    assert first.context["page_obj"].paginator.count == 61
    assert len(first.context["members"]) == 50
    second = client.get(f"/orgs/{world.org_a.slug}/members/", {"page": 2})
    assert len(second.context["members"]) == 11
    found = client.get(f"/orgs/{world.org_a.slug}/members/", {"q": "aguirre"})
    assert [m.member_number for m in found.context["members"]] == ["A-001"]
    women = client.get(f"/orgs/{world.org_a.slug}/members/", {"gender": "female"})
    assert women.context["page_obj"].paginator.count == 1
    assert "•••••••890" in found.content.decode()
    assert "1234567890" not in found.content.decode()


def test_a_manager_adds_a_member_through_the_form(world, client_for):
    response = client_for(world.manager_a).post(
        f"/orgs/{world.org_a.slug}/members/new/",
        {
            "member_number": "A-300",
            "given_name": "Rosa",
            "family_name": "Mena",
            "gender": "female",
            "role": "panner",
            "join_date": "2024-05-01",
            "status": "applicant",
            "national_id": "55-44-33-22-11",
        },
    )
    assert response.status_code == 302
    member = Member.objects.get(member_number="A-300")
    assert member.organisation == world.org_a
    assert member.national_id_masked.endswith("211")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("member_number", "A-001", "member number is already used"),
        ("birth_year", "2999", "in the future"),
        ("national_id", "1234567890", "has this national id"),
    ],
)
def test_bad_member_input_is_explained_and_nothing_is_written(
    world, client_for, field, value, message
):
    data = {
        "member_number": "A-301",
        "given_name": "X",
        "gender": "male",
        "role": "worker",
        "join_date": "2024-05-01",
        "status": "applicant",
        field: value,
    }
    before = Member.objects.count()
    response = client_for(world.manager_a).post(f"/orgs/{world.org_a.slug}/members/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Member.objects.count() == before


def test_a_site_form_explains_swapped_coordinates(world, client_for):
    data = {
        "site_code": "A-7",
        "name": "Nuevo",
        "kind": "mine",
        "geometry": json.dumps({"type": "Point", "coordinates": [5.17, -76.65]}),
        "commodities": ["7108.12"],
        "mining_method": "alluvial",
        "processing_method": "gravity",
        "workforce": 3,
        "women_in_workforce": 1,
    }
    response = client_for(world.manager_a).post(f"/orgs/{world.org_a.slug}/sites/new/", data)
    assert response.status_code == 400
    assert "swapped" in response.content.decode()
    data["geometry"] = json.dumps({"type": "Point", "coordinates": [-76.65, 5.17]})
    response = client_for(world.manager_a).post(f"/orgs/{world.org_a.slug}/sites/new/", data)
    assert response.status_code == 302
    assert Site.objects.get(site_code="A-7").latitude == 5.17


def test_read_only_roles_cannot_open_forms(world, client_for):
    client = client_for(world.support_user)
    assert client.get(f"/orgs/{world.org_a.slug}/members/new/").status_code == 403
    assert client.get(f"/members/{world.member_a.pk}/edit/").status_code == 403


def test_the_member_export_masks_national_ids_and_defuses_formulas(world, client_for):
    make_member(world.org_a, "=A-400", "=HYPERLINK(1)", "Formula")
    response = client_for(world.manager_a).get(f"/orgs/{world.org_a.slug}/members.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["member_number"] for row in rows} == {"A-001", "'=A-400"}
    assert "1234567890" not in response.content.decode()
    formula = next(r for r in rows if r["member_number"] == "'=A-400")
    assert formula["given_name"].startswith("'=")


def test_the_sites_export_is_geojson(world, client_for):
    response = client_for(world.manager_a).get(f"/orgs/{world.org_a.slug}/sites.geojson")
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert data["features"][0]["geometry"]["type"] == "Point"


def test_the_portfolio_lists_supported_organisations_with_indicators(world, client_for):
    response = client_for(world.support_user).get("/portfolio/")
    rows = response.context["rows"]
    assert [row["organisation"] for row in rows] == [world.org_a]
    assert rows[0]["members"] == 1
    assert rows[0]["women_share"] == 100


def test_pages_are_served_in_spanish_and_french(world, client_for):
    client = client_for(world.manager_a)
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    assert "Miembros" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert "Membres" in client.get("/").content.decode()


def test_queries_per_member_page_do_not_grow_with_the_member_count(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.manager_a)
    urls = [
        f"/orgs/{world.org_a.slug}/members/",
        "/members/",
        f"/api/members/?organisation={world.org_a.pk}",
        f"/orgs/{world.org_a.slug}/",
    ]

    def counts():
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    few = counts()
    for i in range(80):
        make_member(world.org_a, f"A-{i + 900}", "Q", f"Count{i:02d}", primary_site=world.site_a)
    assert counts() == few


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_date_fields_keep_their_stored_dates_in_every_language(world, client_for, language):
    """A date picker reads only ISO dates: a localised one would show an empty field, and
    saving the form would clear the stored date."""
    client = client_for(world.manager_a)
    client.cookies["django_language"] = language
    body = client.get(f"/licences/{world.licence_a.pk}/edit/").content.decode()
    assert f'value="{world.licence_a.valid_from.isoformat()}"' in body
    assert f'value="{world.licence_a.valid_until.isoformat()}"' in body
