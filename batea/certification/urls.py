from django.urls import path

from batea.certification import views

urlpatterns = [
    path("orgs/<slug:org_slug>/certify/", views.CertifyView.as_view(), name="certify"),
    path(
        "certificates/<uuid:certificate_id>/",
        views.CertificateView.as_view(),
        name="certificate-detail",
    ),
    path(
        "certificates/<uuid:certificate_id>/decide/",
        views.CertificateDecisionView.as_view(),
        name="certificate-decide",
    ),
    path(
        "certificates/<uuid:certificate_id>/certificate.pdf",
        views.CertificatePdfView.as_view(),
        name="certificate-pdf",
    ),
    path("verify/", views.VerifyView.as_view(), name="verify"),
    path("verify/<str:code>/", views.VerifyView.as_view(), name="verify-code"),
]
