from django.urls import path

from batea.fielddata import views

urlpatterns = [
    path("fielddata/", views.FieldDataHomeView.as_view(), name="fielddata-home"),
    path("orgs/<slug:org_slug>/fielddata/", views.FieldDataView.as_view(), name="fielddata"),
    path(
        "orgs/<slug:org_slug>/fielddata/xlsform/",
        views.XLSFormView.as_view(),
        name="fielddata-xlsform",
    ),
    path(
        "orgs/<slug:org_slug>/fielddata/subjects.csv",
        views.SubjectsCsvView.as_view(),
        name="fielddata-subjects",
    ),
    path(
        "orgs/<slug:org_slug>/fielddata/template.xlsx",
        views.TemplateDownloadView.as_view(),
        name="fielddata-template",
    ),
    path(
        "orgs/<slug:org_slug>/fielddata/export/",
        views.ExportView.as_view(),
        name="fielddata-export",
    ),
]
