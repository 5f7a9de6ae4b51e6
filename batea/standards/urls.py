from django.urls import path

from batea.standards import views

urlpatterns = [
    path("standards/", views.StandardListView.as_view(), name="standard-list"),
    path("standards/import/", views.ImportView.as_view(), name="standard-import"),
    path(
        "standards/<slug:code>/compare/",
        views.CompareVersionsView.as_view(),
        name="standard-compare",
    ),
    path(
        "standards/<slug:code>/<str:version>/",
        views.StandardVersionView.as_view(),
        name="standard-version",
    ),
    path("crosswalks/<slug:code>/", views.CrosswalkView.as_view(), name="crosswalk-detail"),
]
