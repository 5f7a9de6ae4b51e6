from django.urls import path

from batea.custody import fund_views

urlpatterns = [
    path("orgs/<slug:org_slug>/fund/", fund_views.FundView.as_view(), name="premium-fund"),
    path(
        "orgs/<slug:org_slug>/fund/report.pdf",
        fund_views.FundPdfView.as_view(),
        name="premium-fund-pdf",
    ),
]
