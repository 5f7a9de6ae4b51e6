"""Problems reported by domain checks, translatable by the presentation layer."""

from dataclasses import dataclass, field
from typing import Any


def gettext_noop(message: str) -> str:
    """Mark a message for extraction by `makemessages` without translating it here."""
    return message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with some input: where it is, and what a person should read.

    `template` is an English message with %(name)s placeholders filled from `params`; the
    web and API layers translate the template before filling it.
    """

    path: str
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # a file name, when the input came from a file
    line: int | None = None  # 1-based line in that file, when known

    @property
    def message(self) -> str:
        return self.template % self.params if self.params else self.template

    @property
    def location(self) -> str:
        """ "file:line: path" — as much of it as is known."""
        where = self.source
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        return ": ".join(part for part in (where, self.path) if part)

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message
