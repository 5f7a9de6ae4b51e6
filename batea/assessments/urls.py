from django.urls import path

from batea.assessments import views

urlpatterns = [
    path(
        "answers/<uuid:answer_id>/evidence/", views.EvidenceView.as_view(), name="answer-evidence"
    ),
    path("orgs/<slug:org_slug>/pathway/", views.PathwayView.as_view(), name="pathway"),
    path("orgs/<slug:org_slug>/pathway.pdf", views.PathwayPdfView.as_view(), name="pathway-pdf"),
    path(
        "orgs/<slug:org_slug>/assessments/",
        views.AssessmentListView.as_view(),
        name="assessment-list",
    ),
    path("orgs/<slug:org_slug>/actions/", views.ActionBoardView.as_view(), name="action-board"),
    path(
        "orgs/<slug:org_slug>/findings/<uuid:nonconformity_id>/<str:operation>/",
        views.ActionChangeView.as_view(),
        name="action-change",
    ),
    path(
        "assessments/<uuid:assessment_id>/",
        views.AssessmentEntryView.as_view(),
        name="assessment-entry",
    ),
    path(
        "assessments/<uuid:assessment_id>/submit/",
        views.SubmitAssessmentView.as_view(),
        name="assessment-submit",
    ),
]
