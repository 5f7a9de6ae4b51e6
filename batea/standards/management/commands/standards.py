"""`batea standards validate|import|list|show|retire` — standards as data, for operators."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from batea.domain.standards.catalogue import text
from batea.standards import services
from batea.standards.models import Standard, StandardVersion


class Command(BaseCommand):
    help = "Validate, import, list, show and retire standard catalogues and crosswalks."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        validate = sub.add_parser("validate", help="Check catalogue and crosswalk files.")
        validate.add_argument("files", nargs="+")
        importer = sub.add_parser("import", help="Import catalogue and crosswalk files.")
        importer.add_argument("files", nargs="*")
        importer.add_argument(
            "--shipped",
            action="store_true",
            help="Import the catalogues and crosswalks shipped with Batea.",
        )
        listing = sub.add_parser("list", help="List standards and their versions.")
        listing.add_argument("--json", action="store_true")
        show = sub.add_parser("show", help="Show one standard version.")
        show.add_argument("id", help="The standard's id, e.g. fairmined-style-progressive")
        show.add_argument("--version", help="Default: the newest published version.")
        show.add_argument("--json", action="store_true")
        show.add_argument("--language", default="en")
        retire = sub.add_parser("retire", help="Retire a version (kept, no longer current).")
        retire.add_argument("id")
        retire.add_argument("version")

    def handle(self, *args, subcommand, **options):
        getattr(self, f"do_{subcommand}")(**options)

    def _files(self, options) -> list[tuple[str, bytes]]:
        paths = list(options.get("files") or [])
        if options.get("shipped"):
            paths += services.shipped_files()
        if not paths:
            raise CommandError("Name files to import, or --shipped.")
        try:
            return services.read_paths(paths)
        except OSError as error:
            raise CommandError(str(error)) from error

    def _fail(self, problems) -> None:
        for problem in problems:
            self.stderr.write(str(problem))
        self.stderr.write(f"{len(problems)} problem(s); nothing imported.")
        sys.exit(1)

    def do_validate(self, **options):
        catalogues, crosswalks, problems = services.validate_files(self._files(options))
        if problems:
            self._fail(problems)
        for name, catalogue in catalogues:
            self.stdout.write(
                f"{name}: OK — {catalogue.id} {catalogue.version}, "
                f"{len(catalogue.requirements)} requirements, "
                f"{len(catalogue.levels)} levels"
            )
        for name, crosswalk in crosswalks:
            self.stdout.write(
                f"{name}: OK — crosswalk {crosswalk.id}, {len(crosswalk.mappings)} mappings"
            )

    def do_import(self, **options):
        report = services.import_files(self._files(options))
        if not report.ok:
            self._fail(report.problems)
        for label in report.created:
            self.stdout.write(f"imported {label}")
        for label in report.unchanged:
            self.stdout.write(f"unchanged {label}")

    def do_list(self, **options):
        versions = StandardVersion.objects.select_related("standard").order_by(
            "standard__code", "imported_at"
        )
        rows = [
            {
                "id": v.standard.code,
                "version": v.version,
                "status": v.status,
                "title": text(v.title, "en"),
                "requirements": v.requirements.count(),
            }
            for v in versions
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            self.stdout.write("No standards imported. Try: batea standards import --shipped")
        for row in rows:
            self.stdout.write(
                f"{row['id']:<32} {row['version']:<8} {row['status']:<10} "
                f"{row['requirements']:>4}  {row['title']}"
            )

    def _version(self, code: str, version: str | None) -> StandardVersion:
        versions = StandardVersion.objects.filter(standard__code=code)
        if version:
            found = versions.filter(version=version).first()
        else:
            found = (
                versions.filter(status="published").order_by("-imported_at").first()
                or versions.order_by("-imported_at").first()
            )
        if found is None:
            known = ", ".join(Standard.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No such standard version: {code} {version or ''} (known: {known})")
        return found

    def do_show(self, **options):
        version = self._version(options["id"], options.get("version"))
        if options["json"]:
            self.stdout.write(json.dumps(version.document, ensure_ascii=False, indent=2))
            return
        language = options["language"]
        with translation.override(language):
            catalogue = version.catalogue()
            self.stdout.write(
                f"{text(catalogue.title, language)} — {version.version} ({version.status})"
            )
            self.stdout.write(text(catalogue.document["standard"]["source"], language))
            for chapter_id, title in catalogue.chapters:
                self.stdout.write(f"\n{chapter_id}  {text(title, language)}")
                for r in catalogue.requirements:
                    if r.chapter == chapter_id:
                        variants = f" [{', '.join(r.variants)}]" if r.variants else ""
                        self.stdout.write(
                            f"  {r.id:<12} {r.kind:<11} year {r.binding_year}  {r.applies_to:<12}"
                            f" {text(r.title, language)}{variants}"
                        )
            self.stdout.write("\nLevels:")
            for level in catalogue.levels:
                self.stdout.write(
                    f"  {level.id:<28} {text(level.title, language)}  {json.dumps(level.rule)}"
                )

    def do_retire(self, **options):
        version = self._version(options["id"], options["version"])
        if version.status == "retired":
            self.stdout.write(f"{version} was already retired.")
            return
        version.retire()
        self.stdout.write(f"retired {version}")
