from django.urls import path

from batea.custody import views

urlpatterns = [
    path("lots/", views.LotListView.as_view(), name="lot-list"),
    path("lots/<str:lot_code>/", views.LotDetailView.as_view(), name="lot-detail"),
    path("orgs/<slug:org_slug>/lots/new/", views.ProduceView.as_view(), name="lot-produce"),
    path("incidents/", views.IncidentListView.as_view(), name="incident-list"),
    path(
        "incidents/<uuid:incident_id>/",
        views.IncidentDetailView.as_view(),
        name="incident-detail",
    ),
    path("suppliers/", views.SupplierListView.as_view(), name="supplier-list"),
]
