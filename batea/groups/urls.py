from django.urls import path

from batea.groups import views

urlpatterns = [
    path("orgs/<slug:org_slug>/ics/", views.InternalControlView.as_view(), name="ics"),
    path("orgs/<slug:org_slug>/pgs/", views.PeerGuaranteeView.as_view(), name="pgs"),
    path(
        "members/<uuid:member_id>/decide/", views.MemberDecisionView.as_view(), name="member-decide"
    ),
]
