"""Django admin for platform staff."""

from django.contrib import admin

from batea.access.models import RoleAssignment
from batea.registry.models import Commodity, Licence, Member, Organisation, Relation, Site


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["user"]


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0
    fields = ["kind", "number", "issuer", "status", "valid_from", "valid_until"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "country", "legal_form"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [LicenceInline, RoleAssignmentInline]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = [
        "member_number",
        "given_name",
        "family_name",
        "organisation",
        "gender",
        "role",
        "status",
    ]
    list_filter = ["status", "gender", "role"]
    search_fields = ["member_number", "given_name", "family_name"]
    list_select_related = ["organisation"]
    raw_id_fields = ["organisation", "primary_site"]
    readonly_fields = ["national_id_masked"]
    show_full_result_count = False


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "site_code", "organisation", "kind", "uses_mercury", "workforce"]
    list_filter = ["kind", "uses_mercury", "uses_cyanide"]
    search_fields = ["name", "site_code"]
    list_select_related = ["organisation"]
    readonly_fields = ["longitude", "latitude"]


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "organisation", "status", "valid_until"]
    list_filter = ["kind", "status"]
    list_select_related = ["organisation"]


@admin.register(Relation)
class RelationAdmin(admin.ModelAdmin):
    list_display = ["source", "kind", "target", "started_on", "ended_on"]
    list_filter = ["kind"]
    list_select_related = ["source", "target"]


@admin.register(Commodity)
class CommodityAdmin(admin.ModelAdmin):
    list_display = ["hs_code", "mineral", "name"]
