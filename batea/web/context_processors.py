"""Navigation by role, shared by every page."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from batea.access.models import ROLE_LABELS
from batea.access.scoping import roles_of, sees_everything
from batea.domain.access import Role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "map_tiles_url": settings.BATEA_MAP_TILES_URL}
    roles = roles_of(user)
    items = [("home", _("Home")), ("organisation-list", _("Organisations"))]
    if roles & {
        Role.ASMO_MANAGER,
        Role.ICS_INSPECTOR,
        Role.PEER_REVIEWER,
        Role.AUDITOR,
        Role.CERTIFIER,
        Role.SUPPORT_OFFICER,
    } or sees_everything(user):
        items.append(("member-list", _("Members")))
    if Role.SUPPORT_OFFICER in roles:
        items.append(("portfolio", _("Portfolio")))
    if roles & {Role.ASMO_MANAGER, Role.ICS_INSPECTOR, Role.PEER_REVIEWER, Role.AUDITOR}:
        items.append(("fielddata-home", _("Field data")))
    if roles - {Role.STANDARD_OWNER} or sees_everything(user):
        items.append(("lot-list", _("Lots")))
        items.append(("incident-list", _("Incidents")))
    if Role.BUYER in roles or sees_everything(user):
        items.append(("supplier-list", _("Suppliers")))
    items.append(("insights-home", _("Insights")))
    items.append(("standard-list", _("Standards")))
    items.append(("api-docs", _("API")))
    return {
        "nav_items": items,
        "map_tiles_url": settings.BATEA_MAP_TILES_URL,
        "user_role_labels": sorted(str(ROLE_LABELS[Role(r)]) for r in roles),
    }
