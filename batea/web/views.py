"""The home dashboard: what the signed-in user is responsible for, at a glance."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q
from django.utils import timezone
from django.views.generic import TemplateView

from batea.access.models import RoleAssignment
from batea.domain.formalisation import EXPIRY_WARNING_DAYS
from batea.registry.models import Licence, Member, Organisation, Site


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "web/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        members = Member.objects.visible_to(user).order_by()
        member_totals = members.aggregate(
            total=Count("id"), women=Count("id", filter=Q(gender=Member.Gender.FEMALE))
        )
        horizon = today + timezone.timedelta(days=EXPIRY_WARNING_DAYS)
        licence_alerts = (
            Licence.objects.visible_to(user)
            .filter(status="granted", valid_until__isnull=False, valid_until__lte=horizon)
            .select_related("organisation")
            .order_by("valid_until")[:10]
        )
        for licence in licence_alerts:
            licence.current_state = licence.state(today)
        organisations = Organisation.objects.visible_to(user)
        context.update(
            assignments=RoleAssignment.objects.filter(user=user).select_related("organisation"),
            organisation_count=organisations.count(),
            organisations=organisations[:12],
            member_total=member_totals["total"],
            women_share=(
                round(100 * member_totals["women"] / member_totals["total"])
                if member_totals["total"]
                else None
            ),
            site_count=Site.objects.visible_to(user).count(),
            mercury_sites=Site.objects.visible_to(user).filter(uses_mercury=True).count(),
            licence_alerts=licence_alerts,
        )
        return context
