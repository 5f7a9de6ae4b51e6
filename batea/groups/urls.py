from django.urls import path

from batea.groups import views

urlpatterns = [
    path("orgs/<slug:org_slug>/ics/", views.InternalControlView.as_view(), name="ics"),
    path("orgs/<slug:org_slug>/pgs/", views.PeerGuaranteeView.as_view(), name="pgs"),
    path(
        "members/<uuid:member_id>/decide/", views.MemberDecisionView.as_view(), name="member-decide"
    ),
    path("risk-rules/", views.RiskRuleSetListView.as_view(), name="risk-rules"),
    path("risk-rules/new/", views.RiskRuleSetFormView.as_view(), name="risk-rules-new"),
    path(
        "risk-rules/<uuid:rule_set_id>/",
        views.RiskRuleSetDetailView.as_view(),
        name="risk-rules-detail",
    ),
    path(
        "risk-rules/<uuid:rule_set_id>/edit/",
        views.RiskRuleSetFormView.as_view(),
        name="risk-rules-edit",
    ),
]
