"""Inclusion insight pages: an organisation, a support portfolio, a country, the public
figures; saved segments followed over time; PDF reports; a CSV file per figure.

Who sees what goes through `batea.access.scoping`: an organisation's page needs the right
to see its members; the portfolio and country pages cover the ASMOs whose members the
reader may see (and show only aggregates, never a person); the public page needs no login
and shows anonymised aggregates with small cells suppressed.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView

from batea.access.scoping import roles_of
from batea.domain.access import Role
from batea.domain.countries import is_country_code
from batea.domain.fielddata.cells import neutralise
from batea.domain.insights import segments as rules
from batea.insights import figures as shown
from batea.insights import segments as stored
from batea.insights import services
from batea.insights.models import Segment
from batea.insights.segment_forms import SegmentForm, describe_definition
from batea.insights.views import plotly_version
from batea.registry.models import localized_country_name

PUBLIC_CACHE_SECONDS = 900


def figure_csv(figure: shown.Figure, name: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batea-{name}-{figure.id}.csv"'
    writer = csv.writer(response)
    for row in figure.csv_rows():
        writer.writerow([neutralise(value) for value in row])
    return response


def scope_title(scope: services.Scope) -> str:
    if scope.kind == "organisation":
        return scope.organisation.name
    if scope.kind == "portfolio":
        return gettext("Your support portfolio")
    if scope.kind == "country":
        return localized_country_name(scope.country)
    return gettext("Every organisation in Batea")


def scope_note(scope: services.Scope) -> str:
    if scope.kind == "portfolio":
        return gettext(
            "The organisations your organisation supports whose members you may see. Only "
            "figures about groups of people are shown here, never a person."
        )
    if scope.kind == "country":
        return gettext(
            "The organisations of this country whose members you may see. Only figures about "
            "groups of people are shown here, never a person."
        )
    if scope.kind == "public":
        return gettext(
            "Anonymised figures over every organisation in Batea: no names, no person. Counts "
            "of fewer than %(k)s people are hidden, and so are the cells from which they could "
            "be worked out; figures about organisations are hidden when fewer than "
            "%(organisations)s organisations make them."
        ) % {"k": scope.k, "organisations": scope.min_organisations}
    return ""


def site_map(scope: services.Scope, data: services.Data) -> dict | None:
    """Sites as GeoJSON points, coloured by member risk (an organisation's page) or by their
    organisation's level (portfolio and country pages). Never on the public page."""
    from batea.registry.models import Site

    if scope.public:
        return None
    sites = list(
        Site.objects.visible_to(scope.user)
        .filter(organisation_id__in=scope.ids)
        .select_related("organisation")
        .order_by("name")
    )
    if not sites:
        return None
    features, legend = [], []
    if scope.kind == "organisation":
        legend, colour_of = _risk_colours(scope, sites)
    else:
        legend, colour_of = _level_colours(data, sites)
    for site in sites:
        colour, label = colour_of(site)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [site.longitude, site.latitude]},
                "properties": {
                    "name": site.name,
                    "organisation": site.organisation.name,
                    "url": reverse("site-detail", args=[site.pk]),
                    "colour": colour,
                    "label": label,
                },
            }
        )
    rows = [
        [f["properties"]["name"], f["properties"]["organisation"], f["properties"]["label"]]
        for f in features
    ]
    return {
        "geojson": {"type": "FeatureCollection", "features": features},
        "legend": legend,
        "rows": rows,
        "by": gettext("member risk") if scope.kind == "organisation" else gettext("level"),
    }


# No member at high risk; under a tenth; a tenth to a quarter; over a quarter of them.
RISK_COLOURS = ["#1e7b3a", "#d4a017", "#e07b00", "#b02a1e"]


def _risk_colours(scope, sites):
    from batea.groups.services import risk_register

    register = risk_register(scope.organisation, scope.today)
    by_site: dict = {}
    for member, result in register:
        if member.primary_site_id:
            counts = by_site.setdefault(member.primary_site_id, {"high": 0, "all": 0})
            counts["all"] += 1
            counts["high"] += result.risk == "high"
    labels = [
        gettext("no member at high risk"),
        gettext("under a tenth of its members at high risk"),
        gettext("a tenth to a quarter of its members at high risk"),
        gettext("over a quarter of its members at high risk"),
    ]
    legend = list(zip(RISK_COLOURS, labels, strict=True))

    def colour_of(site):
        counts = by_site.get(site.pk)
        if not counts or not counts["all"]:
            return "#8d8d8d", gettext("no member works here")
        share = counts["high"] / counts["all"]
        index = 0 if not counts["high"] else 1 if share < 0.1 else 2 if share <= 0.25 else 3
        text = gettext("%(high)s of %(all)s members at high risk") % counts
        return RISK_COLOURS[index], f"{text} ({labels[index]})"

    return legend + [("#8d8d8d", gettext("no member works here"))], colour_of


LEVEL_COLOURS = ["#b02a1e", "#e07b00", "#d4a017", "#9bbf3b", "#6a994e", "#1e7b3a", "#14532d"]


def _level_colours(data, sites):
    labels = shown.short_level_labels(data.ladder)

    def colour(climbed: int) -> str:
        return LEVEL_COLOURS[min(climbed, len(LEVEL_COLOURS) - 1)]

    def colour_of(site):
        pos = data.positions.get(site.organisation_id)
        if pos is None:
            return "#8d8d8d", gettext("level not visible to you")
        return colour(pos.climbed), labels.get(pos.climbed, str(pos.climbed))

    legend = [(colour(n), label) for n, label in sorted(labels.items())]
    return legend, colour_of


def _collect(scope: services.Scope) -> services.Data:
    if not scope.public:
        return services.collect(scope)
    key = f"batea-insights-public:{scope.today.isoformat()}"
    data = cache.get(key)
    if data is None:
        data = services.collect(scope)
        cache.set(key, data, PUBLIC_CACHE_SECONDS)
    data.scope = scope
    return data


def insights_context(request, scope: services.Scope) -> dict:
    data = _collect(scope)
    figures = shown.all_figures(data)
    return {
        "scope": scope,
        "title": scope_title(scope),
        "note": scope_note(scope),
        "data": data,
        "figures": figures,
        "tiles": shown.summary(data),
        "charts": {f.id: f.chart for f in figures if f.chart and f.rows},
        "map": site_map(scope, data),
        "plotly_version": plotly_version(),
        "generated_at": timezone.now(),
    }


class InsightsPage(TemplateView):
    template_name = "insights/insights.html"
    csv_name = "insights"

    def scope(self) -> services.Scope:
        """What the page is about; each page (organisation, portfolio, country, public)
        says it."""
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        scope = self.scope()
        context = insights_context(request, scope)
        wanted = request.GET.get("csv")
        if wanted:
            figure = next((f for f in context["figures"] if f.id == wanted), None)
            if figure is None and wanted == "map" and context["map"]:
                figure = shown.Figure(
                    "map",
                    "",
                    "",
                    [gettext("site"), gettext("organisation"), context["map"]["by"]],
                    context["map"]["rows"],
                )
            if figure is None:
                raise Http404(gettext("No such figure."))
            return figure_csv(figure, self.csv_name)
        context.update(self.extra(scope))
        return self.render_to_response(context)

    def extra(self, scope) -> dict:
        return {}


def _segment_context(request, scope: services.Scope, owners) -> dict:
    """Saved segments of the page's owners the reader may see, and a form to add one."""
    owner_ids = [o.pk for o in owners]
    segments = (
        Segment.objects.visible_to(request.user)
        .filter(owner_id__in=owner_ids)
        .select_related("owner")
        .prefetch_related("snapshots")
    )
    creatable = list(stored.owners_for(request.user).filter(pk__in=owner_ids))
    rows = []
    for segment in segments:
        latest = max(segment.snapshots.all(), key=lambda s: s.taken_on, default=None)
        rows.append({"segment": segment, "latest": latest})
    return {
        "segments": rows,
        "segment_form": SegmentForm(owners=creatable) if creatable else None,
    }


class OrganisationInsightsView(LoginRequiredMixin, InsightsPage):
    def scope(self):
        organisation = get_object_or_404(
            services.asmos_visible_to(self.request.user).prefetch_related("licences"),
            slug=self.kwargs["org_slug"],
        )
        self.csv_name = organisation.slug
        return services.organisation_scope(self.request.user, organisation)

    def extra(self, scope):
        return {
            **_segment_context(self.request, scope, [scope.organisation]),
            "report_url": reverse("insights-organisation-pdf", args=[scope.organisation.slug]),
        }


def support_organisations(user):
    """The support organisations where `user` holds a role."""
    from batea.access.scoping import user_roles
    from batea.registry.models import Organisation

    return Organisation.objects.filter(
        id__in={org for org, _role in user_roles(user)}, kind="support"
    ).order_by("name")


class PortfolioInsightsView(LoginRequiredMixin, InsightsPage):
    csv_name = "portfolio"

    def scope(self):
        return services.portfolio_scope(self.request.user)

    def extra(self, scope):
        supporters = list(support_organisations(self.request.user))
        return {
            **_segment_context(self.request, scope, supporters),
            "supporters": supporters,
            "report_url": reverse("insights-portfolio-pdf"),
        }


class CountryInsightsView(LoginRequiredMixin, InsightsPage):
    def scope(self):
        code = self.kwargs["country_code"].upper()
        if not is_country_code(code):
            raise Http404(gettext("Unknown country."))
        scope = services.country_scope(self.request.user, code)
        if not scope.organisations:
            raise Http404(gettext("You see no organisation in this country."))
        self.csv_name = code.lower()
        return scope


class PublicInsightsView(InsightsPage):
    """Anonymised, aggregated figures over every ASMO: no login needed."""

    csv_name = "public"

    def scope(self):
        return services.public_scope()


class InsightsHomeView(LoginRequiredMixin, TemplateView):
    """Which insights the reader may open: organisations, portfolio, countries, public."""

    template_name = "insights/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        organisations = list(services.asmos_visible_to(user).order_by("name")[:200])
        countries = sorted(
            {o.country for o in organisations}, key=lambda c: localized_country_name(c)
        )
        context.update(
            organisations=organisations,
            countries=[(code, localized_country_name(code)) for code in countries],
            has_portfolio=bool(roles_of(user) & {Role.SUPPORT_OFFICER, Role.PEER_REVIEWER})
            and services.portfolio_organisations(user).exists(),
            segments=Segment.objects.visible_to(user)
            .select_related("owner")
            .order_by("owner__name", "name")[:100],
        )
        return context


# PDF reports --------------------------------------------------------------------------------


def pdf_response(request, context: dict, filename: str) -> HttpResponse:
    from weasyprint import HTML

    html = render_to_string("insights/report.html", context, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


class OrganisationReportView(LoginRequiredMixin, View):
    """The inclusion report of an organisation as a PDF, in the reader's language."""

    def get(self, request, org_slug):
        organisation = get_object_or_404(
            services.asmos_visible_to(request.user).prefetch_related("licences"), slug=org_slug
        )
        scope = services.organisation_scope(request.user, organisation)
        context = insights_context(request, scope)
        context.update(_segment_context(request, scope, [organisation]))
        return pdf_response(request, context, f"{org_slug}-inclusion.pdf")


class PortfolioReportView(LoginRequiredMixin, View):
    """The inclusion report of the reader's portfolio as a PDF (empty without one)."""

    def get(self, request):
        scope = services.portfolio_scope(request.user)
        context = insights_context(request, scope)
        context.update(_segment_context(request, scope, list(support_organisations(request.user))))
        return pdf_response(request, context, "portfolio-inclusion.pdf")


# Segments -------------------------------------------------------------------------------------


class SegmentListView(LoginRequiredMixin, TemplateView):
    """The saved segments the reader may see; POST saves a new one (and its first
    snapshot)."""

    template_name = "insights/segments.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        owners = list(stored.owners_for(user))
        segments = (
            Segment.objects.visible_to(user)
            .select_related("owner")
            .prefetch_related("snapshots")
            .order_by("owner__name", "name")
        )
        context.update(
            segments=[
                {
                    "segment": s,
                    "latest": max(s.snapshots.all(), key=lambda x: x.taken_on, default=None),
                    "text": rules.describe(s.definition),
                }
                for s in segments
            ],
            segment_form=kwargs.get("form") or (SegmentForm(owners=owners) if owners else None),
        )
        return context

    def post(self, request, *args, **kwargs):
        owners = list(stored.owners_for(request.user))
        if not owners:
            raise PermissionDenied(gettext("You may not save segments."))
        form = SegmentForm(request.POST, owners=owners)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        segment = Segment.objects.create(
            owner=form.cleaned_data["owner"],
            name=form.cleaned_data["name"],
            definition=form.cleaned_data["definition"],
            created_by=request.user,
        )
        stored.snapshot(segment)
        messages.success(request, gettext("Segment “%(name)s” saved.") % {"name": segment.name})
        return redirect("insights-segment", segment_id=segment.pk)


class SegmentDetailView(LoginRequiredMixin, TemplateView):
    """A segment followed over time: its snapshots, and its counts today."""

    template_name = "insights/segment_detail.html"

    def get(self, request, *args, **kwargs):
        segment = get_object_or_404(
            Segment.objects.visible_to(request.user).select_related("owner", "created_by"),
            pk=kwargs["segment_id"],
        )
        snapshots = list(segment.snapshots.order_by("taken_on"))
        today = stored.count(segment.definition, segment.owner)
        figure = snapshot_figure(segment, snapshots)
        if request.GET.get("csv") == "snapshots":
            return figure_csv(figure, f"segment-{segment.pk}")
        return self.render_to_response(
            {
                "segment": segment,
                "text": rules.describe(segment.definition),
                "clauses": describe_definition(segment.definition),
                "today": today,
                "snapshots": snapshots,
                "figure": figure,
                "charts": {figure.id: figure.chart} if figure.chart else {},
                "may_change": stored.may_change(request.user, segment),
                "plotly_version": plotly_version(),
                "source": gettext("the members of %(owner)s") % {"owner": segment.owner.name}
                if segment.owner.kind == "asmo"
                else gettext("the members of the organisations %(owner)s supports")
                % {"owner": segment.owner.name},
            }
        )


def snapshot_figure(segment, snapshots) -> shown.Figure:
    rows = [
        [
            s.taken_on.isoformat(),
            s.members,
            s.women,
            shown.percent(s.women_share),
            s.organisations,
            s.population,
            shown.percent(s.share),
        ]
        for s in snapshots
    ]
    x = [row[0] for row in rows]
    chart = None
    if rows:
        chart = {
            "data": [
                {
                    "type": "bar",
                    "x": x,
                    "y": [row[1] for row in rows],
                    "name": gettext("members"),
                    "marker": {"color": shown.COLOURS[0]},
                },
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": x,
                    "y": [row[3] for row in rows],
                    "name": gettext("women (%)"),
                    "yaxis": "y2",
                    "line": {"color": shown.GENDER_COLOURS["female"]},
                },
            ],
            "layout": shown._layout(
                gettext("members"),
                gettext("date"),
                yaxis2={
                    "title": {"text": gettext("women (%)")},
                    "overlaying": "y",
                    "side": "right",
                    "range": [0, 100],
                    "tickvals": [0, 25, 50, 75, 100],
                    "showgrid": False,
                    "automargin": True,
                },
                xaxis={"type": "category"},
            ),
        }
    return shown.Figure(
        "snapshots",
        gettext("The segment over time"),
        gettext(
            "Each snapshot counts the segment's members on its date (recorded by `batea "
            "insights snapshot`, run monthly)."
        ),
        [
            gettext("date"),
            gettext("members"),
            gettext("women"),
            gettext("women (%)"),
            gettext("organisations"),
            gettext("members counted from"),
            gettext("share (%)"),
        ],
        rows,
        chart,
        empty=gettext("No snapshot yet."),
    )


class SegmentDeleteView(LoginRequiredMixin, View):
    """Delete a segment and its snapshots (POST only), for those who may change its owner."""

    def post(self, request, segment_id):
        segment = get_object_or_404(Segment.objects.visible_to(request.user), pk=segment_id)
        if not stored.may_change(request.user, segment):
            raise PermissionDenied(gettext("Only the organisation's managers delete its segments."))
        name = segment.name
        segment.delete()
        messages.success(request, gettext("Segment “%(name)s” deleted.") % {"name": name})
        return redirect("insights-segments")
