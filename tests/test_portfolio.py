"""The support portfolio: a page of organisations at a time, filters, and whole-portfolio
totals that are live for small portfolios and cached (with their time) for big ones."""

import pytest
from django.core.cache import cache

from batea.domain.access import RelationKind
from batea.registry import portfolio
from batea.registry.models import Organisation, Relation
from tests.conftest import make_member


@pytest.fixture
def big_portfolio(world):
    """60 more ASMOs supported by the world's support organisation, in Peru, one member each."""
    organisations = Organisation.objects.bulk_create(
        Organisation(slug=f"asmo-{i:03}", name=f"Zeta Mine {i:03}", kind="asmo", country="PE")
        for i in range(60)
    )
    Relation.objects.bulk_create(
        Relation(kind=RelationKind.SUPPORT, source=world.support, target=org)
        for org in organisations
    )
    for i, org in enumerate(organisations):
        make_member(org, f"Z-{i:03}", "Zoe", "Zeta", gender="male")
    cache.clear()
    return organisations


def test_the_portfolio_shows_one_page_of_organisations_and_totals_over_all(
    world, big_portfolio, client_for
):
    client = client_for(world.support_user)
    first = client.get("/portfolio/")
    assert len(first.context["rows"]) == portfolio.PER_PAGE
    assert first.context["rows"][0]["organisation"] == world.org_a  # "Alpha…" sorts first
    assert first.context["totals"]["organisations"] == 61
    assert first.context["totals"]["members"] == 61
    assert first.context["totals"]["women_share"] == 2  # 1 woman among 61 members
    second = client.get("/portfolio/?page=2")
    names = [row["organisation"].name for row in second.context["rows"]]
    assert names == [f"Zeta Mine {i:03}" for i in range(49, 60)]
    assert 'rel="prev"' in second.content.decode()


def test_the_portfolio_filters_by_name_and_country_and_keeps_the_totals(
    world, big_portfolio, client_for
):
    client = client_for(world.support_user)
    by_name = client.get("/portfolio/?q=mine 00")
    assert [row["organisation"].slug for row in by_name.context["rows"]] == [
        f"asmo-{i:03}" for i in range(10)
    ]
    by_country = client.get("/portfolio/?country=CO")
    assert [row["organisation"] for row in by_country.context["rows"]] == [world.org_a]
    assert by_country.context["totals"]["organisations"] == 61
    nothing = client.get("/portfolio/?q=no-such-mine").content.decode()
    assert "No organisation of the portfolio matches these filters." in nothing


def test_rows_count_members_and_sites_of_their_own_organisation_only(world, client_for):
    row = client_for(world.support_user).get("/portfolio/").context["rows"][0]
    assert (row["members"], row["approved"], row["sites"], row["women_share"]) == (1, 1, 1, 100)
    assert row["licence_warnings"] == 1  # the licence ends in 30 days


def test_big_portfolios_keep_their_totals_for_a_while_and_say_so(
    world, big_portfolio, client_for, settings
):
    settings.BATEA_PORTFOLIO_LIVE_LIMIT = 10
    client = client_for(world.support_user)
    before = client.get("/portfolio/")
    assert before.context["totals_cached"] is True
    assert "Totals counted at" in before.content.decode()
    make_member(big_portfolio[0], "Z-NEW", "Nueva", "Zeta")
    assert client.get("/portfolio/").context["totals"]["members"] == 61  # from the cache
    settings.BATEA_PORTFOLIO_TOTALS_SECONDS = 0
    live = client.get("/portfolio/")
    assert live.context["totals"]["members"] == 62
    assert live.context["totals_cached"] is False


def test_small_portfolios_count_their_totals_live(world, big_portfolio, client_for):
    client = client_for(world.support_user)
    assert client.get("/portfolio/").context["totals"]["members"] == 61
    make_member(big_portfolio[0], "Z-NEW", "Nueva", "Zeta")
    response = client.get("/portfolio/")
    assert response.context["totals"]["members"] == 62
    assert "Totals counted at" not in response.content.decode()


def test_cached_totals_are_not_shared_between_users_of_other_organisations(
    world, big_portfolio, client_for, settings
):
    settings.BATEA_PORTFOLIO_LIVE_LIMIT = -1  # every portfolio, even an empty one, is cached
    support = client_for(world.support_user).get("/portfolio/")
    assert (support.context["totals"]["members"], support.context["totals_cached"]) == (61, True)
    manager = client_for(world.manager_a).get("/portfolio/")
    assert (manager.context["totals"]["members"], manager.context["totals_cached"]) == (0, True)


def test_the_portfolio_page_costs_the_same_queries_for_one_or_sixty_organisations(
    world, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world.support_user)
    client.get("/portfolio/")
    with CaptureQueriesContext(connection) as small:
        client.get("/portfolio/")
    more = Organisation.objects.bulk_create(
        Organisation(slug=f"q-{i}", name=f"Q {i}", kind="asmo", country="PE") for i in range(60)
    )
    Relation.objects.bulk_create(
        Relation(kind=RelationKind.SUPPORT, source=world.support, target=org) for org in more
    )
    with CaptureQueriesContext(connection) as big:
        client.get("/portfolio/")
    assert len(big) == len(small)


def test_the_cache_is_per_process_by_default_and_redis_when_configured():
    from django.core.exceptions import ImproperlyConfigured

    from batea.settings import cache_settings

    assert cache_settings("")["default"]["BACKEND"].endswith("LocMemCache")
    shared = cache_settings("redis://127.0.0.1:6379/15")["default"]
    assert shared == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
    }
    with pytest.raises(ImproperlyConfigured, match="BATEA_CACHE_URL"):
        cache_settings("memcached://127.0.0.1:11211")


def test_portfolio_totals_are_shared_through_redis(world, big_portfolio, client_for, settings):
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": f"batea-test-{world.support.pk}",
        }
    }
    settings.BATEA_PORTFOLIO_LIVE_LIMIT = 10
    try:
        client_for(world.support_user).get("/portfolio/")
        key = portfolio._cache_key(world.support_user)
        assert caches["default"].get(key)["members"] == 61  # stored in Redis, not in memory
    finally:
        caches["default"].clear()
