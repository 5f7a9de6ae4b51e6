"""Reading YAML safely: no duplicate keys, and a map from document paths to line numbers."""

from dataclasses import dataclass, field
from typing import Any

import yaml

from batea.domain.messages import Problem, gettext_noop

MAX_SOURCE_BYTES = 2 * 1024 * 1024
Path = tuple[str | int, ...]


class _DuplicateKey(yaml.MarkedYAMLError):
    pass


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of silently keeping the last one."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, Any] = {}
        for key_node, _value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _DuplicateKey(
                    "while constructing a mapping",
                    node.start_mark,
                    "keys must be plain words or numbers",
                    key_node.start_mark,
                )
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise _DuplicateKey(
                    "while constructing a mapping",
                    node.start_mark,
                    f"duplicate key {key!r}",
                    key_node.start_mark,
                )
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


# Dates stay strings (the schema checks their form); YAML's implicit timestamps are surprising.
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Source:
    """A parsed document with where each part of it came from."""

    name: str
    data: Any = None
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())

    def problem(self, path: Path, template: str, params: dict | None = None) -> Problem:
        return Problem(format_path(path), template, params or {}, self.name, self.line_of(path))


def format_path(path: Path) -> str:
    """("chapters", 2, "title") → "chapters[2].title"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _line_map(node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _line_map(value_node, (*path, key_node.value), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)


def parse_yaml(text: str | bytes, name: str) -> Source:
    """Parse YAML text into a Source; problems explain malformed input."""
    source = Source(name)
    if isinstance(text, bytes):
        if len(text) > MAX_SOURCE_BYTES:
            source.problems.append(
                source.problem(
                    (),
                    gettext_noop("The file is larger than %(limit)s MB."),
                    {"limit": MAX_SOURCE_BYTES // 2**20},
                )
            )
            return source
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            source.problems.append(source.problem((), gettext_noop("The file is not UTF-8 text.")))
            return source
    try:
        # Aliases (&a / *a) are refused: catalogues do not need them and they let a tiny
        # file expand into an enormous document.
        for event in yaml.parse(text, Loader=StrictLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                source.problems.append(
                    Problem(
                        "",
                        gettext_noop("YAML aliases (*name) are not allowed; write the value out."),
                        {},
                        name,
                        mark.line + 1,
                    )
                )
                return source
        node = yaml.compose(text, Loader=StrictLoader)
        source.data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 (a SafeLoader)
    except RecursionError:
        source.problems.append(
            Problem("", gettext_noop("The document is nested too deeply."), {}, name)
        )
        return source
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        source.problems.append(
            Problem(
                "",
                gettext_noop("Malformed YAML: %(error)s"),
                {"error": error.problem or str(error)},
                name,
                mark.line + 1 if mark else None,
            )
        )
        return source
    except yaml.YAMLError as error:
        source.problems.append(
            Problem("", gettext_noop("Malformed YAML: %(error)s"), {"error": str(error)}, name)
        )
        return source
    if node is not None:
        _line_map(node, (), source.lines)
    if not _keys_are_strings(source.data):
        source.problems.append(
            Problem(
                "",
                gettext_noop("Every key must be a word (numbers and true/false are not keys)."),
                {},
                name,
            )
        )
    return source


def _keys_are_strings(node: Any) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return False
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def detect_kind(data: Any) -> str | None:
    """ "catalogue", "crosswalk" or None, from the document's format marker."""
    if isinstance(data, dict):
        if "batea_catalogue" in data:
            return "catalogue"
        if "batea_crosswalk" in data:
            return "crosswalk"
    return None
