from django.contrib import admin

from batea.access.models import RoleAssignment, SignInFailure


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "organisation"]
    list_filter = ["role"]
    search_fields = ["user__username", "organisation__name"]
    list_select_related = ["user", "organisation"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(SignInFailure)
class SignInFailureAdmin(admin.ModelAdmin):
    """Failed sign-ins within the throttling window; deleting a username's rows lifts its
    refusal early (e.g. after the person proved who they are)."""

    list_display = ["username", "address", "at"]
    search_fields = ["username", "address"]
    list_filter = ["at"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
