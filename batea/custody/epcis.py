"""EPCIS 2.0 export of stored custody events.

The stored rows (`CustodyEvent`, `LotUse`, `LotLink`, `Sale`, `Lot`) become the records of
`batea.domain.custody.epcis` (Produced, Shipped, Received, Sold, Transformed), which builds
and validates the document. Reading is set-based: a fixed number of queries whatever the
number of events (events, uses, links, lots, shipments behind receipts, sales).

Which events: those the user may see (`CustodyEvent.objects.visible_to`), or all of them
for the operator's command (`user=None`); optionally only those of one organisation (as
actor or counterparty) and from a date on.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time
from pathlib import Path

from django.db.models import Q
from django.utils import timezone

from batea.custody.models import CustodyEvent, Lot, LotLink, LotUse, Sale
from batea.custody.services import problems_error
from batea.domain.custody import epcis as rules

# GS1's JSON schema, shipped beside the project (see ../shared/data/README.md).
SCHEMA_PATH = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "epcis" / "EPCIS-JSON-Schema.json"
)
KIND = CustodyEvent.Kind


def custody_events(user=None, organisation=None, since: date | None = None):
    """The events to export, oldest first."""
    events = CustodyEvent.objects.all() if user is None else CustodyEvent.objects.visible_to(user)
    if organisation is not None:
        events = events.filter(Q(organisation=organisation) | Q(counterparty=organisation))
    if since is not None:
        events = events.filter(occurred_on__gte=since)
    return events.order_by("occurred_on", "recorded_at", "id")


def _moment(occurred_on: date, recorded_at: datetime | None) -> datetime:
    """When an event happened: the time it was recorded if that was on the same day (UTC),
    else the start of its day (UTC). Custody events are dated, not timed."""
    if recorded_at is not None:
        recorded = recorded_at.astimezone(UTC)
        if recorded.date() == occurred_on:
            return recorded.replace(microsecond=0)
    return datetime.combine(occurred_on, time(0, 0), tzinfo=UTC)


def _claim(standard: str | None, variant: str) -> str | None:
    if not standard:
        return None
    return f"{standard}/{variant}" if variant else standard


def records(events) -> list[rules.Event]:
    """The EPCIS records of these events (a queryset), in its order."""
    rows = list(
        events.values(
            "id",
            "kind",
            "organisation_id",
            "counterparty_id",
            "occurred_on",
            "recorded_at",
            "operation",
            "site_id",
        )
    )
    if not rows:
        return []
    ids = events.order_by().values("id")
    uses = defaultdict(list)  # event → [(lot, use, holder)]
    for event_id, lot_id, use, holder_id in LotUse.objects.filter(event_id__in=ids).values_list(
        "event_id", "lot_id", "use", "holder_id"
    ):
        uses[event_id].append((lot_id, use, holder_id))
    outputs = defaultdict(dict)  # event → {child: None}, in a stable order
    for event_id, child_id in (
        LotLink.objects.filter(event_id__in=ids).order_by("id").values_list("event_id", "child_id")
    ):
        outputs[event_id][child_id] = None
    lots = {
        row["id"]: row
        for row in Lot.objects.filter(
            Q(pk__in=LotUse.objects.filter(event_id__in=ids).values("lot_id"))
            | Q(pk__in=LotLink.objects.filter(event_id__in=ids).values("child_id"))
        ).values(
            "id",
            "mass_g",
            "fineness",
            "site_id",
            "claim_variant",
            "claim_version__standard__code",
        )
    }
    # A receipt names the transfer it closes: the shipment of that lot by that seller.
    received = LotUse.objects.filter(event_id__in=ids, use="received").values("lot_id")
    shipments = {
        (lot_id, holder_id): event_id
        for lot_id, holder_id, event_id in LotUse.objects.filter(
            use="shipped", lot_id__in=received
        ).values_list("lot_id", "holder_id", "event_id")
    }
    sales = {
        event_id: (sale_id, seller_id, buyer_id)
        for event_id, sale_id, seller_id, buyer_id in Sale.objects.filter(
            event_id__in=ids
        ).values_list("event_id", "id", "seller_id", "buyer_id")
    }

    def quantity(lot_id) -> rules.LotQuantity:
        lot = lots[lot_id]
        return rules.LotQuantity(
            str(lot_id),
            lot["mass_g"],
            lot["fineness"],
            _claim(lot["claim_version__standard__code"], lot["claim_variant"]),
        )

    found: list[rules.Event] = []
    for row in rows:
        event_id, kind = row["id"], row["kind"]
        at = _moment(row["occurred_on"], row["recorded_at"])
        taken = uses.get(event_id, [])
        org, other = str(row["organisation_id"]), row["counterparty_id"]
        if kind == KIND.PRODUCTION:
            for lot_id, _use, _holder in taken:
                site = row["site_id"] or lots[lot_id]["site_id"]
                found.append(rules.Produced(str(event_id), at, quantity(lot_id), str(site), org))
        elif kind == KIND.SHIPMENT:
            for lot_id, _use, _holder in taken:
                found.append(
                    rules.Shipped(
                        str(event_id), at, quantity(lot_id), str(event_id), org, str(other)
                    )
                )
        elif kind == KIND.RECEIPT:
            for lot_id, _use, _holder in taken:
                transfer = shipments.get((lot_id, other), f"{lot_id}-{other}")
                found.append(
                    rules.Received(
                        str(event_id), at, quantity(lot_id), str(transfer), str(other), org
                    )
                )
        elif kind == KIND.SALE and event_id in sales:
            sale_id, seller_id, buyer_id = sales[event_id]
            for lot_id, _use, _holder in taken:
                found.append(
                    rules.Sold(
                        str(event_id),
                        at,
                        quantity(lot_id),
                        str(sale_id),
                        str(seller_id),
                        str(buyer_id),
                    )
                )
        elif kind in (KIND.SPLIT, KIND.MERGE, KIND.TRANSFORMATION):
            inputs = tuple(quantity(lot_id) for lot_id, use, _h in taken if use == "consumed")
            made = tuple(quantity(lot_id) for lot_id in outputs.get(event_id, {}))
            if not inputs or not made:
                continue  # nothing to say: an event without both sides is not a transformation
            found.append(
                rules.Transformed(
                    str(event_id),
                    at,
                    _operation(kind, row["operation"]),
                    inputs,
                    made,
                    str(row["site_id"]) if row["site_id"] else None,
                    org,
                )
            )
    return found


def _operation(kind: str, operation: str) -> str:
    if kind == KIND.SPLIT:
        return "split"
    if kind == KIND.MERGE:
        return "merge"
    # Refining is the processing Batea records; other names are exported as refining.
    return operation if operation in rules.OPERATIONS else "refining"


def export(user=None, organisation=None, since: date | None = None, created=None) -> dict:
    """An EPCIS 2.0 document (a JSON-ready dict) of the events the user may see.

    Raises django's ValidationError if a stored record cannot be exported."""
    events = custody_events(user, organisation, since)
    try:
        return rules.build_document(records(events), created or timezone.now())
    except rules.EpcisError as error:
        raise problems_error(error.problems) from error


def validate(document: dict, schema_path: Path = SCHEMA_PATH) -> list[str]:
    """Every way the document breaks GS1's schema ([] when it validates)."""
    return rules.validate(document, schema_path)
