"""`batea synth`: the counts asked, valid rows, pages that answer, determinism, --replace."""

import io
from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from batea.assessments.models import Answer, Assessment
from batea.custody.models import CustodyEvent, Lot, LotLink, LotOrigin, LotUse, Sale
from batea.registry.models import Licence, Member, Organisation, Relation, Site
from batea.synth import sink as sink_module
from batea.synth.plan import asmo_sizes

pytestmark = pytest.mark.django_db(transaction=False)

TODAY = date(2026, 11, 1)
MEMBERS, EVENTS = 300, 2_000
PASSWORD = "synth-test-pw"


def synth(*extra: str, members: int = MEMBERS, events: int = EVENTS) -> None:
    call_command(
        "synth",
        f"--members={members}",
        f"--events={events}",
        "--seed=7",
        f"--today={TODAY.isoformat()}",
        f"--password={PASSWORD}",
        "--no-progress",
        *extra,
        stdout=io.StringIO(),
    )


def synthetic(model, field: str = "organisation__slug__startswith"):
    return model.objects.filter(**{field: "synth-"})


def snapshot() -> dict[str, list]:
    """Content of the synthetic rows, without the timestamps the ORM stamps itself."""
    return {
        "members": list(
            synthetic(Member)
            .order_by("id")
            .values_list("id", "member_number", "given_name", "family_name", "gender", "join_date")
        ),
        "lots": list(
            synthetic(Lot).order_by("code").values_list("id", "code", "mass_g", "fine_g", "status")
        ),
        "events": list(
            synthetic(CustodyEvent)
            .order_by("id")
            .values_list("id", "kind", "organisation__slug", "occurred_on", "loss_fine_g")
        ),
        "answers": list(
            synthetic(Answer, "assessment__organisation__slug__startswith")
            .order_by("id")
            .values_list("id", "value", "score")
        ),
    }


def test_sizes_add_up_and_spread():
    import random

    sizes = asmo_sizes(1_000_000, random.Random(1))
    assert sum(sizes) == 1_000_000
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == 50_000 and min(sizes) >= 10
    assert sizes[len(sizes) // 2] < 400 < sizes[1]  # a long tail of small groups


def test_counts_asked_and_valid_rows():
    synth()
    assert synthetic(Member).count() == MEMBERS
    events = synthetic(CustodyEvent)
    assert events.count() == EVENTS
    assert Organisation.objects.filter(slug="synth-federation", kind="support").exists()
    for model, field in (
        (Organisation, "slug__startswith"),
        (Member, "organisation__slug__startswith"),
        (Site, "organisation__slug__startswith"),
        (Licence, "organisation__slug__startswith"),
        (Relation, "target__slug__startswith"),
        (Assessment, "organisation__slug__startswith"),
        (Lot, "origin_organisation__slug__startswith"),
        (CustodyEvent, "organisation__slug__startswith"),
        (Sale, "seller__slug__startswith"),
    ):
        sample = list(synthetic(model, field).order_by("pk")[:40])
        assert sample, model
        for row in sample:
            row.full_clean()
    for site in synthetic(Site):
        before = (site.geometry, site.longitude, site.latitude)
        site.full_clean()
        assert (site.geometry, site.longitude, site.latitude) == before


def verify_log() -> None:
    """The hash chains of custody events verify (`batea verify_log` raises if not)."""
    call_command("verify_log", stdout=io.StringIO())


def test_custody_rows_trace_back_and_balance():
    from batea.custody import tracing

    synth()
    assert synthetic(CustodyEvent).filter(chain_seq=1).count() > 1  # sealed, one chain each
    verify_log()
    assert LotUse.objects.filter(lot__code__startswith="SYN7-").count() > EVENTS
    sold = list(Lot.objects.filter(code__startswith="SYN7-", status="sold")[:5])
    assert sold
    for bar in sold:
        trace = tracing.trace_back(bar)
        assert trace.depth == 5
        total = sum((origin.fine_g for origin in trace.origins), Decimal(0))
        assert abs(total - bar.fine_g) < Decimal("0.000001")
        assert bar.consignee.slug == "synth-exporter-001"
    for event in synthetic(CustodyEvent).filter(kind__in=["merge", "split", "transformation"])[:50]:
        taken = sum(link.fine_g for link in LotLink.objects.filter(event=event))
        made = sum(lot.fine_g for lot in Lot.objects.filter(parent_links__event=event).distinct())
        consumed = sum(use.lot.fine_g for use in event.uses.all())
        # SQLite keeps decimals as floats: 16 significant digits.
        assert abs(consumed - made - event.loss_fine_g) < Decimal("1e-9")
        assert min(abs(taken - consumed), abs(taken - made)) < Decimal("1e-9")
    assert LotOrigin.objects.filter(lot__code__startswith="SYN7-").exists()


def test_deciding_flags_match_a_rebuild():
    from batea.assessments import deciding

    synth()
    answers = synthetic(Answer, "assessment__organisation__slug__startswith")
    written = set(answers.filter(deciding=True).values_list("id", flat=True))
    deciding.rebuild()
    assert set(answers.filter(deciding=True).values_list("id", flat=True)) == written
    assert len(written) == answers.count()


def test_pages_of_the_biggest_asmo_answer(client):
    synth()
    biggest = Organisation.objects.filter(slug__startswith="synth-asmo-").order_by("-slug")
    biggest = max(biggest, key=lambda org: org.members.count())
    assert client.login(username="synth-manager", password=PASSWORD)
    certificate = biggest.certificates.get()
    for url in (
        f"/orgs/{biggest.slug}/",
        f"/orgs/{biggest.slug}/members/",
        f"/orgs/{biggest.slug}/members/?page=2",
        f"/orgs/{biggest.slug}/pathway/",
        f"/orgs/{biggest.slug}/assessments/",
        f"/members/{biggest.members.first().pk}/",
        f"/certificates/{certificate.pk}/",
        "/lots/",
        f"/api/members/?organisation={biggest.pk}",
    ):
        assert client.get(url).status_code == 200, url
    assert client.login(username="synth-buyer", password=PASSWORD)
    bar = Lot.objects.filter(organisation__slug="synth-refinery-001", status="sold").first()
    assert client.get(f"/lots/{bar.code}/").status_code == 200
    assert client.login(username="synth-federation", password=PASSWORD)
    assert client.get("/portfolio/").status_code == 200


def test_same_seed_same_data_and_replace():
    synth()
    first = snapshot()
    with pytest.raises(CommandError, match="--replace"):
        synth()
    synth("--replace")
    assert snapshot() == first
    assert synthetic(Member).count() == MEMBERS
    synth("--replace", members=120, events=80)
    assert synthetic(Member).count() == 120
    assert synthetic(CustodyEvent).count() == 80
    verify_log()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_postgresql_loads_with_copy():
    calls = []
    original = sink_module.Sink._copy

    def spy(self, table, rows):
        calls.append(table.model._meta.db_table)
        return original(self, table, rows)

    with (
        mock.patch.object(sink_module.Sink, "_bulk", side_effect=AssertionError("bulk")),
        mock.patch.object(sink_module.Sink, "_copy", spy),
    ):
        synth()
    assert {"registry_member", "custody_custodyevent", "assessments_answer"} <= set(calls)
    assert synthetic(Member).count() == MEMBERS
