"""Who may do what: roles, the organisation kinds that hold them, and grants as data.

A user holds roles in organisations. A role grants actions on the resources of its own
organisation; a relation between organisations (a support portfolio, a certification
engagement, a supply relation) grants some roles of the source organisation actions on the
target's resources. The Django scoping layer turns these tables into queries.
"""

from enum import StrEnum


class OrganisationKind(StrEnum):
    ASMO = "asmo"
    SUPPORT = "support"
    BUYER = "buyer"
    CERTIFICATION_BODY = "certification_body"
    STANDARD_OWNER = "standard_owner"


class Role(StrEnum):
    ASMO_MANAGER = "asmo_manager"
    ICS_INSPECTOR = "ics_inspector"
    PEER_REVIEWER = "peer_reviewer"
    AUDITOR = "auditor"
    CERTIFIER = "certifier"
    STANDARD_OWNER = "standard_owner"
    SUPPORT_OFFICER = "support_officer"
    BUYER = "buyer"


class RelationKind(StrEnum):
    SUPPORT = "support"
    CERTIFICATION = "certification"
    SUPPLY = "supply"


class Resource(StrEnum):
    ORGANISATION = "organisation"
    LICENCE = "licence"
    MEMBER = "member"
    SITE = "site"
    RELATION = "relation"
    STANDARD = "standard"
    ASSESSMENT = "assessment"  # assessments, answers, non-conformities, corrective actions
    CERTIFICATE = "certificate"  # certification decisions and certificates
    RISK_RULES = "risk_rules"  # member-risk rule sets of standard owners and support bodies
    CUSTODY = "custody"  # lots, custody events, red-flag incidents, sales
    PREMIUM = "premium"  # premium fund: receipts, investment plans, disbursements


VIEW = "view"
CHANGE = "change"
ACTIONS = (VIEW, CHANGE)

ROLE_ORGANISATION_KINDS: dict[Role, frozenset[OrganisationKind]] = {
    Role.ASMO_MANAGER: frozenset({OrganisationKind.ASMO}),
    Role.ICS_INSPECTOR: frozenset({OrganisationKind.ASMO}),
    Role.PEER_REVIEWER: frozenset({OrganisationKind.ASMO, OrganisationKind.SUPPORT}),
    Role.AUDITOR: frozenset({OrganisationKind.CERTIFICATION_BODY}),
    Role.CERTIFIER: frozenset({OrganisationKind.CERTIFICATION_BODY}),
    Role.STANDARD_OWNER: frozenset({OrganisationKind.STANDARD_OWNER}),
    Role.SUPPORT_OFFICER: frozenset({OrganisationKind.SUPPORT}),
    Role.BUYER: frozenset({OrganisationKind.BUYER}),
}

_ALL = frozenset(Resource)
# Standards and risk rule sets are public reference data: everyone reads them; only the
# owning organisation changes them.
PUBLIC_READ = frozenset({Resource.STANDARD, Resource.RISK_RULES})
_READ_ALL = {resource: frozenset({VIEW}) for resource in _ALL}
_MANAGE_PROFILE = {
    **_READ_ALL,
    Resource.ORGANISATION: frozenset({VIEW, CHANGE}),
    Resource.LICENCE: frozenset({VIEW, CHANGE}),
}

# Actions each role has on its own organisation's resources.
OWN_GRANTS: dict[Role, dict[Resource, frozenset[str]]] = {
    Role.ASMO_MANAGER: {
        **{resource: frozenset({VIEW, CHANGE}) for resource in _ALL},
        Resource.RELATION: frozenset({VIEW}),
        Resource.CERTIFICATE: frozenset({VIEW}),  # only a certification body certifies
        Resource.RISK_RULES: frozenset({VIEW}),  # a group applies the rules, others set them
    },
    Role.ICS_INSPECTOR: {
        **_READ_ALL,
        Resource.SITE: frozenset({VIEW, CHANGE}),
        Resource.ASSESSMENT: frozenset({VIEW, CHANGE}),
    },
    Role.PEER_REVIEWER: {**_READ_ALL, Resource.ASSESSMENT: frozenset({VIEW, CHANGE})},
    Role.AUDITOR: _READ_ALL,
    Role.CERTIFIER: _MANAGE_PROFILE,
    Role.STANDARD_OWNER: {
        **_MANAGE_PROFILE,
        Resource.STANDARD: frozenset({VIEW, CHANGE}),
        Resource.RISK_RULES: frozenset({VIEW, CHANGE}),
    },
    Role.SUPPORT_OFFICER: {**_MANAGE_PROFILE, Resource.RISK_RULES: frozenset({VIEW, CHANGE})},
    # Buyers (traders, refiners) hold, transform and sell lots of their own.
    Role.BUYER: {**_MANAGE_PROFILE, Resource.CUSTODY: frozenset({VIEW, CHANGE})},
}

# Through a relation: which roles of the source organisation get what on the target's data.
# Buyers see an ASMO's profile, licences and sites but not its members' personal data.
# Nobody sees the target's other relations (a buyer must not learn of other buyers).
_READ_REGISTRY = {
    r: actions
    for r, actions in _READ_ALL.items()
    if r not in (Resource.RELATION, Resource.ASSESSMENT, *PUBLIC_READ)
}  # includes custody and the premium fund: supporters and certifiers follow them
RELATION_GRANTS: tuple[
    tuple[RelationKind, frozenset[Role], dict[Resource, frozenset[str]]], ...
] = (
    # Support officers follow their portfolio along its pathway (read-only).
    (
        RelationKind.SUPPORT,
        frozenset({Role.SUPPORT_OFFICER}),
        {**_READ_REGISTRY, Resource.ASSESSMENT: frozenset({VIEW})},
    ),
    # Peer reviewers of a support organisation review the groups it supports.
    (
        RelationKind.SUPPORT,
        frozenset({Role.PEER_REVIEWER}),
        {**_READ_REGISTRY, Resource.ASSESSMENT: frozenset({VIEW, CHANGE})},
    ),
    # Certifiers read the assessments and decide certification.
    (
        RelationKind.CERTIFICATION,
        frozenset({Role.CERTIFIER}),
        {
            **_READ_REGISTRY,
            Resource.ASSESSMENT: frozenset({VIEW}),
            Resource.CERTIFICATE: frozenset({VIEW, CHANGE}),
        },
    ),
    # Auditors of the certification body record external audits.
    (
        RelationKind.CERTIFICATION,
        frozenset({Role.AUDITOR}),
        {**_READ_REGISTRY, Resource.ASSESSMENT: frozenset({VIEW, CHANGE})},
    ),
    (
        RelationKind.SUPPLY,
        frozenset({Role.BUYER}),
        {
            Resource.ORGANISATION: frozenset({VIEW}),
            Resource.LICENCE: frozenset({VIEW}),
            Resource.SITE: frozenset({VIEW}),
            Resource.CERTIFICATE: frozenset({VIEW}),
            # A buyer follows its suppliers' lots and red-flag incidents.
            Resource.CUSTODY: frozenset({VIEW}),
        },
    ),
)


def role_fits_organisation(role: str, kind: str) -> bool:
    """Whether a role can be held in an organisation of this kind."""
    return kind in ROLE_ORGANISATION_KINDS.get(Role(role), frozenset())


def is_public_read(resource: str, action: str) -> bool:
    """Whether every signed-in user may perform `action` on `resource`."""
    return action == VIEW and resource in PUBLIC_READ


def own_grant(role: str, resource: str, action: str) -> bool:
    return action in OWN_GRANTS.get(Role(role), {}).get(Resource(resource), frozenset())


def relation_kinds_granting(role: str, resource: str, action: str) -> list[RelationKind]:
    """Relation kinds through which a holder of `role` gets `action` on `resource`."""
    kinds: list[RelationKind] = []
    for kind, roles, grants in RELATION_GRANTS:
        granted = role in roles and action in grants.get(Resource(resource), frozenset())
        if granted and kind not in kinds:
            kinds.append(kind)
    return kinds


# Which roles may record which kind of assessment.
ASSESSMENT_KIND_ROLES: dict[str, frozenset[Role]] = {
    "self": frozenset({Role.ASMO_MANAGER}),
    "ics": frozenset({Role.ICS_INSPECTOR, Role.ASMO_MANAGER}),
    "peer": frozenset({Role.PEER_REVIEWER}),
    "audit": frozenset({Role.AUDITOR}),
}
