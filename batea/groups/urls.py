from django.urls import path

from batea.groups import views

urlpatterns = [
    path("orgs/<slug:org_slug>/ics/", views.InternalControlView.as_view(), name="ics"),
    path(
        "members/<uuid:member_id>/decide/", views.MemberDecisionView.as_view(), name="member-decide"
    ),
]
