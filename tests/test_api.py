"""The REST API: scoped, paginated, filterable; bad input gets a 4xx with a message."""

import uuid

import pytest
from rest_framework.test import APIClient

from batea.registry.models import Member, Site

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world.manager_a)
    return client


def member_payload(world, **extra):
    payload = {
        "organisation": str(world.org_a.pk),
        "member_number": "A-100",
        "given_name": "Nueva",
        "family_name": "Minera",
        "gender": "female",
        "role": "panner",
        "join_date": "2024-03-01",
        "status": "applicant",
    }
    payload.update(extra)
    return payload


def test_members_are_listed_paginated_and_filtered(world, api):
    for i in range(3):
        Member.objects.create(
            organisation=world.org_a,
            member_number=f"A-2{i}",
            given_name="M",
            family_name=f"N{i}",
            gender="male",
            role="worker",
            join_date="2021-01-01",
        )
    response = api.get("/api/members/", {"page_size": 2})
    assert response.status_code == 200
    assert response.data["count"] == 4
    assert len(response.data["results"]) == 2
    assert response.data["next"]
    females = api.get("/api/members/", {"gender": "female"}).data
    assert [m["member_number"] for m in females["results"]] == ["A-001"]
    assert api.get("/api/members/", {"search": "Aguirre"}).data["count"] == 1


def test_national_ids_are_write_only_and_returned_masked(world, api):
    response = api.post(
        "/api/members/", member_payload(world, national_id="9876543210"), format="json"
    )
    assert response.status_code == 201, response.data
    assert "national_id" not in response.data
    assert response.data["national_id_masked"] == "•••••••210"
    assert "9876543210" not in str(api.get(f"/api/members/{response.data['id']}/").data)


def test_a_client_generated_uuid_is_kept(world, api):
    chosen = str(uuid.uuid4())
    response = api.post("/api/members/", member_payload(world, id=chosen), format="json")
    assert response.status_code == 201
    assert response.data["id"] == chosen


def test_a_duplicate_member_number_is_a_400_naming_the_problem(world, api):
    response = api.post(
        "/api/members/", member_payload(world, member_number="A-001"), format="json"
    )
    assert response.status_code == 400
    assert "member number is already used" in str(response.data)
    assert Member.objects.filter(member_number="A-001").count() == 1


def test_a_future_birth_year_is_a_400_on_that_field(world, api):
    response = api.post("/api/members/", member_payload(world, birth_year=2999), format="json")
    assert response.status_code == 400
    assert "birth_year" in response.data


def test_a_member_cannot_be_created_in_another_organisation(world, api):
    response = api.post(
        "/api/members/", member_payload(world, organisation=str(world.org_b.pk)), format="json"
    )
    assert response.status_code == 400
    assert "organisation" in response.data
    assert not Member.objects.filter(member_number="A-100").exists()


def test_a_member_cannot_be_moved_to_another_organisation(world, api):
    response = api.patch(
        f"/api/members/{world.member_a.pk}/", {"organisation": str(world.org_b.pk)}, format="json"
    )
    assert response.status_code == 400


def test_read_only_roles_get_403_when_they_try_to_change(world):
    client = APIClient()
    client.force_authenticate(world.support_user)
    response = client.patch(
        f"/api/members/{world.member_a.pk}/", {"given_name": "X"}, format="json"
    )
    assert response.status_code == 403
    assert "role" in str(response.data)


def site_payload(world, geometry, **extra):
    payload = {
        "organisation": str(world.org_a.pk),
        "site_code": "A-9",
        "name": "Nuevo frente",
        "kind": "mine",
        "geometry": geometry,
        "commodities": ["710812"],
        "mining_method": "alluvial",
        "processing_method": "gravity",
        "workforce": 10,
    }
    payload.update(extra)
    return payload


def test_a_site_is_created_with_normalised_hs_codes_and_derived_centroid(world, api):
    ring = [[-76.70, 5.15], [-76.699, 5.15], [-76.699, 5.151], [-76.70, 5.151], [-76.70, 5.15]]
    response = api.post(
        "/api/sites/",
        site_payload(world, {"type": "Polygon", "coordinates": [ring]}),
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["commodities"] == ["7108.12"]
    assert response.data["longitude"] == pytest.approx(-76.6995)
    assert float(response.data["area_ha"]) > 1


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        ({"type": "Point", "coordinates": [5.17, -76.65]}, "swapped"),
        (
            {"type": "Polygon", "coordinates": [[[-76.7, 5.15], [-76.69, 5.15], [-76.69, 5.16]]]},
            "not closed",
        ),
        ({"type": "Point", "coordinates": [200, 5]}, "outside the valid range"),
        ({"type": "Point", "coordinates": [32.5, 0.3]}, "outside Colombia"),
        ("not geojson", "Not valid JSON"),
        ({"type": "Point"}, "Coordinates are missing"),
    ],
)
def test_bad_geometry_is_a_400_that_explains_it(world, api, geometry, expected):
    response = api.post("/api/sites/", site_payload(world, geometry), format="json")
    assert response.status_code == 400
    assert expected in str(response.data["geometry"])
    assert not Site.objects.filter(site_code="A-9").exists()


def test_an_unknown_hs_code_is_a_400(world, api):
    response = api.post(
        "/api/sites/",
        site_payload(
            world, {"type": "Point", "coordinates": [-76.6, 5.1]}, commodities=["9999.99"]
        ),
        format="json",
    )
    assert response.status_code == 400
    assert "commodities" in response.data


def test_malformed_json_and_wrong_types_are_4xx_not_500(world, api):
    assert api.post("/api/members/", "{oops", content_type="application/json").status_code == 400
    assert (
        api.post(
            "/api/members/", member_payload(world, birth_year="abc"), format="json"
        ).status_code
        == 400
    )
    assert api.get("/api/members/", {"page": "999"}).status_code == 404
    assert api.get("/api/members/", {"join_date": "x"}).status_code in (200, 400)


def test_organisations_carry_their_formalisation_status(world, api):
    data = api.get(f"/api/organisations/{world.org_a.pk}/").data
    assert data["formalisation_status"] == "partial"
    assert data["country"] == "CO"


def test_the_openapi_description_and_docs_are_served_locally(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/members/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_the_openapi_description_is_valid_and_complete(tmp_path):
    from django.core.management import call_command

    # --fail-on-warn: every endpoint and field has a well-defined schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", tmp_path / "api.yml")
    assert "/api/sites/{id}/" in (tmp_path / "api.yml").read_text()


def test_a_records_id_cannot_be_changed_so_no_other_record_is_overwritten(world, api):
    response = api.patch(
        f"/api/licences/{world.licence_a.pk}/",
        {"id": str(world.licence_b.pk), "number": "HIJACKED"},
        format="json",
    )
    assert response.status_code == 400
    assert "id" in response.data
    world.licence_b.refresh_from_db()
    assert world.licence_b.number == "LIC-BETASECRET"


def test_other_organisations_records_look_like_records_that_do_not_exist(world, api):
    unknown = str(uuid.uuid4())
    foreign = api.patch(
        f"/api/members/{world.member_a.pk}/", {"primary_site": str(world.site_b.pk)}, format="json"
    )
    missing = api.patch(
        f"/api/members/{world.member_a.pk}/", {"primary_site": unknown}, format="json"
    )
    assert foreign.status_code == missing.status_code == 400
    assert str(foreign.data["primary_site"]).replace(str(world.site_b.pk), "X") == str(
        missing.data["primary_site"]
    ).replace(unknown, "X")
    by_foreign = api.get("/api/members/", {"organisation": str(world.org_b.pk)})
    by_unknown = api.get("/api/members/", {"organisation": unknown})
    assert by_foreign.status_code == by_unknown.status_code == 400


def test_an_implausibly_large_polygon_is_refused_and_nothing_is_saved(world, api):
    huge = [[-79, -4], [-67, -4], [-67, 12], [-79, 12], [-79, -4]]
    response = api.post(
        "/api/sites/",
        site_payload(world, {"type": "Polygon", "coordinates": [huge]}),
        format="json",
    )
    assert response.status_code == 400
    assert "more than any site can" in str(response.data)
    assert not Site.objects.filter(site_code="A-9").exists()
    assert api.get("/api/sites/").status_code == 200


def test_deeply_nested_json_is_a_400(world, api):
    body = "[" * 5000 + "]" * 5000
    response = api.post("/api/members/", body, content_type="application/json")
    assert response.status_code == 400


def test_the_country_of_an_organisation_is_not_changed_through_the_api(world, api):
    response = api.patch(
        f"/api/organisations/{world.org_a.pk}/", {"country": "PE", "region": "Chocó"}, format="json"
    )
    assert response.status_code == 200
    world.org_a.refresh_from_db()
    assert (world.org_a.country, world.org_a.region) == ("CO", "Chocó")


def test_a_site_needs_at_least_one_mineral_and_unknown_codes_are_named(world, api):
    point = {"type": "Point", "coordinates": [-76.6, 5.1]}
    empty = api.post("/api/sites/", site_payload(world, point, commodities=[]), format="json")
    assert empty.status_code == 400 and "commodities" in empty.data
    unknown = api.post(
        "/api/sites/", site_payload(world, point, commodities=["123456"]), format="json"
    )
    assert "Unknown HS code 1234.56" in str(unknown.data["commodities"])


def test_duplicates_are_reported_on_the_field_to_fix(world, api):
    member = api.post("/api/members/", member_payload(world, member_number="A-001"), format="json")
    assert "member_number" in member.data
    site = api.post(
        "/api/sites/",
        site_payload(world, {"type": "Point", "coordinates": [-76.6, 5.1]}, site_code="A-1"),
        format="json",
    )
    assert "site_code" in site.data
    negative = api.post(
        "/api/sites/",
        site_payload(world, {"type": "Point", "coordinates": [-76.6, 5.1]}, area_ha="-3"),
        format="json",
    )
    assert "area_ha" in negative.data


def test_a_point_standing_for_a_large_area_comes_with_a_warning(world, api):
    response = api.post(
        "/api/sites/",
        site_payload(world, {"type": "Point", "coordinates": [-76.6, 5.1]}, area_ha="12"),
        format="json",
    )
    assert response.status_code == 201
    assert "polygon" in response.data["geometry_warnings"][0]
