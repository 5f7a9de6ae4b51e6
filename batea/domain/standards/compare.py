"""What changed between two versions of a standard."""

from dataclasses import dataclass, field

from batea.domain.standards.catalogue import Requirement

COMPARED_FIELDS = (
    "title",
    "guidance",
    "applies_to",
    "kind",
    "binding_year",
    "scoring",
    "variants",
    "risk_tags",
    "rollup",
    "chapter",
)


@dataclass
class VersionDiff:
    added: list[Requirement] = field(default_factory=list)
    removed: list[Requirement] = field(default_factory=list)
    changed: list[tuple[Requirement, Requirement, tuple[str, ...]]] = field(default_factory=list)
    unchanged: int = 0


def compare_requirements(old: list[Requirement], new: list[Requirement]) -> VersionDiff:
    """Requirements added, removed and changed (with the fields that changed), by id."""
    before = {r.id: r for r in old}
    after = {r.id: r for r in new}
    diff = VersionDiff(
        added=[r for r in new if r.id not in before],
        removed=[r for r in old if r.id not in after],
    )
    for requirement in new:
        previous = before.get(requirement.id)
        if previous is None:
            continue
        fields = tuple(
            f for f in COMPARED_FIELDS if getattr(previous, f) != getattr(requirement, f)
        )
        if fields:
            diff.changed.append((previous, requirement, fields))
        else:
            diff.unchanged += 1
    return diff
