"""EPCIS 2.0 JSON-LD export of custody events, and validation against GS1's JSON schema.

Identifiers. Lots, sites, organisations, transfers, sales and events have no GS1 keys, so
they are private URIs (EPCIS 2.0 accepts any URI): `<prefix><kind>:<id>` with the default
prefix `urn:batea:`, e.g. `urn:batea:lot:3f1c…`, `urn:batea:site:…`, `urn:batea:org:…`,
`urn:batea:transfer:…`, `urn:batea:sale:…`, `urn:batea:event:…`. A deployment with its own
domain may pass a prefix ending in "/" instead (`https://id.example.org/` gives
`https://id.example.org/lot/3f1c…`). A lot is bulk material, so it is a class-level
identifier (`epcClass`) with a quantity in kilograms (KGM) from 1 kg up, else grams (GRM).

Events.
- production → ObjectEvent ADD, bizStep commissioning, disposition active, at the site;
- transfer shipped → ObjectEvent OBSERVE, shipping, in_transit, seller → buyer as owning
  parties, the transfer as a despatch advice (`desadv`) business transaction;
- transfer received → ObjectEvent OBSERVE, receiving, in_progress, same parties and transfer;
- sale → TransactionEvent ADD with the sale as an invoice (`inv`) business transaction;
- refining → TransformationEvent, bizStep commissioning (CBV 2.0 has no "transforming"; its
  output lots come into being); split and merge → TransformationEvent, bizStep repackaging.
Fineness, fine content, claim and the operation go in the ILMD of the events that create
lots, under the `batea:` namespace declared in the document's `@context`. No person appears:
members stay out of the export.
"""

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from batea.domain.custody import CustodyError
from batea.domain.messages import Problem, gettext_noop

ID_PREFIX = "urn:batea:"
BATEA_NAMESPACE = "urn:batea:epcis:"  # JSON-LD prefix for Batea's extension fields
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
GRAMS_PER_KG = Decimal(1000)
OPERATIONS = {"refining": "commissioning", "split": "repackaging", "merge": "repackaging"}


class EpcisError(CustodyError, ValueError):
    """Event records that cannot be exported; `problems` says which and why."""


@dataclass(frozen=True)
class LotQuantity:
    """A lot and its mass in an event; fineness in parts per thousand, when known."""

    lot_id: str
    mass_g: Decimal
    fineness: Decimal | None = None
    claim: str | None = None  # e.g. "fairmined/ecological"; None when not certified


@dataclass(frozen=True)
class Produced:
    """A lot produced at a site by an organisation."""

    event_id: str
    at: datetime  # timezone-aware
    lot: LotQuantity
    site_id: str
    organisation_id: str


@dataclass(frozen=True)
class Shipped:
    """A lot handed over by the seller, in transit until the buyer confirms."""

    event_id: str
    at: datetime
    lot: LotQuantity
    transfer_id: str
    seller_id: str
    buyer_id: str
    site_id: str | None = None  # where it left from


@dataclass(frozen=True)
class Received:
    """The buyer's confirmation that a shipped lot arrived."""

    event_id: str
    at: datetime
    lot: LotQuantity
    transfer_id: str
    seller_id: str
    buyer_id: str
    site_id: str | None = None  # where it arrived


@dataclass(frozen=True)
class Sold:
    """A lot sold by the seller to the buyer."""

    event_id: str
    at: datetime
    lot: LotQuantity
    sale_id: str
    seller_id: str
    buyer_id: str
    site_id: str | None = None


@dataclass(frozen=True)
class Transformed:
    """Lots consumed into new lots: `operation` is refining, split or merge."""

    event_id: str
    at: datetime
    operation: str
    inputs: tuple[LotQuantity, ...]
    outputs: tuple[LotQuantity, ...]
    site_id: str | None = None
    organisation_id: str | None = None


Event = Produced | Shipped | Received | Sold | Transformed
_Ids = Callable[[str, str], str]  # (kind, id) → URI


def uri(kind: str, identifier: str, prefix: str = ID_PREFIX) -> str:
    """The URI of a Batea record: `urn:batea:lot:<id>`, or `<prefix>lot/<id>` for http(s)."""
    separator = ":" if prefix.endswith(":") else "/"
    return f"{prefix}{kind}{separator}{quote(str(identifier), safe='-._~')}"


def build_document(
    events: Iterable[Event], created: datetime, prefix: str = ID_PREFIX
) -> dict[str, Any]:
    """An EPCISDocument (a JSON-ready dict) with one EPCIS event per record, in order.

    Raises EpcisError listing every record that cannot be exported (a time without a
    timezone, a non-positive mass, a fineness outside (0, 1000], an unknown operation, a
    transformation without inputs or outputs).
    """
    events = list(events)
    problems = _check_time(created, "created")
    for index, event in enumerate(events):
        problems += _event_problems(event, f"events[{index}]")
    if problems:
        raise EpcisError(problems)
    return {
        "@context": [EPCIS_CONTEXT, {"batea": BATEA_NAMESPACE}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.isoformat(),
        "epcisBody": {"eventList": [event_dict(event, prefix) for event in events]},
    }


def event_dict(event: Event, prefix: str = ID_PREFIX) -> dict[str, Any]:
    """The EPCIS 2.0 event for one record (unchecked: `build_document` checks records)."""
    ids = partial(uri, prefix=prefix)
    match event:
        case Produced():
            return _produced(event, ids)
        case Shipped() | Received():
            return _transfer(event, ids)
        case Sold():
            return _sold(event, ids)
        case Transformed():
            return _transformed(event, ids)
    raise TypeError(f"not a custody event record: {event!r}")


def validate(document: dict[str, Any], schema_path: str | Path) -> list[str]:
    """Every way `document` breaks the JSON schema at `schema_path`, as "where: what"."""
    schema = _schema(str(schema_path))
    validator = validator_for(schema)(schema, format_checker=_format_checker())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}" for e in errors]


def _common(event: Event, kind: str, ids: _Ids) -> dict[str, Any]:
    return {
        "type": kind,
        "eventID": ids("event", event.event_id),
        "eventTime": event.at.isoformat(),
        "eventTimeZoneOffset": _offset(event.at),
    }


def _produced(event: Produced, ids: _Ids) -> dict[str, Any]:
    return {
        **_common(event, "ObjectEvent", ids),
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "quantityList": [_quantity(event.lot, ids)],
        "readPoint": {"id": ids("site", event.site_id)},
        "bizLocation": {"id": ids("site", event.site_id)},
        "ilmd": _ilmd("production", [event.lot], ids, event.organisation_id),
    }


def _transfer(event: Shipped | Received, ids: _Ids) -> dict[str, Any]:
    shipped = isinstance(event, Shipped)
    return {
        **_common(event, "ObjectEvent", ids),
        "action": "OBSERVE",
        "bizStep": "shipping" if shipped else "receiving",
        "disposition": "in_transit" if shipped else "in_progress",
        "quantityList": [_quantity(event.lot, ids)],
        **_site(event.site_id, ids, business_location=not shipped),  # in transit: no bizLocation
        "bizTransactionList": [
            {"type": "desadv", "bizTransaction": ids("transfer", event.transfer_id)}
        ],
        **_parties(event.seller_id, event.buyer_id, ids),
    }


def _sold(event: Sold, ids: _Ids) -> dict[str, Any]:
    return {
        **_common(event, "TransactionEvent", ids),
        "action": "ADD",  # the lot becomes part of the sale
        "bizTransactionList": [{"type": "inv", "bizTransaction": ids("sale", event.sale_id)}],
        "quantityList": [_quantity(event.lot, ids)],
        **_site(event.site_id, ids, business_location=True),
        **_parties(event.seller_id, event.buyer_id, ids),
    }


def _transformed(event: Transformed, ids: _Ids) -> dict[str, Any]:
    return {
        **_common(event, "TransformationEvent", ids),
        "inputQuantityList": [_quantity(lot, ids) for lot in event.inputs],
        "outputQuantityList": [_quantity(lot, ids) for lot in event.outputs],
        "bizStep": OPERATIONS[event.operation],
        "disposition": "active",
        **_site(event.site_id, ids, business_location=True),
        "ilmd": _ilmd(event.operation, event.outputs, ids, event.organisation_id),
    }


def _quantity(lot: LotQuantity, ids: _Ids) -> dict[str, Any]:
    kilograms = lot.mass_g >= GRAMS_PER_KG
    amount = lot.mass_g / GRAMS_PER_KG if kilograms else lot.mass_g
    return {
        "epcClass": ids("lot", lot.lot_id),
        "quantity": _number(amount),
        "uom": "KGM" if kilograms else "GRM",  # UN/ECE Recommendation 20 codes
    }


def _ilmd(
    operation: str, lots: Sequence[LotQuantity], ids: _Ids, organisation_id: str | None
) -> dict[str, Any]:
    """Master data of the lots an event creates, in Batea's namespace."""
    ilmd: dict[str, Any] = {"batea:operation": operation}
    if organisation_id:
        ilmd["batea:organisation"] = ids("org", organisation_id)
    ilmd["batea:lots"] = [_lot_facts(lot, ids) for lot in lots]
    return ilmd


def _lot_facts(lot: LotQuantity, ids: _Ids) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "batea:lot": ids("lot", lot.lot_id),
        "batea:massGrams": _number(lot.mass_g),
    }
    if lot.fineness is not None:
        facts["batea:fineness"] = _number(lot.fineness)  # parts per thousand
        facts["batea:fineGrams"] = _number(lot.mass_g * lot.fineness / GRAMS_PER_KG)
    if lot.claim:
        facts["batea:claim"] = lot.claim
    return facts


def _site(site_id: str | None, ids: _Ids, business_location: bool) -> dict[str, Any]:
    if not site_id:
        return {}
    where = {"readPoint": {"id": ids("site", site_id)}}
    if business_location:
        where["bizLocation"] = {"id": ids("site", site_id)}
    return where


def _parties(seller_id: str, buyer_id: str, ids: _Ids) -> dict[str, Any]:
    return {
        "sourceList": [{"type": "owning_party", "source": ids("org", seller_id)}],
        "destinationList": [{"type": "owning_party", "destination": ids("org", buyer_id)}],
    }


def _offset(moment: datetime) -> str:
    minutes = int(moment.utcoffset().total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _number(value: Decimal) -> int | float:
    """A JSON number: whole values as integers, others as the nearest float."""
    return int(value) if value == value.to_integral_value() else float(value)


def _event_problems(event: Any, path: str) -> list[Problem]:
    if not isinstance(event, Event):
        return [
            Problem(path, gettext_noop("Not a custody event: %(value)s."), {"value": repr(event)})
        ]
    problems = _check_time(event.at, f"{path}.at")
    if isinstance(event, Transformed):
        problems += _transformation_problems(event, path)
    else:
        problems += _lot_problems(event.lot, f"{path}.lot")
    return problems


def _transformation_problems(event: Transformed, path: str) -> list[Problem]:
    problems = []
    if event.operation not in OPERATIONS:
        problems.append(
            Problem(
                f"{path}.operation",
                gettext_noop("Unknown operation %(value)s; known: %(known)s."),
                {"value": event.operation, "known": ", ".join(OPERATIONS)},
            )
        )
    for side in ("inputs", "outputs"):
        lots = getattr(event, side)
        if not lots:
            problems.append(
                Problem(
                    f"{path}.{side}", gettext_noop("A transformation needs lots on both sides.")
                )
            )
        for index, lot in enumerate(lots):
            problems += _lot_problems(lot, f"{path}.{side}[{index}]")
    return problems


def _lot_problems(lot: LotQuantity, path: str) -> list[Problem]:
    problems = []
    if not (lot.mass_g.is_finite() and lot.mass_g > 0):
        problems.append(
            Problem(
                f"{path}.mass_g",
                gettext_noop("The mass must be positive; it is %(value)s g."),
                {"value": lot.mass_g},
            )
        )
    if lot.fineness is not None and not (lot.fineness.is_finite() and 0 < lot.fineness <= 1000):
        problems.append(
            Problem(
                f"{path}.fineness",
                gettext_noop("The fineness must be above 0 and at most 1000; it is %(value)s."),
                {"value": lot.fineness},
            )
        )
    return problems


def _check_time(moment: datetime, path: str) -> list[Problem]:
    offset = moment.utcoffset()
    if offset is None:
        return [
            Problem(path, gettext_noop("The time %(value)s has no timezone."), {"value": moment})
        ]
    if offset.seconds % 60 or abs(offset.total_seconds()) > 14 * 3600:
        return [
            Problem(
                path,
                gettext_noop("The timezone offset of %(value)s is not whole minutes within ±14 h."),
                {"value": moment},
            )
        ]
    return []


@lru_cache(maxsize=4)
def _schema(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


# RFC 3986: a scheme, ":" and no characters a URI never holds. JSON-LD blank-node labels
# ("_:b0") stand wherever an IRI may, and GS1's own examples use one as a document id.
_URI = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*|_):[^\s<>\"{}|\\^`]*$")
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"  # RFC 3339
)


@lru_cache(maxsize=1)
def _format_checker() -> FormatChecker:
    """jsonschema's format checks, with plain checks for `uri` and `date-time` when the
    optional packages that jsonschema would use for them are not installed."""
    checker = FormatChecker()
    if "uri" not in checker.checkers:
        checker.checks("uri")(lambda value: not isinstance(value, str) or bool(_URI.match(value)))
    if "date-time" not in checker.checkers:
        checker.checks("date-time", raises=ValueError)(_is_date_time)
    return checker


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats apply to strings only
    if not _DATE_TIME.match(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # month 13 and such raise
    return True
