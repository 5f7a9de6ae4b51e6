"""Minimum price and premium owed on a sale, by the rules of a standard's `prices` section.

The `prices` section is the catalogue's (see `batea.domain.standards.schema`):
`minimum_price: {reference, percent}` and `premiums: [{id, metal, rule, amount, currency?,
variant?}]` with `rule` either `per_kg_fine` (`amount` in `currency` per kg of fine metal) or
`percent_of_price` (`amount` % of the reference price of the fine metal sold).

Prices paid and reference prices are both in USD per troy ounce of fine metal, the unit of
the reference series (`prices.PricePoint`), so the minimum-price check compares like with
like; `prices.usd_per_troy_oz` converts a price per gram.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from batea.domain.custody.prices import (
    GRAMS_PER_KG,
    TROY_OUNCE_G,
    PriceError,
)
from batea.domain.messages import Problem, gettext_noop

DEFAULT_MINIMUM_PERCENT = Decimal(95)  # issue 6: 95% of the reference unless the standard says
CENT = Decimal("0.01")
HUNDRED = Decimal(100)

# Why a premium was or was not owed (data for the presentation layer to word).
VARIANT_PREMIUM = "variant_premium"  # the premium of the sale's variant (e.g. ecological)
BASE_PREMIUM = "base_premium"  # the premium for the metal without a variant
NO_PREMIUM = "no_premium"  # the standard declares no premium for this metal


@dataclass(frozen=True)
class Sale:
    """A sale of fine metal: `fine_g` grams of fine content at `usd_per_troy_oz` paid."""

    metal: str  # gold | silver | platinum
    fine_g: Decimal
    usd_per_troy_oz: Decimal  # price paid per troy ounce of fine metal
    on: date
    variant: str | None = None  # e.g. "ecological", when the lot is claimed as such


@dataclass(frozen=True)
class MinimumPriceCheck:
    """The floor a sale's price is held to and whether the price paid reaches it."""

    percent: Decimal  # of the reference price
    from_standard: bool  # False when the 95% default applied
    reference_usd_per_troy_oz: Decimal
    floor_usd_per_troy_oz: Decimal
    paid_usd_per_troy_oz: Decimal
    ok: bool
    shortfall_usd_per_troy_oz: Decimal  # zero when ok
    shortfall_usd: Decimal  # over the fine content sold, to the cent; zero when ok


@dataclass(frozen=True)
class PremiumOwed:
    """The premium owed on a sale and the arithmetic behind it: amount = rate × base.

    per_kg_fine: rate in `currency` per kg, base in kg of fine metal.
    percent_of_price: rate in %, base the reference value of the fine metal sold in USD
    (so amount = rate / 100 × base).
    """

    amount: Decimal  # to the cent
    currency: str
    reason: str  # VARIANT_PREMIUM | BASE_PREMIUM | NO_PREMIUM
    premium_id: str | None = None
    rule: str | None = None  # per_kg_fine | percent_of_price
    rate: Decimal = Decimal(0)
    base: Decimal = Decimal(0)
    variant: str | None = None  # the variant of the premium applied


def minimum_price_check(
    prices: Mapping[str, Any] | None, sale: Sale, reference_usd_per_troy_oz: Decimal
) -> MinimumPriceCheck:
    """Whether `sale` was paid at least the standard's minimum share of the reference price.

    The share is `prices.minimum_price.percent`, or 95% when the standard declares none.
    Raises PriceError for a non-positive price, reference or fine weight.
    """
    _check_sale(sale, reference_usd_per_troy_oz)
    declared = (prices or {}).get("minimum_price")
    percent = _decimal(declared["percent"]) if declared else DEFAULT_MINIMUM_PERCENT
    floor = reference_usd_per_troy_oz * percent / HUNDRED
    shortfall = max(floor - sale.usd_per_troy_oz, Decimal(0))
    return MinimumPriceCheck(
        percent=percent,
        from_standard=bool(declared),
        reference_usd_per_troy_oz=reference_usd_per_troy_oz,
        floor_usd_per_troy_oz=floor,
        paid_usd_per_troy_oz=sale.usd_per_troy_oz,
        ok=shortfall == 0,
        shortfall_usd_per_troy_oz=shortfall,
        shortfall_usd=_cents(shortfall * sale.fine_g / TROY_OUNCE_G),
    )


def premium_owed(
    prices: Mapping[str, Any] | None, sale: Sale, reference_usd_per_troy_oz: Decimal
) -> PremiumOwed:
    """The premium owed on `sale` under the standard's premium rules.

    The premium declared for the sale's metal and variant wins; otherwise the one for the
    metal without a variant; if neither exists, zero with reason NO_PREMIUM. The premium is
    paid on top of the price, so the price paid does not enter the sum.
    """
    _check_sale(sale, reference_usd_per_troy_oz)
    premium, reason = choose_premium((prices or {}).get("premiums") or [], sale)
    if premium is None:
        return PremiumOwed(Decimal(0), "USD", reason)
    rate = _decimal(premium["amount"])
    if premium["rule"] == "per_kg_fine":
        base = sale.fine_g / GRAMS_PER_KG
        amount, currency = rate * base, premium.get("currency", "USD")
    else:  # percent_of_price: of the reference value, which is in USD
        base = reference_usd_per_troy_oz * sale.fine_g / TROY_OUNCE_G
        amount, currency = rate / HUNDRED * base, "USD"
    return PremiumOwed(
        amount=_cents(amount),
        currency=currency,
        reason=reason,
        premium_id=premium["id"],
        rule=premium["rule"],
        rate=rate,
        base=base,
        variant=premium.get("variant"),
    )


def choose_premium(
    premiums: list[Mapping[str, Any]], sale: Sale
) -> tuple[Mapping[str, Any] | None, str]:
    """The premium that applies to `sale` and why (VARIANT_PREMIUM, BASE_PREMIUM, NO_PREMIUM)."""
    for_metal = [p for p in premiums if p.get("metal") == sale.metal]
    if sale.variant is not None:
        for premium in for_metal:
            if premium.get("variant") == sale.variant:
                return premium, VARIANT_PREMIUM
    for premium in for_metal:
        if premium.get("variant") is None:
            return premium, BASE_PREMIUM
    return None, NO_PREMIUM


def _check_sale(sale: Sale, reference: Decimal) -> None:
    problems = [
        Problem(
            path,
            gettext_noop("%(field)s must be a positive number; it is %(value)s."),
            {"field": path, "value": value},
        )
        for path, value in (
            ("fine_g", sale.fine_g),
            ("usd_per_troy_oz", sale.usd_per_troy_oz),
            ("reference_usd_per_troy_oz", reference),
        )
        if not (value.is_finite() and value > 0)
    ]
    if problems:
        raise PriceError(problems)


def _decimal(number: int | float | str | Decimal) -> Decimal:
    """A catalogue number (YAML gives int or float) as the decimal it was written as."""
    return number if isinstance(number, Decimal) else Decimal(str(number))


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)
