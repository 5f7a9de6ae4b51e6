"""The database and the models guard the registry's invariants."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from batea.access.models import RoleAssignment
from batea.registry.models import Licence, Member, Organisation, Relation, Site
from tests.conftest import POINT_IN_COLOMBIA, make_member, make_org, make_user

pytestmark = pytest.mark.django_db


def test_member_numbers_are_unique_within_an_organisation_but_not_across(world):
    make_member(world.org_b, "A-001", "Same", "Number")  # same number, other organisation
    with pytest.raises(IntegrityError), transaction.atomic():
        make_member(world.org_a, "A-001", "Dup", "Licate")


def test_a_duplicate_member_number_is_explained_by_validation(world):
    member = Member(
        organisation=world.org_a,
        member_number="A-001",
        given_name="X",
        gender="male",
        role="worker",
        join_date=date(2021, 1, 1),
    )
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "member number is already used" in str(error.value)


def test_a_birth_year_in_the_future_is_refused_naming_the_field(world):
    member = Member(
        organisation=world.org_a,
        member_number="A-9",
        given_name="X",
        gender="male",
        role="worker",
        join_date=date(2021, 1, 1),
        birth_year=date.today().year + 1,
    )
    with pytest.raises(ValidationError) as error:
        member.full_clean()
    assert "birth_year" in error.value.message_dict
    assert "future" in error.value.message_dict["birth_year"][0]


def test_the_database_refuses_birth_years_before_1900(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_member(world.org_a, "A-2", "Old", "Timer", birth_year=1850)


def test_national_ids_are_kept_only_masked_and_fingerprinted(world):
    member = Member.objects.get(pk=world.member_a.pk)
    assert member.national_id_masked == "•••••••890"
    assert "1234567890" not in member.national_id_fingerprint
    assert len(member.national_id_fingerprint) == 64


def test_two_members_of_one_organisation_cannot_share_a_national_id(world):
    other = make_member(world.org_a, "A-3", "Other", "Person")
    other.set_national_id("12-34-56-78-90")  # the same id, written differently
    with pytest.raises(ValidationError) as error:
        other.full_clean()
    assert "national id" in str(error.value)


def test_unknown_country_codes_are_refused(db):
    org = Organisation(slug="x", name="X", kind="asmo", country="XX")
    with pytest.raises(ValidationError) as error:
        org.full_clean()
    assert "country" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.create(slug="y", name="Y", kind="asmo", country="co")


def test_site_geometry_is_validated_against_the_organisation_country(world):
    site = Site(
        organisation=world.org_a,
        site_code="S-9",
        name="Wrong",
        geometry={"type": "Point", "coordinates": [5.17, -76.65]},
    )
    with pytest.raises(ValidationError) as error:
        site.full_clean()
    assert "swapped" in error.value.message_dict["geometry"][0]


def test_a_valid_polygon_site_gets_centroid_and_area(world):
    ring = [[-76.70, 5.15], [-76.699, 5.15], [-76.699, 5.151], [-76.70, 5.151], [-76.70, 5.15]]
    site = Site(
        organisation=world.org_a,
        site_code="S-10",
        name="Poly",
        geometry={"type": "Polygon", "coordinates": [ring]},
    )
    site.full_clean()
    assert 1.0 < float(site.area_ha) < 1.4
    assert site.longitude == pytest.approx(-76.6995)


def test_the_database_refuses_out_of_range_coordinates(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Site.objects.create(
            organisation=world.org_a,
            site_code="S-11",
            name="Bad",
            geometry=POINT_IN_COLOMBIA,
            longitude=200,
            latitude=5,
        )


def test_women_in_the_workforce_cannot_exceed_the_workforce(world):
    site = Site(
        organisation=world.org_a,
        site_code="S-12",
        name="W",
        geometry=POINT_IN_COLOMBIA,
        workforce=3,
        women_in_workforce=5,
    )
    with pytest.raises(ValidationError):
        site.full_clean()


def test_a_licence_cannot_end_before_it_starts(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Licence.objects.create(
            organisation=world.org_a,
            kind="environmental",
            number="E",
            issuer="I",
            valid_from=date(2025, 1, 1),
            valid_until=date(2024, 1, 1),
        )


def test_formalisation_is_derived_from_licences(world):
    assert world.org_a.formalisation().status == "partial"
    Licence.objects.create(
        organisation=world.org_a,
        kind="environmental",
        number="ENV-1",
        issuer="Ministry",
        valid_from=date.today() - timedelta(days=1),
    )
    assert world.org_a.formalisation().status == "formal"
    assert world.org_b.formalisation().status == "partial"


def test_relations_must_point_from_the_right_kind_to_an_asmo(world):
    relation = Relation(kind="support", source=world.buyer, target=world.org_b)
    with pytest.raises(ValidationError):
        relation.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.objects.create(kind="support", source=world.org_a, target=world.org_a)


def test_a_role_must_fit_the_kind_of_organisation(world):
    user = make_user("someone")
    assignment = RoleAssignment(user=user, organisation=world.buyer, role="asmo_manager")
    with pytest.raises(ValidationError):
        assignment.full_clean()


def test_records_accept_client_generated_uuids(world):
    import uuid

    chosen = uuid.uuid4()
    member = make_member(world.org_a, "A-77", "Offline", "Entry", id=chosen)
    assert Member.objects.get(pk=chosen) == member


def test_commodities_are_loaded_from_the_domain_catalogue(db):
    from batea.domain.commodities import COMMODITIES
    from batea.registry.models import Commodity

    assert set(Commodity.objects.values_list("hs_code", flat=True)) == {
        c.hs_code for c in COMMODITIES
    }


def test_organisations_without_kind_in_the_list_are_refused_by_the_database(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_org("bad-kind", kind="cartel")
