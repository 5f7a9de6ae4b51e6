"""JSON Schemas of the catalogue and crosswalk formats, and their errors as Problems."""

from typing import Any

from jsonschema import Draft202012Validator

from batea.domain.messages import Problem, gettext_noop
from batea.domain.standards.source import Source

FORMAT_VERSION = 1
ID = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"}
SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{1,62}$"}
VERSION = {"type": "string", "pattern": "^[0-9A-Za-z][0-9A-Za-z.+-]{0,31}$"}
DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
TEXT = {
    "type": "object",
    "patternProperties": {"^[a-z]{2}$": {"type": "string", "minLength": 1}},
    "additionalProperties": False,
    "minProperties": 1,
}
BASIS = {"enum": ["sourced", "inferred"]}
SHARE = {"type": "number", "minimum": 0, "maximum": 1}

REQUIREMENT_KINDS = ["core", "major", "development", "voluntary"]
SCOPES = ["organisation", "member", "site", "buyer"]
SCORINGS = ["pass_fail", "scale_1_5"]
RISK_TAGS = [
    "torture_cruel_degrading_treatment",
    "forced_labour",
    "worst_forms_of_child_labour",
    "gross_human_rights_abuses",
    "war_crimes_genocide",
    "non_state_armed_groups",
    "public_private_security_forces",
    "bribery_fraudulent_misrepresentation",
    "money_laundering",
    "taxes_fees_royalties",
]
CUSTODY_MODELS = [
    "identity_preserved",
    "segregated",
    "controlled_blending",
    "mass_balance",
    "book_and_claim",
]
MEMBER_STATUSES = ["approved", "conditional", "suspended", "excluded"]
# Individual certification, a group with an Internal Control System, a Participatory
# Guarantee System (see batea.domain.group.assurance).
ASSURANCE_MODELS = ["individual", "ics_group", "pgs"]
# A catalogue without `assurance` accepts these: a PGS is accepted only where declared.
DEFAULT_ASSURANCE_MODELS = ("individual", "ics_group")


def _object(properties: dict, required: list[str]) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


def _list(item: dict, min_items: int = 0) -> dict:
    return {"type": "array", "items": item, "minItems": min_items}


REQUIREMENT = _object(
    {
        "id": ID,
        "title": TEXT,
        "guidance": TEXT,
        "applies_to": {"enum": SCOPES},
        "kind": {"enum": REQUIREMENT_KINDS},
        "binding_year": {"type": "integer", "minimum": 0, "maximum": 10},
        "scoring": {"enum": SCORINGS},
        "variants": _list(ID, 1),
        "risk_tags": _list({"enum": RISK_TAGS}, 1),
        "rollup": _object({"rule": {"enum": ["all", "share"]}, "min_share": SHARE}, ["rule"]),
    },
    ["id", "title", "guidance", "applies_to", "kind", "binding_year", "scoring"],
)
LEVEL_RULE = _object(
    {
        "kinds": _list({"enum": REQUIREMENT_KINDS}, 1),
        "up_to_year": {
            "oneOf": [{"type": "integer", "minimum": 0, "maximum": 10}, {"const": "current"}]
        },
        "chapters": _list(ID, 1),
        "requirements": _list(ID, 1),
        "development_average_min": {"type": "number", "minimum": 1, "maximum": 5},
        "member_share_min": SHARE,
        "variant": ID,
        "eligibility": _list(ID, 1),
    },
    ["kinds", "up_to_year"],
)
CATALOGUE_SCHEMA: dict[str, Any] = _object(
    {
        "batea_catalogue": {"const": FORMAT_VERSION},
        "standard": _object(
            {
                "id": SLUG,
                "version": VERSION,
                "title": TEXT,
                "owner": SLUG,
                "language": {"type": "string", "pattern": "^[a-z]{2}$"},
                "languages": _list({"type": "string", "pattern": "^[a-z]{2}$"}, 1),
                "status": {"enum": ["draft", "published", "retired"]},
                "kind": {
                    "enum": [
                        "risk_screen",
                        "market_entry",
                        "progressive",
                        "fair_trade",
                        "national",
                        "other",
                    ]
                },
                "minerals": _list({"type": "string"}, 1),
                "effective_from": DATE,
                "summary": TEXT,
                "source": TEXT,
                "licence_note": TEXT,
            },
            ["id", "version", "title", "language", "languages", "status", "source", "licence_note"],
        ),
        "variants": _list(_object({"id": ID, "title": TEXT, "description": TEXT}, ["id", "title"])),
        "chapters": _list(
            _object(
                {"id": ID, "title": TEXT, "requirements": _list(REQUIREMENT, 1)},
                ["id", "title", "requirements"],
            ),
            1,
        ),
        "levels": _list(
            _object(
                {"id": ID, "title": TEXT, "description": TEXT, "rule": LEVEL_RULE},
                ["id", "title", "rule"],
            ),
            1,
        ),
        "eligibility": _list(
            _object(
                {
                    "id": ID,
                    "title": TEXT,
                    "metric": ID,
                    "max": {"type": "number", "exclusiveMinimum": 0},
                    "min": {"type": "number", "minimum": 0},
                    "basis": BASIS,
                },
                ["id", "title", "metric", "basis"],
            )
        ),
        "assurance": _object(
            {
                "models": {**_list({"enum": ASSURANCE_MODELS}, 1), "uniqueItems": True},
                "basis": BASIS,
            },
            ["models", "basis"],
        ),
        "sampling": _object(
            {
                "method": {"enum": ["square_root", "eu_minimum", "percentage"]},
                "percentage": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                "minimum": {"type": "integer", "minimum": 1},
                "risk_multipliers": _object(
                    {
                        level: {"type": "number", "minimum": 0, "maximum": 10}
                        for level in ("low", "medium", "high")
                    },
                    [],
                ),
                "always_include": _list(
                    {"enum": ["open_major_nonconformity", "new_member", "high_risk"]}, 1
                ),
                "ics_agreement_min": SHARE,
                "basis": BASIS,
            },
            ["method", "basis"],
        ),
        "sanctions": _list(
            _object(
                {
                    "id": ID,
                    "title": TEXT,
                    "description": TEXT,
                    "member_status": {"enum": MEMBER_STATUSES},
                },
                ["id", "title", "member_status"],
            )
        ),
        "corrective_actions": _object(
            {
                "deadline_days": _object(
                    {
                        severity: {"type": "integer", "minimum": 1, "maximum": 730}
                        for severity in ("minor", "major", "critical")
                    },
                    ["minor", "major"],
                ),
                "overdue_minor_becomes_major": {"type": "boolean"},
                "overdue_major_leads_to_suspension": {"type": "boolean"},
                "basis": BASIS,
            },
            ["deadline_days", "basis"],
        ),
        "chain_of_custody": _object(
            {
                "models": _list({"enum": CUSTODY_MODELS}, 1),
                "reconciliation_months": {"type": "integer", "minimum": 1, "maximum": 24},
                "basis": BASIS,
            },
            ["models", "basis"],
        ),
        "prices": _object(
            {
                "minimum_price": _object(
                    {
                        "reference": {"enum": ["lbma_gold", "lbma_silver", "lbma_platinum"]},
                        "percent": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                        "basis": BASIS,
                    },
                    ["reference", "percent", "basis"],
                ),
                "premiums": _list(
                    _object(
                        {
                            "id": ID,
                            "title": TEXT,
                            "variant": ID,
                            "metal": {"enum": ["gold", "silver", "platinum"]},
                            "rule": {"enum": ["per_kg_fine", "percent_of_price"]},
                            "amount": {"type": "number", "exclusiveMinimum": 0},
                            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                            "basis": BASIS,
                        },
                        ["id", "title", "metal", "rule", "amount", "basis"],
                    )
                ),
            },
            [],
        ),
    },
    ["batea_catalogue", "standard", "chapters", "levels"],
)

STANDARD_REF = _object({"standard": SLUG, "version": VERSION}, ["standard", "version"])
CROSSWALK_SCHEMA: dict[str, Any] = _object(
    {
        "batea_crosswalk": {"const": FORMAT_VERSION},
        "id": SLUG,
        "title": TEXT,
        "description": TEXT,
        "languages": _list({"type": "string", "pattern": "^[a-z]{2}$"}, 1),
        "from": STANDARD_REF,
        "to": STANDARD_REF,
        "mappings": _list(
            _object(
                {
                    "from": ID,
                    "to": ID,
                    "relation": {"enum": ["equivalent", "partial", "broader", "narrower"]},
                    "note": TEXT,
                },
                ["from", "to", "relation"],
            ),
            1,
        ),
    },
    ["batea_crosswalk", "id", "title", "languages", "from", "to", "mappings"],
)


def schema_problems(source: Source, schema: dict) -> list[Problem]:
    """Every schema violation of `source.data` as a Problem with path and line."""
    validator = Draft202012Validator(schema)
    problems = []
    for error in sorted(validator.iter_errors(source.data), key=lambda e: list(map(str, e.path))):
        path = tuple(error.absolute_path)
        template, params = _explain(error)
        problems.append(source.problem(path, template, params))
    return problems


def _explain(error) -> tuple[str, dict]:
    kind, value = error.validator, error.instance
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return gettext_noop("The key %(key)s is required."), {"key": missing}
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
        if error.schema.get("patternProperties"):
            return (
                gettext_noop("%(keys)s is not a two-letter language code."),
                {"keys": ", ".join(map(str, extra)) or error.message},
            )
        return (
            gettext_noop("Unknown key %(keys)s; allowed keys are: %(allowed)s."),
            {"keys": ", ".join(map(str, extra)), "allowed": ", ".join(allowed)},
        )
    if kind == "enum":
        return (
            gettext_noop("%(value)s is not one of: %(allowed)s."),
            {"value": repr(value), "allowed": ", ".join(map(str, error.validator_value))},
        )
    if kind == "const":
        return (
            gettext_noop("Expected %(expected)s, found %(value)s."),
            {"expected": repr(error.validator_value), "value": repr(value)},
        )
    if kind == "type":
        return (
            gettext_noop("Expected %(type)s, found %(value)s."),
            {"type": error.validator_value, "value": repr(value)},
        )
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return (
            gettext_noop("%(value)s is out of range (%(rule)s %(limit)s)."),
            {"value": value, "rule": kind, "limit": error.validator_value},
        )
    if kind == "pattern":
        return (
            gettext_noop("%(value)s does not have the expected form (%(pattern)s)."),
            {"value": repr(value), "pattern": error.validator_value},
        )
    if kind in ("minItems", "minProperties"):
        return gettext_noop("This must not be empty."), {}
    if kind == "uniqueItems":
        return gettext_noop("An item is listed more than once."), {}
    if kind == "maxItems":
        return gettext_noop("This lists more than %(limit)s items."), {
            "limit": error.validator_value
        }
    if kind == "oneOf":
        return (gettext_noop("%(value)s is not allowed here."), {"value": repr(value)})
    return gettext_noop("%(error)s"), {"error": error.message}
