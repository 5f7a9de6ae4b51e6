"""EPCIS 2.0 export: each custody event kind gives a document valid against GS1's schema."""

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from batea.domain.custody.epcis import (
    EpcisError,
    LotQuantity,
    Produced,
    Received,
    Shipped,
    Sold,
    Transformed,
    build_document,
    uri,
    validate,
)

EPCIS_DIR = Path(__file__).resolve().parents[2].parent / "shared/data/epcis"
SCHEMA = EPCIS_DIR / "EPCIS-JSON-Schema.json"
needs_schema = pytest.mark.skipif(
    not SCHEMA.exists(), reason=f"GS1's EPCIS schema is not at {SCHEMA} (shared data missing)"
)

BOGOTA = timezone(timedelta(hours=-5))
AT = datetime(2024, 3, 15, 10, 30, tzinfo=BOGOTA)
CREATED = datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
DORE = LotQuantity("lot-1", Decimal("1250.5"), Decimal(900), "fairmined/ecological")
ORE = LotQuantity("lot-ore", Decimal(800))
FINE = LotQuantity("lot-fine", Decimal("1125.3"), Decimal("999.9"), "fairmined/ecological")

EVENTS = {
    "production": Produced("e1", AT, DORE, "site-7", "asmo-1"),
    "production-no-fineness": Produced("e1b", AT, ORE, "site-7", "asmo-1"),
    "shipped": Shipped("e2", AT, DORE, "t-1", "asmo-1", "buyer-1", site_id="site-7"),
    "shipped-no-site": Shipped("e2b", AT, DORE, "t-1", "asmo-1", "buyer-1"),
    "received": Received("e3", AT + timedelta(days=1), DORE, "t-1", "asmo-1", "buyer-1", "w-1"),
    "sale": Sold("e4", AT, FINE, "s-9", "buyer-1", "refiner-1"),
    "refining": Transformed("e5", AT, "refining", (DORE,), (FINE,), "refinery-1", "refiner-1"),
    "split": Transformed(
        "e6",
        AT,
        "split",
        (DORE,),
        (LotQuantity("a", Decimal(600), Decimal(900)), LotQuantity("b", Decimal("650.5"))),
    ),
    "merge": Transformed("e7", AT, "merge", (DORE, ORE), (LotQuantity("m", Decimal("2050.5")),)),
}


def only_event(record) -> dict:
    return build_document([record], CREATED)["epcisBody"]["eventList"][0]


@needs_schema
@pytest.mark.parametrize(
    "example", ["example-ObjectEvent.jsonld", "example-TransformationEvent.jsonld"]
)
def test_gs1s_own_examples_validate(example):
    document = json.loads((EPCIS_DIR / example).read_text())
    assert validate(document, SCHEMA) == []


@needs_schema
def test_the_validator_reports_what_breaks_the_schema():
    document = build_document([EVENTS["production"]], CREATED)
    event = document["epcisBody"]["eventList"][0]
    event["bizStep"] = "transforming"  # not a CBV 2.0 business step
    event["readPoint"] = {"id": "site 7"}  # not a URI
    event["eventTime"] = "2024-13-01T00:00:00Z"  # no month 13
    del document["schemaVersion"]
    errors = validate(document, SCHEMA)
    assert any(e.startswith("epcisBody/eventList/0/bizStep:") for e in errors)
    assert any(e.startswith("epcisBody/eventList/0/readPoint/id:") for e in errors)
    assert any(e.startswith("epcisBody/eventList/0/eventTime:") for e in errors)
    assert any("schemaVersion" in e for e in errors)


@needs_schema
@pytest.mark.parametrize("kind", EVENTS)
def test_every_event_kind_gives_a_valid_document(kind):
    assert validate(build_document([EVENTS[kind]], CREATED), SCHEMA) == []


@needs_schema
def test_a_whole_chain_in_one_document_is_valid_and_serialisable():
    document = build_document(EVENTS.values(), CREATED)
    assert validate(json.loads(json.dumps(document)), SCHEMA) == []
    assert len(document["epcisBody"]["eventList"]) == len(EVENTS)


def test_production_commissions_the_lot_at_its_site():
    event = only_event(EVENTS["production"])
    assert event["type"] == "ObjectEvent"
    assert (event["action"], event["bizStep"], event["disposition"]) == (
        "ADD",
        "commissioning",
        "active",
    )
    assert event["quantityList"] == [
        {"epcClass": "urn:batea:lot:lot-1", "quantity": 1.2505, "uom": "KGM"}
    ]
    assert event["readPoint"] == event["bizLocation"] == {"id": "urn:batea:site:site-7"}
    assert event["eventID"] == "urn:batea:event:e1"
    assert (event["eventTime"], event["eventTimeZoneOffset"]) == (
        "2024-03-15T10:30:00-05:00",
        "-05:00",
    )
    assert event["ilmd"] == {
        "batea:operation": "production",
        "batea:organisation": "urn:batea:org:asmo-1",
        "batea:lots": [
            {
                "batea:lot": "urn:batea:lot:lot-1",
                "batea:massGrams": 1250.5,
                "batea:fineness": 900,
                "batea:fineGrams": 1125.45,
                "batea:claim": "fairmined/ecological",
            }
        ],
    }


def test_shipping_and_receiving_name_the_parties_and_the_transfer():
    shipped, received = only_event(EVENTS["shipped"]), only_event(EVENTS["received"])
    assert (shipped["action"], shipped["bizStep"], shipped["disposition"]) == (
        "OBSERVE",
        "shipping",
        "in_transit",
    )
    assert (received["bizStep"], received["disposition"]) == ("receiving", "in_progress")
    assert "bizLocation" not in shipped  # in transit, no business location yet
    assert received["bizLocation"] == {"id": "urn:batea:site:w-1"}
    for event in (shipped, received):
        assert event["sourceList"] == [{"type": "owning_party", "source": "urn:batea:org:asmo-1"}]
        assert event["destinationList"] == [
            {"type": "owning_party", "destination": "urn:batea:org:buyer-1"}
        ]
        assert event["bizTransactionList"] == [
            {"type": "desadv", "bizTransaction": "urn:batea:transfer:t-1"}
        ]
        assert "ilmd" not in event  # the schema allows ILMD only where lots are created


def test_a_sale_is_a_transaction_event_with_the_sale_as_invoice():
    event = only_event(EVENTS["sale"])
    assert (event["type"], event["action"]) == ("TransactionEvent", "ADD")
    assert event["bizTransactionList"] == [{"type": "inv", "bizTransaction": "urn:batea:sale:s-9"}]
    assert event["quantityList"] == [
        {"epcClass": "urn:batea:lot:lot-fine", "quantity": 1.1253, "uom": "KGM"}
    ]


def test_refining_transforms_inputs_into_outputs():
    event = only_event(EVENTS["refining"])
    assert event["type"] == "TransformationEvent"
    assert event["bizStep"] == "commissioning"
    assert event["inputQuantityList"][0]["epcClass"] == "urn:batea:lot:lot-1"
    assert event["outputQuantityList"][0]["epcClass"] == "urn:batea:lot:lot-fine"
    assert event["ilmd"]["batea:operation"] == "refining"
    assert event["ilmd"]["batea:lots"][0]["batea:fineness"] == 999.9


def test_split_and_merge_are_repackaging_and_small_lots_are_in_grams():
    split, merge = only_event(EVENTS["split"]), only_event(EVENTS["merge"])
    assert split["bizStep"] == merge["bizStep"] == "repackaging"
    assert split["outputQuantityList"] == [
        {"epcClass": "urn:batea:lot:a", "quantity": 600, "uom": "GRM"},
        {"epcClass": "urn:batea:lot:b", "quantity": 650.5, "uom": "GRM"},
    ]
    assert len(merge["inputQuantityList"]) == 2


def test_the_document_declares_the_contexts_and_version():
    document = build_document([], CREATED)
    assert document["@context"][0].startswith("https://ref.gs1.org/standards/epcis/")
    assert document["@context"][1] == {"batea": "urn:batea:epcis:"}
    assert (document["type"], document["schemaVersion"]) == ("EPCISDocument", "2.0")
    assert document["creationDate"] == "2024-04-01T12:00:00+00:00"


def test_identifiers_are_escaped_and_may_use_a_domain():
    assert uri("lot", "a b/c") == "urn:batea:lot:a%20b%2Fc"
    assert uri("site", "7", prefix="https://id.example.org/") == "https://id.example.org/site/7"
    event = build_document([EVENTS["sale"]], CREATED, prefix="https://id.example.org/")
    assert event["epcisBody"]["eventList"][0]["eventID"] == "https://id.example.org/event/e4"


def test_records_that_cannot_be_exported_are_refused_with_every_problem():
    naive = datetime(2024, 3, 15, 10, 30)
    bad_lot = LotQuantity("x", Decimal(0), Decimal(1001))
    records = [
        Produced("e1", naive, bad_lot, "s", "o"),
        Transformed("e2", AT, "smelting", (), (DORE,)),
        "not an event",
    ]
    with pytest.raises(EpcisError) as caught:
        build_document(records, CREATED)
    assert [p.path for p in caught.value.problems] == [
        "events[0].at",
        "events[0].lot.mass_g",
        "events[0].lot.fineness",
        "events[1].operation",
        "events[1].inputs",
        "events[2]",
    ]


def test_the_creation_time_needs_a_timezone():
    with pytest.raises(EpcisError, match="no timezone"):
        build_document([], datetime(2024, 1, 1))
