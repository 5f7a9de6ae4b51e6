"""Trace a lot through the stored custody graph: one recursive query fetches the part of the
graph that matters, the rules in `batea.domain.custody.trace` do the arithmetic."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from batea.custody.models import Lot, LotLink, LotOrigin, Sale
from batea.domain.custody import trace as rules
from batea.registry.models import Member, Site


def _related_edges(lot: Lot, direction: str) -> list[tuple[str, str, Decimal]]:
    """Every link into the lot and its ancestors (up), or into its descendants (down), in
    one recursive query; UNION (not UNION ALL) visits a lot reached by two paths once.

    Down, a descendant's links from lots outside the traced lot's descendants (the other
    inputs of a merge or refining) are included too: without them every descendant would
    seem to come wholly from the traced lot."""
    table = connection.ops.quote_name(LotLink._meta.db_table)
    step, ends = ("parent_id", "child_id") if direction == "up" else ("child_id", "parent_id")
    sql = (
        f"WITH RECURSIVE reached(id) AS (SELECT %s UNION "
        f"SELECT l.{step} FROM {table} l JOIN reached r ON l.{ends} = r.id) "
        f"SELECT l.parent_id, l.child_id, l.fine_g FROM {table} l "
        f"WHERE l.child_id IN (SELECT id FROM reached)"
    )
    pk = Lot._meta.pk.get_db_prep_value(lot.pk, connection)
    field = LotLink._meta.get_field("fine_g")
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
        rows = cursor.fetchall()
    to_uuid = Lot._meta.pk.to_python
    return [
        (str(to_uuid(parent)), str(to_uuid(child)), field.to_python(fine))
        for parent, child, fine in rows
    ]


@dataclass
class Origin:
    site: Site | None
    member: Member | None
    share: Decimal  # of the lot's fine content, 0–1
    fine_g: Decimal
    depth: int


@dataclass
class BackTrace:
    lot: Lot
    origins: list[Origin]
    depth: int
    edges: list[tuple[str, str, Decimal]]

    def by_site(self) -> list[tuple[Site | None, Decimal, Decimal]]:
        """(site, share, fine grams) with the members of each site added up."""
        totals: dict = {}
        for origin in self.origins:
            share, grams = totals.get(origin.site, (Decimal(0), Decimal(0)))
            totals[origin.site] = (share + origin.share, grams + origin.fine_g)
        return sorted(((site, s, g) for site, (s, g) in totals.items()), key=lambda row: -row[2])


def trace_back(lot: Lot) -> BackTrace:
    """The lot's origin sites and members, each with its share of the fine content."""
    edges = _related_edges(lot, "up")
    lot_ids = {lot.pk} | {Lot._meta.pk.to_python(p) for p, _c, _f in edges}
    produced = Lot.objects.filter(pk__in=lot_ids, site__isnull=False).values_list("id", "site_id")
    origins: dict[str, list] = {str(pk): [(str(site), None, Decimal(1))] for pk, site in produced}
    for pk, site, member, days in LotOrigin.objects.filter(lot_id__in=lot_ids).values_list(
        "lot_id", "lot__site_id", "member_id", "miner_days"
    ):
        rows = origins[str(pk)]
        if rows and rows[0][1] is None:
            rows.clear()  # members known: they replace the site-only placeholder
        rows.append((str(site), str(member), days))
    result = rules.trace_back(str(lot.pk), edges, origins, lot.fine_g)
    sites = Site.objects.in_bulk([o.site for o in result.origins if o.site])
    members = Member.objects.in_bulk([o.member for o in result.origins if o.member])
    return BackTrace(
        lot,
        [
            Origin(
                sites.get(_uuid(o.site)),
                members.get(_uuid(o.member)),
                Decimal(o.share.numerator) / Decimal(o.share.denominator),
                o.fine_g,
                o.depth,
            )
            for o in result.origins
        ],
        result.depth,
        edges,
    )


def _uuid(value):
    return Lot._meta.pk.to_python(value) if value else None


@dataclass
class Descendant:
    lot: Lot
    share: Decimal
    depth: int
    sold_to: str | None


def trace_forward(lot: Lot) -> list[Descendant]:
    """Every lot made (partly) from this one, how much of it comes from here, and the
    buyers of those sold."""
    edges = _related_edges(lot, "down")
    ids = {Lot._meta.pk.to_python(c) for _p, c, _f in edges}
    sold = {
        str(pk): name
        for pk, name in Sale.objects.filter(lot_id__in=ids | {lot.pk}).values_list(
            "lot_id", "buyer__name"
        )
    }
    result = rules.trace_forward(str(lot.pk), edges, sold)
    lots = Lot.objects.select_related("organisation").in_bulk(ids)
    return [
        Descendant(
            lots[_uuid(d.lot)],
            Decimal(d.share.numerator) / Decimal(d.share.denominator),
            d.depth,
            d.sold_to,
        )
        for d in result.descendants
    ]
