"""Exports of an organisation's records as XLSX (one sheet per repeated part), CSV (one
part; cells a spreadsheet would run are neutralised) and GeoJSON (sites). Every export
reads through `visible_to`: a person gets only what they may see, and national ids (and
survey attributes that hold personal data) only masked."""

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from batea.domain.fielddata.cells import neutralise
from batea.domain.identifiers import mask_identifier
from batea.fielddata.workbooks import write_sheets
from batea.registry.models import Member, Site

DATASETS = ("members", "sites", "assessments", "actions", "lots")
FORMATS = ("xlsx", "csv", "geojson")


@dataclass
class Part:
    name: str
    header: list[str]
    rows: Any  # iterable of lists


# Words in the name of a survey column that say it holds personal data (third-party site
# surveys keep columns Batea does not know as site attributes): such values are exported
# only masked, like national ids.
PERSONAL_WORDS = frozenset(
    {
        "phone", "telephone", "telefono", "tel", "cel", "celular", "cell", "mobile", "movil",
        "whatsapp", "email", "mail", "correo", "courriel", "cedula", "dni", "nid", "nin",
        "cni", "passport", "pasaporte", "passeport", "identity", "identidad", "identite",
        "birth", "birthdate", "birthday", "dob", "nacimiento", "naissance",
    }
)  # fmt: skip
PERSONAL_PHRASES = ("phone", "email", "national_id", "id_number", "id_card", "date_of_birth")


def is_personal(key: str) -> bool:
    """Whether an attribute's name says it holds personal data (any language Batea speaks)."""
    plain = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode().lower()
    words = set(re.split(r"[^a-z0-9]+", plain))
    snake = "_".join(word for word in re.split(r"[^a-z0-9]+", plain) if word)
    return bool(words & PERSONAL_WORDS) or any(phrase in snake for phrase in PERSONAL_PHRASES)


def shareable_attributes(attributes: dict | None) -> dict:
    """Site attributes as exported: personal values masked, the rest as they are."""
    return {
        key: mask_identifier(str(value)) if is_personal(key) and value not in (None, "") else value
        for key, value in (attributes or {}).items()
    }


def _scoped(model, user):
    return model.objects.all() if user is None else model.objects.visible_to(user)


def members(organisation, user) -> list[Part]:
    rows = (
        _scoped(Member, user)
        .filter(organisation=organisation)
        .select_related("primary_site")
        .order_by("member_number")
    )
    header = [
        "id",
        "member_number",
        "given_name",
        "family_name",
        "gender",
        "birth_year",
        "role",
        "join_date",
        "status",
        "national_id_masked",
        "primary_site",
    ]

    def generate():
        for m in rows.iterator(chunk_size=2000):
            yield [
                str(m.id),
                m.member_number,
                m.given_name,
                m.family_name,
                m.gender,
                m.birth_year,
                m.role,
                m.join_date,
                m.status,
                m.national_id_masked,
                m.primary_site.site_code if m.primary_site else "",
            ]

    return [Part("members", header, generate())]


def sites(organisation, user) -> list[Part]:
    queryset = (
        _scoped(Site, user)
        .filter(organisation=organisation)
        .prefetch_related("commodities")
        .order_by("site_code")
    )
    sites_list = list(queryset)
    header = [
        "id",
        "site_code",
        "name",
        "kind",
        "centroid_longitude",
        "centroid_latitude",
        "geometry",
        "area_ha",
        "minerals",
        "mining_method",
        "processing_method",
        "uses_mercury",
        "uses_cyanide",
        "workforce",
        "women_in_workforce",
    ]
    main = [
        [
            str(s.id),
            s.site_code,
            s.name,
            s.kind,
            s.longitude,
            s.latitude,
            json.dumps(s.geometry, separators=(",", ":")),
            float(s.area_ha) if s.area_ha is not None else None,
            ";".join(sorted(c.hs_code for c in s.commodities.all())),
            s.mining_method,
            s.processing_method,
            "yes" if s.uses_mercury else "no",
            "yes" if s.uses_cyanide else "no",
            s.workforce,
            s.women_in_workforce,
        ]
        for s in sites_list
    ]
    attributes = [
        [s.site_code, key, value if isinstance(value, int | float | bool) else str(value)]
        for s in sites_list
        for key, value in sorted(shareable_attributes(s.attributes).items())
    ]
    from batea.fielddata.models import SiteObservation

    observations = [
        [o.site.site_code, o.source, o.source_id, o.observed_on, o.imported_at.date()]
        for o in SiteObservation.objects.filter(site__in=sites_list).select_related("site")
    ]
    return [
        Part("sites", header, main),
        Part("attributes", ["site_code", "attribute", "value"], attributes),
        Part(
            "observations",
            ["site_code", "data_set", "id_in_data_set", "visit_date", "imported_on"],
            observations,
        ),
    ]


def assessments(organisation, user) -> list[Part]:
    from batea.assessments.models import Answer, Assessment

    rows = (
        _scoped(Assessment, user)
        .filter(organisation=organisation)
        .select_related("version__standard", "member", "site", "assessor")
        .order_by("assessed_on", "created_at")
    )
    rows = list(rows)
    main = [
        [
            str(a.id),
            a.version.standard.code,
            a.version.version,
            a.kind,
            a.subject_type,
            a.member.member_number if a.member else a.site.site_code if a.site else "",
            a.assessed_on,
            a.status,
            a.assessor.get_username() if a.assessor else "",
            a.submitted_at.replace(tzinfo=None) if a.submitted_at else None,
            a.notes,
        ]
        for a in rows
    ]
    answers = [
        [
            str(x.assessment_id),
            x.requirement.code,
            x.value,
            x.score,
            x.notes,
            "yes" if x.current else "no",
            x.correction_reason,
            x.answered_at.replace(tzinfo=None),
        ]
        for x in Answer.objects.filter(assessment__in=rows)
        .select_related("requirement")
        .order_by("assessment__assessed_on", "requirement__order", "answered_at")
    ]
    return [
        Part(
            "assessments",
            [
                "id",
                "standard",
                "version",
                "kind",
                "about",
                "subject",
                "assessed_on",
                "status",
                "assessor",
                "submitted_at",
                "notes",
            ],
            main,
        ),
        Part(
            "answers",
            [
                "assessment",
                "requirement",
                "answer",
                "score",
                "notes",
                "current",
                "correction_reason",
                "answered_at",
            ],
            answers,
        ),
    ]


def actions(organisation, user) -> list[Part]:
    from batea.assessments.models import CorrectiveAction, NonConformity

    findings = list(
        _scoped(NonConformity, user)
        .filter(organisation=organisation)
        .select_related("requirement", "answer")
        .order_by("due_on")
    )
    main = [
        [
            str(f.id),
            f.requirement.code,
            f.severity,
            f.raised_on,
            f.due_on,
            f.status,
            "yes" if f.flagged_for_suspension else "no",
            str(f.answer.assessment_id),
        ]
        for f in findings
    ]
    plans = [
        [
            str(a.nonconformity_id),
            a.description,
            a.owner.get_username(),
            a.due_on,
            a.status,
            a.completed_on,
            a.verified_by.get_username() if a.verified_by else "",
            a.verified_on,
        ]
        for a in _scoped(CorrectiveAction, user)
        .filter(nonconformity__in=findings)
        .select_related("owner", "verified_by")
        .order_by("due_on")
    ]
    return [
        Part(
            "nonconformities",
            [
                "id",
                "requirement",
                "severity",
                "raised_on",
                "due_on",
                "status",
                "flagged_for_suspension",
                "assessment",
            ],
            main,
        ),
        Part(
            "corrective_actions",
            [
                "nonconformity",
                "action",
                "owner",
                "due_on",
                "status",
                "completed_on",
                "verified_by",
                "verified_on",
            ],
            plans,
        ),
    ]


def lots(organisation, user) -> list[Part]:
    from batea.custody.models import Lot

    rows = list(
        _scoped(Lot, user)
        .filter(Q(organisation=organisation) | Q(origin_organisation=organisation))
        .select_related("claim_version__standard", "site", "organisation")
        .order_by("created_at")
    )
    codes = dict(
        Site.objects.filter(
            pk__in={s for lot in rows for s in (lot.origin_sites or [])}
        ).values_list("pk", "site_code")
    )
    codes = {str(k): v for k, v in codes.items()}
    main = [
        [
            lot.code,
            lot.organisation.slug,
            lot.kind,
            lot.mineral,
            float(lot.mass_g),
            float(lot.fineness),
            float(lot.fine_g),
            lot.status,
            str(lot.claim_version) if lot.claim_version else "",
            lot.claim_variant,
            lot.custody_model,
            lot.site.site_code if lot.site else "",
            lot.produced_on,
        ]
        for lot in rows
    ]
    origins = [
        [lot.code, codes.get(str(site), str(site))] for lot in rows for site in lot.origin_sites
    ]
    return [
        Part(
            "lots",
            [
                "lot",
                "holder",
                "kind",
                "mineral",
                "mass_g",
                "fineness",
                "fine_g",
                "status",
                "certified_under",
                "variant",
                "custody_model",
                "site",
                "produced_on",
            ],
            main,
        ),
        Part("origin_sites", ["lot", "site"], origins),
    ]


BUILDERS = {
    "members": members,
    "sites": sites,
    "assessments": assessments,
    "actions": actions,
    "lots": lots,
}


def export_xlsx(dataset: str, organisation, user) -> bytes:
    return write_sheets((p.name, p.header, p.rows) for p in BUILDERS[dataset](organisation, user))


def export_csv(dataset: str, organisation, user, part: str = "") -> bytes:
    """One part as UTF-8 CSV with a byte-order mark (so spreadsheets read the accents);
    text a spreadsheet would run as a formula is neutralised."""
    parts = BUILDERS[dataset](organisation, user)
    chosen = next((p for p in parts if p.name == part), parts[0])
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(chosen.header)
    for row in chosen.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return neutralise(str(value))


def parts_of(dataset: str) -> list[str]:
    return {
        "members": ["members"],
        "sites": ["sites", "attributes", "observations"],
        "assessments": ["assessments", "answers"],
        "actions": ["nonconformities", "corrective_actions"],
        "lots": ["lots", "origin_sites"],
    }[dataset]


def export_geojson(organisation, user) -> bytes:
    """Sites as an RFC 7946 FeatureCollection, attributes included (personal ones masked)."""
    queryset = (
        _scoped(Site, user)
        .filter(organisation=organisation)
        .prefetch_related("commodities")
        .order_by("site_code")
    )
    features = [
        {
            "type": "Feature",
            "id": str(site.id),
            "geometry": site.geometry,
            "properties": {
                "site_code": site.site_code,
                "name": site.name,
                "organisation": organisation.slug,
                "kind": site.kind,
                "minerals": sorted(c.hs_code for c in site.commodities.all()),
                "mining_method": site.mining_method,
                "processing_method": site.processing_method,
                "uses_mercury": site.uses_mercury,
                "uses_cyanide": site.uses_cyanide,
                "workforce": site.workforce,
                "women_in_workforce": site.women_in_workforce,
                "area_ha": float(site.area_ha) if site.area_ha is not None else None,
                "attributes": shareable_attributes(site.attributes),
            },
        }
        for site in queryset
    ]
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1
    ).encode("utf-8")
