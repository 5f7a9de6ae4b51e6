"""Custody pages: lots, their graph, trace and map, the holder's actions, incidents and the
buyer's view of its suppliers. Every lookup goes through `visible_to` / `changeable_by` /
`organisations_where`; the rules are applied by `batea.custody.services`."""

from collections import defaultdict, deque
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models import Count, Max, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from batea.access.scoping import can, organisations_where
from batea.certification.models import Certificate
from batea.custody import forms as custody_forms
from batea.custody import services, tracing
from batea.custody.models import (
    KIND_LABELS,
    STATUS_LABELS,
    CustodyEvent,
    Incident,
    Lot,
    LotLink,
    LotUse,
    Sale,
)
from batea.custody.templatetags.custody import grams, money, percent
from batea.domain.access import CHANGE, RelationKind, Resource
from batea.domain.custody import CustodyError
from batea.domain.custody import premiums as premium_rules
from batea.domain.custody.premiums import DEFAULT_MINIMUM_PERCENT
from batea.registry.models import Member, Organisation, Relation, Site
from batea.registry.views import site_features
from batea.web.paging import CappedPaginator

LOTS_PER_PAGE = 50
# The lot list counts at most this many lots (a refinery may see millions); see paging.py.
LOTS_COUNT_CAP = 10_000
INCIDENTS_PER_PAGE = 50
MAX_GRAPH_LOTS = 120  # larger graphs are listed, not drawn
MAX_ORIGIN_ROWS = 500


def lot_or_404(request, code_or_id: str) -> Lot:
    try:
        return services.visible_lot(request.user, code_or_id)
    except Lot.DoesNotExist as error:
        raise Http404(_("No such lot.")) from error


def may_receive(user, lot: Lot) -> bool:
    """Whether the user may confirm receipt of a lot shipped to their organisation."""
    return (
        lot.status == "in_transit"
        and lot.consignee_id is not None
        and organisations_where(user, Resource.CUSTODY, CHANGE).filter(pk=lot.consignee_id).exists()
    )


# Lot list --------------------------------------------------------------------------------


class LotListView(LoginRequiredMixin, TemplateView):
    template_name = "custody/lot_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        lots = Lot.objects.visible_to(user)
        filters = custody_forms.LotFilterForm(self.request.GET or None, lots=lots)
        lots = filters.apply(lots).select_related(
            "organisation", "consignee", "claim_version__standard"
        )
        page = CappedPaginator(lots, LOTS_PER_PAGE, cap=LOTS_COUNT_CAP).get_page(
            self.request.GET.get("page")
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filters=filters,
            page_obj=page,
            lots=page.object_list,
            query_string=query.urlencode(),
            producers=organisations_where(user, Resource.CUSTODY, CHANGE)
            .filter(kind="asmo")
            .order_by("name"),
        )
        return context


# The custody graph -----------------------------------------------------------------------

BOX_W, BOX_H, COL_GAP, ROW_GAP, PAD = 196, 62, 84, 16, 12


@dataclass
class GraphNode:
    id: str
    lot: Lot | None
    visible: bool
    root: bool
    column: int = 0
    row: int = 0
    x: int = 0
    y: int = 0
    lines: list[tuple] = field(default_factory=list)  # (x, y, text, css class)
    url: str = ""


@dataclass
class GraphEdge:
    parent: GraphNode
    child: GraphNode
    fine_g: Decimal
    path: str = ""
    label_x: float = 0
    label_y: float = 0


@dataclass
class CustodyGraph:
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    width: int
    height: int
    drawn: bool
    box_width: int = BOX_W
    box_height: int = BOX_H

    @property
    def hidden(self) -> int:
        return sum(not node.visible for node in self.nodes)


def _longest_distances(root: str, forward: dict, backward: dict) -> dict[str, int]:
    """Longest number of steps from root to each node along `forward` (a DAG), so that
    every edge goes from a smaller to a larger distance (Kahn's order)."""
    distance = {root: 0}
    waiting = {node: len(parents) for node, parents in backward.items()}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        for nxt in forward.get(node, ()):
            distance[nxt] = max(distance.get(nxt, 0), distance[node] + 1)
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                queue.append(nxt)
    return distance


def custody_graph(user, lot: Lot, up_edges, down_edges) -> CustodyGraph:
    """The lot, its ancestors (columns to the left) and descendants (to the right), with
    the fine grams each link carried. Lots the user cannot see are shown by their holder
    only."""
    root = str(lot.pk)
    down_edges = _descendant_edges(root, down_edges)
    up_parents, up_children = defaultdict(set), defaultdict(set)
    for parent, child, _fine in up_edges:
        up_parents[child].add(parent)
        up_children[parent].add(child)
    down_parents, down_children = defaultdict(set), defaultdict(set)
    for parent, child, _fine in down_edges:
        down_parents[child].add(parent)
        down_children[parent].add(child)
    columns = {root: 0}
    for node, steps in _longest_distances(root, up_parents, up_children).items():
        columns[node] = -steps
    for node, steps in _longest_distances(root, down_children, down_parents).items():
        columns[node] = steps
    ids = list(columns)
    lots = Lot.objects.select_related("organisation").in_bulk(ids)
    lots = {str(pk): value for pk, value in lots.items()}
    visible = {
        str(pk)
        for pk in Lot.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
    }
    nodes = {
        node: GraphNode(node, lots.get(node), node in visible, node == root, columns[node])
        for node in ids
    }
    edges = {}
    for parent, child, fine in [*up_edges, *down_edges]:
        if parent in nodes and child in nodes:
            key = (parent, child)
            edges[key] = edges.get(key, Decimal(0)) + fine
    drawn = len(nodes) <= MAX_GRAPH_LOTS
    # Rows: the root alone in its column, then outwards, each node placed by the mean row
    # of its neighbours in the column next to it (fewer crossings).
    by_column = defaultdict(list)
    for node in nodes.values():
        by_column[node.column].append(node)
    left, right = min(by_column), max(by_column)
    neighbours = defaultdict(list)
    for parent, child in edges:
        neighbours[parent].append(child)
        neighbours[child].append(parent)
    order = [0] + [c for c in range(-1, left - 1, -1)] + list(range(1, right + 1))
    for column in order:
        members = by_column.get(column, [])

        def weight(node, column=column):
            placed = [
                nodes[n].row
                for n in neighbours[node.id]
                if abs(nodes[n].column) < abs(column) or nodes[n].column == 0
            ]
            code = node.lot.code if node.lot else node.id
            return (sum(placed) / len(placed) if placed else 0, code)

        for row, node in enumerate(sorted(members, key=weight)):
            node.row = row
    tallest = max(len(members) for members in by_column.values())
    for node in nodes.values():
        count = len(by_column[node.column])
        offset = (tallest - count) * (BOX_H + ROW_GAP) / 2
        node.x = PAD + (node.column - left) * (BOX_W + COL_GAP)
        node.y = int(PAD + offset + node.row * (BOX_H + ROW_GAP))
        _describe(node)
    graph_edges = []
    for (parent, child), fine in edges.items():
        a, b = nodes[parent], nodes[child]
        x1, y1 = a.x + BOX_W, a.y + BOX_H / 2
        x2, y2 = b.x, b.y + BOX_H / 2
        bend = (x2 - x1) / 2
        edge = GraphEdge(a, b, fine)
        edge.path = f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2 - 6},{y2}"
        edge.label_x, edge.label_y = round((x1 + x2) / 2), round((y1 + y2) / 2 - 4)
        graph_edges.append(edge)
    ordered = sorted(nodes.values(), key=lambda n: (n.column, n.row))
    width = PAD * 2 + (right - left + 1) * BOX_W + (right - left) * COL_GAP
    height = PAD * 2 + tallest * BOX_H + (tallest - 1) * ROW_GAP
    return CustodyGraph(ordered, graph_edges, width, height, drawn)


def _descendant_edges(root: str, edges) -> list:
    """The links among the root and its descendants only (the query also gives the other
    inputs of the descendants, which the graph does not draw)."""
    children = defaultdict(list)
    for parent, child, _fine in edges:
        children[parent].append(child)
    reached, stack = {root}, [root]
    while stack:
        for child in children[stack.pop()]:
            if child not in reached:
                reached.add(child)
                stack.append(child)
    return [e for e in edges if e[0] in reached and e[1] in reached and e[1] != root]


def _describe(node: GraphNode) -> None:
    lot = node.lot
    x = node.x + 10
    if lot is None:
        node.lines = [(x, node.y + 22, "?", "code")]
        return
    holder = Truncator(lot.organisation.name).chars(30)
    kind = str(KIND_LABELS.get(lot.kind, lot.kind))
    fine = _("%(grams)s g fine") % {"grams": grams(lot.fine_g)}
    if node.visible:
        node.url = reverse("lot-detail", args=[lot.code])
        first = lot.code
    else:
        first = _("A lot you cannot open")
    node.lines = [
        (x, node.y + 20, first, "code"),
        (x, node.y + 38, f"{kind} · {fine}", ""),
        (x, node.y + 55, holder, "holder"),
    ]


# Trace -----------------------------------------------------------------------------------


@dataclass
class OriginRow:
    site: Site | None
    site_visible: bool
    member: Member | None
    member_visible: bool
    organisation: Organisation | None
    share: Decimal
    fine_g: Decimal


def back_trace_rows(user, traced: tracing.BackTrace) -> dict:
    """Origins by site and by member, naming only the sites and members the user may see."""
    sites = {o.site.pk: o.site for o in traced.origins if o.site}
    members = {o.member.pk: o.member for o in traced.origins if o.member}
    visible_sites = set(
        Site.objects.visible_to(user).filter(pk__in=list(sites)).values_list("pk", flat=True)
    )
    visible_members = set(
        Member.objects.visible_to(user).filter(pk__in=list(members)).values_list("pk", flat=True)
    )
    organisations = Organisation.objects.in_bulk(
        {s.organisation_id for s in sites.values()} | {m.organisation_id for m in members.values()}
    )
    by_site = [
        OriginRow(
            site,
            site is not None and site.pk in visible_sites,
            None,
            False,
            organisations.get(site.organisation_id) if site else None,
            share,
            grams,
        )
        for site, share, grams in traced.by_site()
    ]
    by_member = [
        OriginRow(
            o.site,
            o.site is not None and o.site.pk in visible_sites,
            o.member,
            o.member is not None and o.member.pk in visible_members,
            organisations.get(
                o.member.organisation_id if o.member else getattr(o.site, "organisation_id", None)
            ),
            o.share,
            o.fine_g,
        )
        for o in sorted(traced.origins, key=lambda o: -o.fine_g)[:MAX_ORIGIN_ROWS]
    ]
    return {
        "by_site": by_site,
        "by_member": by_member,
        "more_members": max(len(traced.origins) - MAX_ORIGIN_ROWS, 0),
        "map_sites": [sites[pk] for pk in sites if pk in visible_sites],
        "hidden_sites": len([s for s in sites if s not in visible_sites]),
    }


def origin_map(user, rows: list[OriginRow], site_ids) -> dict:
    """The visible origin sites as GeoJSON, each with its share of the lot."""
    sites = (
        Site.objects.visible_to(user)
        .filter(pk__in=[s.pk for s in site_ids])
        .select_related("organisation")
        .prefetch_related("commodities")
    )
    collection = site_features(sites)
    shares = {row.site.pk: row for row in rows if row.site is not None}
    for feature in collection["features"]:
        row = shares.get(Site._meta.pk.to_python(feature["id"]))
        if row is not None:
            feature["properties"]["detail"] = _("%(share)s %% of the lot · %(grams)s g fine") % {
                "share": percent(row.share),
                "grams": grams(row.fine_g),
            }
    return collection


# Lot page --------------------------------------------------------------------------------


def lot_events(user, lot: Lot):
    """Custody events that took, moved or made the lot, as far as the user may see them."""
    # The ids first, through the lot's indexes: an OR of two IN-subqueries made PostgreSQL
    # scan every custody event (1.4 s at 3,000,000 events).
    ids = {*LotUse.objects.filter(lot=lot).values_list("event_id", flat=True)}
    ids.update(LotLink.objects.filter(child=lot).values_list("event_id", flat=True))
    return (
        CustodyEvent.objects.visible_to(user)
        .filter(pk__in=ids)
        .select_related("organisation", "counterparty", "site")
        .order_by("occurred_on", "recorded_at")
    )


def minimum_percent(lot: Lot) -> Decimal:
    prices = lot.claim_version.document.get("prices") if lot.claim_version_id else None
    declared = (prices or {}).get("minimum_price")
    return Decimal(str(declared["percent"])) if declared else DEFAULT_MINIMUM_PERCENT


def sale_preview(lot: Lot, price: Decimal, on) -> dict:
    """What a sale at this price would give, without recording anything."""
    reference = services.reference_price(lot.mineral, on)
    if reference is None or price is None or price <= 0:
        return {"reference": reference}
    prices = lot.claim_version.document.get("prices") if lot.claim_version_id else None
    sale = premium_rules.Sale(lot.mineral, lot.fine_g, price, on, lot.claim_variant or None)
    try:
        check = premium_rules.minimum_price_check(prices, sale, reference.usd_per_troy_oz)
        owed = (
            premium_rules.premium_owed(prices, sale, reference.usd_per_troy_oz)
            if prices is not None
            else None
        )
    except CustodyError:
        return {"reference": reference}
    return {"reference": reference, "check": check, "owed": owed}


class LotDetailView(LoginRequiredMixin, View):
    template_name = "custody/lot_detail.html"

    def get(self, request, lot_code):
        lot = lot_or_404(request, lot_code)
        return self.render(lot)

    def allowed_actions(self, lot: Lot) -> list[str]:
        user = self.request.user
        if lot.status == "active" and services.may_act(user, lot):
            return ["ship", "sell", "split", "merge", "transform"]
        if may_receive(user, lot):
            return ["receive"]
        return []

    def render(self, lot: Lot, bound=None, status=200, preview=None, error=None):
        user = self.request.user
        traced = tracing.trace_back(lot)
        forward = tracing.trace_forward(lot)
        down_edges = tracing._related_edges(lot, "down")
        origins = back_trace_rows(user, traced)
        actions = self.allowed_actions(lot)
        forms = {}
        for action in actions:
            if bound is not None and bound.action == action:
                forms[action] = bound
            else:
                forms[action] = custody_forms.ACTION_FORMS[action](user=user, lot=lot)
        visible_descendants = set(
            Lot.objects.visible_to(user)
            .filter(pk__in=[d.lot.pk for d in forward])
            .values_list("pk", flat=True)
        )
        today = timezone.localdate()
        context = {
            "lot": lot,
            "status_label": STATUS_LABELS.get(lot.status, lot.status),
            "graph": custody_graph(user, lot, traced.edges, down_edges),
            "traced": traced,
            "origins": origins,
            "sites_geojson": origin_map(user, origins["by_site"], origins["map_sites"]),
            "forward": [
                {"descendant": d, "visible": d.lot.pk in visible_descendants} for d in forward
            ],
            "events": lot_events(user, lot),
            "incidents": Incident.objects.visible_to(user).filter(lot=lot).select_related("owner"),
            "sale": Sale.objects.visible_to(user).filter(lot=lot).select_related("buyer").first(),
            "forms": forms,
            "open_action": bound.action if bound is not None else "",
            "action_error": error,
            "preview": preview,
            "reference": services.reference_price(lot.mineral, today),
            "minimum_percent": minimum_percent(lot),
            "can_see_holder": Organisation.objects.visible_to(user)
            .filter(pk=lot.organisation_id)
            .exists(),
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def post(self, request, lot_code):
        lot = lot_or_404(request, lot_code)
        action = request.POST.get("action", "")
        form_class = custody_forms.ACTION_FORMS.get(action)
        if form_class is None:
            return self.render(lot, status=400, error=_("Unknown action."))
        form = form_class(request.POST, user=request.user, lot=lot)
        if action not in self.allowed_actions(lot):
            if lot.status != "active" and action != "receive":
                message = _("Lot %(lot)s is %(status)s: nothing more can be done with it here.")
                message %= {"lot": lot.code, "status": str(STATUS_LABELS[lot.status]).lower()}
                return self.render(lot, status=400, error=message)
            return self.render(
                lot,
                status=403,
                error=_("Your role does not allow this action on lot %(lot)s.") % {"lot": lot.code},
            )
        if action == "sell" and "preview" in request.POST:
            form.is_valid()
            form.errors.pop("buyer", None)  # the price and date are enough to check
            data = form.cleaned_data
            if form.errors or "usd_per_troy_oz" not in data or "on" not in data:
                return self.render(lot, bound=form, status=400)
            preview = sale_preview(lot, data["usd_per_troy_oz"], data["on"])
            return self.render(lot, bound=form, preview=preview)
        if not form.is_valid():
            return self.render(lot, bound=form, status=400)
        try:
            target = getattr(self, f"do_{action}")(lot, form)
        except ValidationError as error:
            data = getattr(form, "cleaned_data", {})
            names = custody_forms.names_of(
                [lot, *data.get("others", [])],
                [lot.organisation, lot.consignee, data.get("to"), data.get("buyer")],
            )
            custody_forms.attach_errors(form, error, names)
            return self.render(lot, bound=form, status=400)
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("Your role does not allow this action."))
            return self.render(lot, bound=form, status=403)
        except IntegrityError:
            form.add_error(None, _("The lot was changed by someone else meanwhile; try again."))
            return self.render(lot, bound=form, status=409)
        return redirect("lot-detail", target.code)

    # Each action records through the services and says what happened.

    def do_ship(self, lot, form):
        to = form.cleaned_data["to"]
        services.ship(self.request.user, lot, to, form.cleaned_data["on"])
        messages.success(
            self.request,
            _("Lot %(lot)s shipped to %(to)s; it is in transit until %(to)s confirms receipt.")
            % {"lot": lot.code, "to": to.name},
        )
        return lot

    def do_receive(self, lot, form):
        services.receive(self.request.user, lot, form.cleaned_data["on"])
        messages.success(self.request, _("Receipt of lot %(lot)s confirmed.") % {"lot": lot.code})
        return lot

    def do_split(self, lot, form):
        parts = services.split(self.request.user, lot, form.masses(), form.cleaned_data["on"])
        messages.success(
            self.request,
            _("Lot %(lot)s split into %(parts)s.")
            % {"lot": lot.code, "parts": ", ".join(p.code for p in parts)},
        )
        return lot

    def do_merge(self, lot, form):
        merged = services.merge(
            self.request.user, form.inputs(), form.cleaned_data["on"], claim=form.claim_input()
        )
        messages.success(
            self.request,
            _("Lots %(lots)s merged into %(lot)s.")
            % {"lots": ", ".join(i.code for i in form.inputs()), "lot": merged.code},
        )
        return merged

    def do_transform(self, lot, form):
        outputs = services.transform(
            self.request.user,
            form.inputs(),
            form.outputs(),
            form.cleaned_data["on"],
            operation="refining",
            kind=form.cleaned_data["kind"],
            claim=form.claim_input(),
        )
        messages.success(
            self.request,
            _("Refined into %(lots)s.") % {"lots": ", ".join(o.code for o in outputs)},
        )
        return outputs[0]

    def do_sell(self, lot, form):
        sale = services.sell(
            self.request.user,
            lot,
            form.cleaned_data["buyer"],
            form.cleaned_data["on"],
            form.cleaned_data["usd_per_troy_oz"],
        )
        text = _("Lot %(lot)s sold to %(buyer)s.") % {"lot": lot.code, "buyer": sale.buyer.name}
        if sale.premium_owed:
            text += " " + _("Premium owed: %(amount)s %(currency)s.") % {
                "amount": money(sale.premium_owed),
                "currency": sale.premium_currency,
            }
        if sale.minimum_price_ok is False:
            messages.warning(
                self.request, _("The price is below the minimum price; an incident was opened.")
            )
        messages.success(self.request, text)
        return lot


# Production ------------------------------------------------------------------------------


class ProduceView(LoginRequiredMixin, View):
    template_name = "custody/produce.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.organisation = get_object_or_404(
            organisations_where(request.user, Resource.CUSTODY, CHANGE), slug=kwargs["org_slug"]
        )
        return super().dispatch(request, *args, **kwargs)

    def rows(self) -> int:
        try:
            rows = int(self.request.GET.get("rows", 5))
        except ValueError:
            rows = 5
        return max(1, min(rows, custody_forms.MAX_MEMBER_ROWS))

    def forms(self, data=None):
        user = self.request.user
        form = custody_forms.ProduceForm(data, user=user, organisation=self.organisation)
        formset = custody_forms.miner_days_formset(
            data, user=user, organisation=self.organisation, rows=self.rows()
        )
        return form, formset

    def render(self, form, formset, status=200):
        context = {
            "organisation": self.organisation,
            "form": form,
            "formset": formset,
            "more_rows": min(self.rows() + 5, custody_forms.MAX_MEMBER_ROWS),
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, org_slug):
        return self.render(*self.forms())

    def post(self, request, org_slug):
        form, formset = self.forms(request.POST)
        if not (form.is_valid() and formset.is_valid()):
            return self.render(form, formset, status=400)
        data = form.cleaned_data
        try:
            lot = services.produce(
                request.user,
                self.organisation,
                site=data["site"],
                mineral=data["mineral"],
                kind=data["kind"],
                mass_g=data["mass_g"],
                fineness=data["fineness"],
                members=formset.members(),
                on=data["on"],
                claim=form.claim(),
                code=data["code"] or None,
            )
        except ValidationError as error:
            custody_forms.attach_errors(form, error)
            return self.render(form, formset, status=400)
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return self.render(form, formset, status=403)
        except IntegrityError:
            form.add_error("code", _("Another lot already has this code."))
            return self.render(form, formset, status=400)
        flagged = lot.incidents.count()
        messages.success(request, _("Lot %(lot)s recorded.") % {"lot": lot.code})
        if flagged:
            messages.warning(
                request,
                _("The production raised %(count)s red flag(s); see the incidents below.")
                % {"count": flagged},
            )
        return redirect("lot-detail", lot.code)


# Incidents -------------------------------------------------------------------------------


class IncidentListView(LoginRequiredMixin, TemplateView):
    template_name = "custody/incident_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        incidents = Incident.objects.visible_to(self.request.user)
        filters = custody_forms.IncidentFilterForm(self.request.GET or None, incidents=incidents)
        incidents = filters.apply(incidents).select_related("organisation", "lot", "owner")
        page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        visible_lots = set(
            Lot.objects.visible_to(self.request.user)
            .filter(pk__in=[i.lot_id for i in page.object_list if i.lot_id])
            .values_list("pk", flat=True)
        )
        for incident in page.object_list:
            incident.lot_visible = incident.lot_id in visible_lots
            incident.flag = custody_forms.flag_label(incident.code)
        context.update(
            filters=filters,
            page_obj=page,
            incidents=page.object_list,
            query_string=query.urlencode(),
        )
        return context


class IncidentDetailView(LoginRequiredMixin, View):
    template_name = "custody/incident_detail.html"

    def incident(self) -> Incident:
        return get_object_or_404(
            Incident.objects.visible_to(self.request.user).select_related(
                "organisation", "lot", "site", "owner"
            ),
            pk=self.kwargs["incident_id"],
        )

    def render(self, incident, form=None, status=200, error=None):
        user = self.request.user
        can_change = can(user, incident, CHANGE)
        context = {
            "incident": incident,
            "flag": custody_forms.flag_label(incident.code),
            "form": form or (custody_forms.IncidentForm(incident=incident) if can_change else None),
            "can_change": can_change,
            "error": error,
            "lot_visible": incident.lot_id is not None
            and Lot.objects.visible_to(user).filter(pk=incident.lot_id).exists(),
            "site_visible": incident.site_id is not None
            and Site.objects.visible_to(user).filter(pk=incident.site_id).exists(),
            "organisation_visible": Organisation.objects.visible_to(user)
            .filter(pk=incident.organisation_id)
            .exists(),
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, incident_id):
        return self.render(self.incident())

    def post(self, request, incident_id):
        incident = self.incident()
        if not can(request.user, incident, CHANGE):
            return self.render(
                incident,
                status=403,
                error=_("Your role does not allow changing incidents of %(org)s.")
                % {"org": incident.organisation.name},
            )
        form = custody_forms.IncidentForm(request.POST, incident=incident)
        if not form.is_valid():
            return self.render(incident, form=form, status=400)
        form.save()
        messages.success(request, _("Incident updated."))
        return redirect("incident-detail", incident.pk)


# Suppliers -------------------------------------------------------------------------------


class SupplierListView(LoginRequiredMixin, TemplateView):
    """A buyer's suppliers: their certificates, the lots received from them and their open
    incidents."""

    template_name = "custody/supplier_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        buyers = organisations_where(user, Resource.CUSTODY, CHANGE)
        relations = (
            Relation.objects.visible_to(user)
            .active_on(today)
            .filter(kind=RelationKind.SUPPLY, source__in=buyers)
            .select_related("source", "target")
            .order_by("target__name")
        )
        suppliers = {r.target_id: r.target for r in relations}
        ids = list(suppliers)
        certificates = defaultdict(list)
        for certificate in (
            Certificate.objects.visible_to(user)
            .filter(organisation_id__in=ids)
            .select_related("version__standard")
            .order_by("-valid_from")
        ):
            certificates[certificate.organisation_id].append(certificate)
        receipts = CustodyEvent.objects.visible_to(user).filter(
            kind=CustodyEvent.Kind.RECEIPT, organisation__in=buyers, counterparty_id__in=ids
        )
        received = {
            row["event__counterparty_id"]: row
            for row in LotUse.objects.filter(event__in=receipts.values("id"), use="received")
            .order_by()
            .values("event__counterparty_id")
            .annotate(
                lots=Count("lot_id", distinct=True),
                fine_g=Sum("lot__fine_g"),
                last=Max("event__occurred_on"),
            )
        }
        open_incidents = defaultdict(list)
        for incident in (
            Incident.objects.visible_to(user)
            .filter(organisation_id__in=ids)
            .exclude(status=Incident.Status.CLOSED)
            .select_related("lot")
            .order_by("-opened_on")
        ):
            incident.flag = custody_forms.flag_label(incident.code)
            open_incidents[incident.organisation_id].append(incident)
        visible_lots = set(
            Lot.objects.visible_to(user)
            .filter(pk__in=[i.lot_id for rows in open_incidents.values() for i in rows])
            .values_list("pk", flat=True)
        )
        rows = []
        for relation in relations:
            supplier = relation.target
            for incident in open_incidents[supplier.pk]:
                incident.lot_visible = incident.lot_id in visible_lots
            rows.append(
                {
                    "relation": relation,
                    "supplier": supplier,
                    "certificates": certificates[supplier.pk],
                    "received": received.get(supplier.pk),
                    "incidents": open_incidents[supplier.pk][:5],
                    "incident_count": len(open_incidents[supplier.pk]),
                }
            )
        context.update(rows=rows, today=today)
        return context
