"""Minerals and their Harmonized System (HS) codes, as traded by artisanal miners."""

from dataclasses import dataclass

from batea.domain.messages import gettext_noop


@dataclass(frozen=True)
class Commodity:
    hs_code: str
    mineral: str
    name: str


# HS 2022 headings and subheadings relevant to ASM (ICGLR and customs practice).
COMMODITIES: tuple[Commodity, ...] = (
    Commodity("7108.12", "gold", gettext_noop("Gold, unwrought (doré, fine gold)")),
    Commodity("2616.90", "gold", gettext_noop("Precious-metal ores and concentrates (gold)")),
    Commodity("7106.91", "silver", gettext_noop("Silver, unwrought")),
    Commodity("2616.10", "silver", gettext_noop("Silver ores and concentrates")),
    Commodity("7110.11", "platinum", gettext_noop("Platinum, unwrought")),
    Commodity("2609.00", "tin", gettext_noop("Tin ores and concentrates (cassiterite)")),
    Commodity("2611.00", "tungsten", gettext_noop("Tungsten ores and concentrates (wolframite)")),
    Commodity("2615.90", "tantalum", gettext_noop("Niobium and tantalum ores (coltan)")),
    Commodity("2605.00", "cobalt", gettext_noop("Cobalt ores and concentrates")),
    Commodity("2603.00", "copper", gettext_noop("Copper ores and concentrates")),
    Commodity("7102.10", "diamond", gettext_noop("Diamonds, unsorted")),
    Commodity("7103.10", "gemstones", gettext_noop("Precious and semi-precious stones, unworked")),
)
MINERAL_NAMES = {
    "gold": gettext_noop("gold"),
    "silver": gettext_noop("silver"),
    "platinum": gettext_noop("platinum"),
    "tin": gettext_noop("tin"),
    "tungsten": gettext_noop("tungsten"),
    "tantalum": gettext_noop("tantalum"),
    "cobalt": gettext_noop("cobalt"),
    "copper": gettext_noop("copper"),
    "diamond": gettext_noop("diamond"),
    "gemstones": gettext_noop("gemstones"),
}
BY_HS_CODE = {commodity.hs_code: commodity for commodity in COMMODITIES}


def normalise_hs_code(value: str) -> str:
    """Accept "710812", "7108.12" or "7108 12" and return the dotted form "7108.12"."""
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return f"{digits[:4]}.{digits[4:6]}" if len(digits) == 6 else str(value).strip()
