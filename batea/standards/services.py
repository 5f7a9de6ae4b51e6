"""Importing catalogues and crosswalks: all files validated first, then one transaction."""

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from batea.domain.messages import Problem, gettext_noop
from batea.domain.standards import Catalogue, Crosswalk, detect_kind, load_catalogue
from batea.domain.standards import crosswalk as crosswalk_domain
from batea.domain.standards.source import parse_yaml
from batea.standards.models import (
    Crosswalk as CrosswalkRow,
)
from batea.standards.models import (
    CrosswalkMapping,
    Requirement,
    Standard,
    StandardVersion,
)

SHIPPED_DIR = Path(__file__).resolve().parent / "catalogues"


@dataclass
class ImportReport:
    """What an import did (or would do), or why it did nothing."""

    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def shipped_files() -> list[Path]:
    """The catalogues and crosswalks that come with Batea (catalogues first)."""
    return sorted(SHIPPED_DIR.glob("*.yaml")) + sorted(SHIPPED_DIR.glob("crosswalks/*.yaml"))


def validate_files(files: list[tuple[str, bytes]]):
    """Validate catalogues and crosswalks together; crosswalks may name catalogues in the
    same batch or already imported. Returns (catalogues, crosswalks, problems)."""
    catalogues: list[tuple[str, Catalogue]] = []
    pending_crosswalks: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    for name, content in files:
        source = parse_yaml(content, name)
        if source.problems:
            problems += source.problems
            continue
        kind = detect_kind(source.data)
        if kind == "catalogue":
            catalogue, found = load_catalogue(content, name)
            problems += found
            if catalogue:
                catalogues.append((name, catalogue))
        elif kind == "crosswalk":
            pending_crosswalks.append((name, content))
        else:
            problems.append(
                Problem(
                    "",
                    gettext_noop(
                        "Not a Batea file: it needs a batea_catalogue or batea_crosswalk key."
                    ),
                    source=name,
                )
            )
    batch = {(c.id, c.version): {r.id for r in c.requirements} for _, c in catalogues}

    def lookup(standard: str, version: str) -> set[str] | None:
        if (standard, version) in batch:
            return batch[(standard, version)]
        codes = list(
            Requirement.objects.filter(
                version__standard__code=standard, version__version=version
            ).values_list("code", flat=True)
        )
        return set(codes) if codes else None

    crosswalks: list[tuple[str, Crosswalk]] = []
    for name, content in pending_crosswalks:
        crosswalk, found = crosswalk_domain.load_crosswalk(content, lookup, name)
        problems += found
        if crosswalk:
            crosswalks.append((name, crosswalk))
    return catalogues, crosswalks, problems


def import_files(files: list[tuple[str, bytes]], user=None, owner=None) -> ImportReport:
    """Import catalogues and crosswalks. Any problem in any file: nothing is written.

    Importing a version that exists with the same content changes nothing; with different
    content it is refused, because recorded answers point at that version.
    `owner`: the standard-owner organisation importing from the web; it must own the
    standards it imports into.
    """
    catalogues, crosswalks, problems = validate_files(files)
    report = ImportReport(problems=problems)
    if problems:
        return report
    with transaction.atomic():
        for name, catalogue in catalogues:
            _import_catalogue(name, catalogue, user, owner, report)
        if not report.problems:
            for name, crosswalk in crosswalks:
                _import_crosswalk(name, crosswalk, report, owner)
        if report.problems:
            transaction.set_rollback(True)
            report.created.clear()
            report.unchanged.clear()
    return report


def _owner_for(catalogue: Catalogue, owner, name: str, report: ImportReport):
    from batea.registry.models import Organisation

    slug = catalogue.document["standard"].get("owner")
    if owner is not None:
        if slug and slug != owner.slug:
            report.problems.append(
                Problem(
                    "standard.owner",
                    gettext_noop(
                        "This catalogue names %(slug)s as owner; you import for %(mine)s."
                    ),
                    {"slug": slug, "mine": owner.slug},
                    name,
                )
            )
        return owner
    if slug:
        found = Organisation.objects.filter(slug=slug, kind="standard_owner").first()
        if found is None:
            report.problems.append(
                Problem(
                    "standard.owner",
                    gettext_noop("No standard-owner organisation %(slug)s is registered."),
                    {"slug": slug},
                    name,
                )
            )
        return found
    return None


def _import_catalogue(name, catalogue: Catalogue, user, owner, report: ImportReport) -> None:
    label = f"{catalogue.id} {catalogue.version}"
    owner = _owner_for(catalogue, owner, name, report)
    standard = Standard.objects.select_for_update().filter(code=catalogue.id).first()
    if standard is None:
        standard = Standard.objects.create(
            code=catalogue.id,
            title=catalogue.title,
            owner=owner,
            kind=catalogue.document["standard"].get("kind", ""),
        )
    elif owner is not None and standard.owner_id != owner.pk:
        # Standards without an owner are managed by the operator (batea standards import).
        report.problems.append(
            Problem(
                "standard.id",
                gettext_noop("The standard %(id)s belongs to another organisation."),
                {"id": catalogue.id},
                name,
            )
        )
        return
    existing = StandardVersion.objects.filter(standard=standard, version=catalogue.version).first()
    if existing is not None:
        if existing.checksum == catalogue.checksum:
            report.unchanged.append(label)
        else:
            report.problems.append(
                Problem(
                    "standard.version",
                    gettext_noop(
                        "Version %(version)s of %(id)s was already imported with different "
                        "content; give the changed catalogue a new version."
                    ),
                    {"version": catalogue.version, "id": catalogue.id},
                    name,
                )
            )
        return
    version = StandardVersion.objects.create(
        standard=standard,
        version=catalogue.version,
        status=catalogue.status,
        title=catalogue.title,
        languages=list(catalogue.languages),
        document=catalogue.document,
        checksum=catalogue.checksum,
        imported_by=user,
    )
    chapters = dict(catalogue.chapters)
    Requirement.objects.bulk_create(
        Requirement(
            version=version,
            code=r.id,
            chapter=r.chapter,
            chapter_title=chapters[r.chapter],
            title=r.title,
            guidance=r.guidance,
            applies_to=r.applies_to,
            kind=r.kind,
            binding_year=r.binding_year,
            scoring=r.scoring,
            variants=list(r.variants),
            risk_tags=list(r.risk_tags),
            rollup=r.rollup,
            order=r.order,
        )
        for r in catalogue.requirements
    )
    Standard.objects.filter(pk=standard.pk).update(title=catalogue.title)
    report.created.append(label)


def _import_crosswalk(name, crosswalk: Crosswalk, report: ImportReport, owner=None) -> None:
    if (
        owner is not None
        and not Standard.objects.filter(code=crosswalk.target[0], owner=owner).exists()
    ):
        # A crosswalk changes how answers count towards its target standard: only the
        # target's owner (or the operator) may publish one.
        report.problems.append(
            Problem(
                "to",
                gettext_noop("Only the owner of %(standard)s can publish crosswalks into it."),
                {"standard": crosswalk.target[0]},
                name,
            )
        )
        return
    existing = CrosswalkRow.objects.filter(code=crosswalk.id).first()
    if existing is not None:
        if existing.checksum == crosswalk.checksum:
            report.unchanged.append(crosswalk.id)
        else:
            report.problems.append(
                Problem(
                    "id",
                    gettext_noop(
                        "Crosswalk %(id)s was already imported with different content; give the "
                        "changed crosswalk a new id."
                    ),
                    {"id": crosswalk.id},
                    name,
                )
            )
        return
    source = StandardVersion.objects.get(
        standard__code=crosswalk.source[0], version=crosswalk.source[1]
    )
    target = StandardVersion.objects.get(
        standard__code=crosswalk.target[0], version=crosswalk.target[1]
    )
    row = CrosswalkRow.objects.create(
        code=crosswalk.id,
        title=crosswalk.title,
        source=source,
        target=target,
        document=crosswalk.document,
        checksum=crosswalk.checksum,
    )
    source_ids = dict(Requirement.objects.filter(version=source).values_list("code", "id"))
    target_ids = dict(Requirement.objects.filter(version=target).values_list("code", "id"))
    CrosswalkMapping.objects.bulk_create(
        CrosswalkMapping(
            crosswalk=row,
            source_id=source_ids[m.source],
            target_id=target_ids[m.target],
            relation=m.relation,
            note=m.note,
        )
        for m in crosswalk.mappings
    )
    report.created.append(crosswalk.id)


def read_paths(paths: list[str | Path]) -> list[tuple[str, bytes]]:
    return [(str(path), Path(path).read_bytes()) for path in paths]
