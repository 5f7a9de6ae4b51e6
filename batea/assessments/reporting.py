"""Pathway results as plain data for the API, the CLI and the PDF report."""

from batea.domain.pathway.engine import LevelResult, StandardResult
from batea.domain.standards.catalogue import text
from batea.registry.models import explain


def level_data(result: LevelResult, language: str = "en") -> dict:
    return {
        "id": result.level.id,
        "title": text(result.level.title, language),
        "met": result.met,
        "year_limit": result.year_limit,
        "requirements_considered": result.considered,
        "development_average": result.development_average,
        "development_average_min": result.development_average_min,
        "eligibility": [
            {"rule": rule, "met": ok, "value": value} for rule, ok, value in result.eligibility
        ],
        "blocking": [
            {
                "requirement": b.requirement.id,
                "title": text(b.requirement.title, language),
                "kind": b.requirement.kind,
                "applies_to": b.requirement.applies_to,
                "status": b.status,
                "source": b.source,
                "source_kind": b.answer.kind if b.answer else "",
                "source_date": b.answer.assessed_on.isoformat() if b.answer else "",
                "reused_from": b.answer.reused_from if b.answer else None,
                "compliant": b.compliant
                if b.requirement.applies_to in ("member", "site")
                else None,
                "applicable": b.applicable
                if b.requirement.applies_to in ("member", "site")
                else None,
                "failing": list(b.failing),
            }
            for b in result.blocking
        ],
    }


def standard_data(result: StandardResult, language: str = "en") -> dict:
    current = result.current_level
    return {
        "standard": result.standard,
        "title": text(result.title, language),
        "version": result.version,
        "evaluated_on": result.evaluated_on.isoformat(),
        "years_since_entry": result.years_since_entry,
        "current_level": current.level.id if current else None,
        "levels": [level_data(level, language) for level in result.levels],
        "next_steps": [
            {
                "requirement": step.requirement.id,
                "title": text(step.requirement.title, language),
                "kind": step.requirement.kind,
                "due": step.due.isoformat(),
                "level": step.level,
                "reason": explain(step.reason),
            }
            for step in result.next_steps
        ],
        "upcoming": [
            {"requirement": o.requirement.id, "binding_on": o.binding_on.isoformat()}
            for o in result.upcoming
        ],
    }
