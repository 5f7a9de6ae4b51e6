"""Rows of synthetic supply chains, in the shape `batea.custody.services` stores them.

One chain is 38 custody events: eight doré lots produced at an ASMO's site by its members,
shipped to the ASMO's collector and received (16), merged four by four (2), shipped to a
trader and received (4), merged into one (1), shipped to a refinery and received (2),
refined (1), split in two halves (1), one half split into two bars (1), both bars sold to
the exporter (2). The other half stays in the refinery's stock. Events that do not fill a
whole chain are single productions held by the ASMO.

The arithmetic follows `batea.domain.custody.lots`: fine content = mass × fineness / 1000;
a merge's fineness is the weighted mean rounded down to 6 places; a split's links carry the
children's fine content, a merge's and a refining's the inputs' whole fine content; what is
not passed on is the event's loss.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

from batea.synth.plan import Asmo, Ids, Picker, Request, noon

Row = dict[str, Any]
TABLES = ("lots", "events", "uses", "links", "origins", "sales")
MILLIGRAM = Decimal("0.001")
REFINED = Decimal("999.9")
HISTORY_DAYS = 3 * 365
CENT = Decimal("0.01")


def reference_price(day: date) -> Decimal:
    """A synthetic monthly reference price in USD per troy ounce (not a real series)."""
    month = day.year * 12 + day.month
    return Decimal(2000 + (month * 37) % 600)


def fine(mass: Decimal, fineness: Decimal) -> Decimal:
    return mass * fineness / 1000


def merged_fineness(lots: list[Row]) -> Decimal:
    """Weighted mean fineness, rounded down to 6 places (exact, as the domain does)."""
    total_fine = sum((Fraction(lot["fine_g"]) for lot in lots), Fraction(0))
    total_mass = sum((Fraction(lot["mass_g"]) for lot in lots), Fraction(0))
    return Decimal(math.floor(total_fine * 1000 / total_mass * 10**6)) / 10**6


class Chains:
    """Generates chains into per-table row lists; `take()` hands them over and resets."""

    def __init__(self, request: Request, ids: Ids, picker: Picker, buyers: dict) -> None:
        self.request = request
        self.ids = ids
        self.picker = picker
        self.buyers = buyers
        self.rng = random.Random(f"synth-custody-{request.seed}")
        self.lot_count = 0
        self.event_count = 0
        self.rows: dict[str, list[Row]] = {t: [] for t in TABLES}
        self.sale_count = 0
        self.bars: list[str] = []  # codes of the first sold bars, for the load test

    def take(self) -> dict[str, list[Row]]:
        rows, self.rows = self.rows, {t: [] for t in TABLES}
        return rows

    # Rows ----------------------------------------------------------------------------

    def lot(self, holder, kind: str, mass: Decimal, fineness: Decimal, origin: Asmo, site, day):
        self.lot_count += 1
        row = {
            "id": self.ids.of("lot", self.lot_count),
            "code": f"SYN{self.request.seed}-{self.lot_count:09d}",
            "organisation_id": holder,
            "consignee_id": None,
            "origin_organisation_id": origin.id,
            "kind": kind,
            "mineral": "gold",
            "mass_g": mass,
            "fineness": fineness,
            "fine_g": fine(mass, fineness),
            "status": "consumed",
            "claim_version_id": None,
            "claim_variant": "",
            "custody_model": "",
            "site_id": None,
            "produced_on": None,
            "origin_sites": [str(site)],
            "created_at": noon(day),
        }
        self.rows["lots"].append(row)
        return row

    def event(self, kind: str, organisation, day: date, **extra: Any) -> Row:
        self.event_count += 1
        row = {
            "id": self.ids.of("event", self.event_count),
            "kind": kind,
            "organisation_id": organisation,
            "counterparty_id": extra.get("counterparty_id"),
            "occurred_on": day,
            "operation": extra.get("operation", ""),
            "site_id": extra.get("site_id"),
            "loss_fine_g": extra.get("loss_fine_g", Decimal(0)),
            "note": "",
            "recorded_by_id": self.request.clerk_id,
            "recorded_at": noon(day) + timedelta(microseconds=self.event_count % 1_000_000),
        }
        self.rows["events"].append(row)
        return row

    def use(self, event: Row, lot: Row, use: str, holder) -> None:
        self.rows["uses"].append(
            {"event_id": event["id"], "lot_id": lot["id"], "use": use, "holder_id": holder}
        )

    def link(self, event: Row, parent: Row, child: Row, fine_g: Decimal) -> None:
        self.rows["links"].append(
            {
                "event_id": event["id"],
                "parent_id": parent["id"],
                "child_id": child["id"],
                "fine_g": fine_g,
            }
        )

    # Steps ---------------------------------------------------------------------------

    def produce(self, asmo: Asmo, site, day: date) -> Row:
        rng = self.rng
        mass = Decimal(rng.randint(50_000, 900_000)) * MILLIGRAM
        lot = self.lot(asmo.id, "dore", mass, Decimal(rng.randint(780, 920)), asmo, site, day)
        lot.update(site_id=site, produced_on=day, status="active")
        event = self.event("production", asmo.id, day, site_id=site)
        self.use(event, lot, "produced", asmo.id)
        for index in rng.sample(range(asmo.size), min(asmo.size, rng.choice((1, 2, 2, 3)))):
            self.rows["origins"].append(
                {
                    "lot_id": lot["id"],
                    "member_id": asmo.member_id(self.ids, index),
                    "miner_days": Decimal(rng.randint(200, 6000)) / 100,
                }
            )
        return lot

    def move(self, lot: Row, to, day: date) -> None:
        """Shipment then receipt a day later: the receiver becomes the holder."""
        sender = lot["organisation_id"]
        shipped = self.event("shipment", sender, day, counterparty_id=to)
        self.use(shipped, lot, "shipped", sender)
        received = self.event("receipt", to, day + timedelta(days=1), counterparty_id=sender)
        self.use(received, lot, "received", to)
        lot["organisation_id"] = to

    def merge(self, lots: list[Row], origin: Asmo, site, day: date) -> Row:
        holder = lots[0]["organisation_id"]
        mass = sum((lot["mass_g"] for lot in lots), Decimal(0))
        out = self.lot(holder, "dore", mass, merged_fineness(lots), origin, site, day)
        loss = sum((lot["fine_g"] for lot in lots), Decimal(0)) - out["fine_g"]
        event = self.event("merge", holder, day, loss_fine_g=loss)
        for lot in lots:
            lot["status"] = "consumed"
            self.use(event, lot, "consumed", holder)
            self.link(event, lot, out, lot["fine_g"])
        return out

    def refine(self, lot: Row, origin: Asmo, site, day: date) -> Row:
        holder = lot["organisation_id"]
        target = lot["fine_g"] * Decimal("0.985") / (REFINED / 1000)
        mass = target.quantize(MILLIGRAM, rounding=ROUND_FLOOR)
        out = self.lot(holder, "fine_gold", mass, REFINED, origin, site, day)
        loss = lot["fine_g"] - out["fine_g"]
        event = self.event("transformation", holder, day, operation="refining", loss_fine_g=loss)
        lot["status"] = "consumed"
        self.use(event, lot, "consumed", holder)
        self.link(event, lot, out, lot["fine_g"])
        return out

    def split(self, lot: Row, origin: Asmo, site, day: date) -> list[Row]:
        holder = lot["organisation_id"]
        half = (lot["mass_g"] / 2).quantize(MILLIGRAM, rounding=ROUND_FLOOR)
        parts = [
            self.lot(holder, lot["kind"], half, lot["fineness"], origin, site, day) for _ in "ab"
        ]
        loss = lot["fine_g"] - sum((p["fine_g"] for p in parts), Decimal(0))
        event = self.event("split", holder, day, loss_fine_g=loss)
        lot["status"] = "consumed"
        self.use(event, lot, "consumed", holder)
        for part in parts:
            self.link(event, lot, part, part["fine_g"])
        return parts

    def sell(self, lot: Row, buyer, day: date) -> None:
        seller = lot["organisation_id"]
        event = self.event("sale", seller, day, counterparty_id=buyer)
        self.use(event, lot, "sold", seller)
        lot.update(status="sold", consignee_id=buyer)
        stamp = noon(day)
        reference = reference_price(day)
        price = (reference * Decimal(self.rng.randint(920, 990)) / 1000).quantize(CENT)
        self.rows["sales"].append(
            {
                "id": self.ids.of("sale", self.sale_count + 1),
                "event_id": event["id"],
                "lot_id": lot["id"],
                "seller_id": seller,
                "buyer_id": buyer,
                "sold_on": day,
                "fine_g": lot["fine_g"],
                "usd_per_troy_oz": price,
                "reference_usd_per_troy_oz": reference,
                "minimum_price_ok": True,
                "premium_rule": "",
                "premium_owed": Decimal(0),
                "premium_currency": "USD",
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        self.sale_count += 1
        if len(self.bars) < 1_000:
            self.bars.append(lot["code"])

    # Whole chains --------------------------------------------------------------------

    def start_day(self, number: int, total: int) -> date:
        """Chains start spread over the last three years, oldest first."""
        offset = HISTORY_DAYS - (number * HISTORY_DAYS) // max(1, total)
        return self.request.today - timedelta(days=max(14, offset))

    def chain(self, number: int, total: int, collector_of) -> None:
        """One whole chain of 38 events, from an ASMO drawn by its size."""
        rng, asmo = self.rng, self.picker.draw(self.rng)
        site = rng.choice(asmo.sites)
        day = self.start_day(number, total)
        buyers = self.buyers
        produced = [self.produce(asmo, site, day) for _ in range(8)]
        collector = collector_of(asmo)["id"]
        for lot in produced:
            self.move(lot, collector, day + timedelta(days=1))
        tier1 = [
            self.merge(group, asmo, site, day + timedelta(days=3))
            for group in (produced[:4], produced[4:])
        ]
        trader = buyers["trader"][rng.randrange(len(buyers["trader"]))]["id"]
        for lot in tier1:
            self.move(lot, trader, day + timedelta(days=4))
        tier2 = self.merge(tier1, asmo, site, day + timedelta(days=6))
        refinery = buyers["refinery"][number % len(buyers["refinery"])]["id"]
        self.move(tier2, refinery, day + timedelta(days=7))
        refined = self.refine(tier2, asmo, site, day + timedelta(days=9))
        kept, rest = self.split(refined, asmo, site, day + timedelta(days=10))
        rest["status"] = "active"
        bars = self.split(kept, asmo, site, day + timedelta(days=11))
        exporter = buyers["exporter"][0]["id"]
        for bar in bars:
            self.sell(bar, exporter, day + timedelta(days=12))

    def single(self, number: int) -> None:
        """One production event whose lot stays with the ASMO (the events left over)."""
        asmo = self.picker.draw(self.rng)
        day = self.request.today - timedelta(days=1 + number % 30)
        self.produce(asmo, self.rng.choice(asmo.sites), day)
