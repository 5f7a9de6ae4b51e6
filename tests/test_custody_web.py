"""Custody pages, forms, API, EPCIS export and commands: what people see and do with lots."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from batea.custody import epcis, services
from batea.custody.models import CustodyEvent, Incident, Lot, ReferencePrice, Sale
from batea.domain.access import OrganisationKind, RelationKind
from batea.registry.models import Relation
from tests.conftest import make_member, make_org

pytestmark = pytest.mark.django_db
TODAY = date.today()
SCHEMA = epcis.SCHEMA_PATH
needs_schema = pytest.mark.skipif(not SCHEMA.exists(), reason=f"no EPCIS schema at {SCHEMA}")


def certified(world, model="identity_preserved"):
    return services.ClaimInput(world.certificate_a.version, "", model)


def produce(world, mass="1000", fineness="800", days="400", claim=None, **extra):
    return services.produce(
        world.manager_a,
        world.org_a,
        site=world.site_a,
        mineral="gold",
        kind="dore",
        mass_g=Decimal(mass),
        fineness=Decimal(fineness),
        members=extra.pop("members", None) or {world.member_a: Decimal(days)},
        on=extra.pop("on", TODAY - timedelta(days=5)),
        claim=claim,
        **extra,
    )


def deliver(world, lot):
    services.ship(world.manager_a, lot, world.buyer, TODAY - timedelta(days=4))
    services.receive(world.buyer_user, lot, TODAY - timedelta(days=3))
    lot.refresh_from_db()
    return lot


@pytest.fixture
def prices(db):
    services.import_prices("Date,Price\n2000-01,2000\n", source="test")


@pytest.fixture
def refinery(world):
    """A refiner that buys from the buyer (so the buyer has someone to sell to)."""
    refiner = make_org(
        "fine-refinery", OrganisationKind.BUYER, country="CH", name="Fine Refinery SA"
    )
    Relation.objects.create(kind=RelationKind.SUPPLY, source=refiner, target=world.buyer)
    return refiner


@pytest.fixture
def chain(world):
    """Two productions of A (two members in the first), delivered, merged and refined."""
    second = make_member(world.org_a, "A-002", "Berta", "Bravo", primary_site=world.site_a)
    one = produce(world, mass="600", members={world.member_a: Decimal(100), second: Decimal(300)})
    two = produce(world, mass="400", fineness="900")
    one, two = deliver(world, one), deliver(world, two)
    merged = services.merge(world.buyer_user, [one, two], TODAY)
    (refined,) = services.transform(world.buyer_user, [merged], [("800", "999")], TODAY)
    return {"one": one, "two": two, "merged": merged, "refined": refined, "second": second}


def post_action(client, lot, action, preview=False, **fields):
    data = {"action": action, **{f"{action}-{key}": value for key, value in fields.items()}}
    if preview:
        data["preview"] = "1"
    return client.post(f"/lots/{lot.code}/", data)


# Pages -----------------------------------------------------------------------------------


class TestPages:
    def test_the_holder_sees_its_lots_and_a_lot_page_with_graph_trace_map_and_events(
        self, world, client_for, chain
    ):
        client = client_for(world.buyer_user)
        listing = client.get("/lots/")
        assert listing.status_code == 200
        assert chain["refined"].code in listing.content.decode()
        page = client.get(f"/lots/{chain['refined'].code}/")
        assert page.status_code == 200
        body = page.content.decode()
        assert '<svg class="custody-graph"' in body
        assert chain["one"].code in body and chain["merged"].code in body  # ancestors drawn
        assert "Alpha Pit" in body and "site-map-data" in body  # the origin on the map
        assert "Transformation" in body  # the event that made it
        assert 'name="action" value="sell"' in body  # the holder may act
        # Each link carries its fine grams: the merged lot gave all 840 g it had.
        assert {e.fine_g for e in page.context["graph"].edges} >= {Decimal("840")}

    def test_lot_filters_and_pagination(self, world, client_for):
        certified_lot = produce(world, claim=certified(world))
        plain = produce(world)
        client = client_for(world.manager_a)
        codes = lambda response: {lot.code for lot in response.context["lots"]}  # noqa: E731
        assert codes(client.get("/lots/?certified=yes")) == {certified_lot.code}
        assert codes(client.get("/lots/?certified=no")) == {plain.code}
        assert codes(client.get("/lots/?status=sold")) == set()
        assert codes(client.get(f"/lots/?holder={world.org_a.slug}&mineral=gold")) == {
            certified_lot.code,
            plain.code,
        }
        assert client.get("/lots/?page=99").status_code == 200

    def test_long_lot_lists_count_up_to_a_cap_and_filter_organisations_by_name(
        self, world, client_for, monkeypatch
    ):
        from batea.custody import forms as custody_forms
        from batea.custody import views as custody_views

        lots = [produce(world) for _ in range(4)]
        monkeypatch.setattr(custody_views, "LOTS_COUNT_CAP", 3)
        monkeypatch.setattr(custody_views, "LOTS_PER_PAGE", 2)
        monkeypatch.setattr(custody_forms, "LOT_CHOICES_LIMIT", 2)
        client = client_for(world.manager_a)
        response = client.get("/lots/")
        body = response.content.decode()
        assert response.context["page_obj"].paginator.count == 3
        assert '<span class="count">3+</span>' in body
        assert "More than 3: counted no further." in body
        # Past the choices limit, holder and origin are typed, not picked from a list.
        assert 'name="holder" placeholder="Organisation name"' in body
        by_name = client.get("/lots/?origin=alpha gold&holder=")
        assert by_name.context["page_obj"].paginator.count == 3
        assert client.get("/lots/?origin=beta").context["page_obj"].paginator.count == 0
        assert client.get("/lots/?holder=beta").context["page_obj"].paginator.count == 0
        by_slug = client.get(f"/lots/?holder={world.org_a.slug}&q={lots[0].code}")
        assert [lot.code for lot in by_slug.context["lots"]] == [lots[0].code]

    def test_short_lot_lists_are_counted_exactly_with_organisations_to_pick(
        self, world, client_for
    ):
        produce(world)
        body = client_for(world.manager_a).get("/lots/").content.decode()
        assert '<span class="count">1</span>' in body
        assert f'<option value="{world.org_a.slug}">' in body
        assert "counted no further" not in body

    def test_pages_in_spanish(self, world, client_for, chain):
        client = client_for(world.buyer_user)
        client.post("/i18n/setlang/", {"language": "es", "next": "/"})
        for url in (
            "/lots/",
            f"/lots/{chain['refined'].code}/",
            "/incidents/",
            "/suppliers/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert 'lang="es"' in response.content.decode()
        body = client.get(f"/lots/{chain['refined'].code}/").content.decode()
        assert "Sitio" in body  # translated labels
        assert "799,2" in body  # 799.2 g fine, written the Spanish way
        start = body.index('<svg class="custody-graph"')
        drawing = body[start : body.index("</svg>", start)]
        numbers = re.findall(r' (?:x|y|width|height|viewBox)="([^"]*)"', drawing)
        assert numbers and not any("," in n for n in numbers)  # coordinates are not localised
        assert re.findall(r'class="edge-label" x="\d+" y="\d+"', drawing)  # not 250,0

    def test_a_user_of_another_organisation_gets_404_on_a_lot(self, world, client_for):
        lot = produce(world)
        assert client_for(world.manager_b).get(f"/lots/{lot.code}/").status_code == 404
        assert client_for(world.manager_b).get(f"/lots/{lot.pk}/").status_code == 404
        assert client_for(world.manager_a).get(f"/lots/{lot.pk}/").status_code == 200

    def test_the_buyer_sees_its_suppliers_incidents_but_no_member_names(self, world, client_for):
        lot = produce(world, mass="1000", fineness="900", days="100")  # 9 g per miner-day
        incident = Incident.objects.get(lot=lot)
        client = client_for(world.buyer_user)
        incidents = client.get("/incidents/").content.decode()
        assert "Production per miner-day above the threshold" in incidents
        assert client.get(f"/incidents/{incident.pk}/").status_code == 200
        suppliers = client.get("/suppliers/")
        assert [row["supplier"] for row in suppliers.context["rows"]] == [world.org_a]
        body = suppliers.content.decode()
        assert world.certificate_a.number in body and "Production per miner-day" in body
        page = client.get(f"/lots/{lot.code}/").content.decode()
        assert "Aguirre" not in page and "Alicia" not in page
        assert "a member of Alpha Gold Cooperative" in page
        trace = client.get(f"/api/lots/{lot.pk}/trace/").json()
        assert trace["origins"][0]["member"] is None
        assert "Aguirre" not in json.dumps(trace)
        # The manager of the cooperative sees its own member's name.
        assert (
            "Alicia Aguirre"
            in client_for(world.manager_a).get(f"/lots/{lot.code}/").content.decode()
        )

    def test_suppliers_show_what_was_received(self, world, client_for):
        deliver(world, produce(world))
        rows = client_for(world.buyer_user).get("/suppliers/").context["rows"]
        assert rows[0]["received"]["lots"] == 1
        assert rows[0]["received"]["fine_g"] == Decimal(800)

    def test_the_lot_page_does_not_grow_in_queries_with_the_graph(self, world, client_for):
        client = client_for(world.buyer_user)

        def queries(inputs: int) -> int:
            lots = [deliver(world, produce(world, mass="100")) for _ in range(inputs)]
            merged = services.merge(world.buyer_user, lots, TODAY)
            with CaptureQueriesContext(connection) as captured:
                assert client.get(f"/lots/{merged.code}/").status_code == 200
            return len(captured)

        assert queries(8) == queries(2)


# Forms -----------------------------------------------------------------------------------


class TestForms:
    def production(self, world, **changes):
        data = {
            "site": str(world.site_a.pk),
            "mineral": "gold",
            "kind": "dore",
            "mass_g": "1000",
            "fineness": "800",
            "on": (TODAY - timedelta(days=1)).isoformat(),
            "certificate": "",
            "custody_model": "",
            "code": "",
            "miners-TOTAL_FORMS": "2",
            "miners-INITIAL_FORMS": "0",
            "miners-MIN_NUM_FORMS": "0",
            "miners-MAX_NUM_FORMS": "60",
            "miners-0-member": str(world.member_a.pk),
            "miners-0-miner_days": "400",
            "miners-1-member": "",
            "miners-1-miner_days": "",
        }
        data.update(changes)
        return data

    def test_recording_production(self, world, client_for):
        client = client_for(world.manager_a)
        url = f"/orgs/{world.org_a.slug}/lots/new/"
        assert client.get(url).status_code == 200
        data = self.production(
            world,
            certificate=str(world.certificate_a.pk),
            custody_model="identity_preserved",
            code="RC-2024-001",
        )
        response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        lot = Lot.objects.get(code="RC-2024-001")
        assert response["Location"] == f"/lots/{lot.code}/"
        assert (lot.fine_g, lot.custody_model, lot.origins.get().member) == (
            Decimal(800),
            "identity_preserved",
            world.member_a,
        )

    @pytest.mark.parametrize(
        "changes,message",
        [
            ({"mass_g": "0"}, "more than zero"),
            ({"mass_g": "-3"}, "more than zero"),
            ({"fineness": "1000.5"}, "at most 1000"),
            ({"fineness": "abc"}, "number"),
            ({"miners-0-member": ""}, "Choose the member"),
            ({"miners-0-miner_days": "", "miners-0-member": ""}, "Say which members"),
            ({"custody_model": "segregated", "certificate": "x"}, "valid choice"),
        ],
    )
    def test_bad_production_is_refused_and_nothing_saved(self, world, client_for, changes, message):
        client = client_for(world.manager_a)
        response = client.post(
            f"/orgs/{world.org_a.slug}/lots/new/", self.production(world, **changes)
        )
        assert response.status_code == 400
        assert message in response.content.decode()
        assert not Lot.objects.exists() and not CustodyEvent.objects.exists()

    def test_a_model_the_standard_does_not_allow_is_refused(self, world, client_for):
        data = self.production(
            world, certificate=str(world.certificate_a.pk), custody_model="segregated"
        )
        response = client_for(world.manager_a).post(f"/orgs/{world.org_a.slug}/lots/new/", data)
        assert response.status_code == 400
        assert "allows these chain-of-custody models" in response.content.decode()
        assert not Lot.objects.exists()

    def test_members_of_another_organisation_are_not_offered(self, world, client_for):
        data = self.production(world, **{"miners-0-member": str(world.member_b.pk)})
        response = client_for(world.manager_a).post(f"/orgs/{world.org_a.slug}/lots/new/", data)
        assert response.status_code == 400
        assert "Zzsecretova" not in response.content.decode()
        assert not Lot.objects.exists()

    def test_ship_then_the_addressee_confirms_receipt(self, world, client_for):
        lot = produce(world)
        manager = client_for(world.manager_a)
        response = post_action(manager, lot, "ship", to=str(world.buyer.pk), on=TODAY.isoformat())
        assert response.status_code == 302
        lot.refresh_from_db()
        assert (lot.status, lot.consignee) == ("in_transit", world.buyer)
        # The sender cannot confirm; nothing changes.
        refused = post_action(manager, lot, "receive", on=TODAY.isoformat())
        assert refused.status_code == 403
        lot.refresh_from_db()
        assert lot.status == "in_transit"
        buyer = client_for(world.buyer_user)
        assert 'value="receive"' in buyer.get(f"/lots/{lot.code}/").content.decode()
        assert post_action(buyer, lot, "receive", on=TODAY.isoformat()).status_code == 302
        lot.refresh_from_db()
        assert (lot.status, lot.organisation) == ("active", world.buyer)

    def test_only_the_holder_acts_and_a_second_shipment_is_refused(self, world, client_for):
        lot = produce(world)
        response = post_action(
            client_for(world.buyer_user), lot, "ship", to=str(world.buyer.pk), on=TODAY.isoformat()
        )
        assert response.status_code == 403
        assert "does not allow" in response.content.decode()
        manager = client_for(world.manager_a)
        post_action(manager, lot, "ship", to=str(world.buyer.pk), on=TODAY.isoformat())
        again = post_action(manager, lot, "ship", to=str(world.buyer.pk), on=TODAY.isoformat())
        assert again.status_code == 400
        assert CustodyEvent.objects.filter(kind="shipment").count() == 1

    def test_split_and_a_split_heavier_than_the_lot(self, world, client_for):
        lot = deliver(world, produce(world))
        client = client_for(world.buyer_user)
        heavy = post_action(client, lot, "split", part_1="600", part_2="600", on=TODAY.isoformat())
        assert heavy.status_code == 400
        assert f"g of lot {lot.code}." in heavy.content.decode()  # named by its code
        lot.refresh_from_db()
        assert lot.status == "active" and Lot.objects.count() == 1
        ok = post_action(client, lot, "split", part_1="600", part_2="400", on=TODAY.isoformat())
        assert ok.status_code == 302
        assert Lot.objects.filter(status="active").count() == 2

    def test_merge_and_refine(self, world, client_for):
        one, two = deliver(world, produce(world)), deliver(world, produce(world, mass="500"))
        client = client_for(world.buyer_user)
        nothing = post_action(client, one, "merge", claim="inherit", on=TODAY.isoformat())
        assert nothing.status_code == 400
        merged = post_action(
            client, one, "merge", others=str(two.pk), claim="inherit", on=TODAY.isoformat()
        )
        assert merged.status_code == 302
        new = Lot.objects.get(code=merged["Location"].split("/")[2])
        assert new.fine_g == Decimal(1200)
        too_much = post_action(
            client,
            new,
            "transform",
            claim="inherit",
            kind="fine_gold",
            mass_1="1300",
            fineness_1="999.9",
            on=TODAY.isoformat(),
        )
        assert too_much.status_code == 400
        assert "above the largest yield" in too_much.content.decode()
        assert Lot.objects.filter(kind="fine_gold").count() == 0
        refined = post_action(
            client,
            new,
            "transform",
            claim="inherit",
            kind="fine_gold",
            mass_1="1190",
            fineness_1="999.9",
            on=TODAY.isoformat(),
        )
        assert refined.status_code == 302
        assert Lot.objects.get(kind="fine_gold").fine_g == Decimal("1189.881")

    def test_sell_shows_the_reference_checks_the_minimum_and_says_the_premium(
        self, world, client_for, prices, refinery
    ):
        lot = deliver(world, produce(world, mass="1250", fineness="800", claim=certified(world)))
        client = client_for(world.buyer_user)
        page = client.get(f"/lots/{lot.code}/").content.decode()
        assert "Reference price: USD 2,000.00" in page and "95 %" in page
        preview = post_action(
            client, lot, "sell", buyer=str(refinery.pk), usd_per_troy_oz="2000",
            on=TODAY.isoformat(), preview=True,
        )  # fmt: skip
        assert preview.status_code == 200
        assert "Premium owed after the sale: 4,000.00 USD" in preview.content.decode()
        assert not Sale.objects.exists()
        sold = post_action(
            client, lot, "sell", buyer=str(refinery.pk), usd_per_troy_oz="2000",
            on=TODAY.isoformat(),
        )  # fmt: skip
        assert sold.status_code == 302
        sale = Sale.objects.get()
        assert (sale.premium_owed, sale.minimum_price_ok) == (Decimal("4000.00"), True)
        followed = client.get(sold["Location"]).content.decode()
        assert "Premium owed: 4,000.00 USD" in followed

    def test_a_sale_below_the_minimum_opens_an_incident(self, world, client_for, prices, refinery):
        lot = deliver(world, produce(world))
        client = client_for(world.buyer_user)
        response = post_action(
            client, lot, "sell", buyer=str(refinery.pk), usd_per_troy_oz="1500",
            on=TODAY.isoformat(),
        )  # fmt: skip
        assert response.status_code == 302
        assert Incident.objects.filter(lot=lot, code="below_minimum_price").exists()

    @pytest.mark.parametrize("price", ["0", "-5", "abc"])
    def test_a_bad_price_is_refused(self, world, client_for, prices, refinery, price):
        lot = deliver(world, produce(world))
        response = post_action(
            client_for(world.buyer_user), lot, "sell", buyer=str(refinery.pk),
            usd_per_troy_oz=price, on=TODAY.isoformat(),
        )  # fmt: skip
        assert response.status_code == 400
        assert not Sale.objects.exists()

    def test_an_unknown_action_or_a_lot_used_up(self, world, client_for):
        lot = deliver(world, produce(world))
        client = client_for(world.buyer_user)
        assert client.post(f"/lots/{lot.code}/", {"action": "melt"}).status_code == 400
        services.split(world.buyer_user, lot, ["500"], TODAY)
        gone = post_action(client, lot, "split", part_1="100", part_2="100", on=TODAY.isoformat())
        assert gone.status_code == 400


class TestIncidents:
    def incident(self, world):
        produce(world, mass="1000", fineness="900", days="100")
        return Incident.objects.get()

    def test_the_organisation_follows_an_incident_up(self, world, client_for):
        incident = self.incident(world)
        client = client_for(world.manager_a)
        url = f"/incidents/{incident.pk}/"
        response = client.post(url, {"status": "investigating", "owner": world.manager_a.pk})
        assert response.status_code == 302
        incident.refresh_from_db()
        assert (incident.status, incident.owner) == ("investigating", world.manager_a)
        refused = client.post(url, {"status": "closed", "resolution": " "})
        assert refused.status_code == 400
        incident.refresh_from_db()
        assert incident.status == "investigating"
        closed = client.post(url, {"status": "closed", "resolution": "Two shifts were missing."})
        assert closed.status_code == 302
        incident.refresh_from_db()
        assert (incident.status, incident.closed_on) == ("closed", TODAY)

    def test_the_buyer_reads_but_does_not_change_a_suppliers_incident(self, world, client_for):
        incident = self.incident(world)
        client = client_for(world.buyer_user)
        url = f"/incidents/{incident.pk}/"
        assert 'name="status"' not in client.get(url).content.decode()
        response = client.post(url, {"status": "closed", "resolution": "fine"})
        assert response.status_code == 403
        incident.refresh_from_db()
        assert incident.status == "open"
        api = client.patch(
            f"/api/incidents/{incident.pk}/", {"status": "closed"}, content_type="application/json"
        )
        assert api.status_code == 403

    def test_an_owner_from_another_organisation_is_refused(self, world, client_for):
        incident = self.incident(world)
        response = client_for(world.manager_a).post(
            f"/incidents/{incident.pk}/", {"status": "open", "owner": world.manager_b.pk}
        )
        assert response.status_code == 400
        incident.refresh_from_db()
        assert incident.owner is None

    def test_incident_filters(self, world, client_for):
        self.incident(world)
        client = client_for(world.buyer_user)
        assert len(client.get("/incidents/?status=open").context["incidents"]) == 1
        assert len(client.get("/incidents/?status=closed").context["incidents"]) == 0
        assert (
            len(client.get(f"/incidents/?organisation={world.org_a.slug}").context["incidents"])
            == 1
        )
        assert len(client.get("/incidents/?code=production_spike").context["incidents"]) == 0

    def test_api_patch(self, world, client_for):
        incident = self.incident(world)
        client = client_for(world.manager_a)
        url = f"/api/incidents/{incident.pk}/"
        bad = client.patch(url, {"status": "closed"}, content_type="application/json")
        assert bad.status_code == 400 and "resolution" in bad.json()
        bad_owner = client.patch(
            url, {"owner": world.manager_b.pk}, content_type="application/json"
        )
        assert bad_owner.status_code == 400
        ok = client.patch(
            url,
            {"status": "closed", "resolution": "Checked", "owner": world.manager_a.pk},
            content_type="application/json",
        )
        assert ok.status_code == 200, ok.content
        assert (ok.json()["status"], ok.json()["closed_on"]) == ("closed", TODAY.isoformat())
        assert (
            client.put(url, {"status": "open"}, content_type="application/json").status_code == 405
        )
        assert client_for(world.manager_b).get(url).status_code == 404


# API -------------------------------------------------------------------------------------


class TestApi:
    def test_lots_are_listed_filtered_and_scoped(self, world, client_for, chain):
        client = client_for(world.buyer_user)
        data = client.get("/api/lots/?status=active").json()
        assert [row["code"] for row in data["results"]] == [chain["refined"].code]
        assert client.get("/api/lots/?certified=true").json()["count"] == 0
        detail = client.get(f"/api/lots/{chain['refined'].pk}/").json()
        assert detail["fine_g"].startswith("799.2") and detail["holder"] == str(world.buyer.pk)
        assert client_for(world.manager_b).get("/api/lots/").json()["count"] == 0
        assert client_for(world.manager_b).get(f"/api/lots/{chain['one'].pk}/").status_code == 404
        assert client.get("/api/lots/not-a-uuid/").status_code == 404

    def test_trace_shares_sum_to_one_and_grams_to_the_fine_content(self, world, client_for, chain):
        refined = chain["refined"]
        data = client_for(world.manager_a).get(f"/api/lots/{refined.pk}/trace/").json()
        assert sum(Decimal(o["share"]) for o in data["origins"]) == 1
        assert sum(Decimal(o["fine_g"]) for o in data["origins"]) == refined.fine_g
        assert sum(Decimal(s["share"]) for s in data["sites"]) == 1
        assert data["depth"] == 2 and len(data["origins"]) == 2
        names = {o["member_name"] for o in data["origins"]}
        assert names == {"Alicia Aguirre", "Berta Bravo"}  # the manager sees its members

    def test_forward_trace_names_the_buyers(self, world, client_for, chain, prices, refinery):
        services.sell(world.buyer_user, chain["refined"], refinery, TODAY, "2000")
        client = client_for(world.manager_a)
        data = client.get(f"/api/lots/{chain['one'].pk}/trace/?direction=forward").json()
        assert [d["depth"] for d in data["descendants"]] == [1, 2]
        # Lot one gave 480 of the merged lot's 840 fine grams; the other 360 came from two.
        shares = [Decimal(d["share"]) for d in data["descendants"]]
        assert shares[0] == pytest.approx(Decimal(480) / 840)
        assert shares[1] == pytest.approx(Decimal(480) / 840)
        from_one = Decimal(data["buyers"][0]["fine_g"])
        assert from_one == pytest.approx(chain["refined"].fine_g * 480 / 840, abs=Decimal("1e-5"))
        assert data["buyers"][0]["buyer"] == "Fine Refinery SA"
        assert client.get(f"/api/lots/{chain['one'].pk}/trace/?direction=up").status_code == 400

    def test_sales(self, world, client_for, prices, refinery):
        lot = deliver(world, produce(world, mass="1250", claim=certified(world)))
        services.sell(world.buyer_user, lot, refinery, TODAY, "2000")
        data = client_for(world.buyer_user).get("/api/sales/").json()["results"]
        assert (data[0]["lot_code"], data[0]["premium_owed"]) == (lot.code, "4000.00")
        assert client_for(world.manager_a).get("/api/sales/").json()["count"] == 0

    def test_the_schema_documents_the_custody_endpoints(self, world, client_for):
        schema = client_for(world.manager_a).get("/api/schema/").content.decode()
        for path in ("/api/lots/{id}/trace/", "/api/incidents/{id}/", "/api/sales/", "/api/epcis/"):
            assert path in schema


# EPCIS -----------------------------------------------------------------------------------


class TestEpcis:
    def test_the_api_returns_json_ld_for_the_visible_events(self, world, client_for, chain):
        response = client_for(world.buyer_user).get("/api/epcis/")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/ld+json")
        events = response.json()["epcisBody"]["eventList"]
        kinds = [e["type"] for e in events]
        assert kinds.count("TransformationEvent") == 2  # the merge and the refining
        steps = {e.get("bizStep") for e in events}
        assert {"commissioning", "shipping", "receiving"} <= steps

    @needs_schema
    def test_the_document_validates_against_gs1s_schema(
        self, world, client_for, chain, prices, refinery
    ):
        services.sell(world.buyer_user, chain["refined"], refinery, TODAY, "2000")
        document = client_for(world.superuser).get("/api/epcis/").json()
        assert epcis.validate(document) == []
        assert {e["type"] for e in document["epcisBody"]["eventList"]} == {
            "ObjectEvent",
            "TransformationEvent",
            "TransactionEvent",
        }

    def test_organisation_and_date_filters_and_errors(self, world, client_for, chain):
        client = client_for(world.buyer_user)
        old = client.get(f"/api/epcis/?organisation={world.org_a.slug}&since=2000-01-01").json()
        assert len(old["epcisBody"]["eventList"]) == 6  # 2 productions, 2 shipments, 2 receipts
        future = (TODAY + timedelta(days=1)).isoformat()
        assert client.get(f"/api/epcis/?since={future}").json()["epcisBody"]["eventList"] == []
        assert client.get("/api/epcis/?since=2024-13-01").status_code == 400
        assert client.get(f"/api/epcis/?organisation={world.org_b.pk}").status_code == 404
        assert client.get("/api/epcis/?organisation=nobody").status_code == 404

    def test_events_are_read_in_a_fixed_number_of_queries(self, world, chain):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                epcis.export(world.buyer_user)
            return len(captured)

        queries()  # the user's roles and related organisations are then known
        before = queries()
        for _ in range(5):
            deliver(world, produce(world, mass="50"))
        assert queries() == before


# Commands --------------------------------------------------------------------------------


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=out)
    return out.getvalue()


class TestCommands:
    def test_trace_back_and_forward(self, world, chain):
        refined = chain["refined"]
        text = run("trace", refined.code)
        assert "Alpha Pit (A-1)" in text and "Berta Bravo" in text
        data = json.loads(run("trace", str(refined.pk), "--json"))
        assert sum(Decimal(o["fine_g"]) for o in data["origins"]) == refined.fine_g
        forward = run("trace", chain["one"].code, "--forward")
        assert chain["merged"].code in forward and chain["refined"].code in forward

    def test_trace_of_an_unknown_lot(self, world):
        with pytest.raises(CommandError, match="No lot"):
            run("trace", "LOT-NOPE")

    def test_prices_import(self, world, tmp_path):
        good = tmp_path / "prices.csv"
        good.write_text("Date,Price\n2024-01,2050.5\n2024-02,2030\n")
        assert "Imported 2 gold price(s)" in run("prices", "import", str(good))
        assert ReferencePrice.objects.count() == 2

    def test_a_bad_price_file_reports_each_row_and_imports_nothing(self, world, tmp_path):
        bad = tmp_path / "bad.csv"
        bad.write_text("Date,Price\n2024-03,2100\n2024-13,2000\n2024-05,abc\n2024-06,-1\n")
        from io import StringIO

        err = StringIO()
        with pytest.raises(CommandError, match="3 problem"):
            call_command("prices", "import", str(bad), stdout=StringIO(), stderr=err)
        assert "bad.csv:3" in err.getvalue() and "bad.csv:4" in err.getvalue()
        assert "bad.csv:5" in err.getvalue()
        assert not ReferencePrice.objects.exists()
        with pytest.raises(CommandError, match="Cannot read"):
            run("prices", "import", str(tmp_path / "missing.csv"))

    def test_epcis_export(self, world, chain, tmp_path):
        out = tmp_path / "epcis.jsonld"
        text = run(
            "epcis", "export", "--org", world.org_a.slug, "--since", "2000-01-01", "--out", str(out)
        )
        document = json.loads(out.read_text())
        assert len(document["epcisBody"]["eventList"]) == 6
        if SCHEMA.exists():
            assert "Valid against" in text
            assert epcis.validate(document) == []
        else:
            assert "Not validated" in text

    def test_epcis_export_without_the_schema_says_so(self, world, chain, tmp_path):
        text = run(
            "epcis",
            "export",
            "--out",
            str(tmp_path / "e.jsonld"),
            "--schema",
            str(tmp_path / "no.json"),
        )
        assert "Not validated" in text

    @pytest.mark.parametrize(
        "args,message",
        [(["--org", "nobody"], "No organisation"), (["--since", "2024-02-30"], "not a date")],
    )
    def test_epcis_export_errors(self, world, tmp_path, args, message):
        out = tmp_path / "e.jsonld"
        with pytest.raises(CommandError, match=message):
            run("epcis", "export", *args, "--out", str(out))
        assert not out.exists()


def test_the_real_price_series_and_schema_paths_are_where_the_docs_say():
    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    assert shared / "epcis" / "EPCIS-JSON-Schema.json" == SCHEMA
