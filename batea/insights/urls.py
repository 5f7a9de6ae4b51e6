from django.urls import path

from batea.insights import views, views_insights

urlpatterns = [
    path("simulator/", views.SimulatorView.as_view(), name="simulator"),
    path("simulator/plotly.js", views.plotly_js, name="simulator-plotly"),
    # Inclusion insights (views_insights.py).
    path("insights/", views_insights.InsightsHomeView.as_view(), name="insights-home"),
    path(
        "orgs/<slug:org_slug>/insights/",
        views_insights.OrganisationInsightsView.as_view(),
        name="insights-organisation",
    ),
    path(
        "orgs/<slug:org_slug>/insights/report.pdf",
        views_insights.OrganisationReportView.as_view(),
        name="insights-organisation-pdf",
    ),
    path(
        "insights/portfolio/",
        views_insights.PortfolioInsightsView.as_view(),
        name="insights-portfolio",
    ),
    path(
        "insights/portfolio/report.pdf",
        views_insights.PortfolioReportView.as_view(),
        name="insights-portfolio-pdf",
    ),
    path(
        "insights/country/<str:country_code>/",
        views_insights.CountryInsightsView.as_view(),
        name="insights-country",
    ),
    path("insights/public/", views_insights.PublicInsightsView.as_view(), name="insights-public"),
    path("insights/segments/", views_insights.SegmentListView.as_view(), name="insights-segments"),
    path(
        "insights/segments/<uuid:segment_id>/",
        views_insights.SegmentDetailView.as_view(),
        name="insights-segment",
    ),
    path(
        "insights/segments/<uuid:segment_id>/delete/",
        views_insights.SegmentDeleteView.as_view(),
        name="insights-segment-delete",
    ),
]
