"""Third-party site data (CSV or GeoJSON) imported through a column mapping file.

A site is matched by the data set's own id (through the observations already imported
from the same data set, else by the site code the mapping derives from it). Each row is
kept as an observation of its site; a newer visit updates the site, an older one is only
added to its history. Columns Batea's model does not have become attributes of the site.
All or nothing, like every import.
"""

import hashlib
import json
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from batea.domain.commodities import COMMODITIES, MINERAL_NAMES
from batea.domain.fielddata.mapping import SiteRow, absent_fields, load_mapping, map_rows
from batea.domain.fielddata.records import fold
from batea.domain.fielddata.tables import read_table
from batea.domain.messages import Problem, gettext_noop
from batea.fielddata.models import SiteObservation
from batea.fielddata.records import _lazy, _translations, may_import
from batea.fielddata.reports import (
    ImportReport,
    Progress,
    finish_run,
    start_run,
    validation_problems,
)
from batea.registry.models import Commodity, Site

UPDATABLE = (
    "name",
    "kind",
    "area_ha",
    "workforce",
    "women_in_workforce",
    "uses_mercury",
    "uses_cyanide",
    "mining_method",
    "processing_method",
)


def site_vocabularies() -> dict[str, dict[str, str]]:
    """Folded words (codes, labels in every language) → codes for mapped choice fields."""

    def of(choices) -> dict[str, str]:
        found = {}
        for code, label in choices:
            found[fold(code)] = code
            for text in _translations(label):
                found.setdefault(fold(text), code)
        return found

    minerals: dict[str, str] = {}
    for commodity in COMMODITIES:
        minerals[fold(commodity.hs_code)] = commodity.hs_code
        minerals[fold(commodity.hs_code.replace(".", ""))] = commodity.hs_code
        names = _translations(_lazy(MINERAL_NAMES.get(commodity.mineral, commodity.mineral)))
        for name in [commodity.mineral, *names]:
            minerals.setdefault(fold(name), commodity.hs_code)
    return {
        "kind": of(Site.Kind.choices),
        "mining_method": of(Site.MiningMethod.choices),
        "processing_method": of(Site.ProcessingMethod.choices),
        "minerals": minerals,
    }


def import_site_data(
    user,
    organisation,
    content: bytes,
    name: str,
    mapping_content: bytes,
    mapping_name: str = "mapping.yaml",
    *,
    progress: Progress | None = None,
    via: str = "web",
) -> ImportReport:
    if not may_import(user, organisation, "sites"):
        raise PermissionDenied(_("Your role does not allow importing sites here."))
    report = ImportReport("site_data", name)
    run = start_run(organisation, "site_data", name, content, user, via)
    try:
        mapping, problems = load_mapping(mapping_content, mapping_name)
        if problems:
            report.problems = problems
            return report
        table = read_table(content, name)
        if table.problems:
            report.problems = table.problems
            return report
        rows, problems = map_rows(table, mapping, site_vocabularies())
        if problems:
            report.problems = problems
            return report
        report.notes += absent_fields(table, mapping)
        with transaction.atomic():
            _apply(organisation, mapping, rows, report, name, run, progress)
            if report.problems:
                transaction.set_rollback(True)
    finally:
        if not report.ok:
            report.fail()
        finish_run(run, report)
    return report


def _fingerprint(row: SiteRow) -> str:
    content = [
        row.observed_on.isoformat() if row.observed_on else "",
        row.fields,
        row.attributes,
        row.geometry,
    ]
    return hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()
    ).hexdigest()


def _apply(organisation, mapping, rows: list[SiteRow], report, name, run, progress) -> None:
    observations = SiteObservation.objects.filter(
        organisation=organisation, source=mapping.name, source_id__in={r.source_id for r in rows}
    ).select_related("site")
    site_of: dict[str, Site] = {}
    latest: dict[int, date | None] = {}
    seen: set[tuple] = set()
    for observation in observations:
        site_of[observation.source_id] = observation.site
        seen.add((observation.site_id, observation.source_id, observation.fingerprint))
        known = latest.get(observation.site_id)
        if observation.observed_on and (known is None or observation.observed_on > known):
            latest[observation.site_id] = observation.observed_on
    by_code = {
        s.site_code: s
        for s in Site.objects.filter(
            organisation=organisation, site_code__in={r.site_code for r in rows}
        )
    }
    commodities = {c.hs_code: c for c in Commodity.objects.all()}
    ordered = sorted(rows, key=lambda r: (r.source_id, r.observed_on or date.min, r.line))
    for index, row in enumerate(ordered):
        if progress and index % 200 == 0:
            progress(index, len(ordered))
        fingerprint = _fingerprint(row)
        site = site_of.get(row.source_id) or by_code.get(row.site_code)
        label = f"{row.site_code} ({row.observed_on or ''})".replace(" ()", "")
        if site is not None and (site.pk, row.source_id, fingerprint) in seen:
            report.unchanged.append(label)
            continue
        new = site is None
        if new:
            site = Site(organisation=organisation, site_code=row.site_code, attributes={})
        newest = latest.get(site.pk) if not new else None
        older = row.observed_on is not None and newest is not None and row.observed_on < newest
        if not older:
            for field in UPDATABLE:
                if field in row.fields:
                    value = row.fields[field]
                    setattr(site, field, Decimal(str(value)) if field == "area_ha" else value)
            if row.geometry is not None:
                site.geometry = row.geometry
            site.attributes = {**(site.attributes or {}), **row.attributes}
            try:
                site.clean_fields(exclude=["organisation", "id"])
                site.clean()
            except ValidationError as error:
                report.problems += validation_problems(error, name, row.line)
                continue
            site.save()
            if "minerals" in row.fields:
                site.commodities.set([commodities[c] for c in row.fields["minerals"]])
            if row.observed_on:
                latest[site.pk] = row.observed_on
        else:
            report.notes.append(
                Problem(
                    mapping.date_column,
                    gettext_noop("An older visit: kept in the site's history only."),
                    {"value": row.observed_on.isoformat()},
                    name,
                    row.line,
                )
            )
        SiteObservation.objects.create(
            organisation=organisation,
            site=site,
            source=mapping.name,
            source_id=row.source_id,
            observed_on=row.observed_on,
            fields=json.loads(json.dumps(row.fields, default=str)),
            attributes=row.attributes,
            geometry=row.geometry,
            fingerprint=fingerprint,
            run=run,
        )
        seen.add((site.pk, row.source_id, fingerprint))
        site_of[row.source_id] = site
        (report.created if new else report.updated).append(label)
    if progress:
        progress(len(ordered), len(ordered))
