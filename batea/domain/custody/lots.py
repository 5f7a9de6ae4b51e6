"""Lots of ore, concentrate, doré and fine gold, and the custody events that move them.

A `Ledger` holds lots and the events applied to them. Each event function checks
everything first and raises `CustodyError` with every problem found, changing nothing;
only then does it apply the event. The invariants the app's database must also keep:

- only the current holder acts on a lot, and only on an active one: a lot in transit,
  consumed (split, merged, transformed) or sold cannot be moved, split or consumed again;
- a transfer is a two-party handshake: shipped (in transit) until the addressee confirms;
- fine content is never created: split parts weigh at most the parent, a transformation
  yields at most the standard's bound, and every gram not passed on is recorded as a loss,
  so produced = held + in transit + sold + lost, exactly;
- a claim is only passed on as its custody model allows (see `check_claim`).

Masses are grams with at most 3 decimals, fineness parts per thousand with at most 6, both
Decimal: fine content is then exact, and conservation is checked with equality.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal, NamedTuple

from batea.domain.custody import CustodyError
from batea.domain.custody.trace import largest_remainder
from batea.domain.messages import Problem, gettext_noop

KINDS = ("ore", "concentrate", "dore", "fine_gold", "other")
MODELS = ("identity_preserved", "segregated", "mass_balance")
STATUSES = ("active", "in_transit", "consumed", "sold")
MASS_PLACES = 3  # milligrams: finer than any scale at a buying point
FINENESS_PLACES = 6
FINE_PLACES = MASS_PLACES + FINENESS_PLACES + 3  # mass × fineness / 1000 is exact to these
MAX_MASS_G = Decimal(10) ** 12  # a million tonnes: keeps Decimal arithmetic exact
INHERIT: Literal["inherit"] = "inherit"  # a claim argument: keep the inputs' common claim
ZERO = Decimal(0)


@dataclass(frozen=True)
class Claim:
    """What a lot may be sold as: certified under a standard (and variant), kept by a model."""

    standard: str
    variant: str | None = None
    model: str = "segregated"  # identity_preserved | segregated | mass_balance


@dataclass(frozen=True)
class Lot:
    id: str
    kind: str  # one of KINDS
    mineral: str  # "gold", "silver", "tin", …
    mass_g: Decimal
    fineness: Decimal  # parts per thousand, in (0, 1000]
    holder: str  # organisation id
    claim: Claim | None = None  # None: not certified
    status: str = "active"  # one of STATUSES
    consignee: str | None = None  # the addressee while in transit; the buyer once sold
    site: str | None = None  # where a produced lot was mined
    produced_on: date | None = None
    members: tuple[tuple[str, Decimal], ...] = ()  # (member id, miner-days) of a produced lot
    origin_sites: frozenset[str] = frozenset()  # every site any of its material came from

    @property
    def fine_g(self) -> Decimal:
        """Fine content in grams: mass × fineness / 1000."""
        return self.mass_g * self.fineness / 1000


class Edge(NamedTuple):
    """A child lot took `fine_g` fine grams from a parent lot (the trace's input)."""

    parent: str
    child: str
    fine_g: Decimal


@dataclass(frozen=True)
class Event:
    kind: str  # produce | ship | receive | split | merge | transform | sell
    by: str
    on: date | None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    counterparty: str | None = None  # addressee of a shipment, buyer of a sale
    loss_fine_g: Decimal = ZERO  # fine grams not passed on (refining loss, sampling, rounding)


@dataclass
class Ledger:
    """Lots by id, the events applied in order, and the parent → child edges."""

    lots: dict[str, Lot] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


@dataclass(frozen=True)
class FineBalance:
    """Where the produced fine grams are; `accounted` equals `produced` in a sound ledger."""

    produced: Decimal
    active: Decimal
    in_transit: Decimal
    sold: Decimal
    lost: Decimal

    @property
    def accounted(self) -> Decimal:
        """Active + in transit + sold + lost."""
        return self.active + self.in_transit + self.sold + self.lost


# Checks ---------------------------------------------------------------------------------


def check_lot(lot: Lot) -> list[Problem]:
    """Everything wrong with a lot's own fields (nothing about the ledger)."""
    problems = _check_amount(lot.mass_g, "mass_g", MASS_PLACES)
    problems += _check_fineness(lot.fineness, "fineness")
    problems += _check_kind(lot.kind)
    for name in ("id", "mineral", "holder"):
        if not getattr(lot, name):
            problems.append(Problem(name, gettext_noop("This field is required.")))
    if lot.status not in STATUSES:
        problems.append(
            Problem(
                "status",
                gettext_noop("Unknown lot status %(status)s; use one of %(statuses)s."),
                {"status": lot.status, "statuses": ", ".join(STATUSES)},
            )
        )
    if lot.claim is not None:
        problems += _check_claim_fields(lot.claim)
    return problems


def check_claim(inputs: Sequence[Lot], claim: Claim | None) -> list[Problem]:
    """Why `claim` cannot be made on a lot made from `inputs`, if it cannot.

    Identity preserved: every input identity-preserved under the same standard, and all the
    material from one single site. Segregated: every input certified under the same
    standard (identity-preserved or segregated). Mass balance: inputs may be mixed; whether
    the output may be sold as certified is the credit account's business (massbalance.py).
    A variant is stricter than its standard, so a variant's input may be claimed under the
    plain standard, never the reverse. No claim is always allowed.
    """
    if claim is None:
        return []
    problems = _check_claim_fields(claim)
    if problems or claim.model == "mass_balance":
        return problems
    allowed = {"identity_preserved"} if claim.model == "identity_preserved" else set(MODELS[:2])
    for i, lot in enumerate(inputs):
        problems += _check_input_claim(lot, claim, allowed, f"inputs[{i}]")
    sites = frozenset().union(*(lot.origin_sites for lot in inputs))
    if claim.model == "identity_preserved" and len(sites) != 1:
        problems.append(
            Problem(
                "claim",
                gettext_noop(
                    "An identity-preserved lot comes from one single site; these inputs come "
                    "from %(sites)s."
                ),
                {"sites": ", ".join(sorted(sites)) or "—"},
            )
        )
    return problems


def describe_claim(claim: Claim) -> str:
    """ "standard/variant (model)", for messages."""
    name = f"{claim.standard}/{claim.variant}" if claim.variant else claim.standard
    return f"{name} ({claim.model})"


# Events ---------------------------------------------------------------------------------


def produce(ledger: Ledger, lot: Lot, site: str, members: dict[str, Decimal], on: date) -> Lot:
    """Record a lot produced at `site` by `members` (member id → miner-days), held by the
    lot's holder (the producing organisation)."""
    problems = check_lot(lot) + _check_new_ids(ledger, [lot.id], "id")
    if lot.status != "active":
        problems.append(Problem("status", gettext_noop("A new lot is active.")))
    if not site:
        problems.append(Problem("site", gettext_noop("Say which site the lot was mined at.")))
    problems += _check_members(members)
    _raise_if(problems)
    stored = replace(
        lot,
        consignee=None,
        site=site,
        produced_on=on,
        members=tuple(sorted((m, Decimal(d)) for m, d in members.items())),
        origin_sites=frozenset({site}),
    )
    ledger.lots[stored.id] = stored
    ledger.events.append(Event("produce", lot.holder, on, outputs=(stored.id,)))
    return stored


def ship(ledger: Ledger, lot_id: str, by: str, to: str, on: date) -> Lot:
    """The holder sends a lot to `to`: it is in transit, still the sender's, until received."""
    problems = _check_usable(ledger, lot_id, by, "lot")
    if not to or to == by:
        problems.append(
            Problem("to", gettext_noop("Ship the lot to another organisation than the sender."))
        )
    _raise_if(problems)
    event = Event("ship", by, on, (lot_id,), counterparty=to)
    return _update(ledger, lot_id, event, status="in_transit", consignee=to)


def receive(ledger: Ledger, lot_id: str, by: str, on: date) -> Lot:
    """The addressee confirms receipt: it becomes the holder and the lot is active again."""
    lot = ledger.lots.get(lot_id)
    if lot is None:
        raise CustodyError([_no_such_lot(lot_id, "lot")])
    if lot.status != "in_transit":
        template = gettext_noop("Lot %(lot)s is not in transit, so there is nothing to receive.")
        raise CustodyError([Problem("lot", template, {"lot": lot_id})])
    if lot.consignee != by:
        template = gettext_noop(
            "Only %(to)s, to whom lot %(lot)s was shipped, can confirm its receipt."
        )
        raise CustodyError([Problem("by", template, {"to": lot.consignee, "lot": lot_id})])
    event = Event("receive", by, on, (lot_id,), counterparty=lot.holder)
    return _update(ledger, lot_id, event, status="active", holder=by, consignee=None)


def split(
    ledger: Ledger,
    lot_id: str,
    by: str,
    parts: Sequence[tuple[str, Decimal]],
    on: date | None = None,
) -> list[Lot]:
    """Split a lot into parts (new id, mass) of the same fineness and claim.

    The parts may weigh less than the lot (a sample kept, spillage): the difference is
    recorded as a loss. They may not weigh more.
    """
    problems = _check_usable(ledger, lot_id, by, "lot")
    if not parts:
        problems.append(Problem("parts", gettext_noop("Give at least one part.")))
    problems += _check_new_ids(ledger, [new_id for new_id, _ in parts], "parts")
    for i, (_, mass) in enumerate(parts):
        problems += _check_amount(mass, f"parts[{i}].mass_g", MASS_PLACES)
    parent = ledger.lots.get(lot_id)
    if not problems and parent is not None:
        total = sum((Decimal(mass) for _, mass in parts), ZERO)
        if total > parent.mass_g:
            problems.append(
                Problem(
                    "parts",
                    gettext_noop(
                        "The parts weigh %(total)s g, more than the %(mass)s g of lot %(lot)s."
                    ),
                    {"total": total, "mass": parent.mass_g, "lot": lot_id},
                )
            )
    _raise_if(problems)
    assert parent is not None
    children = [
        replace(parent, id=new_id, mass_g=Decimal(mass), site=None, produced_on=None, members=())
        for new_id, mass in parts
    ]
    _record(ledger, "split", by, on, [parent], children, [[c.fine_g] for c in children])
    return children


def merge(
    ledger: Ledger,
    lot_ids: Sequence[str],
    by: str,
    new_id: str,
    claim: Claim | None | Literal["inherit"],
    on: date | None = None,
    kind: str | None = None,
) -> Lot:
    """Combine lots of one mineral into a new lot: the masses add up, the fineness is the
    weighted mean (rounded down to 6 places, the rounding recorded as a loss).

    `claim` is the new lot's claim, checked by `check_claim`; INHERIT keeps the claim every
    input shares. `kind` defaults to the inputs' common kind.
    """
    inputs, problems = _check_inputs(ledger, lot_ids, by, minimum=2)
    problems += _check_new_ids(ledger, [new_id], "new_id")
    kind = kind or _common(lot.kind for lot in inputs)
    if kind is None:
        problems.append(Problem("kind", gettext_noop("Say the kind of the merged lot.")))
    else:
        problems += _check_kind(kind)
    claim, claim_problems = _resolve_claim(inputs, claim)
    problems += claim_problems
    _raise_if(problems)
    assert kind is not None
    mass = sum((lot.mass_g for lot in inputs), ZERO)
    fine = sum((lot.fine_g for lot in inputs), ZERO)
    fineness = _floor(Fraction(fine) * 1000 / Fraction(mass), FINENESS_PLACES)
    output = Lot(
        new_id, kind, inputs[0].mineral, mass, fineness, by, claim, origin_sites=_sites(inputs)
    )
    _record(ledger, "merge", by, on, inputs, [output], [[lot.fine_g for lot in inputs]])
    return output


def transform(
    ledger: Ledger,
    lot_ids: Sequence[str],
    by: str,
    outputs: Sequence[tuple[str, Decimal, Decimal]],
    yield_bounds: tuple[Decimal, Decimal] = (Decimal("0.0"), Decimal("1.0")),
    claim: Claim | None | Literal["inherit"] = INHERIT,
    kind: str = "fine_gold",
    on: date | None = None,
) -> list[Lot]:
    """Process lots (refining, smelting) into new lots (new id, mass, fineness) of `kind`.

    Fine content out ÷ fine content in must lie within `yield_bounds` (the standard's
    conversion factors; the upper bound is at most 1, since fine content is never created).
    The difference is recorded as a loss. The claim follows the rules of `merge`.
    """
    inputs, problems = _check_inputs(ledger, lot_ids, by, minimum=1)
    problems += _check_outputs(ledger, outputs, kind)
    low, high, bound_problems = _check_bounds(yield_bounds)
    problems += bound_problems
    claim, claim_problems = _resolve_claim(inputs, claim)
    problems += claim_problems
    _raise_if(problems)
    mineral, sites = inputs[0].mineral, _sites(inputs)
    products = [
        Lot(new_id, kind, mineral, Decimal(mass), Decimal(fine), by, claim, origin_sites=sites)
        for new_id, mass, fine in outputs
    ]
    _raise_if(_check_yield(inputs, products, low, high))
    fine_out = [lot.fine_g for lot in products]
    # What each output took from each input: the input's fine grams in proportion to the
    # outputs' fine content, split exactly so every input is fully accounted for.
    taken = [largest_remainder(lot.fine_g, fine_out, FINE_PLACES) for lot in inputs]
    by_output = [[row[j] for row in taken] for j in range(len(products))]
    _record(ledger, "transform", by, on, inputs, products, by_output)
    return products


def sell(ledger: Ledger, lot_id: str, by: str, buyer: str, on: date) -> Lot:
    """The holder sells a lot out of the chain to `buyer`: final, nothing more happens to it."""
    problems = _check_usable(ledger, lot_id, by, "lot")
    if not buyer or buyer == by:
        problems.append(
            Problem("buyer", gettext_noop("Sell the lot to another organisation than the seller."))
        )
    _raise_if(problems)
    event = Event("sell", by, on, (lot_id,), counterparty=buyer)
    return _update(ledger, lot_id, event, status="sold", consignee=buyer)


# Reading the ledger ---------------------------------------------------------------------


def fine_balance(ledger: Ledger) -> FineBalance:
    """Fine grams produced, where they are now, and what was lost on the way."""
    by_status = {status: ZERO for status in STATUSES}
    for lot in ledger.lots.values():
        by_status[lot.status] += lot.fine_g
    produced = sum(
        (ledger.lots[i].fine_g for e in ledger.events if e.kind == "produce" for i in e.outputs),
        ZERO,
    )
    lost = sum((e.loss_fine_g for e in ledger.events), ZERO)
    return FineBalance(
        produced, by_status["active"], by_status["in_transit"], by_status["sold"], lost
    )


def origins(ledger: Ledger) -> dict[str, list[tuple[str, str, Decimal]]]:
    """Produced lots → [(site, member, miner-days)], the trace's origins."""
    return {
        lot.id: [(lot.site, member, days) for member, days in lot.members]
        for lot in ledger.lots.values()
        if lot.site is not None
    }


def sales(ledger: Ledger) -> dict[str, str]:
    """Sold lots → their buyer."""
    return {lot.id: lot.consignee for lot in ledger.lots.values() if lot.status == "sold"}


# Helpers --------------------------------------------------------------------------------


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise CustodyError(problems)


def _update(ledger: Ledger, lot_id: str, event: Event, **changes: Any) -> Lot:
    lot = replace(ledger.lots[lot_id], **changes)
    ledger.lots[lot_id] = lot
    ledger.events.append(event)
    return lot


def _record(
    ledger: Ledger,
    kind: str,
    by: str,
    on: date | None,
    inputs: Sequence[Lot],
    outputs: Sequence[Lot],
    taken: Sequence[Sequence[Decimal]],
) -> None:
    """Consume the inputs, add the outputs and their edges; taken[j][i] is what output j
    took from input i."""
    loss = sum((lot.fine_g for lot in inputs), ZERO) - sum((lot.fine_g for lot in outputs), ZERO)
    assert loss >= 0, "fine content was created"  # guarded by the checks above
    for lot in inputs:
        ledger.lots[lot.id] = replace(lot, status="consumed")
    for j, output in enumerate(outputs):
        ledger.lots[output.id] = output
        ledger.edges.extend(
            Edge(lot.id, output.id, taken[j][i]) for i, lot in enumerate(inputs) if taken[j][i]
        )
    ids_in = tuple(lot.id for lot in inputs)
    ids_out = tuple(lot.id for lot in outputs)
    ledger.events.append(Event(kind, by, on, ids_in, ids_out, loss_fine_g=loss))


def _no_such_lot(lot_id: str, path: str) -> Problem:
    return Problem(path, gettext_noop("There is no lot %(lot)s."), {"lot": lot_id})


def _check_usable(ledger: Ledger, lot_id: str, by: str, path: str) -> list[Problem]:
    """Only the holder acts on a lot, and only while it is active."""
    lot = ledger.lots.get(lot_id)
    if lot is None:
        return [_no_such_lot(lot_id, path)]
    params = {"lot": lot_id, "holder": lot.holder, "by": by, "to": lot.consignee}
    if lot.status == "consumed":
        template = gettext_noop(
            "Lot %(lot)s was already split, merged or transformed; it no longer exists as such."
        )
    elif lot.status == "sold":
        template = gettext_noop("Lot %(lot)s was already sold to %(to)s.")
    elif lot.status == "in_transit":
        template = gettext_noop(
            "Lot %(lot)s is in transit to %(to)s: it must be received before anything else "
            "is done with it."
        )
    elif lot.holder != by:
        template = gettext_noop(
            "Only the holder of lot %(lot)s (%(holder)s) can act on it, not %(by)s."
        )
    else:
        return []
    return [Problem(path, template, params)]


def _check_inputs(
    ledger: Ledger, lot_ids: Sequence[str], by: str, minimum: int
) -> tuple[list[Lot], list[Problem]]:
    """The input lots of a merge or transformation: distinct, usable by `by`, one mineral."""
    problems: list[Problem] = []
    if len(lot_ids) < minimum:
        template = (
            gettext_noop("A merge needs at least two lots.")
            if minimum == 2
            else gettext_noop("Give at least one lot.")
        )
        problems.append(Problem("lot_ids", template))
    if len(set(lot_ids)) != len(lot_ids):
        problems.append(Problem("lot_ids", gettext_noop("A lot is listed twice.")))
    for i, lot_id in enumerate(lot_ids):
        problems += _check_usable(ledger, lot_id, by, f"lot_ids[{i}]")
    inputs = [ledger.lots[i] for i in dict.fromkeys(lot_ids) if i in ledger.lots]
    minerals = sorted({lot.mineral for lot in inputs})
    if len(minerals) > 1:
        problems.append(
            Problem(
                "lot_ids",
                gettext_noop("The lots are of different minerals (%(minerals)s)."),
                {"minerals": ", ".join(minerals)},
            )
        )
    return inputs, problems


def _check_outputs(
    ledger: Ledger, outputs: Sequence[tuple[str, Decimal, Decimal]], kind: str
) -> list[Problem]:
    problems: list[Problem] = []
    if not outputs:
        problems.append(Problem("outputs", gettext_noop("Give at least one output lot.")))
    problems += _check_kind(kind)
    problems += _check_new_ids(ledger, [new_id for new_id, _, _ in outputs], "outputs")
    for i, (_, mass, fineness) in enumerate(outputs):
        problems += _check_amount(mass, f"outputs[{i}].mass_g", MASS_PLACES)
        problems += _check_fineness(fineness, f"outputs[{i}].fineness")
    return problems


def _check_bounds(bounds: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal, list[Problem]]:
    low, high = (Decimal(b) for b in bounds)
    if low.is_finite() and high.is_finite() and 0 <= low <= high <= 1:
        return low, high, []
    problem = Problem(
        "yield_bounds",
        gettext_noop(
            "Yield bounds %(low)s–%(high)s are not valid: 0 ≤ smallest ≤ largest ≤ 1, since "
            "fine content is never created."
        ),
        {"low": low, "high": high},
    )
    return low, high, [problem]


def _check_yield(
    inputs: Sequence[Lot], outputs: Sequence[Lot], low: Decimal, high: Decimal
) -> list[Problem]:
    """Fine content out ÷ in within [low, high], compared exactly (no division)."""
    fine_in = sum((lot.fine_g for lot in inputs), ZERO)
    fine_out = sum((lot.fine_g for lot in outputs), ZERO)
    if low * fine_in <= fine_out <= high * fine_in:
        return []
    params = {
        "out": fine_out,
        "in": fine_in,
        "ratio": round(fine_out / fine_in, 4),
        "low": low,
        "high": high,
    }
    if fine_out > high * fine_in:
        template = gettext_noop(
            "The outputs hold %(out)s g of fine content from %(in)s g in (a yield of "
            "%(ratio)s), above the largest yield allowed, %(high)s."
        )
    else:
        template = gettext_noop(
            "The outputs hold %(out)s g of fine content from %(in)s g in (a yield of "
            "%(ratio)s), below the smallest yield allowed, %(low)s."
        )
    return [Problem("outputs", template, params)]


def _check_new_ids(ledger: Ledger, ids: Sequence[str], path: str) -> list[Problem]:
    problems = []
    if any(not new_id for new_id in ids):
        problems.append(Problem(path, gettext_noop("Every new lot needs an id.")))
    if len(set(ids)) != len(ids):
        problems.append(Problem(path, gettext_noop("Two new lots have the same id.")))
    for new_id in ids:
        if new_id in ledger.lots:
            problems.append(
                Problem(path, gettext_noop("Lot %(lot)s already exists."), {"lot": new_id})
            )
    return problems


def _check_members(members: dict[str, Decimal]) -> list[Problem]:
    if not members:
        return [Problem("members", gettext_noop("Say which members produced the lot."))]
    problems = []
    for member, days in members.items():
        if not member:
            problems.append(Problem("members", gettext_noop("Every member needs an id.")))
        problems += [
            Problem(f"members.{member}", p.template, p.params)
            for p in _check_amount(days, "", None, "miner_days")
        ]
    return problems


# The message for a quantity that is not more than zero, by quantity.
NOT_POSITIVE = {
    "mass": gettext_noop("A mass must be more than zero grams; %(value)s is not."),
    "fineness": gettext_noop("Fineness must be more than zero; %(value)s is not."),
    "miner_days": gettext_noop("Miner-days must be more than zero; %(value)s is not."),
}


def _check_amount(
    value: Any, path: str, places: int | None, quantity: str = "mass"
) -> list[Problem]:
    """A positive, finite, exact number (no float) with at most `places` decimals."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        template = gettext_noop("%(value)r is not an exact number: give a decimal, not a float.")
        return [Problem(path, template, {"value": value})]
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        return [Problem(path, NOT_POSITIVE[quantity], {"value": value})]
    if quantity == "mass" and value > MAX_MASS_G:
        template = gettext_noop("%(value)s g is more than any lot can weigh (%(max)s g).")
        return [Problem(path, template, {"value": value, "max": MAX_MASS_G})]
    if places is not None and -int(value.as_tuple().exponent) > places:
        template = gettext_noop("%(value)s has more than %(places)s decimal places.")
        return [Problem(path, template, {"value": value, "places": places})]
    return []


def _check_fineness(value: Any, path: str) -> list[Problem]:
    problems = _check_amount(value, path, FINENESS_PLACES, "fineness")
    if not problems and Decimal(value) > 1000:
        template = gettext_noop(
            "Fineness is in parts per thousand, at most 1000; %(value)s is more."
        )
        problems.append(Problem(path, template, {"value": value}))
    return problems


def _check_kind(kind: str) -> list[Problem]:
    if kind in KINDS:
        return []
    return [
        Problem(
            "kind",
            gettext_noop("Unknown lot kind %(kind)s; use one of %(kinds)s."),
            {"kind": kind, "kinds": ", ".join(KINDS)},
        )
    ]


def _check_claim_fields(claim: Claim) -> list[Problem]:
    problems = []
    if not claim.standard:
        problems.append(Problem("claim.standard", gettext_noop("Say the claim's standard.")))
    if claim.model not in MODELS:
        problems.append(
            Problem(
                "claim.model",
                gettext_noop("Unknown chain-of-custody model %(model)s; use one of %(models)s."),
                {"model": claim.model, "models": ", ".join(MODELS)},
            )
        )
    return problems


def _check_input_claim(lot: Lot, claim: Claim, allowed: set[str], path: str) -> list[Problem]:
    params = {"lot": lot.id, "claim": describe_claim(claim)}
    if lot.claim is None:
        template = gettext_noop(
            "Lot %(lot)s is not certified, so nothing made from it can be claimed %(claim)s."
        )
        return [Problem(path, template, params)]
    ok = (
        lot.claim.standard == claim.standard
        and claim.variant in (None, lot.claim.variant)
        and lot.claim.model in allowed
    )
    if ok:
        return []
    template = gettext_noop(
        "Lot %(lot)s is claimed %(input)s, so nothing made from it can be claimed %(claim)s."
    )
    return [Problem(path, template, {**params, "input": describe_claim(lot.claim)})]


def _resolve_claim(
    inputs: Sequence[Lot], claim: Claim | None | Literal["inherit"]
) -> tuple[Claim | None, list[Problem]]:
    """The output's claim and why it cannot be made; INHERIT never drops a claim silently."""
    if claim == INHERIT:
        claims = {lot.claim for lot in inputs}
        if len(claims) > 1:
            return None, [
                Problem(
                    "claim",
                    gettext_noop(
                        "The lots carry different claims; say which claim the new lot carries "
                        "(or none)."
                    ),
                )
            ]
        claim = claims.pop() if claims else None
    assert not isinstance(claim, str)
    return claim, check_claim(inputs, claim)


def _common(values: Iterable[str]) -> str | None:
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def _sites(lots: Iterable[Lot]) -> frozenset[str]:
    return frozenset().union(*(lot.origin_sites for lot in lots))


def _floor(value: Fraction, places: int) -> Decimal:
    """Round down, so a weighted mean never credits a lot with fine content it lacks."""
    return Decimal(math.floor(value * 10**places)).scaleb(-places)
