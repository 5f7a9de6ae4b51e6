"""Pagination of long lists: counts that stop at a cap, pages past it, keys read first."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db import connection
from django.test.utils import CaptureQueriesContext

from batea.registry.models import Member
from batea.web.paging import CappedPaginator
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(world):
    """25 members of organisation A (with the world's own), sorted by name."""
    for i in range(24):
        make_member(world.org_a, f"P-{i:02}", "Pia", f"Paz {i:02}")
    return Member.objects.filter(organisation=world.org_a)


def names(page) -> list[str]:
    return [member.family_name for member in page]


def test_an_uncapped_paginator_counts_and_pages_like_djangos(members):
    paginator = CappedPaginator(members, 10)
    assert (paginator.count, paginator.num_pages, paginator.capped) == (25, 3, False)
    last = paginator.page(3)
    assert names(last) == [f"Paz {i:02}" for i in range(19, 24)]
    assert not last.has_next() and last.has_previous()
    with pytest.raises(EmptyPage):
        paginator.page(4)


def test_a_capped_count_stops_at_the_cap_and_says_so(members):
    paginator = CappedPaginator(members, 10, cap=12)
    assert (paginator.count, paginator.capped) == (12, True)
    with CaptureQueriesContext(connection) as queries:
        CappedPaginator(members, 10, cap=12).count  # noqa: B018
    assert "LIMIT 13" in queries[0]["sql"]


def test_pages_past_the_cap_can_still_be_read_to_the_end(members):
    paginator = CappedPaginator(members, 10, cap=12)
    third = paginator.page(3)
    assert names(third) == [f"Paz {i:02}" for i in range(19, 24)]
    assert not third.has_next()
    assert paginator.page(2).has_next()
    with pytest.raises(EmptyPage):
        paginator.page(4)
    with pytest.raises(PageNotAnInteger):
        paginator.page("two")
    assert paginator.get_page(99).number == paginator.num_pages  # the last counted page


def test_a_count_within_the_cap_is_exact(members):
    paginator = CappedPaginator(members, 10, cap=100)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (25, False, 3)


def test_keys_first_pages_hold_the_same_rows_in_the_same_order(members):
    for number in (1, 2, 3):
        plain = names(CappedPaginator(members, 10).page(number))
        keyed_page = CappedPaginator(members, 10, keys_first=True).page(number)
        assert names(keyed_page) == plain
    with CaptureQueriesContext(connection) as queries:
        list(CappedPaginator(members, 10, keys_first=True).page(2))
    keys_query = queries[-2]["sql"]
    assert keys_query.startswith('SELECT "registry_member"."id"') and "OFFSET 10" in keys_query


def test_the_member_list_and_api_page_through_keys_first(world, members, client_for):
    client = client_for(world.manager_a)
    ui = client.get(f"/orgs/{world.org_a.slug}/members/?page=1")
    assert ui.context["page_obj"].paginator.keys_first
    api = client.get(f"/api/members/?organisation={world.org_a.pk}&page_size=10&page=3").json()
    assert (api["count"], api["count_capped"], api["next"]) == (25, False, None)
    assert [m["family_name"] for m in api["results"]] == [f"Paz {i:02}" for i in range(19, 24)]


def test_the_api_caps_its_counts_and_keeps_next_links(world, members, client_for, monkeypatch):
    from batea.api import StandardPagination

    monkeypatch.setattr(StandardPagination, "count_cap", 12)
    client = client_for(world.manager_a)
    first = client.get("/api/members/", {"page_size": 10}).json()
    assert (first["count"], first["count_capped"]) == (12, True)
    third = client.get("/api/members/", {"page_size": 10, "page": 3}).json()
    assert len(third["results"]) == 5 and third["next"] is None
    assert client.get("/api/members/", {"page_size": 10, "page": 4}).status_code == 404


def test_absurd_page_numbers_are_empty_pages_not_database_errors(
    world, members, client_for, monkeypatch
):
    from batea.api import StandardPagination

    huge = "999999999999999999999"
    with pytest.raises(EmptyPage):
        CappedPaginator(members, 10, cap=12).page(huge)
    monkeypatch.setattr(StandardPagination, "count_cap", 12)
    client = client_for(world.manager_a)
    assert client.get("/api/members/", {"page_size": 10, "page": huge}).status_code == 404
    for bad in ("abc", "0", "-1"):
        assert client.get("/api/members/", {"page_size": 10, "page": bad}).status_code == 404


def test_the_last_page_past_the_cap_is_the_real_last_page(world, members, client_for, monkeypatch):
    from batea.api import StandardPagination

    monkeypatch.setattr(StandardPagination, "count_cap", 12)
    last = client_for(world.manager_a).get("/api/members/", {"page_size": 10, "page": "last"})
    assert last.json()["next"] is None and len(last.json()["results"]) == 5


def test_the_browsable_api_shows_pages_past_the_cap(world, members, client_for, monkeypatch):
    from batea.api import StandardPagination

    monkeypatch.setattr(StandardPagination, "count_cap", 12)
    client = client_for(world.manager_a)
    page = client.get("/api/members/", {"page_size": 10, "page": 3}, HTTP_ACCEPT="text/html")
    assert page.status_code == 200
