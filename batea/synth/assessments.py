"""Rows of synthetic assessments: for each ASMO a self-assessment of the organisation, an
ICS inspection of each site and one of each member, all submitted, against one standard.

Every subject has exactly one final assessment, so each of its current answers is the one
the pathway engine would choose: `deciding` is written as True directly (the same result as
`batea.assessments.deciding.rebuild`, which the tests check).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from batea.synth.plan import Asmo, Ids, Request, noon

Row = dict[str, Any]
STANDARD = "fairmined-style-progressive"


class Requirements:
    """The requirements of a version, by what they apply to: (id, scoring, kind)."""

    def __init__(self, version) -> None:
        from batea.standards.models import Requirement

        rows = Requirement.objects.filter(version=version).order_by("order")
        self.by_scope: dict[str, list[tuple[int, str, str]]] = {}
        for r in rows.values_list("id", "scoring", "kind", "applies_to"):
            self.by_scope.setdefault(r[3], []).append(r[:3])

    def of(self, scope: str) -> list[tuple[int, str, str]]:
        return self.by_scope.get(scope, [])


def import_standard():
    """Import the shipped catalogues (unchanged if there) and return the version to assess."""
    from batea.assessments import pathway
    from batea.standards import services

    report = services.import_files(services.read_paths(services.shipped_files()))
    if not report.ok:
        raise RuntimeError(f"importing the shipped catalogues failed: {report.problems}")
    version = pathway.current_version(STANDARD)
    if version is None:
        raise RuntimeError(f"no version of {STANDARD} after the import")
    return version


class Assessments:
    """Generates assessments and answers; numbering is global so ids are deterministic."""

    def __init__(self, request: Request, ids: Ids, version, requirements: Requirements) -> None:
        self.request = request
        self.ids = ids
        self.version_id = version.pk
        self.requirements = requirements
        self.assessments = 0
        self.answers = 0

    def per_member(self) -> int:
        return len(self.requirements.of("member"))

    def of_asmo(self, asmo: Asmo) -> Iterator[tuple[list[Row], list[Row]]]:
        """(assessments, answers) of one ASMO, in slices of at most 5,000 subjects."""
        rng = random.Random(f"synth-assessments-{self.request.seed}-{asmo.number}")
        fail = rng.choice((0.0, 0.01, 0.03, 0.08))
        subjects: list[tuple[str, Any]] = [("organisation", None)]
        subjects += [("site", site) for site in asmo.sites]
        subjects += [("member", asmo.member_id(self.ids, i)) for i in range(asmo.size)]
        for start in range(0, len(subjects), 5_000):
            assessments, answers = [], []
            for scope, subject in subjects[start : start + 5_000]:
                self._one(rng, asmo, scope, subject, fail, assessments, answers)
            yield assessments, answers

    def _one(self, rng, asmo, scope, subject, fail, assessments, answers) -> None:
        self.assessments += 1
        assessment_id = self.ids.of("assessment", self.assessments)
        day = self.request.today - timedelta(days=rng.randint(1, 330))
        stamp = noon(day)
        assessments.append(
            {
                "id": assessment_id,
                "organisation_id": asmo.id,
                "version_id": self.version_id,
                "kind": "self" if scope == "organisation" else "ics",
                "subject_type": scope,
                "member_id": subject if scope == "member" else None,
                "site_id": subject if scope == "site" else None,
                "assessor_id": self.request.inspector_id,
                "assessed_on": day,
                "status": "submitted",
                "submitted_at": stamp,
                "reviewed_at": None,
                "reviewed_by_id": None,
                "notes": "",
                "cost": None,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        for requirement_id, scoring, kind in self.requirements.of(scope):
            self.answers += 1
            value, score = "compliant", None
            if scoring == "scale_1_5":
                value, score = "", rng.randint(2, 5)
            elif rng.random() < fail:
                value = "non_compliant"
            elif kind != "core" and rng.random() < 0.02:
                value = "not_applicable"
            answers.append(
                {
                    "id": self.ids.of("answer", self.answers),
                    "assessment_id": assessment_id,
                    "requirement_id": requirement_id,
                    "value": value,
                    "score": score,
                    "notes": "",
                    "evidence": "",
                    "latitude": None,
                    "longitude": None,
                    "answered_by_id": self.request.inspector_id,
                    "answered_at": stamp,
                    "current": True,
                    "supersedes_id": None,
                    "correction_reason": "",
                    "deciding": True,
                }
            )
