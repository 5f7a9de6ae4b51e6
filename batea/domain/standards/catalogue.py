"""A standard version as data: parse, validate and model a catalogue file."""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from batea.domain.messages import Problem, gettext_noop
from batea.domain.standards.schema import (
    CATALOGUE_SCHEMA,
    DEFAULT_ASSURANCE_MODELS,
    schema_problems,
)
from batea.domain.standards.source import Path, Source, parse_yaml

TEXT_KEYS = frozenset(
    {"title", "guidance", "description", "summary", "source", "licence_note", "note"}
)
Text = dict[str, str]


@dataclass(frozen=True)
class Requirement:
    id: str
    chapter: str
    title: Text
    guidance: Text
    applies_to: str
    kind: str
    binding_year: int
    scoring: str
    variants: tuple[str, ...] = ()
    risk_tags: tuple[str, ...] = ()
    rollup: dict | None = None
    order: int = 0

    def applies_in(self, variant: str | None) -> bool:
        """Requirements without variants apply to every variant and to the base standard."""
        return not self.variants or variant in self.variants


@dataclass(frozen=True)
class Level:
    id: str
    title: Text
    rule: dict
    order: int


@dataclass
class Catalogue:
    """One validated version of a standard."""

    id: str
    version: str
    title: Text
    status: str
    languages: tuple[str, ...]
    document: dict
    requirements: list[Requirement] = field(default_factory=list)
    levels: list[Level] = field(default_factory=list)

    @property
    def checksum(self) -> str:
        return checksum(self.document)

    @property
    def chapters(self) -> list[tuple[str, Text]]:
        return [(c["id"], c["title"]) for c in self.document["chapters"]]

    def requirement(self, requirement_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == requirement_id), None)


def checksum(document: Any) -> str:
    """SHA-256 of the document's canonical JSON: layout and comments do not count."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def text(value: Text | None, language: str, fallback: str = "en") -> str:
    """A translatable text in `language`, else the fallback language, else any."""
    if not value:
        return ""
    return value.get(language) or value.get(fallback) or next(iter(value.values()))


def load_catalogue(content: str | bytes, name: str = "") -> tuple[Catalogue | None, list[Problem]]:
    """Parse and validate a catalogue; returns it only when there is no problem at all."""
    source = parse_yaml(content, name)
    if source.problems:
        return None, source.problems
    if not isinstance(source.data, dict):
        return None, [source.problem((), gettext_noop("A catalogue must be a YAML mapping."))]
    problems = schema_problems(source, CATALOGUE_SCHEMA)
    if problems:
        return None, problems
    problems = semantic_problems(source)
    if problems:
        return None, problems
    return build(source.data), []


def build(data: dict) -> Catalogue:
    requirements = []
    for chapter in data["chapters"]:
        for raw in chapter["requirements"]:
            requirements.append(
                Requirement(
                    id=raw["id"],
                    chapter=chapter["id"],
                    title=raw["title"],
                    guidance=raw["guidance"],
                    applies_to=raw["applies_to"],
                    kind=raw["kind"],
                    binding_year=raw["binding_year"],
                    scoring=raw["scoring"],
                    variants=tuple(raw.get("variants", ())),
                    risk_tags=tuple(raw.get("risk_tags", ())),
                    rollup=raw.get("rollup"),
                    order=len(requirements),
                )
            )
    levels = [
        Level(raw["id"], raw["title"], raw["rule"], index)
        for index, raw in enumerate(data["levels"])
    ]
    meta = data["standard"]
    return Catalogue(
        id=meta["id"],
        version=meta["version"],
        title=meta["title"],
        status=meta["status"],
        languages=tuple(meta["languages"]),
        document=data,
        requirements=requirements,
        levels=levels,
    )


def semantic_problems(source: Source) -> list[Problem]:
    """Checks of meaning that a schema cannot express."""
    data = source.data
    problems: list[Problem] = []
    problems += _duplicate_ids(source)
    problems += _missing_translations(source)
    variants = {v["id"] for v in data.get("variants", [])}
    requirements = {r["id"]: r for chapter in data["chapters"] for r in chapter["requirements"]}
    eligibility = {e["id"] for e in data.get("eligibility", [])}
    for c, chapter in enumerate(data["chapters"]):
        for r, requirement in enumerate(chapter["requirements"]):
            path: Path = ("chapters", c, "requirements", r)
            for v, variant in enumerate(requirement.get("variants", [])):
                if variant not in variants:
                    problems.append(
                        source.problem(
                            (*path, "variants", v),
                            gettext_noop("Unknown variant %(id)s; declare it under variants."),
                            {"id": variant},
                        )
                    )
            if "rollup" in requirement and requirement["applies_to"] not in ("member", "site"):
                problems.append(
                    source.problem(
                        (*path, "rollup"),
                        gettext_noop("A roll-up rule only applies to member or site requirements."),
                    )
                )
            rollup = requirement.get("rollup", {})
            if rollup.get("rule") == "share" and "min_share" not in rollup:
                problems.append(
                    source.problem(
                        (*path, "rollup"), gettext_noop("A share roll-up needs min_share.")
                    )
                )
    for index, level in enumerate(data["levels"]):
        problems += _level_problems(source, index, level, requirements, variants, eligibility)
    problems += _policy_problems(source, variants)
    return problems


def _duplicate_ids(source: Source) -> list[Problem]:
    data = source.data
    groups: dict[str, list[tuple[Path, str]]] = {
        "requirement": [
            (("chapters", c, "requirements", r, "id"), req["id"])
            for c, chapter in enumerate(data["chapters"])
            for r, req in enumerate(chapter["requirements"])
        ],
        "chapter": [(("chapters", c, "id"), ch["id"]) for c, ch in enumerate(data["chapters"])],
    }
    for key in ("levels", "variants", "eligibility", "sanctions"):
        groups[key] = [((key, i, "id"), item["id"]) for i, item in enumerate(data.get(key, []))]
    groups["premiums"] = [
        (("prices", "premiums", i, "id"), item["id"])
        for i, item in enumerate(data.get("prices", {}).get("premiums", []))
    ]
    problems = []
    for entries in groups.values():
        counts = Counter(value for _, value in entries)
        seen: set[str] = set()
        for path, value in entries:
            if counts[value] > 1 and value in seen:
                problems.append(
                    source.problem(
                        path, gettext_noop("The id %(id)s is used more than once."), {"id": value}
                    )
                )
            seen.add(value)
    return problems


def _missing_translations(source: Source) -> list[Problem]:
    meta = source.data["standard"]
    languages = list(meta["languages"])
    problems = []
    if meta["language"] not in languages:
        problems.append(
            source.problem(
                ("standard", "languages"),
                gettext_noop("The source language %(language)s must be among the languages."),
                {"language": meta["language"]},
            )
        )

    def walk(node: Any, path: Path) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in TEXT_KEYS and isinstance(value, dict):
                    missing = [lang for lang in languages if lang not in value]
                    if missing:
                        problems.append(
                            source.problem(
                                (*path, key),
                                gettext_noop("Translation missing for %(languages)s."),
                                {"languages": ", ".join(missing)},
                            )
                        )
                else:
                    walk(value, (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, index))

    walk(source.data, ())
    return problems


def _level_problems(source, index, level, requirements, variants, eligibility) -> list[Problem]:
    rule = level["rule"]
    path: Path = ("levels", index, "rule")
    problems = []
    for i, requirement_id in enumerate(rule.get("requirements", [])):
        if requirement_id not in requirements:
            problems.append(
                source.problem(
                    (*path, "requirements", i),
                    gettext_noop("Level %(level)s names the unknown requirement %(id)s."),
                    {"level": level["id"], "id": requirement_id},
                )
            )
    chapters = {c["id"] for c in source.data["chapters"]}
    for i, chapter_id in enumerate(rule.get("chapters", [])):
        if chapter_id not in chapters:
            problems.append(
                source.problem(
                    (*path, "chapters", i),
                    gettext_noop("Level %(level)s names the unknown chapter %(id)s."),
                    {"level": level["id"], "id": chapter_id},
                )
            )
    if "variant" in rule and rule["variant"] not in variants:
        problems.append(
            source.problem(
                (*path, "variant"), gettext_noop("Unknown variant %(id)s."), {"id": rule["variant"]}
            )
        )
    for i, rule_id in enumerate(rule.get("eligibility", [])):
        if rule_id not in eligibility:
            problems.append(
                source.problem(
                    (*path, "eligibility", i),
                    gettext_noop("Unknown eligibility rule %(id)s."),
                    {"id": rule_id},
                )
            )
    kinds = set(rule["kinds"])
    if not any(r["kind"] in kinds for r in requirements.values()):
        problems.append(
            source.problem(
                (*path, "kinds"),
                gettext_noop("No requirement has any of the kinds %(kinds)s."),
                {"kinds": ", ".join(rule["kinds"])},
            )
        )
    if "development_average_min" in rule and not any(
        r["scoring"] == "scale_1_5" for r in requirements.values()
    ):
        problems.append(
            source.problem(
                (*path, "development_average_min"),
                gettext_noop("A score threshold needs requirements scored on the 1–5 scale."),
            )
        )
    return problems


def _policy_problems(source: Source, variants: set[str]) -> list[Problem]:
    data = source.data
    problems = []
    for i, rule in enumerate(data.get("eligibility", [])):
        if "max" not in rule and "min" not in rule:
            problems.append(
                source.problem(
                    ("eligibility", i), gettext_noop("An eligibility rule needs a max or a min.")
                )
            )
    sampling = data.get("sampling")
    if sampling and sampling["method"] == "percentage" and "percentage" not in sampling:
        problems.append(
            source.problem(("sampling",), gettext_noop("The percentage method needs a percentage."))
        )
    models = data.get("assurance", {}).get("models", DEFAULT_ASSURANCE_MODELS)
    if sampling and "ics_group" not in models:
        problems.append(
            source.problem(
                ("assurance", "models"),
                gettext_noop(
                    "A sampling policy is for group certification: add ics_group to the "
                    "assurance models or remove the sampling section."
                ),
            )
        )
    for i, premium in enumerate(data.get("prices", {}).get("premiums", [])):
        if "variant" in premium and premium["variant"] not in variants:
            problems.append(
                source.problem(
                    ("prices", "premiums", i, "variant"),
                    gettext_noop("Unknown variant %(id)s."),
                    {"id": premium["variant"]},
                )
            )
        if premium["rule"] == "percent_of_price" and premium["amount"] > 100:
            problems.append(
                source.problem(
                    ("prices", "premiums", i, "amount"),
                    gettext_noop("A percentage of the price cannot exceed 100."),
                )
            )
    return problems
