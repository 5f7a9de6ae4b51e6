"""Age bands from birth years.

A member's age is approximated as `year - birth_year` (the age reached during the calendar
year): the registry keeps the birth year only, never the birth date, so an age may be one
year high before the birthday.
"""

from __future__ import annotations

from dataclasses import dataclass

from batea.domain.messages import gettext_noop


@dataclass(frozen=True)
class AgeBand:
    key: str
    low: int | None  # youngest age in the band, None: no lower bound
    high: int | None  # oldest age in the band, None: no upper bound
    label: str  # English, translated by the presentation layer

    def contains(self, age: int) -> bool:
        return (self.low is None or age >= self.low) and (self.high is None or age <= self.high)


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("under-18", 0, 17, gettext_noop("under 18")),
    AgeBand("18-24", 18, 24, gettext_noop("18–24")),
    AgeBand("25-34", 25, 34, gettext_noop("25–34")),
    AgeBand("35-44", 35, 44, gettext_noop("35–44")),
    AgeBand("45-54", 45, 54, gettext_noop("45–54")),
    AgeBand("55-64", 55, 64, gettext_noop("55–64")),
    AgeBand("65-plus", 65, None, gettext_noop("65 and over")),
)
UNKNOWN_AGE = AgeBand("unknown", None, None, gettext_noop("birth year not known"))
AGE_BAND_KEYS: tuple[str, ...] = tuple(band.key for band in AGE_BANDS) + (UNKNOWN_AGE.key,)
BY_KEY = {band.key: band for band in (*AGE_BANDS, UNKNOWN_AGE)}


def age_in(birth_year: int, year: int) -> int:
    """The age reached during `year`."""
    return year - birth_year


def age_band(birth_year: int | None, year: int) -> str:
    """The key of the band of someone born in `birth_year`, in `year`."""
    if birth_year is None:
        return UNKNOWN_AGE.key
    age = age_in(birth_year, year)
    for band in AGE_BANDS:
        if band.contains(age):
            return band.key
    return UNKNOWN_AGE.key  # born after `year` (a negative age): not a real age


def birth_years(key: str, year: int) -> tuple[int | None, int | None]:
    """The birth years (inclusive, None: unbounded) of the band `key` in `year`, so that a
    database can select a band with a range. The unknown band has no range."""
    band = BY_KEY[key]
    if band is UNKNOWN_AGE:
        raise ValueError("the unknown band is selected by a missing birth year")
    oldest = None if band.high is None else year - band.high
    youngest = None if band.low is None else year - band.low
    return oldest, youngest
