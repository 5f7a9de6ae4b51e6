"""The one mechanism that decides which tenant rows a user may read or change.

Every tenant model uses `ScopedQuerySet` and declares its `scope_resource` and the lookup
path to its organisation (`scope_organisation_field`). Pages, API endpoints and exports call
`Model.objects.visible_to(user)` or `.changeable_by(user)`; nothing filters by hand.
"""

from datetime import date

from django.apps import apps
from django.db import models
from django.db.models import Q

from batea.domain.access import (
    CHANGE,
    VIEW,
    Role,
    is_public_read,
    own_grant,
    relation_kinds_granting,
)


def user_roles(user) -> list[tuple[object, str]]:
    """(organisation_id, role) pairs of a user, cached on the user object per request."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_batea_roles", None)
    if cached is None:
        assignment = apps.get_model("access", "RoleAssignment")
        cached = list(
            assignment.objects.filter(user_id=user.pk).values_list("organisation_id", "role")
        )
        user._batea_roles = cached
    return cached


def sees_everything(user) -> bool:
    """Platform superusers see all data (they also use the Django admin)."""
    return bool(getattr(user, "is_superuser", False) and user.is_active)


# Related organisations are resolved to a list of ids, so that the database sees plain
# `IN (…)` conditions it can combine across indexes (a `BitmapOr` on PostgreSQL) instead of a
# subquery per field. Past this many ids the subquery is kept: a federation's thousands of
# ids in every query cost more to compile, send and plan than the subquery costs to run.
RELATED_IDS_LIMIT = 100


def related_organisation_ids(user, sources_by_kind: dict[str, set]):
    """Ids of organisations related to the user's organisations by the given relation kinds,
    as a set (cached on the user object per request), or a subquery when there are many."""
    relation = apps.get_model("registry", "Relation")
    today = date.today()
    key = (
        today,
        tuple(
            sorted((kind, tuple(sorted(map(str, ids)))) for kind, ids in sources_by_kind.items())
        ),
    )
    cache = user.__dict__.setdefault("_batea_related", {})
    if key not in cache:
        related = Q()
        for kind, sources in sources_by_kind.items():
            related |= Q(kind=kind, source_id__in=sources)
        targets = relation.objects.active_on(today).filter(related).values("target_id")
        distinct_ids = targets.order_by().values_list("target_id", flat=True).distinct()
        ids = set(distinct_ids[: RELATED_IDS_LIMIT + 1])
        cache[key] = targets if len(ids) > RELATED_IDS_LIMIT else ids
    return cache[key]


def organisation_condition(user, resource: str, action: str, field: str) -> Q | None:
    """A Q over `field` (a path to an organisation id) for what `user` may do, or None.

    Own-organisation grants come from the user's roles; related-organisation grants come
    from active relations whose source is an organisation where the user holds a role that
    the relation kind empowers.
    """
    own: set = set()
    sources_by_kind: dict[str, set] = {}
    for organisation_id, role in user_roles(user):
        if role not in Role.__members__.values():
            continue
        if own_grant(role, resource, action):
            own.add(organisation_id)
        for kind in relation_kinds_granting(role, resource, action):
            sources_by_kind.setdefault(kind, set()).add(organisation_id)
    related = related_organisation_ids(user, sources_by_kind) if sources_by_kind else set()
    if isinstance(related, set):
        ids = own | related
        return Q(**{f"{field}__in": ids}) if ids else None
    condition = Q(**{f"{field}__in": related})
    return condition | Q(**{f"{field}__in": own}) if own else condition


class ScopedQuerySet(models.QuerySet):
    """QuerySet of a tenant model: `visible_to` and `changeable_by` apply the scoping rules."""

    def scoped(self, user, action: str):
        model = self.model
        if sees_everything(user) or is_public_read(model.scope_resource, action):
            return self
        fields = model.scope_organisation_field
        conditions = [
            organisation_condition(user, model.scope_resource, action, field)
            for field in (fields if isinstance(fields, tuple) else (fields,))
        ]
        conditions = [condition for condition in conditions if condition is not None]
        if not conditions:
            return self.none()
        combined = conditions[0]
        for condition in conditions[1:]:
            combined |= condition
        return self.filter(combined)

    def visible_to(self, user):
        return self.scoped(user, VIEW)

    def changeable_by(self, user):
        return self.scoped(user, CHANGE)


def organisations_where(user, resource: str, action: str = CHANGE):
    """Organisations in which `user` may perform `action` on `resource` (e.g. add members)."""
    organisation = apps.get_model("registry", "Organisation")
    if sees_everything(user):
        return organisation.objects.all()
    condition = organisation_condition(user, resource, action, "id")
    return (
        organisation.objects.none() if condition is None else organisation.objects.filter(condition)
    )


def can(user, obj, action: str = VIEW) -> bool:
    """Whether `user` may perform `action` on one tenant object."""
    return type(obj).objects.scoped(user, action).filter(pk=obj.pk).exists()


def roles_of(user) -> set[str]:
    return {role for _, role in user_roles(user)}


def roles_granting(user, organisation, resource: str, action: str) -> set[str]:
    """The user's roles that grant `action` on `resource` of this one organisation, held in
    it or in an organisation related to it (e.g. an auditor of its certification body)."""
    roles: set[str] = set()
    wanted: dict[str, set] = {}
    for organisation_id, role in user_roles(user):
        if organisation_id == organisation.pk and own_grant(role, resource, action):
            roles.add(role)
        for kind in relation_kinds_granting(role, resource, action):
            wanted.setdefault(role, set()).add((organisation_id, kind))
    if wanted:
        relation = apps.get_model("registry", "Relation")
        linked = set(
            relation.objects.active_on(date.today())
            .filter(target_id=organisation.pk)
            .values_list("source_id", "kind")
        )
        roles |= {role for role, links in wanted.items() if links & linked}
    return roles
