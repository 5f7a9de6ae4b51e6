"""Crosswalks: equivalent or partly equivalent requirements across two standard versions."""

from collections.abc import Callable
from dataclasses import dataclass

from batea.domain.messages import Problem, gettext_noop
from batea.domain.standards.catalogue import TEXT_KEYS, checksum
from batea.domain.standards.schema import CROSSWALK_SCHEMA, schema_problems
from batea.domain.standards.source import Source, parse_yaml

# (standard id, version) → the requirement ids of that version, or None if unknown.
RequirementLookup = Callable[[str, str], set[str] | None]


@dataclass(frozen=True)
class Mapping:
    source: str
    target: str
    relation: str
    note: dict | None = None


@dataclass
class Crosswalk:
    id: str
    title: dict
    source: tuple[str, str]
    target: tuple[str, str]
    mappings: list[Mapping]
    document: dict

    @property
    def checksum(self) -> str:
        return checksum(self.document)


def load_crosswalk(
    content: str | bytes, lookup: RequirementLookup, name: str = ""
) -> tuple[Crosswalk | None, list[Problem]]:
    """Parse and validate a crosswalk against the requirement ids `lookup` knows."""
    source = parse_yaml(content, name)
    if source.problems:
        return None, source.problems
    if not isinstance(source.data, dict):
        return None, [source.problem((), gettext_noop("A crosswalk must be a YAML mapping."))]
    problems = schema_problems(source, CROSSWALK_SCHEMA)
    if problems:
        return None, problems
    problems = _reference_problems(source, lookup) + _translation_problems(source)
    if problems:
        return None, problems
    data = source.data
    return Crosswalk(
        id=data["id"],
        title=data["title"],
        source=(data["from"]["standard"], data["from"]["version"]),
        target=(data["to"]["standard"], data["to"]["version"]),
        mappings=[
            Mapping(m["from"], m["to"], m["relation"], m.get("note")) for m in data["mappings"]
        ],
        document=data,
    ), []


def _reference_problems(source: Source, lookup: RequirementLookup) -> list[Problem]:
    data = source.data
    problems = []
    known = {}
    for side in ("from", "to"):
        ref = data[side]
        known[side] = lookup(ref["standard"], ref["version"])
        if known[side] is None:
            problems.append(
                source.problem(
                    (side,),
                    gettext_noop(
                        "Unknown standard version %(standard)s %(version)s: import or name its "
                        "catalogue first."
                    ),
                    {"standard": ref["standard"], "version": ref["version"]},
                )
            )
    pairs = set()
    for index, mapping in enumerate(data["mappings"]):
        for side in ("from", "to"):
            ids = known[side]
            if ids is not None and mapping[side] not in ids:
                problems.append(
                    source.problem(
                        ("mappings", index, side),
                        gettext_noop("%(id)s is not a requirement of %(standard)s %(version)s."),
                        {
                            "id": mapping[side],
                            "standard": data[side]["standard"],
                            "version": data[side]["version"],
                        },
                    )
                )
        pair = (mapping["from"], mapping["to"])
        if pair in pairs:
            problems.append(
                source.problem(
                    ("mappings", index),
                    gettext_noop("%(from)s → %(to)s is mapped more than once."),
                    {"from": pair[0], "to": pair[1]},
                )
            )
        pairs.add(pair)
    return problems


def _translation_problems(source: Source) -> list[Problem]:
    languages = source.data["languages"]
    problems = []
    entries = [((key,), source.data.get(key)) for key in TEXT_KEYS]
    entries += [
        (("mappings", i, "note"), m.get("note")) for i, m in enumerate(source.data["mappings"])
    ]
    for path, value in entries:
        if isinstance(value, dict):
            missing = [lang for lang in languages if lang not in value]
            if missing:
                problems.append(
                    source.problem(
                        path,
                        gettext_noop("Translation missing for %(languages)s."),
                        {"languages": ", ".join(missing)},
                    )
                )
    return problems
