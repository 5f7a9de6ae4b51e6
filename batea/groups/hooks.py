"""Where other apps tell member risk about sites: red-flag areas and production anomalies.

Member risk weighs two facts that group certification does not record itself: whether a
member's site lies in or near a red-flag or protected area, and whether its production is
anomalous (e.g. more gold than the site's workforce can produce). The app that knows them
(chain of custody, with its red-flag areas and production incidents) registers a provider
once, in its `AppConfig.ready()`:

    from batea.groups import hooks

    def sites_in_red_flag_areas(organisation, today) -> set:
        ...  # ids of the organisation's sites in or near an active red-flag area

    hooks.register(hooks.RED_FLAG_SITES, sites_in_red_flag_areas)
    hooks.register(hooks.ANOMALOUS_SITES, sites_with_open_production_incidents)

A provider takes the organisation and the day of the evaluation and returns site ids
(UUIDs or their text). Until one is registered the sets are empty and the two factors never
apply. `member_facts` also takes the sets directly, which is how tests give them.
"""

from collections.abc import Callable, Iterable
from datetime import date

RED_FLAG_SITES = "red_flag_sites"
ANOMALOUS_SITES = "anomalous_sites"

SiteProvider = Callable[[object, date], Iterable]
_providers: dict[str, list[SiteProvider]] = {RED_FLAG_SITES: [], ANOMALOUS_SITES: []}


def register(kind: str, provider: SiteProvider) -> None:
    """Add a provider of site ids for `kind` (RED_FLAG_SITES or ANOMALOUS_SITES)."""
    if kind not in _providers:
        raise ValueError(f"unknown kind of site facts {kind!r}")
    if provider not in _providers[kind]:
        _providers[kind].append(provider)


def unregister(kind: str, provider: SiteProvider) -> None:
    if provider in _providers.get(kind, []):
        _providers[kind].remove(provider)


def sites(kind: str, organisation, today: date) -> set[str]:
    """Ids (as text) of the organisation's sites that every registered provider names."""
    found: set[str] = set()
    for provider in _providers[kind]:
        found |= {str(site) for site in provider(organisation, today)}
    return found
