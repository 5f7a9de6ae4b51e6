"""Identifiers, formalisation, commodities, countries and access grants."""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from batea.domain import access
from batea.domain.commodities import BY_HS_CODE, MINERAL_NAMES, normalise_hs_code
from batea.domain.countries import is_country_code
from batea.domain.formalisation import (
    FormalisationStatus,
    LicenceFacts,
    LicenceState,
    formalisation_status,
    licence_state,
)
from batea.domain.identifiers import fingerprint_identifier, mask_identifier

TODAY = date(2026, 6, 1)


def licence(kind="mining_title", status="granted", days_left=400):
    return LicenceFacts(
        kind,
        status,
        TODAY - timedelta(days=10),
        None if days_left is None else TODAY + timedelta(days=days_left),
    )


class TestNationalIds:
    def test_the_mask_shows_only_the_last_four_characters(self):
        assert mask_identifier("1234.5678-9012") == "••••••••9012"

    def test_short_ids_reveal_at_most_a_third(self):
        assert mask_identifier("12345") == "••••5"

    @given(st.text(alphabet="0123456789ABCDEF -.", min_size=1, max_size=30))
    def test_a_mask_never_reveals_more_than_a_third(self, value):
        masked = mask_identifier(value)
        assert sum(ch != "•" for ch in masked) <= len(masked) // 3

    def test_fingerprints_match_regardless_of_punctuation_and_depend_on_the_key(self):
        assert fingerprint_identifier("12.345", "k") == fingerprint_identifier("12345", "k")
        assert fingerprint_identifier("12345", "k") != fingerprint_identifier("12345", "other")
        assert fingerprint_identifier("", "k") == ""


class TestFormalisation:
    def test_licence_states_follow_dates_and_status(self):
        assert licence_state(licence(days_left=400), TODAY) == LicenceState.VALID
        assert licence_state(licence(days_left=30), TODAY) == LicenceState.EXPIRING
        assert licence_state(licence(days_left=-1), TODAY) == LicenceState.EXPIRED
        assert licence_state(licence(days_left=None), TODAY) == LicenceState.VALID
        assert licence_state(licence(status="applied"), TODAY) == LicenceState.PENDING
        assert licence_state(licence(status="revoked"), TODAY) == LicenceState.INACTIVE

    def test_title_and_environmental_licence_make_an_operation_formal(self):
        result = formalisation_status([licence(), licence("environmental")], TODAY)
        assert result.status == FormalisationStatus.FORMAL
        assert result.reasons == ()

    def test_a_title_alone_is_partial_and_says_what_is_missing(self):
        result = formalisation_status([licence()], TODAY)
        assert result.status == FormalisationStatus.PARTIAL
        assert [r.message for r in result.reasons] == ["No valid environmental licence."]

    def test_only_applications_mean_in_process_and_nothing_means_informal(self):
        assert formalisation_status([licence(status="applied")], TODAY).status == "in_process"
        expired = formalisation_status([licence(days_left=-5)], TODAY)
        assert expired.status == FormalisationStatus.INFORMAL
        assert "1 licence(s) expired." in [r.message for r in expired.reasons]


def test_hs_codes_are_normalised_and_checked():
    assert normalise_hs_code("710812") == "7108.12"
    assert normalise_hs_code("7108 12") in BY_HS_CODE
    assert normalise_hs_code("9999.99") not in BY_HS_CODE
    assert {c.mineral for c in BY_HS_CODE.values()} <= set(MINERAL_NAMES)


def test_country_codes_are_iso_alpha2_in_upper_case():
    assert is_country_code("CO")
    assert not is_country_code("co")
    assert not is_country_code("XX")
    assert not is_country_code("COL")


class TestAccessGrants:
    def test_every_role_has_organisation_kinds_and_own_grants(self):
        for role in access.Role:
            assert access.ROLE_ORGANISATION_KINDS[role]
            assert access.OWN_GRANTS[role][access.Resource.ORGANISATION]

    def test_buyers_never_see_members_through_a_supply_relation(self):
        assert access.relation_kinds_granting("buyer", "member", "view") == []
        assert access.relation_kinds_granting("buyer", "site", "view") == [
            access.RelationKind.SUPPLY
        ]

    def test_relations_grant_change_only_on_assessments_to_auditors_and_peer_reviewers(self):
        changes = {
            (role, resource)
            for role in access.Role
            for resource in access.Resource
            if access.relation_kinds_granting(role, resource, access.CHANGE)
        }
        assert changes == {
            ("auditor", "assessment"),
            ("peer_reviewer", "assessment"),
            ("certifier", "certificate"),
        }

    def test_no_role_certifies_its_own_organisation(self):
        for role in access.Role:
            assert not access.own_grant(role, "certificate", access.CHANGE)

    def test_roles_fit_only_their_organisation_kinds(self):
        assert access.role_fits_organisation("asmo_manager", "asmo")
        assert not access.role_fits_organisation("asmo_manager", "buyer")
        assert access.role_fits_organisation("auditor", "certification_body")
