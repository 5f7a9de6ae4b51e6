"""What an import did, or why it did nothing, and the log entry it leaves."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from batea.domain.fielddata.cells import shorten
from batea.domain.messages import Problem

Progress = Callable[[int, int], None]


@dataclass
class ImportReport:
    kind: str
    file_name: str = ""
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)  # advice; does not stop the import
    run: object = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self) -> None:
        """Nothing was written: forget what would have been."""
        self.created.clear()
        self.updated.clear()
        self.unchanged.clear()


def validation_problems(
    error: ValidationError, source: str, line: int | None, columns: dict[str, str] | None = None
) -> list[Problem]:
    """A Django ValidationError from a model or service as row problems. `columns` maps
    model fields to the file's column names."""
    columns = columns or {}
    problems = []
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                for message in item.messages:
                    problems.append(
                        Problem(
                            columns.get(name, "" if name == "__all__" else name),
                            "%(message)s",
                            {"message": message, "value": ""},
                            source,
                            line,
                        )
                    )
    else:
        for message in error.messages:
            problems.append(Problem("", "%(message)s", {"message": message}, source, line))
    return problems


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def start_run(organisation, kind: str, name: str, content: bytes, user, via: str):
    """Log an import attempt before it runs, outside its transaction: a failed import
    leaves this entry (with its problem count) and nothing else."""
    from batea.fielddata.models import ImportRun

    return ImportRun.objects.create(
        organisation=organisation,
        kind=kind,
        file_name=shorten(name or "upload", 250),
        file_sha256=file_digest(content),
        user=user if getattr(user, "pk", None) else None,
        via=via,
    )


def finish_run(run, report: ImportReport) -> None:
    run.ok = report.ok
    run.created = len(report.created)
    run.updated = len(report.updated)
    run.unchanged = len(report.unchanged)
    run.problems = len(report.problems)
    run.save(update_fields=["ok", "created", "updated", "unchanged", "problems"])
    report.run = run
