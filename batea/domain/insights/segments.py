"""Segments: a small filter language over member and organisation attributes.

    gender = female and role in (panner, selector) and licence != formal
    age in (18-24, 25-34) and country = CO and level >= 1

A definition is clauses joined by `and`; a clause is `field = value`, `field != value`,
`field in (v1, v2, …)`, `field not in (…)`, or for the ordered field `level` also `<`, `<=`,
`>`, `>=`. Fields:

| field | about | values |
| --- | --- | --- |
| gender | member | female, male, other, undisclosed |
| role | member | owner, worker, processor, selector, panner, trader, other |
| status | member | applicant, approved, conditional, suspended, excluded, left |
| age | member | age bands: under-18, 18-24, 25-34, 35-44, 45-54, 55-64, 65-plus, unknown |
| licence | organisation | formalisation status: formal, partial, in_process, informal |
| country | organisation | ISO 3166-1 alpha-2 code, e.g. CO |
| level | organisation | rungs climbed on the default ladder, 0 to its number of rungs |

Keywords and values are case-insensitive. Without a `status` clause a segment counts the
current members (applicant, approved, conditional, suspended), not those excluded or gone.
An empty definition is every current member.

Stored as data: {"clauses": [{"field": "gender", "op": "in", "values": ["female"]}, …]},
`=` and `!=` stored as `in` and `not_in` of one value. `describe` writes the text back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from batea.domain.countries import is_country_code
from batea.domain.messages import Problem, gettext_noop

MEMBER_FIELDS = ("gender", "role", "status", "age")
ORGANISATION_FIELDS = ("licence", "country", "level")
FIELDS = MEMBER_FIELDS + ORGANISATION_FIELDS
ORDERED = frozenset({"level"})
SET_OPS = ("in", "not_in")
ORDER_OPS = ("<", "<=", ">", ">=")
OPS = SET_OPS + ORDER_OPS
CURRENT_STATUSES = ("applicant", "approved", "conditional", "suspended")
MAX_CLAUSES = 20
MAX_VALUES = 60
MAX_TEXT = 1000

_TOKEN = re.compile(r"\s*(?:(?P<punct>[(),])|(?P<op>!=|>=|<=|=|<|>)|(?P<word>[A-Za-z0-9_+\-]+))")


@dataclass(frozen=True)
class Vocabulary:
    """The values each field may take: the registry's choices, the age bands, the
    formalisation statuses, and the number of rungs of the ladder (levels 0 to `levels`)."""

    values: Mapping[str, tuple[str, ...]]
    levels: int


def _problem(path: str, template: str, **params: Any) -> Problem:
    return Problem(path, template, params)


def check(definition: Any, vocabulary: Vocabulary) -> list[Problem]:
    """Every problem of a stored definition (its shape, fields, operators and values)."""
    if not isinstance(definition, dict) or not isinstance(definition.get("clauses"), list):
        return [_problem("definition", gettext_noop("A segment definition is a list of clauses."))]
    clauses = definition["clauses"]
    problems: list[Problem] = []
    if len(clauses) > MAX_CLAUSES:
        problems.append(
            _problem(
                "definition",
                gettext_noop("A segment has at most %(limit)s clauses."),
                limit=MAX_CLAUSES,
            )
        )
    for index, clause in enumerate(clauses):
        problems += _check_clause(clause, f"clauses[{index}]", vocabulary)
    return problems


def _check_clause(clause: Any, path: str, vocabulary: Vocabulary) -> list[Problem]:
    if not isinstance(clause, dict):
        return [_problem(path, gettext_noop("A clause names a field, an operator and values."))]
    field, op, values = clause.get("field"), clause.get("op"), clause.get("values")
    if field not in FIELDS:
        return [
            _problem(
                f"{path}.field",
                gettext_noop("Unknown field “%(field)s”; known fields: %(known)s."),
                field=str(field),
                known=", ".join(FIELDS),
            )
        ]
    problems = []
    if op not in OPS:
        problems.append(
            _problem(
                f"{path}.op",
                gettext_noop("Unknown operator “%(op)s” for %(field)s."),
                op=str(op),
                field=field,
            )
        )
    elif op in ORDER_OPS and field not in ORDERED:
        problems.append(
            _problem(
                f"{path}.op",
                gettext_noop(
                    "%(field)s has no order: use =, !=, in or not in (only level compares "
                    "with <, <=, > and >=)."
                ),
                field=field,
            )
        )
    if not isinstance(values, list) or not values:
        problems.append(_problem(f"{path}.values", gettext_noop("Give at least one value.")))
        return problems
    if len(values) > MAX_VALUES:
        problems.append(
            _problem(
                f"{path}.values",
                gettext_noop("At most %(limit)s values in one clause."),
                limit=MAX_VALUES,
            )
        )
    if op in ORDER_OPS and len(values) != 1:
        problems.append(
            _problem(f"{path}.values", gettext_noop("A comparison takes exactly one value."))
        )
    for position, value in enumerate(values):
        problem = _check_value(field, value, f"{path}.values[{position}]", vocabulary)
        if problem:
            problems.append(problem)
    return problems


def _check_value(field: str, value: Any, path: str, vocabulary: Vocabulary) -> Problem | None:
    if field == "level":
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not (0 <= value <= vocabulary.levels)
        ):
            return _problem(
                path,
                gettext_noop("Level “%(value)s” is not a number from 0 to %(levels)s."),
                value=str(value),
                levels=vocabulary.levels,
            )
        return None
    if field == "country":
        if not isinstance(value, str) or value != value.upper() or not is_country_code(value):
            return _problem(
                path,
                gettext_noop("“%(value)s” is not an ISO 3166-1 alpha-2 country code (e.g. CO)."),
                value=str(value),
            )
        return None
    known = vocabulary.values.get(field, ())
    if value not in known:
        return _problem(
            path,
            gettext_noop("%(field)s cannot be “%(value)s”; it is one of: %(known)s."),
            field=field,
            value=str(value),
            known=", ".join(known),
        )
    return None


def parse(text: str, vocabulary: Vocabulary) -> tuple[dict | None, list[Problem]]:
    """The definition written in `text`, or None and every problem found."""
    text = text or ""
    if len(text) > MAX_TEXT:
        return None, [
            _problem(
                "filter",
                gettext_noop("A filter has at most %(limit)s characters."),
                limit=MAX_TEXT,
            )
        ]
    tokens, problem = _tokens(text)
    if problem:
        return None, [problem]
    clauses: list[dict] = []
    problems: list[Problem] = []
    position = 0
    while position < len(tokens):
        clause, position, problem = _clause(tokens, position)
        if problem:
            return None, [problem]
        clauses.append(clause)
        if position < len(tokens):
            kind, word, at = tokens[position]
            if kind != "word" or word.lower() != "and":
                return None, [_unexpected(word, at, gettext_noop("“and”"))]
            position += 1
            if position == len(tokens):
                return None, [_end(gettext_noop("a clause after “and”"))]
    definition = {"clauses": clauses}
    problems = check(definition, vocabulary)
    return (None, problems) if problems else (definition, [])


def _tokens(text: str) -> tuple[list[tuple[str, str, int]], Problem | None]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if not match:
            start = len(text) - len(text[position:].lstrip())
            return [], _problem(
                "filter",
                gettext_noop("Unexpected “%(found)s” at character %(at)s."),
                found=text[start],
                at=start + 1,
            )
        kind = match.lastgroup or "word"
        tokens.append((kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    return tokens, None


def _unexpected(found: str, at: int, expected: str) -> Problem:
    return _problem(
        "filter",
        gettext_noop("Expected %(expected)s at character %(at)s, found “%(found)s”."),
        expected=expected,
        at=at,
        found=found,
    )


def _end(expected: str) -> Problem:
    return _problem(
        "filter",
        gettext_noop("The filter ends too early: expected %(expected)s."),
        expected=expected,
    )


def _clause(tokens, position: int) -> tuple[dict, int, Problem | None]:
    kind, field, at = tokens[position]
    if kind != "word":
        return {}, position, _unexpected(field, at, gettext_noop("a field"))
    field = field.lower()
    position += 1
    if position >= len(tokens):
        return {}, position, _end(gettext_noop("an operator"))
    kind, word, at = tokens[position]
    lowered = word.lower()
    if kind == "op":
        op = {"=": "in", "!=": "not_in"}.get(word, word)
        position += 1
        if position >= len(tokens):
            return {}, position, _end(gettext_noop("a value"))
        kind, value, at = tokens[position]
        if kind != "word":
            return {}, position, _unexpected(value, at, gettext_noop("a value"))
        return {"field": field, "op": op, "values": [_value(field, value)]}, position + 1, None
    if kind == "word" and lowered in ("in", "not"):
        op = "in"
        if lowered == "not":
            position += 1
            if position >= len(tokens) or tokens[position][1].lower() != "in":
                found = tokens[position] if position < len(tokens) else None
                if found is None:
                    return {}, position, _end(gettext_noop("“in” after “not”"))
                return {}, position, _unexpected(found[1], found[2], gettext_noop("“in”"))
            op = "not_in"
        position += 1
        values, position, problem = _list(tokens, position, field)
        return {"field": field, "op": op, "values": values}, position, problem
    return {}, position, _unexpected(word, at, gettext_noop("an operator (=, !=, in, not in)"))


def _list(tokens, position: int, field: str) -> tuple[list, int, Problem | None]:
    if position >= len(tokens):
        return [], position, _end(gettext_noop("“(”"))
    kind, word, at = tokens[position]
    if word != "(":
        return [], position, _unexpected(word, at, gettext_noop("“(”"))
    position += 1
    values: list = []
    while True:
        if position >= len(tokens):
            return [], position, _end(gettext_noop("a value or “)”"))
        kind, word, at = tokens[position]
        if kind != "word":
            return [], position, _unexpected(word, at, gettext_noop("a value"))
        values.append(_value(field, word))
        position += 1
        if position >= len(tokens):
            return [], position, _end(gettext_noop("“,” or “)”"))
        kind, word, at = tokens[position]
        position += 1
        if word == ")":
            return values, position, None
        if word != ",":
            return [], position, _unexpected(word, at, gettext_noop("“,” or “)”"))


def _value(field: str, word: str) -> Any:
    if field == "level" and word.isdigit():
        return int(word)
    if field == "country":
        return word.upper()
    return word.lower()


def describe(definition: Mapping) -> str:
    """The definition as filter text (parsing it gives the definition back)."""
    parts = []
    for clause in definition.get("clauses", []):
        field, op, values = clause["field"], clause["op"], clause["values"]
        if op in ORDER_OPS:
            parts.append(f"{field} {op} {values[0]}")
        elif len(values) == 1:
            parts.append(f"{field} {'=' if op == 'in' else '!='} {values[0]}")
        else:
            listed = ", ".join(str(v) for v in values)
            parts.append(f"{field} {'in' if op == 'in' else 'not in'} ({listed})")
    return " and ".join(parts)


def from_choices(choices: Mapping[str, Iterable]) -> dict:
    """A definition from a form: for each field the values ticked (none ticked: any)."""
    clauses = []
    for field in FIELDS:
        values = list(dict.fromkeys(choices.get(field) or ()))
        if values:
            clauses.append({"field": field, "op": "in", "values": values})
    return {"clauses": clauses}


def effective(definition: Mapping) -> dict:
    """The definition as counted: current members only unless a clause names statuses."""
    clauses = list(definition.get("clauses", []))
    if not any(clause["field"] == "status" for clause in clauses):
        clauses.append({"field": "status", "op": "in", "values": list(CURRENT_STATUSES)})
    return {"clauses": clauses}


def holds(clause: Mapping, value: Any) -> bool:
    """Whether one clause holds for a value of its field."""
    op, values = clause["op"], clause["values"]
    if op == "in":
        return value in values
    if op == "not_in":
        return value not in values
    if value is None:
        return False
    limit = values[0]
    return {
        "<": value < limit,
        "<=": value <= limit,
        ">": value > limit,
        ">=": value >= limit,
    }[op]


def matches(definition: Mapping, record: Mapping[str, Any]) -> bool:
    """Whether a member (its fields and its organisation's, as a record) is in the segment."""
    return all(holds(c, record.get(c["field"])) for c in effective(definition)["clauses"])


def level_values(clause: Mapping, levels: int) -> list[int]:
    """The levels (0 to `levels`) a `level` clause admits."""
    return [level for level in range(levels + 1) if holds(clause, level)]
