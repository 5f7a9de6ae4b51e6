"""One scoping mechanism decides what each role sees and changes."""

import uuid
from datetime import date, timedelta

import pytest

from batea.access.scoping import can, organisations_where
from batea.registry.models import Licence, Member, Organisation, Relation, Site

pytestmark = pytest.mark.django_db


def visible(model, user):
    return set(model.objects.visible_to(user))


def test_an_asmo_manager_sees_and_changes_only_their_organisation(world):
    user = world.manager_a
    assert visible(Organisation, user) == {world.org_a}
    assert visible(Member, user) == {world.member_a}
    assert visible(Site, user) == {world.site_a}
    assert visible(Licence, user) == {world.licence_a}
    assert set(Member.objects.changeable_by(user)) == {world.member_a}
    assert can(user, world.member_a, "change")
    assert not can(user, world.member_b, "view")


def test_an_ics_inspector_reads_members_but_changes_only_sites(world):
    user = world.inspector_a
    assert visible(Member, user) == {world.member_a}
    assert not can(user, world.member_a, "change")
    assert can(user, world.site_a, "change")


def test_a_support_officer_sees_the_portfolio_read_only(world):
    user = world.support_user
    assert visible(Organisation, user) == {world.org_a, world.support}
    assert visible(Member, user) == {world.member_a}
    assert not can(user, world.member_a, "change")
    assert list(organisations_where(user, "member", "change")) == []


def test_a_buyer_sees_supplier_sites_and_licences_but_not_its_members(world):
    user = world.buyer_user
    assert world.org_a in visible(Organisation, user)
    assert visible(Site, user) == {world.site_a}
    assert visible(Licence, user) == {world.licence_a}
    assert visible(Member, user) == set()


def test_an_auditor_sees_the_organisations_under_certification(world):
    assert visible(Member, world.auditor_user) == {world.member_a}
    assert world.org_b not in visible(Organisation, world.auditor_user)


def test_an_ended_relation_grants_nothing(world):
    Relation.objects.filter(source=world.support).update(
        started_on=date.today() - timedelta(days=30), ended_on=date.today() - timedelta(days=1)
    )
    assert visible(Member, world.support_user) == set()


def test_a_user_without_roles_sees_nothing_and_superusers_see_everything(world):
    assert visible(Organisation, world.outsider) == set()
    assert visible(Member, world.superuser) == {world.member_a, world.member_b}


def test_a_user_with_roles_in_two_organisations_sees_both(world):
    from batea.access.models import RoleAssignment

    RoleAssignment.objects.create(
        user=world.manager_a, organisation=world.org_b, role="ics_inspector"
    )
    user = type(world.manager_a).objects.get(pk=world.manager_a.pk)  # fresh role cache
    assert visible(Member, user) == {world.member_a, world.member_b}
    assert set(Member.objects.changeable_by(user)) == {world.member_a}


def test_relations_are_visible_to_both_ends(world):
    assert Relation.objects.visible_to(world.manager_a).count() == 3
    assert Relation.objects.visible_to(world.support_user).count() == 1
    assert Relation.objects.visible_to(world.manager_b).count() == 0


def test_a_buyer_does_not_learn_of_the_suppliers_other_relations(world):
    assert set(Relation.objects.visible_to(world.buyer_user).values_list("kind", flat=True)) == {
        "supply"
    }


def test_many_related_organisations_scope_the_same_through_a_subquery(world, monkeypatch):
    from batea.access import scoping

    in_a_list = visible(Member, world.support_user), visible(Organisation, world.support_user)
    monkeypatch.setattr(scoping, "RELATED_IDS_LIMIT", 0)  # every relation is "too many"
    world.support_user.__dict__.pop("_batea_related", None)
    through_a_subquery = (
        visible(Member, world.support_user),
        visible(Organisation, world.support_user),
    )
    assert in_a_list == through_a_subquery == ({world.member_a}, {world.org_a, world.support})
    query = str(Member.objects.visible_to(world.support_user).query)
    assert "registry_relation" in query  # the subquery, not a list of ids


def test_related_organisations_are_looked_up_once_per_request_and_user(
    world, django_assert_num_queries
):
    user = world.support_user
    visible(Member, user)  # roles and related organisations are now known
    with django_assert_num_queries(2):
        visible(Member, user)
        visible(Site, user)


def test_targets_shared_by_two_own_organisations_count_once_toward_the_list_limit(
    world, monkeypatch
):
    from batea.access import scoping
    from batea.access.models import RoleAssignment
    from batea.domain.access import OrganisationKind, RelationKind, Role
    from tests.conftest import make_org

    second = make_org("second-support", OrganisationKind.SUPPORT)
    RoleAssignment.objects.create(
        user=world.support_user, organisation=second, role=Role.SUPPORT_OFFICER
    )
    # Relations are read in (kind, id) order: the two rows to A come before the row to B.
    Relation.objects.create(
        id=uuid.UUID(int=1), kind=RelationKind.SUPPORT, source=second, target=world.org_a
    )
    Relation.objects.create(
        id=uuid.UUID(int=2**128 - 1), kind=RelationKind.SUPPORT, source=second, target=world.org_b
    )
    # Three rows, two targets, a limit of one: the first two rows name A only, which must
    # not pass for "one target, a complete list".
    monkeypatch.setattr(scoping, "RELATED_IDS_LIMIT", 1)
    assert visible(Member, world.support_user) == {world.member_a, world.member_b}
