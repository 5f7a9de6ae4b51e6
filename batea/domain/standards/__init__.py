"""Standards as data: the catalogue and crosswalk file formats, their validation and model.

A catalogue is one version of a standard written as YAML (see docs/standards-format.md).
`load_catalogue` and `load_crosswalk` parse, check against the schema, then check meaning
(unique ids, references, ranges, translations), and report every problem with file, line
and path. Nothing here imports Django.
"""

from batea.domain.standards.catalogue import (
    Catalogue,
    Level,
    Requirement,
    load_catalogue,
)
from batea.domain.standards.crosswalk import Crosswalk, Mapping, load_crosswalk
from batea.domain.standards.source import detect_kind

__all__ = [
    "Catalogue",
    "Crosswalk",
    "Level",
    "Mapping",
    "Requirement",
    "detect_kind",
    "load_catalogue",
    "load_crosswalk",
]
