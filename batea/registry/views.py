"""Registry pages and exports. Every lookup goes through `visible_to` / `changeable_by`."""

import csv
from collections import Counter

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from batea.access.scoping import can, organisations_where
from batea.domain.access import CHANGE, VIEW, OrganisationKind, Resource
from batea.domain.formalisation import LicenceState
from batea.registry import portfolio as portfolio_rules
from batea.registry.forms import LicenceForm, MemberForm, SiteForm
from batea.registry.models import (
    Licence,
    Member,
    Organisation,
    Relation,
    Site,
    localized_country_name,
)
from batea.web.paging import CappedPaginator

MEMBERS_PER_PAGE = 50


def visible_organisation(request, slug: str) -> Organisation:
    return get_object_or_404(Organisation.objects.visible_to(request.user), slug=slug)


def site_features(sites) -> dict:
    """Sites as a GeoJSON FeatureCollection for maps and exports."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": str(site.id),
                "geometry": site.geometry,
                "properties": {
                    "name": site.name,
                    "site_code": site.site_code,
                    "organisation": site.organisation.slug,
                    "kind": site.kind,
                    "minerals": site.minerals,
                    "uses_mercury": site.uses_mercury,
                    "uses_cyanide": site.uses_cyanide,
                    "workforce": site.workforce,
                    "area_ha": float(site.area_ha) if site.area_ha is not None else None,
                    "url": reverse("site-detail", args=[site.id]),
                },
            }
            for site in sites
        ],
    }


def member_statistics(members) -> dict:
    """Counts by gender, role and status, from one grouped query (one pass over the rows)."""
    fields = {
        "gender": Member.Gender.choices,
        "role": Member.MemberRole.choices,
        "status": Member.Status.choices,
    }
    counts: dict[str, Counter] = {field: Counter() for field in fields}
    for gender, role, status, n in (
        members.order_by().values_list("gender", "role", "status").annotate(n=Count("id"))
    ):
        counts["gender"][gender] += n
        counts["role"][role] += n
        counts["status"][status] += n
    stats = {
        field: [(value, label, counts[field][value]) for value, label in choices]
        for field, choices in fields.items()
    }
    total = sum(n for _, _, n in stats["gender"])
    women = dict((v, n) for v, _, n in stats["gender"]).get(Member.Gender.FEMALE, 0)
    stats["total"] = total
    stats["women_share"] = round(100 * women / total) if total else None
    return stats


class OrganisationListView(LoginRequiredMixin, ListView):
    template_name = "registry/organisation_list.html"
    context_object_name = "organisations"
    paginate_by = 50

    def get_queryset(self):
        queryset = Organisation.objects.visible_to(self.request.user)
        query = self.request.GET.get("q", "").strip()
        if query:
            queryset = queryset.filter(Q(name__icontains=query) | Q(region__icontains=query))
        kind = self.request.GET.get("kind")
        if kind:
            queryset = queryset.filter(kind=kind)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ids = [org.id for org in context["organisations"]]
        counts = dict(
            Member.objects.visible_to(self.request.user)
            .filter(organisation_id__in=ids)
            .order_by()
            .values_list("organisation_id")
            .annotate(n=Count("id"))
        )
        for org in context["organisations"]:
            org.member_count = counts.get(org.id)
        context["kinds"] = Organisation._meta.get_field("kind").choices
        return context


class OrganisationDetailView(LoginRequiredMixin, DetailView):
    template_name = "registry/organisation_detail.html"
    context_object_name = "organisation"
    slug_url_kwarg = "org_slug"

    def get_queryset(self):
        return Organisation.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        org, user = self.object, self.request.user
        today = timezone.localdate()
        members = Member.objects.visible_to(user).filter(organisation=org)
        sites = list(
            Site.objects.visible_to(user)
            .filter(organisation=org)
            .select_related("organisation")
            .prefetch_related("commodities")
        )
        licences = list(Licence.objects.visible_to(user).filter(organisation=org))
        for licence in licences:
            licence.current_state = licence.state(today)
        relations = (
            Relation.objects.visible_to(user)
            .filter(Q(source=org) | Q(target=org))
            .active_on(today)
            .select_related("source", "target")
        )
        context.update(
            can_see_members=_can_view(user, Member, org),
            certificates=_certificates(user, org),
            can_certify=_can_certify(user, org),
            can_see_pathway=organisations_where(user, Resource.ASSESSMENT, VIEW)
            .filter(pk=org.pk)
            .exists(),
            can_see_fund=org.kind == OrganisationKind.ASMO
            and organisations_where(user, Resource.PREMIUM, VIEW).filter(pk=org.pk).exists(),
            member_stats=member_statistics(members),
            sites=sites,
            sites_geojson=site_features(sites),
            licences=licences,
            licence_warnings=[
                lic
                for lic in licences
                if lic.current_state in (LicenceState.EXPIRING, LicenceState.EXPIRED)
            ],
            formalisation=org.formalisation(today)
            if licences or _can_view(user, Licence, org)
            else None,
            relations=relations,
            can_change_members=_can_change(user, Member, org),
            can_change_sites=_can_change(user, Site, org),
            can_change_licences=_can_change(user, Licence, org),
        )
        return context


def _certificates(user, org):
    from batea.certification.models import Certificate

    return (
        Certificate.objects.visible_to(user)
        .filter(organisation=org)
        .select_related("version__standard")
    )


def _can_certify(user, org) -> bool:
    from batea.certification.views import may_decide

    return org.kind == "asmo" and may_decide(user, org)


def _can_view(user, model, org) -> bool:
    return _organisation_allows(user, model, org, VIEW)


def _can_change(user, model, org) -> bool:
    return _organisation_allows(user, model, org, CHANGE)


def _organisation_allows(user, model, org, action: str) -> bool:
    """Whether `user` may perform `action` on `model` records of `org` (e.g. add a member)."""
    return organisations_where(user, model.scope_resource, action).filter(pk=org.pk).exists()


class MemberListView(LoginRequiredMixin, TemplateView):
    """Members of one organisation (or of all visible ones), searchable and filterable."""

    template_name = "registry/member_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        members = Member.objects.visible_to(request.user)
        organisation = None
        if "org_slug" in self.kwargs:
            organisation = visible_organisation(request, self.kwargs["org_slug"])
            members = members.filter(organisation=organisation)
        else:
            # Only the cross-organisation list shows the organisation; joins cost on deep pages.
            members = members.select_related("organisation")
        filters = {key: request.GET.get(key, "") for key in ("q", "gender", "role", "status")}
        members = filter_members(members, filters)
        # Keys first: a deep page reads its 50 keys from the name index, then 50 members.
        page = CappedPaginator(members, MEMBERS_PER_PAGE, keys_first=True).get_page(
            request.GET.get("page")
        )
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            organisation=organisation,
            page_obj=page,
            members=page.object_list,
            filters=filters,
            query_string=query.urlencode(),
            genders=Member.Gender.choices,
            roles=Member.MemberRole.choices,
            statuses=Member.Status.choices,
            can_add=organisation is not None and _can_change(request.user, Member, organisation),
        )
        return context


def filter_members(members, filters: dict):
    query = filters.get("q", "").strip()
    if query:
        members = members.filter(
            Q(given_name__icontains=query)
            | Q(family_name__icontains=query)
            | Q(member_number__iexact=query)
        )
    for field in ("gender", "role", "status"):
        if filters.get(field):
            members = members.filter(**{field: filters[field]})
    return members


class OrganisationRecordFormView(LoginRequiredMixin, TemplateView):
    """Create or edit a member, site or licence of an organisation the user may change."""

    model = None
    form_class = None
    template_name = "registry/record_form.html"
    object_kwarg = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.object_kwarg in kwargs:
            self.object = get_object_or_404(
                self.model.objects.visible_to(request.user).select_related("organisation"),
                pk=kwargs[self.object_kwarg],
            )
            if not can(request.user, self.object, CHANGE):
                raise PermissionDenied
            self.organisation = self.object.organisation
        else:
            self.object = None
            self.organisation = visible_organisation(request, kwargs["org_slug"])
            if not _can_change(request.user, self.model, self.organisation):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        return self.form_class(data, instance=self.object, organisation=self.organisation)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            form=kwargs.get("form") or self.get_form(),
            organisation=self.organisation,
            object=self.object,
            model_name=self.model._meta.verbose_name,
        )
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        with transaction.atomic():
            saved = form.save()
        messages.success(request, _("Saved."))
        for warning in getattr(saved, "geometry_warnings", []):
            messages.warning(request, warning)
        return redirect(self.success_url(saved))

    def success_url(self, saved) -> str:
        return reverse("organisation-detail", args=[self.organisation.slug])


class MemberFormView(OrganisationRecordFormView):
    model = Member
    form_class = MemberForm
    object_kwarg = "member_id"

    def success_url(self, saved) -> str:
        return reverse("member-detail", args=[saved.id])


class SiteFormView(OrganisationRecordFormView):
    model = Site
    form_class = SiteForm
    object_kwarg = "site_id"

    def success_url(self, saved) -> str:
        return reverse("site-detail", args=[saved.id])


class LicenceFormView(OrganisationRecordFormView):
    model = Licence
    form_class = LicenceForm
    object_kwarg = "licence_id"


class MemberDetailView(LoginRequiredMixin, DetailView):
    template_name = "registry/member_detail.html"
    context_object_name = "member"
    pk_url_kwarg = "member_id"

    def get_queryset(self):
        return Member.objects.visible_to(self.request.user).select_related(
            "organisation", "primary_site"
        )

    def get_context_data(self, **kwargs):
        from batea.groups.models import MemberDecision
        from batea.groups.views import sanction_options

        context = super().get_context_data(**kwargs)
        context["can_change"] = can(self.request.user, self.object, CHANGE)
        context["decisions"] = (
            MemberDecision.objects.visible_to(self.request.user)
            .filter(member=self.object)
            .select_related("decided_by")
        )
        if context["can_change"]:
            context["statuses"] = Member.Status.choices
            context["sanctions"] = sanction_options(self.object)
        return context


class SiteDetailView(LoginRequiredMixin, DetailView):
    template_name = "registry/site_detail.html"
    context_object_name = "site"
    pk_url_kwarg = "site_id"

    def get_queryset(self):
        return (
            Site.objects.visible_to(self.request.user)
            .select_related("organisation")
            .prefetch_related("commodities")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site, user = self.object, self.request.user
        context.update(
            sites_geojson=site_features([site]),
            licences=Licence.objects.visible_to(user).filter(site=site),
            member_count=Member.objects.visible_to(user).filter(primary_site=site).count(),
            can_see_members=_can_view(user, Member, site.organisation),
            can_change=can(user, site, CHANGE),
        )
        return context


class PortfolioView(LoginRequiredMixin, TemplateView):
    """A support organisation's portfolio: its ASMOs side by side, a page at a time."""

    template_name = "registry/portfolio.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        portfolio = portfolio_rules.supported_organisations(user, today)
        size = portfolio.count()
        filters = {key: self.request.GET.get(key, "") for key in ("q", "country")}
        shown = portfolio_rules.filter_portfolio(portfolio, filters["q"], filters["country"])
        page = Paginator(
            shown.order_by("name", "id").prefetch_related("licences"),
            portfolio_rules.PER_PAGE,
        ).get_page(self.request.GET.get("page"))
        totals, cached = portfolio_rules.portfolio_totals(user, portfolio, size)
        query = self.request.GET.copy()
        query.pop("page", None)
        countries = portfolio.order_by("country").values_list("country", flat=True).distinct()
        context.update(
            rows=portfolio_rules.portfolio_rows(user, page.object_list, today),
            page_obj=page,
            query_string=query.urlencode(),
            filters=filters,
            countries=[(code, localized_country_name(code)) for code in countries],
            filtered=any(filters.values()),
            totals=totals,
            totals_cached=cached,
        )
        return context


class MembersCsvExport(LoginRequiredMixin, View):
    """Members of an organisation as CSV; national ids only masked."""

    columns = [
        "id",
        "member_number",
        "given_name",
        "family_name",
        "gender",
        "birth_year",
        "role",
        "join_date",
        "status",
        "national_id_masked",
        "primary_site",
    ]

    def get(self, request, org_slug):
        organisation = visible_organisation(request, org_slug)
        members = filter_members(
            Member.objects.visible_to(request.user)
            .filter(organisation=organisation)
            .select_related("primary_site"),
            {key: request.GET.get(key, "") for key in ("q", "gender", "role", "status")},
        )
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{organisation.slug}-members.csv"'
        writer = csv.writer(response)
        writer.writerow(self.columns)
        for member in members.iterator(chunk_size=2000):
            writer.writerow(
                [
                    member.id,
                    _csv_safe(member.member_number),
                    _csv_safe(member.given_name),
                    _csv_safe(member.family_name),
                    member.gender,
                    member.birth_year or "",
                    member.role,
                    member.join_date,
                    member.status,
                    member.national_id_masked,
                    _csv_safe(member.primary_site.site_code) if member.primary_site else "",
                ]
            )
        return response


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas in exported text (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class SitesGeoJsonExport(LoginRequiredMixin, View):
    def get(self, request, org_slug):
        organisation = visible_organisation(request, org_slug)
        sites = (
            Site.objects.visible_to(request.user)
            .filter(organisation=organisation)
            .select_related("organisation")
            .prefetch_related("commodities")
        )
        response = JsonResponse(site_features(sites), json_dumps_params={"ensure_ascii": False})
        response["Content-Type"] = "application/geo+json"
        response["Content-Disposition"] = (
            f'attachment; filename="{organisation.slug}-sites.geojson"'
        )
        return response
