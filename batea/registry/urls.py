from django.urls import path

from batea.registry import views

urlpatterns = [
    path("orgs/", views.OrganisationListView.as_view(), name="organisation-list"),
    path(
        "orgs/<slug:org_slug>/", views.OrganisationDetailView.as_view(), name="organisation-detail"
    ),
    path(
        "orgs/<slug:org_slug>/members/", views.MemberListView.as_view(), name="organisation-members"
    ),
    path(
        "orgs/<slug:org_slug>/members.csv",
        views.MembersCsvExport.as_view(),
        name="organisation-members-csv",
    ),
    path("orgs/<slug:org_slug>/members/new/", views.MemberFormView.as_view(), name="member-create"),
    path("orgs/<slug:org_slug>/sites/new/", views.SiteFormView.as_view(), name="site-create"),
    path(
        "orgs/<slug:org_slug>/sites.geojson",
        views.SitesGeoJsonExport.as_view(),
        name="organisation-sites-geojson",
    ),
    path(
        "orgs/<slug:org_slug>/licences/new/", views.LicenceFormView.as_view(), name="licence-create"
    ),
    path("members/", views.MemberListView.as_view(), name="member-list"),
    path("members/<uuid:member_id>/", views.MemberDetailView.as_view(), name="member-detail"),
    path("members/<uuid:member_id>/edit/", views.MemberFormView.as_view(), name="member-edit"),
    path("sites/<uuid:site_id>/", views.SiteDetailView.as_view(), name="site-detail"),
    path("sites/<uuid:site_id>/edit/", views.SiteFormView.as_view(), name="site-edit"),
    path("licences/<uuid:licence_id>/edit/", views.LicenceFormView.as_view(), name="licence-edit"),
    path("portfolio/", views.PortfolioView.as_view(), name="portfolio"),
]
